from django.urls import path

from apps.sandbox import receivers, views

app_name = "sandbox"

urlpatterns = [
    path("webhooks/flush/", views.flush_webhooks, name="flush-webhooks"),
    path("receivers/<slug:name>/", receivers.receiver, name="merchant-receiver"),
    path("carriers/<slug:code>/shipments/", views.shipments, name="shipments"),
    path("carriers/<slug:code>/behaviour/", views.behaviour, name="behaviour"),
    path("carriers/<slug:code>/shipments/<str:tracking_number>/cancel/", views.cancel_shipment, name="cancel"),
    path("carriers/<slug:code>/shipments/<str:tracking_number>/label.pdf", views.label, name="label"),
    path("carriers/<slug:code>/tracking/", views.tracking, name="tracking"),
]
