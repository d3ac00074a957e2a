"""`Idempotency-Key` on every POST: a retry gets the first answer and never acts twice.

The protocol, per merchant and key (rows of `IdempotencyRecord`, kept `IDEMPOTENCY_KEY_TTL_HOURS`):

* The first request inserts the row (`INSERT ... ON CONFLICT DO NOTHING`), which is its lock
  until `locked_until`, and runs the view. When the view has answered, the response (status,
  content type, body) is kept on the row. A 5xx or a crash gives the key back at once.
* A retry with the same method, path and body gets the kept response again, with
  `Idempotent-Replayed: true` and `Cache-Control: no-store`; one with a different body gets 422
  `idempotency_key_reused`. An answer that carries a secret is kept as the view redacted it
  (`response.replay_content`, see `secret_bearing`): the secret is shown once, never stored here.
* A retry while the first is still running gets 409 `idempotency_key_in_use`.
* If the first died without answering (its worker was killed), the lock runs out and the next
  retry takes the key over (the same statement, under the row lock, so only one retry can).

Every claim and record is its own autocommit statement: the view's own transaction (the
durable one in `order_submit`) stays separate, and other requests see a claim at once.
"""

import functools
import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.erp_api.exceptions import IdempotencyKeyInUse, IdempotencyKeyReused
from apps.erp_api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

_TABLE = IdempotencyRecord._meta.db_table
_S = IdempotencyRecord.State

# One statement claims a new key, or takes over a key whose holder died (lock run out, same
# request) or whose record outlived its retention; otherwise it returns no row.
_CLAIM = f"""
INSERT INTO {_TABLE} AS r
    (merchant_id, key, fingerprint, method, path, state, owner, locked_until, response_content_type, created_at)
VALUES (%(merchant_id)s, %(key)s, %(fingerprint)s, %(method)s, %(path)s, '{_S.IN_PROGRESS}', %(owner)s,
        %(locked_until)s, '', %(now)s)
ON CONFLICT (merchant_id, key) DO UPDATE SET
    fingerprint = EXCLUDED.fingerprint, method = EXCLUDED.method, path = EXCLUDED.path,
    state = EXCLUDED.state, owner = EXCLUDED.owner, locked_until = EXCLUDED.locked_until,
    response_status = NULL, response_content_type = '', response_body = NULL, completed_at = NULL,
    created_at = EXCLUDED.created_at
WHERE r.created_at < %(expired_before)s
   OR (r.state = '{_S.IN_PROGRESS}' AND r.locked_until < %(now)s AND r.fingerprint = EXCLUDED.fingerprint)
RETURNING r.id
"""  # noqa: S608 (the table name is ours; every value is a parameter)

_EXISTING = f"SELECT fingerprint, state, response_status, response_content_type, response_body FROM {_TABLE} WHERE merchant_id = %s AND key = %s"  # noqa: E501, S608

_COMPLETE = f"""
UPDATE {_TABLE} SET state = '{_S.COMPLETED}', locked_until = NULL, response_status = %s,
    response_content_type = %s, response_body = %s, completed_at = %s
WHERE id = %s AND owner = %s
"""  # noqa: S608

_RELEASE = f"DELETE FROM {_TABLE} WHERE id = %s AND owner = %s AND state = '{_S.IN_PROGRESS}'"  # noqa: S608


@dataclass(frozen=True)
class Claim:
    """This request holds the key: run the view, then `idempotency_complete` or `_release`."""

    record_id: int
    owner: uuid.UUID


@dataclass(frozen=True)
class Replay:
    """The key's first request already answered: this is what it answered."""

    status: int
    content_type: str
    body: bytes

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status, content_type=self.content_type or None)
        response[REPLAYED_HEADER] = "true"
        response["Cache-Control"] = "no-store"
        return response


def secret_bearing(response, *, replay_content: bytes):
    """Mark `response` as carrying a secret: no cache may keep it, and an idempotent retry is
    answered with `replay_content` (the same answer with the secret redacted) instead."""
    response["Cache-Control"] = "no-store"
    response.replay_content = replay_content
    return response


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), hashlib.sha256(body).digest()):
        digest.update(len(part).to_bytes(4, "big") + part)
    return digest.hexdigest()


def idempotency_claim(*, merchant_id: int, key: str, method: str, path: str, body: bytes) -> Claim | Replay:
    """Claim `key` for this request, or the response to replay; raises when the key is in use
    by a running request (409) or was used for a different request (422)."""
    fingerprint = request_fingerprint(method=method, path=path, body=body)
    for _ in range(3):  # a row may vanish between the two statements (its holder failed)
        now = timezone.now()
        owner = uuid.uuid4()
        params = {
            "merchant_id": merchant_id,
            "key": key,
            "fingerprint": fingerprint,
            "method": method.upper(),
            "path": path[:500],
            "owner": owner,
            "now": now,
            "locked_until": now + timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS),
            "expired_before": now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS),
        }
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, params)
            claimed = cursor.fetchone()
            if claimed is not None:
                return Claim(record_id=claimed[0], owner=owner)
            cursor.execute(_EXISTING, [merchant_id, key])
            existing = cursor.fetchone()
        if existing is None:
            continue
        stored_fingerprint, state, status, content_type, stored_body = existing
        if stored_fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"The {HEADER} {key!r} was already used for a different request; use a new key for a new request.",
                extra={"idempotency_key": key},
            )
        if state == _S.IN_PROGRESS:
            raise IdempotencyKeyInUse(
                f"A request with the {HEADER} {key!r} is still being processed; retry in a moment.",
                extra={"idempotency_key": key},
            )
        return Replay(status=status, content_type=content_type, body=bytes(stored_body or b""))
    raise IdempotencyKeyInUse(f"The {HEADER} {key!r} is contended; retry in a moment.", extra={"idempotency_key": key})


def idempotency_complete(*, claim: Claim, status: int, content_type: str, body: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_COMPLETE, [status, content_type, body, timezone.now(), claim.record_id, claim.owner])


def idempotency_release(*, claim: Claim) -> None:
    """Give the key back: the request failed on our side and may be retried as new."""
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE, [claim.record_id, claim.owner])


def idempotency_purge(*, older_than: timedelta | None = None) -> int:
    """Delete records past their retention; returns how many."""
    cutoff = timezone.now() - (older_than or timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS))
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _checked_key(value: str) -> str:
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in value):
        raise ValidationError({HEADER: [f"Send 1 to {MAX_KEY_LENGTH} visible ASCII characters, for example a UUID."]})
    return value


def idempotent(handler):
    """Make a DRF view's `post` honour `Idempotency-Key` (see the module's docstring).

    Applied to every POST handler of the API; the schema test fails for one without it.
    """

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        raw_key = request.headers.get(HEADER)
        principal = request.auth
        if raw_key is None or principal is None:
            return handler(view, request, *args, **kwargs)
        claim = idempotency_claim(
            merchant_id=principal.merchant_id,
            key=_checked_key(raw_key),
            method=request.method,
            path=request.get_full_path(),
            body=request.body,
        )
        if isinstance(claim, Replay):
            return claim.response()
        recorded = False
        try:
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)  # the error in the API's format, or re-raised
            response = view.finalize_response(request, response, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            if response.status_code < 500 and not response.streaming:
                replay_content = getattr(response, "replay_content", None)
                idempotency_complete(
                    claim=claim,
                    status=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    body=response.content if replay_content is None else replay_content,
                )
                recorded = True
            return response
        finally:
            if not recorded:
                idempotency_release(claim=claim)

    wrapper.idempotent = True
    return wrapper
