"""The exports of the big tools map themselves: each tool's headings as it writes them."""

import pytest

from apps.imports.headings import guess_mapping, weight_unit_of

# Chinese spreadsheets write full-width parentheses (U+FF08, U+FF09) around a unit.
KG = "重量\uff08千克\uff09"
EXPORTS = {
    "shipstation": (
        "Order #,Order Date,Recipient,Ship To - Name,Ship To - Company,Ship To - Address 1,Ship To - Address 2,"
        "Ship To - City,Ship To - State,Ship To - Postal Code,Ship To - Country,Ship To - Phone,Customer Email,"
        "Item SKU,Item Name,Item Quantity,Item Unit Price,Weight (oz)",
        {"reference": "Order #", "recipient_name": "Ship To - Name", "recipient_email": "Customer Email"},
    ),
    "shopify": (
        "Name,Email,Financial Status,Currency,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,"
        "Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,"
        "Shipping Zip,Shipping Province,Shipping Country,Shipping Phone",
        {"reference": "Name", "recipient_name": "Shipping Name", "recipient_line1": "Shipping Address1"},
    ),
    "pirate ship": (
        "Name,Company,Address,Address 2,City,State,Zipcode,Country,Phone,Email,Order ID,Weight (lb),Description",
        {"reference": "Order ID", "recipient_name": "Name", "recipient_line1": "Address", "weight": "Weight (lb)"},
    ),
    "karrio": (
        "order_id,recipient_name,recipient_company_name,recipient_address_line1,recipient_address_line2,"
        "recipient_city,recipient_state_code,recipient_postal_code,recipient_country_code,recipient_phone_number,"
        "recipient_email,parcel_weight,item_description,item_quantity,item_value,item_sku,item_hs_code",
        {"recipient_state": "recipient_state_code", "item_hs_code": "item_hs_code", "weight": "parcel_weight"},
    ),
    "ebay": (
        "Sales Record Number,Order Number,Buyer Username,Buyer Name,Buyer Email,Item Number,Item Title,"
        "Custom Label,Quantity,Sold For,Ship To Name,Ship To Phone,Ship To Address 1,Ship To Address 2,"
        "Ship To City,Ship To State,Ship To Zip,Ship To Country",
        {"reference": "Order Number", "recipient_name": "Ship To Name", "item_sku": "Custom Label"},
    ),
    "amazon": (
        "order-id,order-item-id,purchase-date,buyer-email,buyer-name,buyer-phone-number,sku,product-name,"
        "quantity-purchased,currency,item-price,recipient-name,ship-address-1,ship-address-2,ship-city,"
        "ship-state,ship-postal-code,ship-country,ship-phone-number",
        {"reference": "order-id", "recipient_name": "recipient-name", "recipient_phone": "ship-phone-number"},
    ),
    "chinese": (
        "订单号,收件人,公司,电话,地址,城市,省/州,邮编,国家,邮箱,品名,SKU,数量,单价,币种,海关编码," + KG,
        {"reference": "订单号", "recipient_state": "省/州", "item_hs_code": "海关编码", "weight": KG},
    ),
}
ADDRESS = ("recipient_name", "recipient_line1", "recipient_city", "recipient_postal_code", "recipient_country")


@pytest.mark.parametrize("tool", EXPORTS)
def test_each_tools_export_maps_the_address_and_item_columns(tool):
    headings, expected = EXPORTS[tool]

    mapping = guess_mapping(headings.split(","))

    assert {k: mapping.get(k) for k in expected} == expected
    assert all(field in mapping for field in (*ADDRESS, "item_description"))  # a quantity is 1 if not given
    assert len(set(mapping.values())) == len(mapping)  # no column is used twice


def test_weight_units_come_from_the_heading():
    assert [weight_unit_of(h) for h in ("Weight (oz)", "weight_kg", KG, "重量(g)", "Weight")] == [
        "oz",
        "kg",
        "kg",
        "g",
        None,
    ]
