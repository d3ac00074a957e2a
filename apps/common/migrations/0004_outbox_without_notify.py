"""The outbox stops sending NOTIFY on every insert (see docs/adr/0004-relay-polls-the-outbox.md).

PostgreSQL serialises the commits of every transaction that has sent a NOTIFY in a database (a
lock held until after the commit's WAL flush), so a NOTIFY per order put one lock across all
merchants' intake. The relay polls the outbox's partial index instead.
"""

from django.db import migrations


DROP = """
DROP TRIGGER IF EXISTS common_outbox_notify ON common_outboxevent;
DROP FUNCTION IF EXISTS common_outbox_notify();
"""

RECREATE = """
CREATE FUNCTION common_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_events', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER common_outbox_notify AFTER INSERT ON common_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION common_outbox_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("common", "0003_archivedrecord")]

    operations = [migrations.RunSQL(DROP, RECREATE)]
