from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    """The project itself, installed as an app for what spans every center: `manage.py
    seed_demo` seeds the whole platform (merchant, users, carriers, warehouses, preferences)."""

    name = "logistics"
    label = "logistics"

    def ready(self) -> None:
        from logistics import checks  # noqa: F401 - registers the deployment checks
