import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def staff_become_shippers(apps, schema_editor):
    # "staff" could do everything but manage API keys and webhooks: a shipper's work.
    apps.get_model("merchants", "Membership").objects.filter(role="staff").update(role="shipper")


def shippers_become_staff(apps, schema_editor):
    apps.get_model("merchants", "Membership").objects.exclude(role="owner").update(role="staff")


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("owner", "Owner"),
                    ("admin", "Admin"),
                    ("shipper", "Shipper"),
                    ("developer", "Developer"),
                    ("viewer", "Viewer"),
                ],
                default="owner",
                max_length=10,
            ),
        ),
        migrations.RunPython(staff_become_shippers, shippers_become_staff),
    ]
