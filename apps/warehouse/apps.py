from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    """Owns warehouse orders (pick, pack, hand to carrier at an external warehouse) and their
    state machine, and merchants' stock per warehouse.

    The foundation routes every order to a carrier directly; warehouse legs arrive with the
    warehouse issue. Events: `warehouse.order.*`.
    """

    name = "apps.warehouse"
    label = "warehouse"

    def ready(self) -> None:
        from apps.warehouse import handlers  # noqa: F401
