"""What a merchant keeps at hand for intake: its sender addresses and its product catalogue.

They only fill the order form (and, later, an import's rows): an order copies what it was given,
so changing or deleting a saved address or product never changes an order."""

from django.db import models
from django.db.models import Q

from apps.orders.models import Item, Order


def _like_sender(name: str, **options) -> models.Field:
    """A column as long as the order's sender column it fills."""
    column = Order._meta.get_field(f"sender_{name}")
    if isinstance(column, models.EmailField):
        return models.EmailField(max_length=column.max_length, blank=True)
    return models.CharField(max_length=column.max_length, **options)


class SenderAddress(models.Model):
    merchant_id = models.BigIntegerField(db_index=True)
    label = models.CharField(max_length=100)
    name = _like_sender("name")
    company = _like_sender("company", blank=True)
    line1 = _like_sender("line1")
    line2 = _like_sender("line2", blank=True)
    city = _like_sender("city")
    state = _like_sender("state", blank=True)
    postal_code = _like_sender("postal_code", blank=True)
    country = _like_sender("country")
    phone = _like_sender("phone", blank=True)
    email = _like_sender("email")
    normalized = models.JSONField(default=dict, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "label", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant_id"], condition=Q(is_default=True), name="one_default_sender"),
        ]

    def __str__(self) -> str:
        return self.label


class Product(models.Model):
    """A good the merchant ships, as customs must see it."""

    merchant_id = models.BigIntegerField()
    sku = models.CharField(max_length=Item._meta.get_field("sku").max_length, blank=True)
    description = models.CharField(max_length=Item._meta.get_field("description").max_length)
    description_zh = models.CharField(max_length=Item._meta.get_field("description").max_length, blank=True)
    hs_code = models.CharField(max_length=Item._meta.get_field("hs_code").max_length)
    origin_country = models.CharField(max_length=2)
    unit_value = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    weight_g = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["description", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant_id", "sku"], condition=~Q(sku=""), name="one_product_per_sku"),
        ]
        indexes = [models.Index(fields=["merchant_id", "description"], name="product_merchant")]

    def __str__(self) -> str:
        return self.description
