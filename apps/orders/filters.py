"""The merchant's order filters, shared by the portal and the ERP API."""

import django_filters

from apps.orders.models import Order, OrderState


class OrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices)
    reference = django_filters.CharFilter()
    tracking_number = django_filters.CharFilter()
    destination_country = django_filters.CharFilter(field_name="recipient_country", lookup_expr="iexact")
    carrier = django_filters.CharFilter(field_name="carrier_code")
    service_level = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = []
