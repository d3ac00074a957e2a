from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from apps.erp_api.errors import api_or_default
from apps.portal.login import ThrottledAdminAuthenticationForm
from apps.shipping.simulator import route_simulator_view
from logistics.views import health

admin.site.site_header = "Logistics operations"
admin.site.site_title = "Logistics operations"
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/route-simulator/", admin.site.admin_view(route_simulator_view), name="route-simulator"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("apps.erp_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("webhooks/", include("apps.distribution.urls")),
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
