from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    """Owns merchants (with the logo their buyers see), memberships (portal users and their
    roles), API keys, team invitations, the team audit log and two-factor login (docs/team.md).

    Public API: `services.merchant_create`, `services.merchant_user_create`,
    `services.api_key_issue`, `services.api_key_authenticate`, `services.merchant_logo_set`
    (checked, re-encoded as PNG), `services.merchant_logo_remove`, `selectors.merchant_for_user`,
    `selectors.membership_for_user`, `selectors.merchant_public` (name and logo, for anyone),
    `selectors.merchant_logo_open`, `permissions.role_permissions` (what each role may do),
    `team.*` (invitations, roles, removals), `two_factor.*` (TOTP and recovery codes).
    """

    name = "apps.merchants"
    label = "merchants"
