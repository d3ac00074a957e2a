from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0001_initial"),
        ("orders", "0004_archived_orders"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("state", "delivered")),
                fields=["merchant", "updated_at"],
                name="order_merchant_delivered",
            ),
        ),
    ]
