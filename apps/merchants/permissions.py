"""What each role of a merchant's team may do: the one place that says so.

Portal views declare the permission they need (`@merchant_required(permission="orders.create")`,
apps/portal/views.py) and templates hide what the role cannot use (`"orders.create" in
portal_permissions`). A new kind of page adds its permission here and gives it to the roles that
should have it; nothing else decides.
"""

from django.utils.translation import gettext_lazy as _

from apps.merchants.models import Membership

Role = Membership.Role

PERMISSIONS: dict[str, str] = {
    "orders.view": _("See orders, their labels and the CSV export"),
    "orders.create": _("Create orders and buy their labels"),
    "orders.cancel": _("Cancel orders"),
    "stock.view": _("See stock and inbound shipments"),
    "stock.manage": _("Order from stock and announce inbound shipments"),
    "api_keys.view": _("See API keys (never their secrets)"),
    "api_keys.manage": _("Create, rotate and revoke API keys"),
    "webhooks.view": _("See webhook endpoints and deliveries"),
    "webhooks.manage": _("Add, switch, rotate and redeliver webhooks"),
    "team.view": _("See the team and its audit log"),
    "team.manage": _("Invite members, change roles, remove members"),
    "billing.manage": _("Billing and the account's ownership"),
    "settings.manage": _("Change the shop's logo shown to buyers"),
}

_READ = {"orders.view", "stock.view"}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset(_READ),
    Role.SHIPPER: frozenset(_READ | {"orders.create", "orders.cancel", "stock.manage"}),
    Role.DEVELOPER: frozenset(_READ | {"api_keys.view", "api_keys.manage", "webhooks.view", "webhooks.manage"}),
    Role.ADMIN: frozenset(set(PERMISSIONS) - {"team.manage", "billing.manage"}),
    Role.OWNER: frozenset(PERMISSIONS),
}

# Roles whose members must log in with a second factor (docs/team.md).
TWO_FACTOR_REQUIRED_ROLES = frozenset({Role.OWNER})


def role_permissions(role: str) -> frozenset[str]:
    """What `role` may do; an unknown or empty role may do nothing."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def role_may(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}: add it to apps/merchants/permissions.py")
    return permission in role_permissions(role)
