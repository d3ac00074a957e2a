"""ERP API keys: the key names its merchant, only a hash of it is kept, and a bad key names nobody."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from apps.merchants.models import ApiKey
from apps.merchants.services import ALL_SCOPES, api_key_authenticate, api_key_issue, api_key_revoke
from apps.merchants.tests.factories import MerchantFactory

pytestmark = pytest.mark.clock


def test_an_issued_key_authenticates_as_its_merchant_with_its_scopes(merchant):
    MerchantFactory()
    key, plaintext = api_key_issue(merchant=merchant, name="erp", scopes=("orders:read", "tracking"))

    principal = api_key_authenticate(plaintext=plaintext)

    assert (principal.merchant_id, principal.key_id) == (merchant.pk, key.pk)
    assert principal.scopes == frozenset({"orders:read", "tracking"})
    assert principal.actor == f"api-key:{key.pk}"
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None


def test_a_key_carries_every_scope_unless_told_otherwise(merchant):
    _, plaintext = api_key_issue(merchant=merchant, name="erp")

    assert api_key_authenticate(plaintext=plaintext).scopes == frozenset(ALL_SCOPES)


def test_keys_of_two_merchants_each_name_their_own_merchant(merchant):
    other = MerchantFactory()
    _, mine = api_key_issue(merchant=merchant, name="erp")
    _, theirs = api_key_issue(merchant=other, name="erp")

    assert api_key_authenticate(plaintext=mine).merchant_id == merchant.pk
    assert api_key_authenticate(plaintext=theirs).merchant_id == other.pk


def test_the_key_is_recognisable_and_only_its_hash_is_stored(merchant):
    key, plaintext = api_key_issue(merchant=merchant, name="erp")

    assert plaintext.startswith("lgk_")
    secret = plaintext.removeprefix(f"lgk_{key.prefix}_")
    assert len(secret) >= 32
    row = ApiKey.objects.get(pk=key.pk)
    stored = " ".join(str(v) for v in model_to_dict(row).values())
    assert plaintext not in stored
    assert secret not in stored
    assert len(row.secret_hash) == 64


@pytest.mark.parametrize(
    "tamper",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),
        lambda k: k + "x",
        lambda k: k.replace("lgk_", "lgx_"),
        lambda k: k.rsplit("_", 1)[0],
        lambda k: k.split("_")[0] + "_" + k.split("_")[1],
        lambda k: "lgk_ffffffffffff_" + k.split("_", 2)[2],
        lambda k: "",
    ],
    ids=["changed-secret", "extended-secret", "wrong-prefix", "cut-short", "no-secret", "other-key-id", "empty"],
)
def test_a_tampered_key_names_nobody(merchant, tamper):
    _, plaintext = api_key_issue(merchant=merchant, name="erp")

    assert api_key_authenticate(plaintext=tamper(plaintext)) is None


def test_a_key_of_one_merchant_cannot_be_grafted_onto_another_keys_id(merchant):
    other_key, _ = api_key_issue(merchant=MerchantFactory(), name="theirs")
    mine, plaintext = api_key_issue(merchant=merchant, name="mine")

    grafted = plaintext.replace(mine.prefix, other_key.prefix, 1)

    assert api_key_authenticate(plaintext=grafted) is None


def test_an_expired_key_names_nobody_and_one_not_yet_expired_works(merchant):
    now = timezone.now()
    _, expired = api_key_issue(merchant=merchant, name="old", expires_at=now - timedelta(seconds=1))
    _, current = api_key_issue(merchant=merchant, name="new", expires_at=now + timedelta(days=1))

    assert api_key_authenticate(plaintext=expired) is None
    assert api_key_authenticate(plaintext=current).merchant_id == merchant.pk


def test_a_revoked_key_names_nobody(merchant):
    key, plaintext = api_key_issue(merchant=merchant, name="erp")

    api_key_revoke(key=key)

    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert api_key_authenticate(plaintext=plaintext) is None


def test_an_unknown_scope_is_refused_and_no_key_is_made(merchant):
    with pytest.raises(ValueError, match="orders:delete"):
        api_key_issue(merchant=merchant, name="erp", scopes=("orders:read", "orders:delete"))

    assert not ApiKey.objects.exists()
