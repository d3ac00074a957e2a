from django.db import models


class StaffAction(models.Model):
    """No table: the permissions of the back office's actions, which span centers, so that roles
    (migration 0002) can grant them apart from editing any one model."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("retry_work", "Retry stuck bookings, tracking and deliveries"),
            ("cancel_order", "Cancel orders"),
        ]

    def __str__(self) -> str:
        return "staff action"
