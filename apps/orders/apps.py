from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Owns the logistics order (parties, parcels, items with customs data, the chosen route),
    its state machine and history, and its order number.

    Public API: `services.order_create`, `services.order_schedule`, `services.order_advance`,
    `services.order_record_booking`, `services.order_cancel`, `services.order_flag_exception`;
    `selectors.order_get`, `selectors.order_list`, `selectors.order_history`; for the back office
    `selectors.orders_stuck`, `selectors.orders_accepted_per_minute`, `selectors.orders_by_carrier_recent`;
    the draft types in `types`. Events: `orders.order.*`.
    """

    name = "apps.orders"
    label = "orders"
