"""The merchant's team: members and their roles, invitations, and the audit log (docs/team.md).

Roles with "team.view" see the page; those with "team.manage" (owners) invite, change roles and
remove members. An invitation's link is mailed and also shown to the owner, who can pass it on
however they like; it works once, for TEAM_INVITATION_DAYS days.
"""

import logging
import smtplib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY

from apps.common.exceptions import DomainError, NotFound
from apps.common.text import refuse_control_characters
from apps.merchants.exceptions import InvitationNotValid
from apps.merchants.models import Invitation, Membership
from apps.merchants.permissions import PERMISSIONS, ROLE_PERMISSIONS
from apps.merchants.selectors import audit_list, invitation_pending_list, member_list, totp_device_for_user
from apps.merchants.team import (
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    invitation_send,
    member_remove,
    member_role_change,
)
from apps.portal.views import merchant_required

ROLE_CHOICES = Membership.Role.choices
logger = logging.getLogger(__name__)


class InviteForm(forms.Form):
    email = forms.EmailField(
        max_length=Invitation._meta.get_field("email").max_length,
        label=gettext_lazy("Email address"),
        validators=[refuse_control_characters],
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Membership.Role.SHIPPER, label=gettext_lazy("Role"))


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES, label=gettext_lazy("Role"))


class NewLoginForm(UserCreationForm):
    """A new login for the invitee: Django's own form (username rules, password validators)."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)


def _role_table() -> list[tuple[str, list[bool]]]:
    roles = [role for role, _label in ROLE_CHOICES]
    return [(label, [perm in ROLE_PERMISSIONS[role] for role in roles]) for perm, label in PERMISSIONS.items()]


def _page(request, *, invite_form=None, status=200):
    can_manage = "team.manage" in request.portal_permissions
    return render(
        request,
        "portal/team.html",
        {
            "members": member_list(merchant_id=request.merchant.pk),
            "invitations": invitation_pending_list(merchant_id=request.merchant.pk) if can_manage else [],
            "audit": audit_list(merchant_id=request.merchant.pk),
            "invite_form": invite_form or InviteForm(),
            "role_form": RoleForm(),
            "can_manage": can_manage,
            "roles": ROLE_CHOICES,
            "role_table": _role_table(),
        },
        status=status,
    )


@merchant_required(permission="team.view")
def team_view(request):
    return _page(request)


@require_POST
@merchant_required(permission="team.manage")
def team_invite_view(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, invite_form=form, status=400)
    invitation, token = invitation_create(
        merchant_id=request.merchant.pk,
        email=form.cleaned_data["email"],
        role=form.cleaned_data["role"],
        actor=request.user,
    )
    url = request.build_absolute_uri(reverse("portal:invitation-accept", kwargs={"token": token}))
    try:
        invitation_send(invitation=invitation, url=url)
        mailed = True
    except (OSError, smtplib.SMTPException):  # the mail server is away: the link below still works
        logger.exception("invitation %s could not be mailed", invitation.pk)
        mailed = False
    response = render(
        request, "portal/team_invited.html", {"invitation": invitation, "url": url, "mailed": mailed}, status=201
    )
    response["Cache-Control"] = "no-store"
    return response


def _refused(request, exc: DomainError):
    messages.error(request, exc.message)
    return redirect("portal:team")


@require_POST
@merchant_required(permission="team.manage")
def team_role_view(request, membership_id: int):
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return redirect("portal:team")
    try:
        membership = member_role_change(
            merchant_id=request.merchant.pk,
            membership_id=membership_id,
            role=form.cleaned_data["role"],
            actor=request.user,
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(
        request, _("%(user)s is now %(role)s.") % {"user": membership.user, "role": membership.get_role_display()}
    )
    return redirect("portal:team")


@require_POST
@merchant_required(permission="team.manage")
def team_remove_view(request, membership_id: int):
    try:
        member_remove(merchant_id=request.merchant.pk, membership_id=membership_id, actor=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(request, _("The member is removed; their login no longer opens this account."))
    return redirect("portal:home" if membership_id == request.membership.pk else "portal:team")


@require_POST
@merchant_required(permission="team.manage")
def team_invitation_revoke_view(request, invitation_id: int):
    try:
        invitation = invitation_revoke(merchant_id=request.merchant.pk, invitation_id=invitation_id, actor=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("The invitation for %(email)s is withdrawn.") % {"email": invitation.email})
    return redirect("portal:team")


def invitation_accept_view(request, token: str):
    """The invitee's page: a new login (username and password), or the login they are logged in
    with when it belongs to no merchant yet."""
    try:
        invitation = invitation_for_token(token=token)
    except InvitationNotValid as exc:
        return render(request, "portal/invitation_invalid.html", {"reason": exc.message}, status=410)
    use_current = request.method == "POST" and request.POST.get("action") == "join" and request.user.is_authenticated
    if use_current and not request.session.get(DEVICE_ID_SESSION_KEY) and totp_device_for_user(user=request.user):
        # A login with an authenticator joins only from a session that has passed the code step.
        return redirect(f"{reverse('portal:login-verify')}?{urlencode({'next': request.path})}")
    form = NewLoginForm(None if use_current else (request.POST or None))
    refusal = ""
    if request.method == "POST" and (use_current or form.is_valid()):
        try:
            if use_current:
                _membership, user = invitation_accept(token=token, user=request.user)
            else:
                _membership, user = invitation_accept(
                    token=token, username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
                )
        except InvitationNotValid as exc:
            return render(request, "portal/invitation_invalid.html", {"reason": exc.message}, status=410)
        except DomainError as exc:
            refusal = exc.message
        else:
            if not use_current:
                login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, _("Welcome to %(merchant)s.") % {"merchant": invitation.merchant.name})
            return redirect("portal:home")
    return render(
        request,
        "portal/invitation_accept.html",
        {"invitation": invitation, "form": form, "refusal": refusal},
        status=400 if request.method == "POST" else 200,
    )
