"""Signatures in the Standard Webhooks way (https://www.standardwebhooks.com/).

A secret is `whsec_` + base64 of 24 random bytes; the HMAC key is those bytes. Each request
carries `webhook-id` (the event's stable id), `webhook-timestamp` (Unix seconds of this attempt)
and `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
one per secret in force (two while a rotation overlaps). A receiver accepts the request if any
signature matches one of its secrets and the timestamp is recent; `verify` does exactly that and
is what docs/api.md gives merchants.
"""

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
TOLERANCE_SECONDS = 5 * 60


class InvalidSignature(Exception):
    """The request is not signed by any of the secrets, or its timestamp is too old or too new."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def signature_headers(*, secrets_in_force: Iterable[str], msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret=s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets_in_force
        ),
    }


def verify(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise InvalidSignature unless `body` with `headers` was signed with `secret` recently.

    `headers` is matched case-insensitively. Compare in constant time; reject stale timestamps so
    that a captured request cannot be replayed later.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    timestamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "").split()
    if not msg_id or not timestamp.isdigit() or not signatures:
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = sign(secret=secret, msg_id=msg_id, timestamp=int(timestamp), body=body)
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise InvalidSignature("no signature matches")


def masked(secret: str) -> str:
    """A secret as shown after creation: enough to tell two apart, too little to use."""
    return f"{SECRET_PREFIX}…{secret[-4:]}" if secret else ""
