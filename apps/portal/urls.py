from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from apps.portal import (
    batches_views,
    keys_views,
    settings_views,
    stock_views,
    tracking_views,
    views,
    webhooks_views,
)
from apps.portal.login import ThrottledAuthenticationForm

app_name = "portal"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:order-list"), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html", authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("track/", tracking_views.track_view, name="track"),
    path("track/logo/<int:merchant_id>/<str:name>", settings_views.merchant_logo_view, name="merchant-logo"),
    path("settings/", settings_views.settings_view, name="settings"),
    path("settings/logo/", settings_views.logo_update_view, name="settings-logo"),
    path("orders/", views.order_list_view, name="order-list"),
    path("orders/new/", views.order_create_view, name="order-create"),
    path("orders/export.csv", views.order_export_view, name="order-export"),
    path("orders/<str:order_id>/", views.order_detail_view, name="order-detail"),
    path("orders/<str:order_id>/cancel/", views.order_cancel_view, name="order-cancel"),
    path("orders/<str:order_id>/label.pdf", views.order_label_view, name="order-label"),
    path("batches/", batches_views.batch_list_view, name="batch-list"),
    path("batches/new/", batches_views.batch_new_view, name="batch-new"),
    path("batches/<int:batch_id>/", batches_views.batch_detail_view, name="batch-detail"),
    path("batches/<int:batch_id>/labels.pdf", batches_views.batch_pdf_view, name="batch-pdf"),
    path("stock/", stock_views.stock_view, name="stock"),
    path("stock/order/", stock_views.stock_order_view, name="stock-order"),
    path("inbound/", stock_views.asn_list_view, name="asn-list"),
    path("inbound/new/", stock_views.asn_create_view, name="asn-create"),
    path("inbound/<int:asn_id>/", stock_views.asn_detail_view, name="asn-detail"),
    path("api-keys/", keys_views.key_list_view, name="api-keys"),
    path("api-keys/new/", keys_views.key_create_view, name="api-key-create"),
    path("api-keys/<int:key_id>/rotate/", keys_views.key_rotate_view, name="api-key-rotate"),
    path("api-keys/<int:key_id>/revoke/", keys_views.key_revoke_view, name="api-key-revoke"),
    path("webhook-endpoints/", webhooks_views.webhook_list_view, name="webhooks"),
    path("webhook-endpoints/new/", webhooks_views.webhook_create_view, name="webhook-create"),
    path("webhook-endpoints/<int:endpoint_id>/toggle/", webhooks_views.webhook_toggle_view, name="webhook-toggle"),
    path("webhook-endpoints/<int:endpoint_id>/rotate/", webhooks_views.webhook_rotate_view, name="webhook-rotate"),
    path(
        "webhook-deliveries/<int:delivery_id>/redeliver/",
        webhooks_views.webhook_redeliver_view,
        name="webhook-redeliver",
    ),
]
