from datetime import timedelta

import pytest
from django.utils import timezone

from apps.merchants.tests.factories import MerchantFactory
from apps.orders.filters import OrderFilter, first_id_at
from apps.orders.selectors import order_list
from apps.orders.tests.factories import address_draft, create_order

pytestmark = pytest.mark.clock


def _submit(merchant, reference, **recipient):
    return create_order(merchant_id=merchant.pk, reference=reference, recipient=address_draft(**recipient))


def _found(merchant, **params):
    orders = OrderFilter(params, queryset=order_list(merchant_id=merchant.pk))
    assert orders.is_valid(), orders.errors
    return sorted(o.reference for o in orders.qs)


def test_search_finds_recipients_by_name_part_email_and_phone_within_the_merchant(merchant):
    _submit(merchant, "A", name="Anna Schmidt", email="anna@example.com", phone="+4930111")
    _submit(merchant, "B", name="Bernd Bauer", email="bernd@example.com", phone="+4930222")
    _submit(MerchantFactory(), "OTHER", name="Anna Schmidt", email="anna@example.com", phone="+4930111")

    assert _found(merchant, q="schmi") == ["A"]
    assert _found(merchant, q="ANNA@example.com") == ["A"]
    assert _found(merchant, q="+4930222") == ["B"]
    assert _found(merchant, q="nobody") == []


def test_state_destination_and_reference_filters(merchant):
    _submit(merchant, "A")
    _submit(merchant, "B")

    assert _found(merchant, state=["accepted"]) == ["A", "B"]
    assert _found(merchant, state=["delivered"]) == []
    assert _found(merchant, destination_country="de", reference="B") == ["B"]


def test_created_ranges_ride_the_time_ordered_ids(merchant):
    before = timezone.now() - timedelta(seconds=1)
    order = _submit(merchant, "A")
    after = timezone.now() + timedelta(seconds=1)

    assert first_id_at(before) < order.id < first_id_at(after)
    assert _found(merchant, created_after=before.isoformat()) == ["A"]
    assert _found(merchant, created_before=before.isoformat()) == []
    assert _found(merchant, created_after=after.isoformat()) == []
