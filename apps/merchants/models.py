from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

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
        # What each role may do: apps/merchants/permissions.py, the one place.
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        SHIPPER = "shipper", _("Shipper")
        DEVELOPER = "developer", _("Developer")
        VIEWER = "viewer", _("Viewer")

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


class Invitation(models.Model):
    """An owner's invitation for an email address to join the merchant in a role.

    The link carries a signed token (apps/merchants/team.py); only a hash of its random part is
    kept here. It works once, until `expires_at`, unless revoked."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    nonce_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} to {self.merchant} as {self.role}"


# The fields of a saved sender address or product an audit line names, as the portal's forms label them.
SAVED_FIELD_LABELS = {
    "label": _("Label"),
    "name": _("Name"),
    "company": _("Company"),
    "line1": _("Address line 1"),
    "line2": _("Address line 2"),
    "city": _("City"),
    "state": _("State or province"),
    "postal_code": _("Postal code"),
    "country": _("Country"),
    "phone": _("Phone"),
    "email": _("Email"),
    "is_default": _("Use it for new orders"),
    "sku": "SKU",
    "description": _("Description (English)"),
    "description_zh": _("Description (Chinese)"),
    "hs_code": _("HS code"),
    "origin_country": _("Origin"),
    "unit_value": _("Unit value"),
    "currency": _("Currency"),
    "weight_g": _("Weight (g)"),
}


class AuditEntry(models.Model):
    """One change to a merchant's team, to a member's login security or to what the merchant keeps
    for its orders (saved sender addresses, products): who, what, when."""

    class Action(models.TextChoices):
        INVITED = "invited", _("invited")
        INVITATION_REVOKED = "invitation_revoked", _("revoked the invitation of")
        JOINED = "joined", _("joined")
        ROLE_CHANGED = "role_changed", _("changed the role of")
        REMOVED = "removed", _("removed")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("turned on two-factor login")
        TWO_FACTOR_DISABLED = "two_factor_disabled", _("turned off two-factor login")
        RECOVERY_CODE_USED = "recovery_code_used", _("logged in with a recovery code")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("made new recovery codes")
        SENDER_ADDED = "sender_added", _("added the sender address")
        SENDER_CHANGED = "sender_changed", _("changed the sender address")
        SENDER_DELETED = "sender_deleted", _("deleted the sender address")
        PRODUCT_ADDED = "product_added", _("added the product")
        PRODUCT_CHANGED = "product_changed", _("changed the product")
        PRODUCT_DELETED = "product_deleted", _("deleted the product")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # The names as they were: a user renamed or deleted later does not rewrite the record.
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=30, choices=Action.choices)
    subject = models.CharField(max_length=254, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-created_at"], name="audit_by_merchant_time")]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.subject}"

    def describe(self) -> str:
        """The detail in the reader's language: roles and changed fields are stored as their codes."""
        if self.action in (self.Action.SENDER_CHANGED, self.Action.PRODUCT_CHANGED) and self.detail:
            names = [str(SAVED_FIELD_LABELS.get(name, name)) for name in self.detail.split(", ")]
            return _("(%(fields)s)") % {"fields": ", ".join(names)}
        labels = dict(Membership.Role.choices)
        before, arrow, after = self.detail.partition(">")
        if arrow and before in labels and after in labels:
            return _("from %(before)s to %(after)s") % {"before": labels[before], "after": labels[after]}
        if self.detail in labels:
            return _("as %(role)s") % {"role": labels[self.detail]}
        return self.detail


class RecoveryCode(models.Model):
    """A single-use code that stands in for the authenticator app; only its keyed hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_once_per_user")]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id} ({'used' if self.used_at else 'unused'})"
