"""Every write to a table routing compiles bumps resources_catalogueversion.version from a sequence
(docs/routing.md, "Catalogue cache"). Seeds the exchange rates of the main currencies."""

from django.db import migrations

TABLES = [
    "resources_carrier",
    "resources_carrierservice",
    "resources_coverage",
    "resources_warehouse",
    "resources_warehouse_carriers",
    "resources_zone",
    "resources_ratecard",
    "resources_ratebreak",
    "resources_surcharge",
    "resources_exchangerate",
    "resources_merchantroutingpreference",
]

FORWARD = [
    "CREATE SEQUENCE resources_catalogue_version_seq",
    "INSERT INTO resources_catalogueversion (id, version) VALUES (1, nextval('resources_catalogue_version_seq'))",
    """
    CREATE FUNCTION resources_catalogue_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- An upsert: a flushed database (TRUNCATE in tests) gets its row back on the next write.
        INSERT INTO resources_catalogueversion (id, version) VALUES (1, nextval('resources_catalogue_version_seq'))
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
        RETURN NULL;
    END $$
    """,
    *(
        f"CREATE TRIGGER {t}_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION resources_catalogue_bump()"
        for t in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER {t}_bump ON {t}" for t in TABLES),
    "DROP FUNCTION resources_catalogue_bump()",
    "DELETE FROM resources_catalogueversion",
    "DROP SEQUENCE resources_catalogue_version_seq",
]

RATES = {"USD": "1", "EUR": "1.08", "GBP": "1.27", "CNY": "0.138"}


def seed_rates(apps, schema_editor):
    ExchangeRate = apps.get_model("resources", "ExchangeRate")
    for currency, rate in RATES.items():
        ExchangeRate.objects.get_or_create(currency=currency, defaults={"usd_per_unit": rate})


class Migration(migrations.Migration):
    dependencies = [("resources", "0002_routing_catalogue")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(seed_rates, migrations.RunPython.noop),
    ]
