from django.db import transaction

from apps.common import rows
from apps.common.models import OutboxEvent


def test_inserted_rows_read_back_as_the_orm_would_have_written_them(db):
    events = [
        OutboxEvent(event_type="test.row.written", aggregate_type="row", aggregate_id=str(n), payload={"n": n})
        for n in range(3)
    ]
    with transaction.atomic():
        rows.insert(events)

    assert all(e.pk is not None and not e._state.adding for e in events)
    stored = {e.pk: e for e in OutboxEvent.objects.filter(event_type="test.row.written")}
    assert sorted(stored) == sorted(e.pk for e in events)
    for event in events:
        again = stored[event.pk]
        assert (again.aggregate_id, again.payload, again.relayed_at) == (event.aggregate_id, event.payload, None)
        assert again.created_at is not None and again.created_at == event.created_at


def test_inserting_nothing_writes_nothing(db):
    before = OutboxEvent.objects.count()
    rows.insert([])
    assert OutboxEvent.objects.count() == before
