"""API keys in the portal: owners issue, rotate and revoke; secrets are shown once."""

import re

import pytest
from rest_framework.test import APIClient

from apps.merchants.models import ApiKey, Membership
from apps.merchants.services import api_key_issue
from apps.merchants.tests.factories import MembershipFactory, MerchantFactory

ORDERS = "/api/v1/orders/"


@pytest.fixture
def owner(client, merchant):
    client.force_login(MembershipFactory(merchant=merchant, role=Membership.Role.OWNER).user)
    return client


def _api(plaintext: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return api


def _secret(response) -> str:
    return re.search(r"lgk_[0-9a-f]{12}_[A-Za-z0-9_-]+", response.content.decode()).group(0)


def test_an_owner_creates_a_scoped_key_and_sees_its_secret_once(owner, merchant):
    response = owner.post(
        "/api-keys/new/", {"name": "SAP production", "scopes": ["orders:read", "tracking"], "expires_in_days": "90"}
    )

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    plaintext = _secret(response)
    key = ApiKey.objects.get(merchant=merchant)
    assert (key.name, key.scopes) == ("SAP production", ["orders:read", "tracking"])
    assert key.expires_at is not None
    assert _api(plaintext).get(ORDERS).status_code == 200
    assert _api(plaintext).post(ORDERS, {}, format="json").status_code == 403
    listing = owner.get("/api-keys/").content.decode()
    assert "SAP production" in listing and f"lgk_{key.prefix}_…" in listing
    assert plaintext not in listing


def test_rotating_shows_the_successor_once_and_both_keys_work_during_the_overlap(owner, merchant):
    old, old_plaintext = api_key_issue(merchant=merchant, name="erp", scopes=("orders:read",))

    response = owner.post(f"/api-keys/{old.pk}/rotate/", {"overlap_hours": "24"})

    assert response.status_code == 201
    new_plaintext = _secret(response)
    assert new_plaintext != old_plaintext
    assert "keeps working until" in response.content.decode()
    assert _api(old_plaintext).get(ORDERS).status_code == 200
    assert _api(new_plaintext).get(ORDERS).status_code == 200
    assert ApiKey.objects.get(pk=old.pk).expires_at is not None


def test_revoking_stops_the_key_on_its_next_request(owner, merchant):
    key, plaintext = api_key_issue(merchant=merchant, name="leaked")
    assert _api(plaintext).get(ORDERS).status_code == 200

    response = owner.post(f"/api-keys/{key.pk}/revoke/", follow=True)

    assert response.status_code == 200 and "is revoked" in response.content.decode()
    assert _api(plaintext).get(ORDERS).status_code == 401


def test_another_merchants_key_cannot_be_touched(owner):
    theirs, plaintext = api_key_issue(merchant=MerchantFactory(), name="theirs")

    revoke = owner.post(f"/api-keys/{theirs.pk}/revoke/")
    rotate = owner.post(f"/api-keys/{theirs.pk}/rotate/", {"overlap_hours": "0"})
    listing = owner.get("/api-keys/").content.decode()

    assert (revoke.status_code, rotate.status_code) == (404, 404)
    assert "theirs" not in listing
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    assert _api(plaintext).get(ORDERS).status_code == 200


def test_a_shipper_neither_sees_nor_changes_the_keys_and_a_developer_does_both(client, merchant):
    key, _ = api_key_issue(merchant=merchant, name="erp")
    client.force_login(MembershipFactory(merchant=merchant, role=Membership.Role.SHIPPER).user)

    listing = client.get("/api-keys/")
    create = client.post("/api-keys/new/", {"name": "mine", "scopes": ["orders:read"]})
    revoke = client.post(f"/api-keys/{key.pk}/revoke/")

    assert (listing.status_code, create.status_code, revoke.status_code) == (403, 403, 403)
    assert list(ApiKey.objects.values_list("name", "revoked_at")) == [("erp", None)]

    client.force_login(MembershipFactory(merchant=merchant, role=Membership.Role.DEVELOPER).user)
    assert "erp" in client.get("/api-keys/").content.decode()
    assert client.post("/api-keys/new/", {"name": "mine", "scopes": ["orders:read"]}).status_code == 201


def test_a_key_needs_a_name_and_a_scope(owner, merchant):
    response = owner.post("/api-keys/new/", {"name": "", "scopes": []})

    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get("/api-keys/")["Location"].startswith("/login/")
    assert client.post("/api-keys/new/", {"name": "x"})["Location"].startswith("/login/")
