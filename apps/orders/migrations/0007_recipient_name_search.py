"""The search by name gets an index it can use: trigrams of the upper-cased name, which is what
icontains compares. The old trigram index was of the name as typed, which `UPPER(name) LIKE ...`
cannot use. Built concurrently: orders keep coming in while it builds. PostgreSQL gathers the
statistics of the indexed expression at the next ANALYZE (autovacuum's, or run it): until then
it cannot tell a common name from a rare one."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0006_address_normalized_forms"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("recipient_name"), name="gin_trgm_ops"
                ),
                name="order_recipient_name_search",
            ),
        ),
        RemoveIndexConcurrently(model_name="order", name="order_recipient_name_trgm"),
    ]
