from django.contrib import admin
from django.urls import include, path

from logistics.views import health

admin.site.site_header = "Logistics operations"
admin.site.site_title = "Logistics operations"

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("apps.erp_api.urls")),
    path("sandbox/", include("apps.sandbox.urls")),
    path("webhooks/", include("apps.distribution.urls")),
    path("", include("apps.portal.urls")),
]
