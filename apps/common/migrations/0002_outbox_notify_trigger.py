"""Every insert into the outbox wakes the relay (LISTEN outbox_events) when its transaction commits.

A statement trigger rather than a NOTIFY from `outbox.record()`: it saves a round trip per
event on the intake's hot path, and PostgreSQL folds the notifications of one transaction into one.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION common_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_events', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER common_outbox_notify AFTER INSERT ON common_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION common_outbox_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS common_outbox_notify ON common_outboxevent;
DROP FUNCTION IF EXISTS common_outbox_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
