from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class LogisticsConfig(AppConfig):
    """The project itself, installed as an app for what spans every center: `manage.py
    seed_demo` seeds the whole platform (merchant, users, carriers, warehouses, preferences)."""

    name = "logistics"
    label = "logistics"

    def ready(self) -> None:
        from logistics import checks  # noqa: F401 - registers the deployment checks


class OperationsAdminConfig(admin_apps.AdminConfig):
    """Django's admin with `logistics.admin_site.OperationsAdminSite` as `admin.site`: staff log
    in with a password and an authenticator's code."""

    default = False  # named in INSTALLED_APPS; LogisticsConfig stays this module's app
    default_site = "logistics.admin_site.OperationsAdminSite"
