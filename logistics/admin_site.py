"""The Django admin of operations staff, behind a second factor.

`OperationsAdminSite` is the default admin site (`logistics.apps.OperationsAdminConfig.default_site`, in
INSTALLED_APPS instead of `django.contrib.admin`), so every `admin.site.register` and
`admin.site.admin_view` of the apps is behind it. Its login form asks for the password and the
code of the staff member's authenticator together (`apps.portal.login`); a session counts as staff
only once that code was shown (django-otp's mark, `otp_device_id`, naming a confirmed device of
the same user), as the portal asks of owners. docs/operations.md says how staff get a device.
"""

from django.contrib import admin
from django_otp import DEVICE_ID_SESSION_KEY

from apps.merchants.selectors import totp_device_for_user
from apps.portal.login import ThrottledAdminAuthenticationForm


def second_factor_passed(request) -> bool:
    """The session showed a code of the user's current authenticator since it logged in."""
    marked = request.session.get(DEVICE_ID_SESSION_KEY)
    if not marked:
        return False
    device = totp_device_for_user(user=request.user)  # a device removed since no longer counts
    return device is not None and device.persistent_id == marked


class OperationsAdminSite(admin.AdminSite):
    site_header = "Logistics operations"
    site_title = "Logistics operations"
    login_form = ThrottledAdminAuthenticationForm
    login_template = "admin/login_with_code.html"

    def has_permission(self, request):
        return super().has_permission(request) and second_factor_passed(request)
