from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

# A logo is a small picture on the buyer's tracking page: within these, it is re-encoded as PNG
# (services.merchant_logo_set), so what is served is always a PNG we wrote, never the upload.
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_PIXELS = 2000  # per side
LOGO_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")


class Merchant(models.Model):
    """A tenant: a shop that ships parcels through the platform."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    # Shown to its buyers on the tracking page; a file name of our making (logos/<id>-<token>.png).
    logo = models.FileField(upload_to="logos/", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.OWNER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="one_merchant_per_user")]

    def __str__(self) -> str:
        return f"{self.user} at {self.merchant}"


class ApiKey(models.Model):
    """An ERP credential. Only an HMAC of the secret is stored; the prefix finds the row."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=30), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
