from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    """Owns merchants (with the logo their buyers see), memberships (portal users) and API keys.

    Public API: `services.merchant_create`, `services.merchant_user_create`,
    `services.api_key_issue`, `services.api_key_authenticate`, `services.merchant_logo_set`
    (checked, re-encoded as PNG), `services.merchant_logo_remove`, `selectors.merchant_for_user`,
    `selectors.merchant_public` (name and logo, for anyone), `selectors.merchant_logo_open`.
    """

    name = "apps.merchants"
    label = "merchants"
