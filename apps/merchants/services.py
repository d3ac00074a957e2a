"""Writes for merchants, their users and their API keys."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.merchants.models import ApiKey, Membership, Merchant

KEY_PREFIX = "lgk_"
ALL_SCOPES = ("orders:read", "orders:write", "rates", "tracking", "webhooks")
_LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiPrincipal:
    """Who is calling the ERP API: the merchant comes from the key and from nowhere else."""

    merchant_id: int
    key_id: int
    scopes: frozenset[str]
    is_authenticated: bool = True

    @property
    def actor(self) -> str:
        return f"api-key:{self.key_id}"


def _hash_secret(secret: str) -> str:
    return hmac.new(settings.API_KEY_PEPPER.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "merchant"
    slug = base
    while Merchant.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


@transaction.atomic
def merchant_create(*, name: str) -> Merchant:
    return Merchant.objects.create(name=name, slug=_unique_slug(name))


@transaction.atomic
def merchant_user_create(*, merchant: Merchant, username: str, password: str, email: str = ""):
    user = get_user_model().objects.create_user(username=username, password=password, email=email)
    Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.OWNER)
    return user


@transaction.atomic
def api_key_issue(
    *, merchant: Merchant, name: str, scopes: tuple[str, ...] = ALL_SCOPES, expires_at=None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext, which is never shown again."""
    unknown = set(scopes) - set(ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{KEY_PREFIX}{prefix}_{secret}"
    key = ApiKey.objects.create(
        merchant=merchant,
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(plaintext),
        scopes=list(scopes),
        expires_at=expires_at,
    )
    return key, plaintext


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, plaintext: str) -> ApiPrincipal | None:
    """The principal for a presented key, or None when it is unknown, revoked or expired."""
    if not plaintext.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = plaintext[len(KEY_PREFIX) :].partition("_")
    if not secret:
        return None
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash_secret(plaintext)):
        return None
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_GRANULARITY:
        # Written at most once a minute so that a busy key does not turn reads into writes.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return ApiPrincipal(merchant_id=key.merchant_id, key_id=key.pk, scopes=frozenset(key.scopes))
