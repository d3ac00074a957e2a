from django.urls import path

from apps.sandbox import receivers, views, wms_views

app_name = "sandbox"

urlpatterns = [
    path("webhooks/flush/", views.flush_webhooks, name="flush-webhooks"),
    path("receivers/<slug:name>/", receivers.receiver, name="merchant-receiver"),
    path("carriers/<slug:code>/shipments/", views.shipments, name="shipments"),
    path("carriers/<slug:code>/behaviour/", views.behaviour, name="behaviour"),
    path("carriers/<slug:code>/shipments/<str:tracking_number>/cancel/", views.cancel_shipment, name="cancel"),
    path("carriers/<slug:code>/shipments/<str:tracking_number>/label.pdf", views.label, name="label"),
    path("carriers/<slug:code>/tracking/", views.tracking, name="tracking"),
    path("wms/step/", wms_views.step, name="wms-step"),
    path("wms/<slug:code>/behaviour/", wms_views.behaviour, name="wms-behaviour"),
    path("wms/<slug:code>/orders/", wms_views.orders, name="wms-orders"),
    path("wms/<slug:code>/orders/<str:reference>/", wms_views.order_detail, name="wms-order"),
    path("wms/<slug:code>/orders/<str:reference>/cancel/", wms_views.order_cancel, name="wms-order-cancel"),
    path("wms/<slug:code>/orders/<str:reference>/advance/", wms_views.order_advance, name="wms-order-advance"),
    path("wms/<slug:code>/changes/", wms_views.changes, name="wms-changes"),
    path("wms/<slug:code>/stock/", wms_views.stock, name="wms-stock"),
    path("wms/<slug:code>/asns/", wms_views.asns, name="wms-asns"),
    path("wms/<slug:code>/asns/<str:reference>/", wms_views.asn_detail, name="wms-asn"),
    path("wms/<slug:code>/asns/<str:reference>/receipts/", wms_views.asn_receipts, name="wms-asn-receipts"),
    path("wms/<slug:code>/asns/<str:reference>/receive/", wms_views.asn_receive, name="wms-asn-receive"),
]
