"""`manage.py create_merchant`: a merchant ready to use, with a portal login and an API key."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.merchants.models import ApiKey, Membership, Merchant
from apps.merchants.services import ALL_SCOPES, api_key_authenticate


def _create(*args) -> dict:
    out = io.StringIO()
    call_command("create_merchant", *args, "--json", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


@pytest.mark.django_db
def test_it_prints_one_json_object_whose_password_logs_in_and_whose_key_authenticates(client):
    created = _create("Acme")

    assert set(created) >= {"merchant_id", "username", "password", "api_key"}
    merchant = Merchant.objects.get(pk=created["merchant_id"])
    assert merchant.name == "Acme"
    membership = Membership.objects.get(user__username=created["username"])
    assert (membership.merchant_id, membership.role) == (merchant.pk, "owner")
    assert client.login(username=created["username"], password=created["password"])
    principal = api_key_authenticate(plaintext=created["api_key"])
    assert principal.merchant_id == merchant.pk
    assert principal.scopes == frozenset(ALL_SCOPES)


@pytest.mark.django_db
def test_the_given_username_and_password_are_used(client):
    created = _create("Acme", "--username", "acme-ops", "--password", "a-long-pass-phrase")

    assert created["username"] == "acme-ops"
    assert client.login(username="acme-ops", password="a-long-pass-phrase")


@pytest.mark.django_db
def test_two_merchants_of_the_same_name_get_distinct_logins(client):
    first = _create("Acme")
    second = _create("Acme")

    assert first["username"] != second["username"]
    assert first["merchant_id"] != second["merchant_id"]
    assert Merchant.objects.filter(name="Acme").values("slug").distinct().count() == 2
    assert client.login(username=second["username"], password=second["password"])
    assert api_key_authenticate(plaintext=second["api_key"]).merchant_id == second["merchant_id"]


@pytest.mark.django_db
def test_a_taken_username_is_refused_and_nothing_is_created():
    _create("Acme", "--username", "acme")
    counts = (Merchant.objects.count(), get_user_model().objects.count(), ApiKey.objects.count())

    with pytest.raises(CommandError, match="acme"):
        call_command("create_merchant", "Other", "--username", "acme", "--json", stdout=io.StringIO())

    assert (Merchant.objects.count(), get_user_model().objects.count(), ApiKey.objects.count()) == counts


@pytest.mark.django_db
def test_without_json_it_prints_one_line_per_value():
    out = io.StringIO()

    call_command("create_merchant", "Plain Shop", stdout=out)

    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    assert lines["merchant"] == "Plain Shop"
    assert api_key_authenticate(plaintext=lines["api_key"]).merchant_id == int(lines["merchant_id"])
