from decimal import Decimal

import factory
from django.conf import settings

from apps.resources.models import Carrier, CarrierService, Coverage, RateBreak, RateCard, Zone


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier

    code = factory.Sequence(lambda n: f"carrier-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    endpoint_url = factory.LazyAttribute(lambda o: f"http://127.0.0.1:1/sandbox/carriers/{o.code}/")
    api_key = factory.LazyFunction(lambda: settings.SANDBOX_API_KEY)  # what the sandbox carriers accept


class CarrierServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarrierService

    carrier = factory.SubFactory(CarrierFactory)
    code = "standard"
    name = "Standard"
    level = "standard"
    transit_days_min = 5
    transit_days_max = 8
    max_weight_g = 30000
    base_price = Decimal("10.00")
    price_per_kg = Decimal("2.00")
    currency = "USD"


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    service = factory.SubFactory(CarrierServiceFactory)
    origin_country = "CN"
    destination_country = "DE"
    postcode_prefixes = factory.LazyFunction(list)


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    carrier = factory.SubFactory(CarrierFactory)
    code = factory.Sequence(lambda n: f"zone-{n}")
    countries = factory.LazyFunction(lambda: ["DE"])


class RateCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateCard

    service = factory.SubFactory(CarrierServiceFactory)
    currency = "USD"


class RateBreakFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateBreak

    card = factory.SubFactory(RateCardFactory)
    zone = factory.SubFactory(ZoneFactory, carrier=factory.SelfAttribute("..card.service.carrier"))
    up_to_g = 1000
    price = Decimal("5.00")
