import pytest

from apps.resources.tests.factories import CoverageFactory

SENDER = {
    "sender_name": "Shenzhen Gadgets",
    "sender_line1": "1 Keji Rd",
    "sender_city": "Shenzhen",
    "sender_postal_code": "518000",
    "sender_country": "CN",
    "hs_code": "610910",
}
HEADINGS = (
    "Order #,Ship To - Name,Ship To - Address 1,Ship To - City,Ship To - Postal Code,Ship To - Country,"
    "Ship To - Phone,Item Name,Item Quantity,Item Unit Price,Weight (oz)"
)


def csv_file(*rows: str, headings: str = HEADINGS, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([headings, *rows]) + "\r\n").encode(encoding)


def row(reference: str = "A-1", **changes) -> str:
    values = {
        "reference": reference,
        "name": "Anna Schmidt",
        "line1": "Hauptstr. 5",
        "city": "Berlin",
        "postcode": "10115",
        "country": "DE",
        "phone": "+4930123456",
        "item": "T-shirt",
        "quantity": "2",
        "price": "12.50",
        "weight": "16",
    } | changes
    return ",".join(values.values())


@pytest.fixture
def routes(db):
    """Routes from CN to DE and to the US."""
    return [
        CoverageFactory(service__carrier__code="test-post").service,
        CoverageFactory(service__carrier__code="us-post", destination_country="US").service,
    ]
