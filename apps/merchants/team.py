"""Writes for a merchant's team: invitations, roles, removals, and the audit line of each.

Every change locks the merchant's row first, so that two owners acting at once cannot both
demote each other and leave the merchant without an owner. Mail is sent after the commit by
`invitation_send`, which the caller runs once the invitation exists.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.merchants.exceptions import AlreadyAMember, InvitationNotValid, LastOwner, MemberNotFound
from apps.merchants.models import AuditEntry, Invitation, Membership, Merchant

Role = Membership.Role
Action = AuditEntry.Action
_SALT = "merchants.invitation"


def audit_record(*, merchant_id: int, actor, action: str, subject: str = "", detail: str = "") -> AuditEntry:
    """One audit line, in the caller's transaction."""
    return AuditEntry.objects.create(
        merchant_id=merchant_id,
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        subject=subject[:254],
        detail=detail[:200],
    )


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _lock_merchant(merchant_id: int) -> Merchant:
    return Merchant.objects.select_for_update().get(pk=merchant_id)


@transaction.atomic(durable=True)
def invitation_create(*, merchant_id: int, email: str, role: str, actor) -> tuple[Invitation, str]:
    """Invite `email` in `role`; returns the invitation and its token (for the link, shown once).
    A new invitation for the same address replaces a pending one."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    _lock_merchant(merchant_id)
    now = timezone.now()
    email = email.strip()
    Invitation.objects.filter(merchant_id=merchant_id, email__iexact=email, accepted_at=None, revoked_at=None).update(
        revoked_at=now
    )
    nonce = secrets.token_urlsafe(24)
    invitation = Invitation.objects.create(
        merchant_id=merchant_id,
        email=email,
        role=role,
        nonce_hash=_nonce_hash(nonce),
        invited_by=actor,
        expires_at=now + timedelta(days=settings.TEAM_INVITATION_DAYS),
    )
    token = signing.dumps({"i": invitation.pk, "n": nonce}, salt=_SALT)
    # Roles are recorded as their codes and shown in the reader's language (AuditEntry.describe).
    audit_record(merchant_id=merchant_id, actor=actor, action=Action.INVITED, subject=email, detail=role)
    return invitation, token


def invitation_send(*, invitation: Invitation, url: str) -> None:
    """Mail the link to the invitee (after the invitation is committed)."""
    subject = _("You are invited to %(merchant)s on the shipping portal") % {"merchant": invitation.merchant.name}
    body = _(
        "%(inviter)s invites you to work for %(merchant)s as %(role)s.\n\n"
        "Accept within %(days)s days here:\n%(url)s\n\n"
        "The link works once. If you did not expect it, ignore this mail."
    ) % {
        "inviter": invitation.invited_by.get_username() if invitation.invited_by else _("An owner"),
        "merchant": invitation.merchant.name,
        "role": Role(invitation.role).label,
        "days": settings.TEAM_INVITATION_DAYS,
        "url": url,
    }
    send_mail(subject, body, None, [invitation.email])


def invitation_for_token(*, token: str) -> Invitation:
    """The pending invitation a link's token stands for; InvitationNotValid for anything else."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=timedelta(days=settings.TEAM_INVITATION_DAYS))
        invitation_id, nonce = int(data["i"]), str(data["n"])
    except signing.SignatureExpired as exc:
        raise InvitationNotValid(_("This invitation has expired; ask for a new one.")) from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvitationNotValid(_("This invitation link is not valid.")) from exc
    invitation = Invitation.objects.select_related("merchant").filter(pk=invitation_id).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce_hash, _nonce_hash(nonce)):
        raise InvitationNotValid(_("This invitation link is not valid."))
    if invitation.accepted_at is not None:
        raise InvitationNotValid(_("This invitation has been used already."))
    if invitation.revoked_at is not None:
        raise InvitationNotValid(_("This invitation was withdrawn."))
    if invitation.expires_at <= timezone.now():
        raise InvitationNotValid(_("This invitation has expired; ask for a new one."))
    return invitation


@transaction.atomic(durable=True)
def invitation_accept(*, token: str, user=None, username: str = "", password: str = "") -> tuple[Membership, object]:
    """Join the merchant with an existing login (`user`) or a new one (`username`, `password`).
    Single use: the invitation row is locked, so a double submit joins once."""
    found = invitation_for_token(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise InvitationNotValid(_("This invitation has been used already."))
    if user is None:
        user = get_user_model().objects.create_user(username=username, password=password, email=invitation.email)
    elif Membership.objects.filter(user_id=user.pk).exists():
        raise AlreadyAMember(_("This login already works for a merchant; log out and accept with a new login."))
    try:
        with transaction.atomic():
            membership = Membership.objects.create(merchant_id=invitation.merchant_id, user=user, role=invitation.role)
    except IntegrityError as exc:
        raise AlreadyAMember(_("This login already works for a merchant.")) from exc
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        merchant_id=invitation.merchant_id,
        actor=user,
        action=Action.JOINED,
        subject=invitation.email,
        detail=invitation.role,
    )
    return membership, user


@transaction.atomic(durable=True)
def invitation_revoke(*, merchant_id: int, invitation_id: int, actor) -> Invitation:
    _lock_merchant(merchant_id)
    invitation = Invitation.objects.filter(merchant_id=merchant_id, pk=invitation_id).first()
    if invitation is None:
        raise MemberNotFound(_("No such invitation."))
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(merchant_id=merchant_id, actor=actor, action=Action.INVITATION_REVOKED, subject=invitation.email)
    return invitation


def _other_owners(merchant_id: int, membership: Membership) -> bool:
    return Membership.objects.filter(merchant_id=merchant_id, role=Role.OWNER).exclude(pk=membership.pk).exists()


def _member(merchant_id: int, membership_id: int) -> Membership:
    membership = Membership.objects.select_related("user").filter(merchant_id=merchant_id, pk=membership_id).first()
    if membership is None:
        raise MemberNotFound(_("No such member."))
    return membership


@transaction.atomic(durable=True)
def member_role_change(*, merchant_id: int, membership_id: int, role: str, actor) -> Membership:
    """Give a member another role; the last owner cannot be demoted."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    _lock_merchant(merchant_id)
    membership = _member(merchant_id, membership_id)
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER and not _other_owners(merchant_id, membership):
        raise LastOwner(
            _("%(user)s is the last owner: make another member an owner first.") % {"user": membership.user}
        )
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        merchant_id=merchant_id,
        actor=actor,
        action=Action.ROLE_CHANGED,
        subject=membership.user.get_username(),
        detail=f"{before}>{role}",
    )
    return membership


@transaction.atomic(durable=True)
def member_remove(*, merchant_id: int, membership_id: int, actor) -> None:
    """Take a member off the team (their login stays, and no longer opens this merchant's portal);
    the last owner cannot be removed."""
    _lock_merchant(merchant_id)
    membership = _member(merchant_id, membership_id)
    if membership.role == Role.OWNER and not _other_owners(merchant_id, membership):
        raise LastOwner(_("%(user)s is the last owner and cannot be removed.") % {"user": membership.user})
    name = membership.user.get_username()
    role = membership.role
    membership.delete()
    audit_record(
        merchant_id=merchant_id,
        actor=actor,
        action=Action.REMOVED,
        subject=name,
        detail=role,
    )
