from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    """Owns merchants, memberships (portal users) and API keys.

    Public API: `services.merchant_create`, `services.merchant_user_create`,
    `services.api_key_issue`, `services.api_key_authenticate`, `selectors.merchant_for_user`.
    """

    name = "apps.merchants"
    label = "merchants"
