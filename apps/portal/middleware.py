"""The language of each page: the switcher's cookie, else the browser's Accept-Language.

Django's LocaleMiddleware picks among every language in LANGUAGES (the buyer's tracking page
speaks them all); the merchant portal speaks PORTAL_LANGUAGES, so elsewhere a language outside
them (a German browser) falls back to the closest portal language, LANGUAGE_CODE by default.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

# Pages a buyer sees: every language in LANGUAGES.
BUYER_PATHS = ("/track/",)
# Machine-facing paths answer in one language whatever the client's Accept-Language: an ERP's
# error handling must not depend on the locale of the server it runs on.
MACHINE_PATHS = ("/api/", "/webhooks/", "/warehouse/", "/sandbox/", "/health/", "/metrics")


def is_buyer_page(path: str) -> bool:
    return path.startswith(BUYER_PATHS)


def portal_language(code: str) -> str:
    """`code` if the portal speaks it, else the language the portal falls back to."""
    return code if code in settings.PORTAL_LANGUAGES else settings.LANGUAGE_CODE


class PortalLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path_info.startswith(MACHINE_PATHS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return
        super().process_request(request)
        if not is_buyer_page(request.path_info) and request.path_info != "/i18n/setlang/":
            language = portal_language(translation.get_language())
            translation.activate(language)
            request.LANGUAGE_CODE = language
