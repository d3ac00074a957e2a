from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.csp import CSP
from django.views import defaults
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from apps.erp_api.errors import api_or_default
from apps.shipping.simulator import route_simulator_view
from logistics.metrics import metrics_view
from logistics.views import health

# The API docs' renderers set styles inline and Redoc starts from an inline script: those two
# pages alone allow inline code (still nothing from another origin).
_DOCS_CSP = {
    **settings.SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "worker-src": [CSP.SELF, "blob:"],
}


def _docs(view):
    return csp_override(_DOCS_CSP)(view.as_view(url_name="api-schema"))


urlpatterns = [
    path("health/", health, name="health"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/route-simulator/", admin.site.admin_view(route_simulator_view), name="route-simulator"),
    path("admin/operations/", include("apps.backoffice.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("apps.erp_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", _docs(SpectacularSwaggerSplitView), name="api-docs"),
    path("api/redoc/", _docs(SpectacularRedocView), name="api-redoc"),
    path("webhooks/", include("apps.distribution.urls")),
    path("warehouse/", include("apps.warehouse.urls")),
    # The language switcher posts to set_language, which remembers the choice in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("apps.portal.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.insert(0, path("sandbox/", include("apps.sandbox.urls")))

# Under /api/ every failure Django answers itself is JSON in the API's one error format.
handler400 = api_or_default(defaults.bad_request, 400, "bad_request", "The request is malformed.")
handler403 = api_or_default(defaults.permission_denied, 403, "permission_denied", "Forbidden.")
handler404 = api_or_default(defaults.page_not_found, 404, "not_found", "There is no API endpoint at this path.")
handler500 = api_or_default(
    defaults.server_error, 500, "server_error", "Something failed on our side and was logged; try again later."
)
