"""Writes for merchants, their users and their API keys."""

import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from PIL import Image

from apps.merchants.exceptions import ApiKeyNotActive, InvalidLogo
from apps.merchants.models import LOGO_FORMATS, LOGO_MAX_BYTES, LOGO_MAX_PIXELS, ApiKey, Membership, Merchant

KEY_PREFIX = "lgk_"
ALL_SCOPES = ("orders:read", "orders:write", "rates", "tracking", "webhooks")
_LAST_USED_GRANULARITY = timedelta(minutes=1)
_KEY_BY_PREFIX = (
    "SELECT id, merchant_id, secret_hash, scopes, expires_at, revoked_at, last_used_at"
    " FROM merchants_apikey WHERE prefix = %s"
)


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
def merchant_user_create(
    *, merchant: Merchant, username: str, password: str, email: str = "", role: str = Membership.Role.OWNER
):
    """A portal login for `merchant` in `role` (further members normally join by invitation,
    apps/merchants/team.py)."""
    user = get_user_model().objects.create_user(username=username, password=password, email=email)
    Membership.objects.create(merchant=merchant, user=user, role=role)
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


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Stop the key at once: its next request is refused (keys are checked on every request)."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


DEFAULT_ROTATION_OVERLAP = timedelta(hours=24)


@transaction.atomic
def api_key_rotate(
    *, key: ApiKey, overlap: timedelta = DEFAULT_ROTATION_OVERLAP, expires_at=None
) -> tuple[ApiKey, str]:
    """Issue the key's successor (same name and scopes) and let the old key run out after
    `overlap`, so that an ERP can switch over without a gap. The new plaintext is returned once.

    The successor expires at `expires_at`, or, when the old key had an expiry, after the same
    lifetime as the old key had; otherwise never."""
    if overlap < timedelta(0):
        raise ValueError("overlap must not be negative")
    old = ApiKey.objects.select_for_update().select_related("merchant").get(pk=key.pk)
    now = timezone.now()
    if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
        raise ApiKeyNotActive(
            gettext("Key %(key)s is revoked or expired; issue a new key instead.") % {"key": old.prefix},
            extra={"key": old.prefix},
        )
    if expires_at is None and old.expires_at is not None:
        expires_at = now + (old.expires_at - old.created_at)
    new, plaintext = api_key_issue(
        merchant=old.merchant, name=old.name, scopes=tuple(old.scopes), expires_at=expires_at
    )
    runs_out = now + overlap
    if old.expires_at is None or old.expires_at > runs_out:
        old.expires_at = runs_out
        old.save(update_fields=["expires_at"])
    return new, plaintext


def api_key_authenticate(*, plaintext: str) -> ApiPrincipal | None:
    """The principal for a presented key, or None when it is unknown, revoked or expired."""
    if not plaintext.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = plaintext[len(KEY_PREFIX) :].partition("_")
    if not secret:
        return None
    # Every API request runs this: one indexed read without the ORM's model machinery, and
    # nothing cached, so that a revoked key is refused on its very next request.
    with connection.cursor() as cursor:
        cursor.execute(_KEY_BY_PREFIX, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    key_id, merchant_id, secret_hash, scopes, expires_at, revoked_at, last_used_at = row
    if not hmac.compare_digest(secret_hash, _hash_secret(plaintext)):
        return None
    now = timezone.now()
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        return None
    if last_used_at is None or now - last_used_at > _LAST_USED_GRANULARITY:
        # Written at most once a minute so that a busy key does not turn reads into writes.
        ApiKey.objects.filter(pk=key_id).update(last_used_at=now)
    return ApiPrincipal(merchant_id=merchant_id, key_id=key_id, scopes=frozenset(scopes))


def _logo_png(upload) -> bytes:
    """The upload as a PNG of our own encoding, or InvalidLogo: too big, not a picture, a format
    we do not take (SVG may carry script), or too many pixels (a decompression bomb)."""
    if upload.size is None or upload.size > LOGO_MAX_BYTES:
        raise InvalidLogo(
            gettext("The logo may be at most %(kb)d KB.") % {"kb": LOGO_MAX_BYTES // 1024}, extra={"field": "logo"}
        )
    data = upload.read(LOGO_MAX_BYTES + 1)
    formats = ", ".join(LOGO_FORMATS)
    try:
        with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
            if max(image.size) > LOGO_MAX_PIXELS:
                raise InvalidLogo(
                    gettext("The logo may be at most %(px)d pixels wide and high.") % {"px": LOGO_MAX_PIXELS},
                    extra={"field": "logo"},
                )
            image.load()
            image = image.convert("RGBA")
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
    except InvalidLogo:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidLogo(
            gettext("The logo must be a picture in one of these formats: %(formats)s.") % {"formats": formats},
            extra={"field": "logo"},
        ) from exc
    return out.getvalue()


def merchant_logo_set(*, merchant_id: int, upload) -> Merchant:
    """Take `upload` (a file) as the merchant's logo, re-encoded as PNG under a new name (so that
    caches of the old one never show it again), and delete the old file after commit."""
    png = _logo_png(upload)
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        old = merchant.logo.name
        merchant.logo.save(f"{merchant_id}-{secrets.token_hex(8)}.png", ContentFile(png), save=False)
        merchant.save(update_fields=["logo"])
        if old:
            transaction.on_commit(lambda: default_storage.delete(old))
    return merchant


def merchant_logo_remove(*, merchant_id: int) -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        old = merchant.logo.name
        merchant.logo = ""
        merchant.save(update_fields=["logo"])
        if old:
            transaction.on_commit(lambda: default_storage.delete(old))
    return merchant
