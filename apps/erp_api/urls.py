from django.urls import path

from apps.erp_api import labels, rates, tracking, views, warehouse, webhooks

app_name = "erp_api"

urlpatterns = [
    path("tracking/", tracking.TrackingApi.as_view(), name="tracking"),
    path("rates/", rates.RatesApi.as_view(), name="rates"),
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/bulk/", views.OrderBulkCreateApi.as_view(), name="order-bulk"),
    path("orders/export/", views.OrderExportApi.as_view(), name="order-export"),
    path("orders/<str:order_id>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:order_id>/label/", labels.OrderLabelApi.as_view(), name="order-label"),
    path("orders/<str:order_id>/events/", views.OrderEventsApi.as_view(), name="order-events"),
    path("orders/<str:order_id>/wait/", views.OrderWaitApi.as_view(), name="order-wait"),
    path("orders/<str:order_id>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    *warehouse.urlpatterns,
    *webhooks.urlpatterns,
]
