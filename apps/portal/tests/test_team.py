"""An owner's team: invitations by email with a single-use expiring link, roles, removals, the
last-owner rule, and an audit line for every change (docs/team.md)."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.merchants.exceptions import LastOwner
from apps.merchants.models import AuditEntry, Invitation, Membership
from apps.merchants.team import member_role_change
from apps.merchants.tests.factories import MembershipFactory
from apps.merchants.tests.two_factor import TwoFactorClient, confirmed_device

NEW_PASSWORD = "a-long-new-pass-4817"


@pytest.fixture
def owner_membership(merchant):
    return MembershipFactory(merchant=merchant, role="owner")


@pytest.fixture
def owner(owner_membership):
    client = TwoFactorClient()
    client.force_login(owner_membership.user)
    return client


def _invite(owner, email="ana@example.com", role="shipper") -> str:
    response = owner.post("/team/invite/", {"email": email, "role": role})
    assert response.status_code == 201
    return re.search(r"http://testserver(/invitations/[^/]+/)", response.content.decode()).group(1)


def _accept(link: str, username="ana", password=NEW_PASSWORD):
    return TwoFactorClient().post(link, {"username": username, "password1": password, "password2": password})


def _audit(merchant) -> list[tuple[str, str, str, str]]:
    return list(
        AuditEntry.objects.filter(merchant=merchant)
        .order_by("id")
        .values_list("actor_name", "action", "subject", "detail")
    )


def test_an_invitee_follows_the_mailed_link_makes_a_login_and_works_in_their_role(
    owner, owner_membership, merchant, mailoutbox
):
    link = _invite(owner, "ana@example.com", "shipper")

    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ana@example.com"]
    assert f"http://testserver{link}" in mailoutbox[0].body  # the same link the owner is shown
    invitee = TwoFactorClient()
    assert merchant.name in invitee.get(link).content.decode()
    joined = invitee.post(link, {"username": "ana", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert joined.status_code == 302
    ana = get_user_model().objects.get(username="ana")
    assert (ana.email, ana.memberships.get().merchant, ana.memberships.get().role) == (
        "ana@example.com",
        merchant,
        "shipper",
    )
    assert invitee.get("/orders/new/").status_code == 200  # logged in, as a shipper
    assert invitee.get("/api-keys/").status_code == 403
    owner_name = owner_membership.user.username
    assert _audit(merchant) == [
        (owner_name, "invited", "ana@example.com", "shipper"),
        ("ana", "joined", "ana@example.com", "shipper"),
    ]
    team_page = owner.get("/team/").content.decode()
    assert "ana" in team_page and "joined" in team_page and owner_name in team_page


def test_an_invitation_link_works_once(owner, merchant):
    link = _invite(owner)
    assert _accept(link).status_code == 302

    again = _accept(link, username="mallory")

    assert again.status_code == 410 and "used already" in again.content.decode()
    assert not get_user_model().objects.filter(username="mallory").exists()
    assert Membership.objects.filter(merchant=merchant).count() == 2


@pytest.mark.clock
def test_an_invitation_link_expires(owner, merchant, settings):
    link = _invite(owner)

    with time_machine.travel(timezone.now() + timedelta(days=settings.TEAM_INVITATION_DAYS, minutes=1)):
        late = _accept(link)

    assert late.status_code == 410 and "expired" in late.content.decode()
    assert Membership.objects.filter(merchant=merchant).count() == 1


def test_a_tampered_or_withdrawn_link_is_refused(owner, merchant):
    link = _invite(owner)
    tampered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    assert _accept(tampered).status_code == 410
    invitation = Invitation.objects.get()

    assert owner.post(f"/team/invitations/{invitation.pk}/revoke/").status_code == 302

    assert _accept(link).status_code == 410
    assert Membership.objects.filter(merchant=merchant).count() == 1
    assert [a for _n, a, _s, _d in _audit(merchant)] == ["invited", "invitation_revoked"]


def test_a_new_invitation_to_the_same_address_replaces_the_pending_one(owner, merchant):
    first = _invite(owner, role="viewer")
    second = _invite(owner, role="developer")

    assert _accept(first).status_code == 410
    assert _accept(second).status_code == 302
    assert Membership.objects.get(user__username="ana").role == "developer"


def test_a_logged_in_user_without_a_merchant_joins_with_their_login(owner, merchant):
    link = _invite(owner, role="viewer")
    existing = get_user_model().objects.create_user(username="old-login", password=NEW_PASSWORD)
    invitee = TwoFactorClient()
    invitee.force_login(existing)

    assert invitee.post(link, {"action": "join"}).status_code == 302

    assert Membership.objects.get(user=existing).role == "viewer"


def test_a_login_of_another_merchant_cannot_join_and_the_link_stays_usable(owner, merchant):
    link = _invite(owner)
    elsewhere = MembershipFactory(role="viewer").user
    invitee = TwoFactorClient()
    invitee.force_login(elsewhere)

    refused = invitee.post(link, {"action": "join"})

    assert refused.status_code == 400 and "already works for a merchant" in refused.content.decode()
    assert Membership.objects.filter(merchant=merchant).count() == 1
    assert _accept(link).status_code == 302


def test_a_weak_or_mismatched_password_is_answered_beside_the_field(owner):
    link = _invite(owner)

    response = TwoFactorClient().post(link, {"username": "ana", "password1": "123", "password2": "456"})

    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="ana").exists()


def test_an_owner_changes_a_role_and_removes_a_member_with_audit_lines(owner, owner_membership, merchant):
    member = MembershipFactory(merchant=merchant, role="viewer")

    owner.post(f"/team/members/{member.pk}/role/", {"role": "admin"})
    assert Membership.objects.get(pk=member.pk).role == "admin"
    owner.post(f"/team/members/{member.pk}/remove/")

    assert not Membership.objects.filter(pk=member.pk).exists()
    name = member.user.username
    assert _audit(merchant) == [
        (owner_membership.user.username, "role_changed", name, "viewer>admin"),
        (owner_membership.user.username, "removed", name, "admin"),
    ]
    removed = TwoFactorClient()
    removed.force_login(member.user)
    assert removed.get("/orders/").status_code == 403  # no merchant any more


def test_the_last_owner_can_be_neither_demoted_nor_removed(owner, owner_membership, merchant):
    demote = owner.post(f"/team/members/{owner_membership.pk}/role/", {"role": "admin"}, follow=True)
    remove = owner.post(f"/team/members/{owner_membership.pk}/remove/", follow=True)

    assert "last owner" in demote.content.decode() and "last owner" in remove.content.decode()
    assert Membership.objects.get(pk=owner_membership.pk).role == "owner"
    assert not AuditEntry.objects.exists()


def test_with_a_second_owner_the_first_may_step_down(owner, owner_membership, merchant):
    MembershipFactory(merchant=merchant, role="owner")

    owner.post(f"/team/members/{owner_membership.pk}/role/", {"role": "admin"})

    assert Membership.objects.get(pk=owner_membership.pk).role == "admin"


def test_an_admin_sees_the_team_but_cannot_change_it(client, owner_membership, merchant):
    admin = MembershipFactory(merchant=merchant, role="admin")
    client.force_login(admin.user)

    page = client.get("/team/")
    invite = client.post("/team/invite/", {"email": "x@example.com", "role": "owner"})
    promote = client.post(f"/team/members/{admin.pk}/role/", {"role": "owner"})

    assert page.status_code == 200 and "Send invitation" not in page.content.decode()
    assert (invite.status_code, promote.status_code) == (403, 403)
    assert Membership.objects.get(pk=admin.pk).role == "admin" and not Invitation.objects.exists()


def test_another_merchants_member_is_not_found(owner):
    stranger = MembershipFactory(role="viewer")

    assert owner.post(f"/team/members/{stranger.pk}/remove/").status_code == 404
    assert owner.post(f"/team/members/{stranger.pk}/role/", {"role": "owner"}).status_code == 404
    assert Membership.objects.get(pk=stranger.pk).role == "viewer"


def test_a_bad_invitation_form_is_answered_beside_the_field(owner):
    response = owner.post("/team/invite/", {"email": "not-an-address", "role": "emperor"})

    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_a_login_with_an_authenticator_joins_only_after_the_code_step(owner, merchant):
    link = _invite(owner, role="viewer")
    existing = get_user_model().objects.create_user(username="careful", password=NEW_PASSWORD)
    confirmed_device(existing)
    invitee = Client()
    invitee.post("/login/", {"username": "careful", "password": NEW_PASSWORD})

    response = invitee.post(link, {"action": "join"})

    assert response.status_code == 302 and response["Location"].startswith("/login/verify/")
    assert not Membership.objects.filter(user=existing).exists()


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(merchant):
    first, second = (MembershipFactory(merchant=merchant, role="owner") for _ in range(2))
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(membership, actor):
        barrier.wait()
        try:
            member_role_change(merchant_id=merchant.pk, membership_id=membership.pk, role="admin", actor=actor)
            outcomes.append("demoted")
        except LastOwner:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first, second.user)),
        threading.Thread(target=demote, args=(second, first.user)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["demoted", "refused"]
    assert Membership.objects.filter(merchant=merchant, role="owner").count() == 1
    assert AuditEntry.objects.filter(merchant=merchant, action="role_changed").count() == 1


def test_when_the_mail_server_is_away_the_owner_still_gets_the_link(owner, merchant, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }

    response = owner.post("/team/invite/", {"email": "ana@example.com", "role": "viewer"})

    assert response.status_code == 201 and "could not be sent" in response.content.decode()
    link = re.search(r"http://testserver(/invitations/[^/]+/)", response.content.decode()).group(1)
    assert _accept(link).status_code == 302


@pytest.mark.parametrize("path", ["/team/", "/account/two-factor/"])
def test_the_team_pages_take_a_dozen_queries_at_most_however_large_the_team(
    owner, merchant, path, django_assert_max_num_queries
):
    for role in ("admin", "shipper", "developer", "viewer") * 5:
        MembershipFactory(merchant=merchant, role=role)
    for n in range(5):
        _invite(owner, email=f"x{n}@example.com")

    with django_assert_max_num_queries(12):
        assert owner.get(path).status_code == 200
