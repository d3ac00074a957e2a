from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """Owns the operations back-office pages that span every center: the *Orders* admin (search,
    filters, the order's history, route, lane work, legs, distribution orders, carrier calls,
    webhooks, staff actions, and the actions cancel, re-route, retry, hold and release), the
    dashboard (`selectors.dashboard_figures`, charts in `charts`, `views.dashboard_view`), the
    stuck-work page (`selectors.stuck_work`, which composes the centers' stuck selectors;
    `views.stuck_view`), the audit trail of staff actions (`models.StaffActionRecord`) and work
    handed to a person (`models.WorkAssignment`, `services.work_assign`). It sits beside the
    portal and the ERP API at the top of the layers: it reads the centers through their
    selectors and acts through their services (`services.order_reroute_by_staff`,
    `services.order_hold_by_staff`, `services.work_retry`, ...), recording each action.
    `manage.py staff_authenticator` gives a staff login the authenticator the admin asks a code
    of (`logistics/admin_site.py`, docs/operations.md).
    """

    name = "apps.backoffice"
    label = "backoffice"
