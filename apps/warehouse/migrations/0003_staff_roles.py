"""The staff roles (apps/backoffice/migrations/0002) read the warehouse center's new pages too;
administrators also hold and cancel warehouse orders, close ASNs and decide held stock drift."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("support", "finance", "administrators")
ADMINISTRATORS = ["change_warehouseorder", "change_asn", "decide_drift"]


def grant(apps, schema_editor):
    config = apps.get_app_config("warehouse")
    kept = getattr(config, "models_module", None)
    config.models_module = kept or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = kept
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label="warehouse")
    read = list(ours.filter(codename__startswith="view_"))
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*read)
        if group.name == "administrators":
            group.permissions.add(*ours.filter(codename__in=ADMINISTRATORS))


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0002_stock_reservations_asns_wms"),
        ("backoffice", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
