"""What every portal page's layout needs: the languages its switcher offers, and what the member may do."""

from django.conf import settings
from django.utils.translation import get_language_info

from apps.portal.middleware import is_buyer_page


def languages(request) -> dict:
    """The languages of this page's switcher, each named in its own language: all of them on the
    buyer's pages, the portal's elsewhere."""
    codes = [code for code, _ in settings.LANGUAGES]
    if not is_buyer_page(request.path_info):
        codes = [code for code in codes if code in settings.PORTAL_LANGUAGES]
    return {"switcher_languages": [(code, get_language_info(code)["name_local"]) for code in codes]}


def portal_permissions(request) -> dict:
    """What the member's role may do (set by `merchant_required`), so that templates show only
    the links and buttons it can use; empty outside the merchant's pages."""
    return {"portal_permissions": getattr(request, "portal_permissions", frozenset())}
