"""What accepted and delivered orders teach routing: daily capacity used, the on-time record, and
a merchant's routing preferences applied to quotes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from apps.common import outbox
from apps.common.models import OutboxEvent
from apps.orders.tests.factories import create_order, fixed_route, item_draft, order_draft, parcel_draft
from apps.resources.models import (
    DeliveryPromise,
    MerchantRoutingPreference,
    ServiceDailyUsage,
    ServiceRecord,
    WarehouseDailyUsage,
)
from apps.resources.services import warehouse_upsert
from apps.resources.tests.factories import CarrierServiceFactory, CoverageFactory
from apps.shipping.exceptions import NoRouteAvailable
from apps.shipping.selectors import order_quote, shipment_profile
from apps.shipping.services import order_submit

pytestmark = pytest.mark.clock


def _service(carrier: str, *, base: str, days=(5, 8), **fields):
    service = CarrierServiceFactory(
        carrier__code=carrier,
        base_price=Decimal(base),
        transit_days_min=days[0],
        transit_days_max=days[1],
        **fields,
    )
    CoverageFactory(service=service)
    return service


def _submit(merchant):
    return order_submit(merchant_id=merchant.pk, draft=order_draft(), actor="user:1", channel="portal")


def _delivered(order, *, days_after: int) -> None:
    """The distribution center's `delivered` event for the order, `days_after` its acceptance, as
    the resource center's handler receives it (the other centers' handlers are not under test)."""
    with transaction.atomic():
        row = outbox.record(
            event_type="distribution.order.delivered",
            aggregate_type="distribution_order",
            aggregate_id=1,
            merchant_id=order.merchant_id,
            payload={
                "distribution_order_id": 1,
                "order_id": str(order.pk),
                "carrier_code": order.carrier_code,
                "service_code": order.service_code,
                "state": "delivered",
            },
        )
    OutboxEvent.objects.filter(pk=row.pk).update(created_at=timezone.now() + timedelta(days=days_after))
    outbox.run_subscription(event_id=row.pk, name="apps.resources.handlers.record_delivery")


@pytest.mark.django_db(transaction=True)
def test_accepted_orders_fill_a_service_to_its_daily_capacity_then_routing_skips_it(merchant):
    _service("small", base="5.00", daily_capacity=2)
    _service("big", base="9.00")

    first, second = _submit(merchant), _submit(merchant)
    outbox.drain(run_tasks=False)
    third = _submit(merchant)

    assert [o.carrier_code for o in (first, second, third)] == ["small", "small", "big"]
    assert ServiceDailyUsage.objects.get(carrier_code="small").orders == 2
    reasons = {e.carrier_code: e.reason for e in order_quote(draft=order_draft()).exclusions}
    assert reasons["small"] == "at daily capacity (2/2 today)"


@pytest.mark.django_db(transaction=True)
def test_a_handler_counts_each_accepted_order_once(merchant):
    _service("small", base="5.00")
    _submit(merchant)

    outbox.drain(run_tasks=False)
    outbox.drain(run_tasks=False)

    assert ServiceDailyUsage.objects.get(carrier_code="small").orders == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("days_after", "on_time"), [pytest.param(8, 1, id="by-the-promised-day"), pytest.param(9, 0, id="late")]
)
def test_a_delivery_counts_on_time_against_the_window_promised_at_acceptance(merchant, days_after, on_time):
    _service("swift", base="5.00", days=(5, 8))
    order = _submit(merchant)
    outbox.drain(run_tasks=False)
    assert DeliveryPromise.objects.get(order_id=order.pk).promised_by == timezone.now().date() + timedelta(days=8)

    _delivered(order, days_after=days_after)

    record = ServiceRecord.objects.get(carrier_code="swift")
    assert (record.delivered, record.on_time) == (1, on_time)
    assert not DeliveryPromise.objects.filter(order_id=order.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_on_time_record_reorders_the_on_time_strategy(merchant):
    _service("steady", base="9.00", on_time_prior=Decimal("0.900"))
    _service("flaky", base="5.00", on_time_prior=Decimal("0.950"))
    assert [o.carrier_code for o in order_quote(draft=order_draft(), strategy="on_time").options] == ["flaky", "steady"]
    orders = [_submit(merchant) for _ in range(10)]  # all to flaky, the cheapest
    outbox.drain(run_tasks=False)

    for order in orders:
        _delivered(order, days_after=12)

    # flaky: (0 + 0.95 x 20) / 30 = 0.633 < steady's 0.9
    assert [o.carrier_code for o in order_quote(draft=order_draft(), strategy="on_time").options] == ["steady", "flaky"]


def test_a_quote_for_a_merchant_applies_their_preferences_and_default_strategy(merchant):
    _service("cheap", base="5.00", days=(9, 12))
    _service("quick", base="20.00", days=(1, 2))
    _service("banned", base="1.00")
    MerchantRoutingPreference.objects.create(
        merchant_id=merchant.pk, preferred_carriers=["quick"], blocked_carriers=["banned"], default_strategy="preferred"
    )

    quote = order_quote(draft=order_draft(), merchant_id=merchant.pk)
    fastest = order_quote(draft=order_draft(), merchant_id=merchant.pk, strategy="fastest")
    anyone = order_quote(draft=order_draft())

    assert (quote.strategy, [o.carrier_code for o in quote.options]) == ("preferred", ["quick", "cheap"])
    assert [(e.carrier_code, e.reason) for e in quote.exclusions] == [("banned", "blocked by the merchant")]
    assert [o.carrier_code for o in fastest.options] == ["quick", "cheap"]
    assert [o.carrier_code for o in anyone.options] == ["banned", "cheap", "quick"]


@pytest.mark.parametrize(
    ("items", "value", "currency", "contents"),
    [
        pytest.param((item_draft(),), "25.00", "USD", set(), id="t-shirts"),
        pytest.param(
            (item_draft(hs_code="850760", description="Power bank", unit_value=Decimal("30"), quantity=1),),
            "30",
            "USD",
            {"batteries"},
            id="power-bank-by-hs-code",
        ),
        pytest.param(
            (item_draft(hs_code="330300", currency="EUR"), item_draft(description="Hair spray", currency="EUR")),
            "50.00",
            "EUR",
            {"liquids", "aerosols"},
            id="perfume-and-spray",
        ),
    ],
)
def test_the_profile_takes_value_currency_and_contents_from_the_items(db, items, value, currency, contents):
    profile = shipment_profile(order_draft(parcels=(parcel_draft(items=items),)))

    assert (profile.declared_value, profile.declared_currency, set(profile.contents)) == (
        Decimal(value),
        currency,
        contents,
    )


def test_a_service_refusing_batteries_is_not_offered_for_a_power_bank(merchant):
    _service("no-batteries", base="5.00", refused_contents=["batteries"])
    power_bank = item_draft(hs_code="850760", description="Power bank")

    with pytest.raises(NoRouteAvailable) as refused:
        order_submit(
            merchant_id=merchant.pk,
            draft=order_draft(parcels=(parcel_draft(items=(power_bank,)),)),
            actor="user:1",
            channel="portal",
        )

    assert refused.value.extra["exclusions"] == [
        {"carrier": "no-batteries", "service": "standard", "reason": "does not accept batteries"}
    ]


@pytest.mark.django_db(transaction=True)
def test_orders_shipped_from_a_warehouse_count_towards_its_daily_capacity(merchant):
    _service("test-post", base="5.00", code="standard")
    warehouse_upsert(
        code="hk-hub",
        name="HK hub",
        country="HK",
        city="Hong Kong",
        ships_to=["DE"],
        endpoint_url="http://127.0.0.1:9/wms/hk-hub/",
        handling_fee=0,
        currency="USD",
        carrier_codes=["test-post"],
    )
    create_order(merchant_id=merchant.pk, route=fixed_route(warehouse_code="hk-hub"))
    create_order(merchant_id=merchant.pk, route=fixed_route(warehouse_code="hk-hub"), reference="WH-2")
    create_order(merchant_id=merchant.pk, route=fixed_route(), reference="DIRECT-1")

    outbox.drain(run_tasks=False)

    assert WarehouseDailyUsage.objects.get(warehouse_code="hk-hub", day=timezone.now().date()).orders == 2
    assert WarehouseDailyUsage.objects.count() == 1
