"""What a delivery carries, as one frozen snapshot of its order.

A booking takes the snapshot once (`selectors.shipment_of_order`) and makes both the carrier's
booking request and the platform's label and customs documents from it, so the two cannot
describe different parcels or addresses.
"""

from dataclasses import dataclass
from decimal import Decimal

# The address fields of a party, as the order keeps them (`sender_<field>`, `recipient_<field>`).
PARTY_FIELDS = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country", "phone", "email")


@dataclass(frozen=True)
class ShipmentItem:
    description: str
    quantity: int
    unit_value: Decimal
    currency: str
    hs_code: str
    origin_country: str

    @property
    def value(self) -> Decimal:
        return self.unit_value * self.quantity


@dataclass(frozen=True)
class ShipmentParcel:
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    items: tuple[ShipmentItem, ...]


@dataclass(frozen=True)
class Shipment:
    order_number: str
    reference: str
    sender: dict[str, str]
    recipient: dict[str, str]
    parcels: tuple[ShipmentParcel, ...]

    @property
    def is_cross_border(self) -> bool:
        return self.sender.get("country") != self.recipient.get("country")

    @property
    def items(self) -> list[ShipmentItem]:
        return [item for parcel in self.parcels for item in parcel.items]

    @property
    def declared_value(self) -> Decimal:
        return sum((item.value for item in self.items), Decimal("0"))

    @property
    def currency(self) -> str:
        return self.items[0].currency if self.items else ""

    @property
    def weight_g(self) -> int:
        return sum(parcel.weight_g for parcel in self.parcels)
