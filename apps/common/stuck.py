"""Work with no progress past a threshold, as every center reports it for the back office's
*Stuck work* page: groups by reason, each with a bounded count and a sample.

Each center's `selectors.py` builds its groups with `stuck_groups` over its own rows; the back
office composes them and acts through the centers' services. Counts stop at `COUNT_CAP` (a
bounded `COUNT` over a `LIMIT`), so a backlog of millions costs what a thousand does.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

COUNT_CAP = 1000


@dataclass(frozen=True)
class StuckItem:
    kind: str  # order, lane_entry, distribution_order, warehouse_order, webhook_delivery
    id: int
    order_id: int | None
    merchant_id: int | None
    since: datetime
    detail: str


@dataclass(frozen=True)
class StuckGroup:
    center: str
    kind: str
    reason: str
    count: int
    capped: bool  # the count stopped at COUNT_CAP: there are at least that many
    sample: tuple[StuckItem, ...]


def stuck_groups(
    *,
    center: str,
    kind: str,
    queryset: QuerySet,
    reasons: Sequence[tuple[str, Q]],
    since_field: str,
    detail: Callable[[object], str],
    sample: int = 10,
    oldest_first_by: str | None = None,
) -> list[StuckGroup]:
    """One group per reason that has rows; each row falls in the first reason it matches, so the
    groups never count a row twice. Two bounded queries per reason. The sample is the oldest rows
    by `oldest_first_by` (default `since_field`); give an indexed column (a time-ordered id) where
    a reason may hold many rows, so the sample is read off the index instead of sorted."""
    groups, earlier = [], Q()
    for reason, condition in reasons:
        rows = queryset.filter(condition).exclude(earlier) if earlier else queryset.filter(condition)
        earlier |= condition
        count = rows.order_by()[: COUNT_CAP + 1].count()
        if not count:
            continue
        items = tuple(
            StuckItem(
                kind=kind,
                id=row.pk,
                order_id=row.pk if kind == "order" else getattr(row, "order_id", None),
                merchant_id=getattr(row, "merchant_id", None),
                since=getattr(row, since_field),
                detail=detail(row),
            )
            for row in rows.order_by(oldest_first_by or since_field, "pk")[:sample]
        )
        groups.append(
            StuckGroup(
                center=center,
                kind=kind,
                reason=reason,
                count=min(count, COUNT_CAP),
                capped=count > COUNT_CAP,
                sample=items,
            )
        )
    return groups
