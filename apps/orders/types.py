"""The shapes in which other apps hand an order to the order center."""

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class AddressDraft:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    state: str = ""
    company: str = ""
    phone: str = ""
    email: str = ""
    # The address as the country's postal data writes it (`shipping.addresses`), set by intake's
    # validation and kept on the order beside what was typed.
    normalized: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class ItemDraft:
    description: str
    quantity: int
    unit_value: Decimal
    currency: str
    hs_code: str
    origin_country: str
    sku: str = ""


@dataclass(frozen=True)
class ParcelDraft:
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    items: tuple[ItemDraft, ...] = ()


@dataclass(frozen=True)
class OrderDraft:
    sender: AddressDraft
    recipient: AddressDraft
    parcels: tuple[ParcelDraft, ...]
    service_level: str = "standard"
    reference: str = ""

    @property
    def is_cross_border(self) -> bool:
        return self.sender.country != self.recipient.country

    @property
    def total_weight_g(self) -> int:
        return sum(p.weight_g for p in self.parcels)

    @property
    def declared_value(self) -> Decimal:
        return sum((i.unit_value * i.quantity for p in self.parcels for i in p.items), Decimal("0"))


@dataclass(frozen=True)
class OrderRoute:
    """The routing decision, kept on the order as it was made (carrier codes, not references)."""

    carrier_code: str
    service_code: str
    price: Decimal
    currency: str
    warehouse_code: str = ""
    explanation: dict = field(default_factory=dict)
