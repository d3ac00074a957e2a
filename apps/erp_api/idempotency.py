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
* If the first died without answering (its worker was killed), the next retry takes the key
  over: at once when the holder's database session is gone (the holder keeps a PostgreSQL
  advisory lock on the record while it runs, which dies with its connection), otherwise once the
  lock runs out (the same statement, under the row lock, so only one retry can).
* A view that does several things under one key (the bulk) records each one's answer as it goes
  (`idempotency_item_record`); a retry that took the key over reads them back
  (`idempotency_item_results`) and does only the rest.

Every claim and record is its own autocommit statement: the view's own transaction (the
durable one in `order_submit`) stays separate, and other requests see a claim at once.
"""

import functools
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
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
    created_at = CASE WHEN r.created_at < %(expired_before)s THEN EXCLUDED.created_at ELSE r.created_at END
WHERE r.created_at < %(expired_before)s
   OR (r.state = '{_S.IN_PROGRESS}' AND r.locked_until < %(now)s AND r.fingerprint = EXCLUDED.fingerprint)
RETURNING r.id, r.created_at, r.created_at < %(now)s
"""  # noqa: S608 (the table name is ours; every value is a parameter)

# The key of a running request whose session is gone (no advisory lock held on it) is taken
# over at once; `owner` must still be the dead one, so only one retry can.
_TAKE_OVER = f"""
UPDATE {_TABLE} SET owner = %(owner)s, locked_until = %(locked_until)s
WHERE id = %(id)s AND owner = %(dead_owner)s AND state = '{_S.IN_PROGRESS}'
  AND NOT EXISTS (
    SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
      AND classid::bigint = %(lock_class)s AND objid::bigint = %(lock_object)s AND objsubid = 2)
RETURNING id, created_at
"""  # noqa: S608

# Advisory locks (two-integer form) of running idempotent requests: (this class, record id).
_LOCK_CLASS = 0x1DE0

_EXISTING = f"SELECT id, owner, fingerprint, state, response_status, response_content_type, response_body FROM {_TABLE} WHERE merchant_id = %s AND key = %s"  # noqa: E501, S608

_COMPLETE = f"""
UPDATE {_TABLE} SET state = '{_S.COMPLETED}', locked_until = NULL, response_status = %s,
    response_content_type = %s, response_body = %s, completed_at = %s
WHERE id = %s AND owner = %s
"""  # noqa: S608

_RELEASE = f"DELETE FROM {_TABLE} WHERE id = %s AND owner = %s AND state = '{_S.IN_PROGRESS}'"  # noqa: S608


@dataclass(frozen=True)
class Claim:
    """This request holds the key: run the view, then `idempotency_complete` or `_release`.

    `taken_over`: an earlier request with this key died without answering; what it did is
    still done (see `idempotency_item_results`), and `first_claimed_at` is when it began."""

    record_id: int
    owner: uuid.UUID
    merchant_id: int = 0
    first_claimed_at: datetime | None = None
    taken_over: bool = False


def _lock_object(record_id: int) -> int:
    return record_id % 2**31


def _hold(cursor, record_id: int) -> None:
    """Hold the record's advisory lock for as long as this request (and its connection) lives."""
    cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, _lock_object(record_id)])


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
        # The claim and its advisory lock commit together: a retry that saw the row without the
        # lock would take it over from a request that is still running.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_CLAIM, params)
            claimed = cursor.fetchone()
            if claimed is not None:
                record_id, first_claimed_at, existed = claimed
                _hold(cursor, record_id)
                return Claim(
                    record_id=record_id,
                    owner=owner,
                    merchant_id=merchant_id,
                    first_claimed_at=first_claimed_at,
                    taken_over=existed,
                )
            cursor.execute(_EXISTING, [merchant_id, key])
            existing = cursor.fetchone()
            if existing is not None and existing[3] == _S.IN_PROGRESS and existing[2] == fingerprint:
                cursor.execute(
                    _TAKE_OVER,
                    {
                        "id": existing[0],
                        "owner": owner,
                        "dead_owner": existing[1],
                        "locked_until": params["locked_until"],
                        "lock_class": _LOCK_CLASS,
                        "lock_object": _lock_object(existing[0]),
                    },
                )
                taken = cursor.fetchone()
                if taken is not None:
                    _hold(cursor, taken[0])
                    return Claim(
                        record_id=taken[0],
                        owner=owner,
                        merchant_id=merchant_id,
                        first_claimed_at=taken[1],
                        taken_over=True,
                    )
        if existing is None:
            continue
        _, _, stored_fingerprint, state, status, content_type, stored_body = existing
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


def _unhold(cursor, claim: Claim) -> None:
    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, _lock_object(claim.record_id)])


def idempotency_complete(*, claim: Claim, status: int, content_type: str, body: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_COMPLETE, [status, content_type, body, timezone.now(), claim.record_id, claim.owner])
        _unhold(cursor, claim)


def idempotency_release(*, claim: Claim) -> None:
    """Give the key back: the request failed on our side and may be retried as new."""
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE, [claim.record_id, claim.owner])
        _unhold(cursor, claim)


def _item_key(claim: Claim, index: int) -> str:
    # A space cannot be in a client's key, so these never meet one; the claim's start tells
    # this request's items from those of a key used again after its retention.
    started = int(claim.first_claimed_at.timestamp() * 1_000_000) if claim.first_claimed_at else 0
    return f"item {index} of {claim.record_id}.{started}"


def idempotency_item_record(*, claim: Claim, index: int, status: int, body: bytes) -> None:
    """Keep the answer for item `index` of the request holding `claim`, as soon as it is done."""
    now = timezone.now()
    IdempotencyRecord.objects.bulk_create(
        [
            IdempotencyRecord(
                merchant_id=claim.merchant_id,
                key=_item_key(claim, index),
                fingerprint="",
                method="POST",
                path="",
                state=_S.COMPLETED,
                owner=claim.owner,
                response_status=status,
                response_content_type="application/json",
                response_body=body,
                created_at=now,
                completed_at=now,
            )
        ],
        ignore_conflicts=True,
    )


def idempotency_item_results(*, claim: Claim, count: int) -> dict[int, tuple[int, bytes]]:
    """The answers kept for items 0..count-1 by the earlier holders of `claim`'s key."""
    if not claim.taken_over:
        return {}
    keys = {_item_key(claim, index): index for index in range(count)}
    rows = IdempotencyRecord.objects.filter(merchant_id=claim.merchant_id, key__in=list(keys)).values_list(
        "key", "response_status", "response_body"
    )
    return {keys[key]: (status, bytes(body)) for key, status, body in rows}


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
        request.idempotency_claim = claim
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
