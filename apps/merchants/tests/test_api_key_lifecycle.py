"""Rotating and revoking keys, in the services and in the admin back office."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.merchants.exceptions import ApiKeyNotActive
from apps.merchants.models import ApiKey
from apps.merchants.services import api_key_authenticate, api_key_issue, api_key_revoke, api_key_rotate
from apps.merchants.tests.two_factor import TwoFactorClient

pytestmark = pytest.mark.clock


def test_rotation_issues_a_successor_with_the_same_scopes_and_both_work_during_the_overlap(merchant):
    old, old_plaintext = api_key_issue(merchant=merchant, name="erp", scopes=("orders:read", "tracking"))
    before = timezone.now()

    new, new_plaintext = api_key_rotate(key=old, overlap=timedelta(hours=2))

    assert new.pk != old.pk and new_plaintext != old_plaintext
    assert (new.name, new.scopes, new.merchant_id, new.expires_at) == (
        "erp",
        ["orders:read", "tracking"],
        merchant.pk,
        None,
    )
    old.refresh_from_db()
    assert before + timedelta(hours=2) <= old.expires_at <= timezone.now() + timedelta(hours=2)
    assert api_key_authenticate(plaintext=old_plaintext).key_id == old.pk
    assert api_key_authenticate(plaintext=new_plaintext).key_id == new.pk


def test_after_the_overlap_only_the_successor_works(merchant):
    old, old_plaintext = api_key_issue(merchant=merchant, name="erp")

    _, new_plaintext = api_key_rotate(key=old, overlap=timedelta(0))

    assert api_key_authenticate(plaintext=old_plaintext) is None
    assert api_key_authenticate(plaintext=new_plaintext).merchant_id == merchant.pk


def test_rotation_never_extends_an_old_key_that_ran_out_sooner_and_keeps_the_lifetime(merchant):
    soon = timezone.now() + timedelta(minutes=5)
    old, _ = api_key_issue(merchant=merchant, name="erp", expires_at=soon)

    new, _ = api_key_rotate(key=old, overlap=timedelta(hours=24))

    old.refresh_from_db()
    assert old.expires_at == soon
    assert new.expires_at > timezone.now() + timedelta(minutes=4)


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_a_revoked_or_expired_key_cannot_be_rotated(merchant, state):
    key, _ = api_key_issue(merchant=merchant, name="erp")
    if state == "revoked":
        api_key_revoke(key=key)
    else:
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(ApiKeyNotActive):
        api_key_rotate(key=key)

    assert ApiKey.objects.filter(merchant=merchant).count() == 1


def test_revoking_twice_keeps_the_first_time(merchant):
    key, _ = api_key_issue(merchant=merchant, name="erp")
    first = api_key_revoke(key=key).revoked_at

    second = api_key_revoke(key=key).revoked_at

    assert first == second == ApiKey.objects.get(pk=key.pk).revoked_at


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_superuser(username="ops", password="pw-ops-123", email="ops@example.com")
    client = TwoFactorClient()  # the admin asks staff for a code too
    client.force_login(user)
    return client


def test_staff_revoke_a_key_in_the_admin_and_it_stops_at_once(staff_client, merchant):
    key, plaintext = api_key_issue(merchant=merchant, name="leaked")

    response = staff_client.post(
        "/admin/merchants/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]}, follow=True
    )

    assert response.status_code == 200
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert api_key_authenticate(plaintext=plaintext) is None


def test_staff_rotate_a_key_in_the_admin_and_see_the_new_secret_once(staff_client, merchant):
    key, _ = api_key_issue(merchant=merchant, name="erp")

    response = staff_client.post(
        "/admin/merchants/apikey/", {"action": "rotate_keys", "_selected_action": [key.pk]}, follow=True
    )
    again = staff_client.get("/admin/merchants/apikey/")

    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "lgk_" in shown[0]
    plaintext = shown[0].split(": ", 1)[1].split(" ")[0]
    principal = api_key_authenticate(plaintext=plaintext)
    assert principal is not None and principal.key_id != key.pk
    assert plaintext not in again.content.decode()
    assert "active" in again.content.decode()
