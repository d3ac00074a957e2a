from django.urls import path

from apps.warehouse import views

app_name = "warehouse"

urlpatterns = [
    path("wms-webhooks/<slug:warehouse_code>/", views.wms_webhook, name="wms-webhook"),
]
