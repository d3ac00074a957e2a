"""The process's compiled catalogue follows catalogue writes; a large one is rebuilt beside the
requests, which route on the previous catalogue until the new one is ready."""

from decimal import Decimal

import pytest

from apps.resources.catalogue import _ProcessCache
from apps.resources.models import CarrierService
from apps.resources.selectors import route_options
from apps.resources.tests.factories import CarrierServiceFactory, CoverageFactory
from apps.resources.types import ShipmentProfile

BERLIN = ShipmentProfile("CN", "DE", "10115", (1200,), 300)


@pytest.fixture
def fresh_process(monkeypatch):
    """A process that has not compiled a catalogue yet (the cache is per process, not per test)."""
    monkeypatch.setattr(_ProcessCache, "catalogue", None)
    monkeypatch.setattr(_ProcessCache, "rebuilding", None)


def _price() -> Decimal:
    return route_options(profile=BERLIN).options[0].price


@pytest.mark.django_db(transaction=True)
def test_a_background_rebuild_keeps_routing_on_the_previous_catalogue_until_it_is_ready(settings, fresh_process):
    settings.ROUTING_REBUILD_IN_BACKGROUND = True
    service = CarrierServiceFactory(carrier__code="regio")
    CoverageFactory(service=service)
    assert _price() == Decimal("14.00")  # the first catalogue is built at once

    CarrierService.objects.filter(pk=service.pk).update(base_price=Decimal("20.00"))
    during = _price()
    _ProcessCache.rebuilding.join(timeout=30)
    after = _price()

    assert (during, after) == (Decimal("14.00"), Decimal("24.00"))


def test_without_background_rebuilds_a_write_is_routed_on_at_once(db, fresh_process):
    service = CarrierServiceFactory(carrier__code="regio")
    CoverageFactory(service=service)
    assert _price() == Decimal("14.00")

    CarrierService.objects.filter(pk=service.pk).update(base_price=Decimal("20.00"))

    assert _price() == Decimal("24.00")
    assert _ProcessCache.rebuilding is None
