from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    """Owns merchants, memberships (portal users and their roles), API keys, team invitations,
    the team audit log and two-factor login (docs/team.md).

    Public API: `services.merchant_create`, `services.merchant_user_create`,
    `services.api_key_issue`, `services.api_key_authenticate`, `selectors.merchant_for_user`,
    `selectors.membership_for_user`, `permissions.role_permissions` (what each role may do),
    `team.*` (invitations, roles, removals), `two_factor.*` (TOTP and recovery codes).
    """

    name = "apps.merchants"
    label = "merchants"
