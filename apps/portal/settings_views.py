"""The merchant's settings page (its logo, shown to its buyers), and the logo as the tracking
page loads it.

Owners and admins upload the logo (permission settings.manage); every member sees it. The
merchants center checks and re-encodes the upload as PNG (merchants.services.merchant_logo_set),
so what is served here is always a PNG of our making, under a name that changes with each upload
(cached for a year, safely).
"""

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.merchants.exceptions import InvalidLogo
from apps.merchants.models import LOGO_FORMATS, LOGO_MAX_BYTES
from apps.merchants.selectors import merchant_logo_open, merchant_public
from apps.merchants.services import merchant_logo_remove, merchant_logo_set
from apps.portal.views import merchant_required

LOGO_ACCEPT = "image/png,image/jpeg,image/webp,image/gif"


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy("PNG, JPEG, WebP or GIF, at most 512 KB; shown to your buyers on the tracking page."),
        widget=forms.ClearableFileInput(attrs={"accept": LOGO_ACCEPT}),
    )
    remove = forms.BooleanField(label=gettext_lazy("Remove the logo"), required=False)

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                _("The logo may be at most %(kb)d KB.") % {"kb": LOGO_MAX_BYTES // 1024}, code="too_big"
            )
        return logo


def _page(request, form: LogoForm, *, status: int = 200):
    merchant = merchant_public(merchant_id=request.merchant.pk)
    return render(
        request,
        "portal/settings.html",
        {
            "form": form,
            "merchant": merchant,
            "formats": ", ".join(LOGO_FORMATS),
            "can_manage": "settings.manage" in request.portal_permissions,
        },
        status=status,
    )


@merchant_required(permission="orders.view")
def settings_view(request):
    return _page(request, LogoForm())


@merchant_required(permission="settings.manage")
def logo_update_view(request):
    if request.method != "POST":
        return redirect("portal:settings")
    form = LogoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    if form.cleaned_data["remove"]:
        merchant_logo_remove(merchant_id=request.merchant.pk)
        messages.success(request, _("The logo is removed."))
        return redirect("portal:settings")
    if not form.cleaned_data["logo"]:
        form.add_error("logo", _("Choose a picture to upload."))
        return _page(request, form, status=400)
    try:
        merchant_logo_set(merchant_id=request.merchant.pk, upload=form.cleaned_data["logo"])
    except InvalidLogo as exc:
        form.add_error("logo", exc.message)
        return _page(request, form, status=400)
    messages.success(request, _("The logo is saved; your buyers see it on the tracking page."))
    return redirect("portal:settings")


def merchant_logo_view(request, merchant_id: int, name: str):
    """A merchant's logo, public like the tracking page that shows it; only its current name."""
    file = merchant_logo_open(merchant_id=merchant_id, name=name)
    if file is None:
        raise Http404(_("No such logo."))
    response = FileResponse(file, content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
