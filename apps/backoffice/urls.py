from django.contrib import admin
from django.urls import path

from apps.backoffice import views

app_name = "backoffice"

# Behind the admin's login: staff only (every role reads these pages; actions check permissions).
urlpatterns = [
    path("dashboard/", admin.site.admin_view(views.dashboard_view), name="dashboard"),
    path("dashboard/panels/", admin.site.admin_view(views.dashboard_fragment_view), name="dashboard-panels"),
    path("stuck/", admin.site.admin_view(views.stuck_view), name="stuck"),
]
