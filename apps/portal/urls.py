from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from apps.portal import (
    account_views,
    batches_views,
    imports_views,
    keys_views,
    settings_views,
    stock_views,
    team_views,
    tracking_views,
    views,
    webhooks_views,
)
from apps.portal.login import ThrottledAuthenticationForm

app_name = "portal"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:dashboard"), name="home"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html", authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("login/verify/", account_views.login_verify_view, name="login-verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", account_views.two_factor_view, name="two-factor"),
    path("account/two-factor/confirm/", account_views.two_factor_confirm_view, name="two-factor-confirm"),
    path("account/two-factor/recovery-codes/", account_views.recovery_codes_renew_view, name="recovery-codes"),
    path("account/two-factor/disable/", account_views.two_factor_disable_view, name="two-factor-disable"),
    path("team/", team_views.team_view, name="team"),
    path("team/invite/", team_views.team_invite_view, name="team-invite"),
    path("team/members/<int:membership_id>/role/", team_views.team_role_view, name="team-role"),
    path("team/members/<int:membership_id>/remove/", team_views.team_remove_view, name="team-remove"),
    path(
        "team/invitations/<int:invitation_id>/revoke/",
        team_views.team_invitation_revoke_view,
        name="team-invitation-revoke",
    ),
    path("invitations/<str:token>/", team_views.invitation_accept_view, name="invitation-accept"),
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
    path("imports/", imports_views.import_list_view, name="import-list"),
    path("imports/<int:job_id>/", imports_views.import_detail_view, name="import-detail"),
    path("imports/<int:job_id>/check/", imports_views.import_check_view, name="import-check"),
    path("imports/<int:job_id>/start/", imports_views.import_start_view, name="import-start"),
    path("imports/<int:job_id>/progress.json", imports_views.import_progress_view, name="import-progress"),
    path("imports/<int:job_id>/errors.csv", imports_views.import_errors_view, name="import-errors"),
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
