"""The fields an import fills and the column headings that name them in the exports of the big
shipping and selling tools (ShipStation, Shopify, Pirate Ship, Karrio, eBay, Amazon) and in
Chinese spreadsheets, so that a first upload usually maps itself."""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

# Our fields, in the order the mapping form shows them, with their labels.
FIELDS = {
    "reference": _("Order reference"),
    "recipient_name": _("Recipient name"),
    "recipient_company": _("Recipient company"),
    "recipient_line1": _("Address line 1"),
    "recipient_line2": _("Address line 2"),
    "recipient_city": _("City"),
    "recipient_state": _("State or province"),
    "recipient_postal_code": _("Postcode"),
    "recipient_country": _("Country"),
    "recipient_phone": _("Phone"),
    "recipient_email": _("Email"),
    "item_description": _("Item description"),
    "item_sku": _("SKU"),
    "item_quantity": _("Quantity"),
    "item_unit_value": _("Unit value"),
    "item_currency": _("Currency"),
    "item_hs_code": _("HS code"),
    "item_origin_country": _("Country of origin"),
    "weight": _("Weight"),
    "service_level": _("Service level"),
}
REQUIRED = ("recipient_name", "recipient_line1", "recipient_city", "recipient_postal_code", "recipient_country")

# Headings as `normalize` leaves them, most specific first: a field takes the first of its
# headings the file has that no other field took before it (fields in the order of FIELDS).
SYNONYMS = {
    "reference": [
        "ordernumber",
        "orderno",
        "order",
        "orderid",
        "ordernum",
        "salesrecordnumber",
        "ordername",
        "reference",
        "ref",
        "customerreference",
        "referencenumber",
        "externalorderid",
        "订单号",
        "订单编号",
        "参考号",
        "客户单号",
        "客户订单号",
        "平台订单号",
        "单号",
    ],
    "recipient_name": [
        "shiptoname",
        "shippingname",
        "recipientname",
        "recipient",
        "recipientfullname",
        "shipname",
        "buyername",
        "fullname",
        "name",
        "customername",
        "contactname",
        "收件人",
        "收件人姓名",
        "收货人",
        "收货人姓名",
        "姓名",
        "客户姓名",
    ],
    "recipient_company": [
        "shiptocompany",
        "shippingcompany",
        "recipientcompany",
        "recipientcompanyname",
        "company",
        "companyname",
        "收件人公司",
        "公司",
        "公司名称",
    ],
    "recipient_line1": [
        "shiptoaddress1",
        "shiptoaddressline1",
        "shippingaddress1",
        "shippingstreet",
        "shipaddress1",
        "recipientaddressline1",
        "recipientaddress1",
        "addressline1",
        "address1",
        "street1",
        "street",
        "address",
        "收件人地址",
        "收货地址",
        "地址1",
        "地址一",
        "详细地址",
        "地址",
        "街道",
    ],
    "recipient_line2": [
        "shiptoaddress2",
        "shiptoaddressline2",
        "shippingaddress2",
        "shipaddress2",
        "recipientaddressline2",
        "recipientaddress2",
        "addressline2",
        "address2",
        "street2",
        "地址2",
        "地址二",
        "门牌号",
    ],
    "recipient_city": [
        "shiptocity",
        "shippingcity",
        "shipcity",
        "recipientcity",
        "city",
        "town",
        "城市",
        "收件人城市",
        "市",
    ],
    "recipient_state": [
        "shiptostate",
        "shiptoprovince",
        "shippingprovince",
        "shippingprovincename",
        "shipstate",
        "recipientstatecode",
        "recipientstate",
        "recipientprovince",
        "state",
        "province",
        "region",
        "county",
        "stateprovince",
        "省州",
        "州省",
        "省份",
        "州",
        "省",
        "收件人省州",
        "收件人州",
    ],
    "recipient_postal_code": [
        "shiptopostalcode",
        "shiptozip",
        "shiptozipcode",
        "shippingzip",
        "shippostalcode",
        "recipientpostalcode",
        "recipientzip",
        "postalcode",
        "postcode",
        "zipcode",
        "zip",
        "zippostalcode",
        "邮编",
        "邮政编码",
        "收件人邮编",
    ],
    "recipient_country": [
        "shiptocountry",
        "shiptocountrycode",
        "shippingcountry",
        "shippingcountrycode",
        "shipcountry",
        "recipientcountrycode",
        "recipientcountry",
        "countrycode",
        "country",
        "国家",
        "国家代码",
        "国家二字码",
        "目的国",
        "目的国家",
        "收件人国家",
    ],
    "recipient_phone": [
        "shiptophone",
        "shippingphone",
        "shipphonenumber",
        "recipientphone",
        "recipientphonenumber",
        "buyerphonenumber",
        "buyerphone",
        "phone",
        "phonenumber",
        "telephone",
        "tel",
        "mobile",
        "电话",
        "收件人电话",
        "联系电话",
        "手机",
        "手机号",
        "电话号码",
    ],
    "recipient_email": [
        "shiptoemail",
        "recipientemail",
        "customeremail",
        "buyeremail",
        "email",
        "emailaddress",
        "邮箱",
        "电子邮件",
        "收件人邮箱",
        "电子邮箱",
    ],
    "item_description": [
        "itemname",
        "itemtitle",
        "lineitemname",
        "productname",
        "itemdescription",
        "description",
        "product",
        "contents",
        "customsdescription",
        "title",
        "品名",
        "英文品名",
        "申报品名",
        "商品名称",
        "产品名称",
        "中文品名",
        "物品描述",
        "商品",
    ],
    "item_sku": [
        "itemsku",
        "lineitemsku",
        "sku",
        "customlabel",
        "sellersku",
        "productsku",
        "商品编码",
        "产品编码",
        "货号",
    ],
    "item_quantity": [
        "itemquantity",
        "lineitemquantity",
        "quantitypurchased",
        "quantity",
        "qty",
        "itemqty",
        "数量",
        "件数",
        "商品数量",
        "申报数量",
    ],
    "item_unit_value": [
        "itemunitprice",
        "lineitemprice",
        "itemprice",
        "unitprice",
        "soldfor",
        "itemvalue",
        "value",
        "declaredvalue",
        "customsvalue",
        "price",
        "单价",
        "申报价值",
        "申报单价",
        "价格",
        "商品单价",
    ],
    "item_currency": ["currency", "currencycode", "itemcurrency", "币种", "货币", "申报币种"],
    "item_hs_code": [
        "hscode",
        "hstariffnumber",
        "tariffcode",
        "harmonizedcode",
        "itemhscode",
        "customstariffcode",
        "海关编码",
        "hs编码",
        "海关编号",
        "税则号",
    ],
    "item_origin_country": [
        "countryoforigin",
        "origincountry",
        "itemorigincountry",
        "origin",
        "原产国",
        "原产地",
    ],
    "weight": [
        "weightoz",
        "weightlb",
        "weightlbs",
        "weightkg",
        "weightg",
        "weightgrams",
        "parcelweight",
        "packageweight",
        "itemweight",
        "totalweight",
        "weight",
        "重量kg",
        "重量g",
        "重量克",
        "重量千克",
        "重量公斤",
        "包裹重量",
        "重量",
    ],
    "service_level": ["servicelevel", "service", "shippingservice", "requestedservice", "服务", "服务等级", "渠道"],
}

