"""Staff roles with least privilege (docs/operations.md, "Roles"): every role reads every center;
support may also retry stuck work; finance edits prices (rate cards, surcharges, exchange rates);
administrators edit carriers, their credentials and limits, warehouses and lanes, and may cancel."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OUR_APPS = [
    "common", "merchants", "orders", "resources", "warehouse", "distribution", "fulfillment",
    "scheduling", "webhooks", "erp_api", "sandbox", "backoffice",
]  # fmt: skip
ROLES = {
    "support": ["backoffice.retry_work"],
    "finance": [
        f"resources.{verb}_{model}"
        for model in ("ratecard", "ratebreak", "surcharge", "exchangerate")
        for verb in ("add", "change", "delete")
    ],
    "administrators": [
        "backoffice.retry_work",
        "backoffice.cancel_order",
        *(
            f"resources.{verb}_{model}"
            for model in ("carrier", "carrierservice", "coverage", "zone", "warehouse")
            for verb in ("add", "change")
        ),
        "scheduling.change_lane",
        "distribution.change_carrierwebhookconfig",
        "sandbox.change_sandboxcarrier",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are made after migrations run; make this app's and the others' now.
    for config in apps.get_app_configs():
        kept = getattr(config, "models_module", None)
        config.models_module = kept or True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = kept
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    read = list(Permission.objects.filter(content_type__app_label__in=OUR_APPS, codename__startswith="view_"))
    for name, extra in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        granted = [
            Permission.objects.get(content_type__app_label=label, codename=codename)
            for label, codename in (perm.split(".") for perm in extra)
        ]
        group.permissions.set(read + granted)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_staff_actions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("common", "0005_outbox_delivery"),
        ("merchants", "0001_initial"),
        ("orders", "0004_archived_orders"),
        ("resources", "0005_carrier_time_zone"),
        ("warehouse", "0001_initial"),
        ("distribution", "0006_webhook_config"),
        ("fulfillment", "0002_leg_reported_version"),
        ("scheduling", "0003_lane_work"),
        ("webhooks", "0002_delivery_by_order"),
        ("erp_api", "0001_idempotency_records"),
        ("sandbox", "0003_webhooks"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
