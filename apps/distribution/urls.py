from django.urls import path

from apps.distribution import views

app_name = "distribution"

urlpatterns = [
    path("carriers/<slug:carrier_code>/", views.carrier_webhook, name="carrier-webhook"),
]