# The unit a weight heading names, if it names one.
WEIGHT_UNITS = {
    "oz": "oz",
    "lb": "lb",
    "lbs": "lb",
    "kg": "kg",
    "g": "g",
    "grams": "g",
    "克": "g",
    "千克": "kg",
    "公斤": "kg",
}
WEIGHT_GRAMS = {"g": 1, "kg": 1000, "oz": 28.349523125, "lb": 453.59237}


def normalize(heading: str) -> str:
    """Lower case, full-width forms folded (NFKC), and nothing but letters and digits kept."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", heading).casefold())


def guess_mapping(headings: tuple[str, ...] | list[str], remembered: dict[str, str] | None = None) -> dict[str, str]:
    """field -> heading for the headings of a file: what the merchant mapped last time (for the
    headings this file has), then the known headings."""
    present = {normalize(h): h for h in reversed(headings) if h}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for field, heading in (remembered or {}).items():
        if field in FIELDS and heading in headings and heading not in taken:
            mapping[field] = heading
            taken.add(heading)
    for field in FIELDS:
        if field in mapping:
            continue
        for synonym in SYNONYMS[field]:
            heading = present.get(synonym)
            if heading is not None and heading not in taken:
                mapping[field] = heading
                taken.add(heading)
                break
    # Shopify names the order "Name" (#1001) and the recipient "Shipping Name": a plain "Name"
    # left over by the recipient is the order's.
    if "reference" not in mapping and present.get("name") not in (None, *taken):
        mapping["reference"] = present["name"]
    return mapping


def weight_unit_of(heading: str) -> str | None:
    key = normalize(heading)
    for stem in ("weight", "重量", "parcelweight", "packageweight", "itemweight", "totalweight", "包裹重量"):
        if key.startswith(stem) and key[len(stem) :] in WEIGHT_UNITS:
            return WEIGHT_UNITS[key[len(stem) :]]
    return None
