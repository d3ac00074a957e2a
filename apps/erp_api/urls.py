from django.urls import path

from apps.erp_api import views

app_name = "erp_api"

urlpatterns = [
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<str:order_id>/", views.OrderDetailApi.as_view(), name="order-detail"),
]
