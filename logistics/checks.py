"""Deployment checks (`manage.py check --deploy`) for what a production setup must not keep
from development: the sandbox's public secrets, the development API key pepper, any host."""

from django.conf import settings
from django.core.checks import Error, Tags, register

# Every development default of a secret starts so (logistics/settings/base.py).
DEVELOPMENT_SECRET_PREFIX = "dev-only-"  # noqa: S105 - a prefix to refuse, not a secret


def _development_value(value: str) -> bool:
    return not value or value.startswith(DEVELOPMENT_SECRET_PREFIX)


@register(Tags.security, deploy=True)
def check_sandbox_secrets(app_configs=None, **kwargs) -> list[Error]:
    """A mounted sandbox with a published secret lets anyone sign carrier news or read shipments."""
    if not settings.SANDBOX_ENABLED:
        return []
    weak = [
        name for name in ("SANDBOX_API_KEY", "SANDBOX_WEBHOOK_SECRET") if _development_value(getattr(settings, name))
    ]
    return [
        Error(
            f"SANDBOX_ENABLED is on with the development {name}.",
            hint=f"Set {name} to a long random value, or leave SANDBOX_ENABLED off.",
            id="logistics.E001",
        )
        for name in weak
    ]


@register(Tags.security, deploy=True)
def check_api_key_pepper(app_configs=None, **kwargs) -> list[Error]:
    if _development_value(settings.API_KEY_PEPPER):
        return [
            Error(
                "API_KEY_PEPPER is the development default: API key hashes could be matched offline.",
                hint="Set API_KEY_PEPPER to a long random value (changing it invalidates every issued key).",
                id="logistics.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_allowed_hosts(app_configs=None, **kwargs) -> list[Error]:
    if any(host in {"*", ".*"} for host in settings.ALLOWED_HOSTS):
        return [
            Error(
                "ALLOWED_HOSTS accepts any host: links in emails and redirects could point at an attacker's host.",
                hint="List the platform's host names in DJANGO_ALLOWED_HOSTS.",
                id="logistics.E003",
            )
        ]
    return []
