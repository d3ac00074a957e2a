from django.contrib import admin, messages
from django.utils import timezone

from apps.common.exceptions import DomainError
from apps.merchants.models import ApiKey, AuditEntry, Invitation, Membership, Merchant
from apps.merchants.services import DEFAULT_ROTATION_OVERLAP, KEY_PREFIX, api_key_revoke, api_key_rotate


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "merchant__name"]
    raw_id_fields = ["user", "merchant"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "merchant",
        "shown_prefix",
        "status",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "merchant__name"]
    # The hash is no use to a person and keys are issued by the service, never typed in here.
    exclude = ["secret_hash"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_keys", "rotate_keys"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="key")
    def shown_prefix(self, key: ApiKey) -> str:
        return f"{KEY_PREFIX}{key.prefix}_…"

    @admin.display(description="status")
    def status(self, key: ApiKey) -> str:
        if key.revoked_at is not None:
            return "revoked"
        if key.expires_at is not None and key.expires_at <= timezone.now():
            return "expired"
        return "active" if key.expires_at is None else "active (expires)"

    @admin.action(description="Revoke the selected keys now")
    def revoke_keys(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s); their next request is refused.")

    @admin.action(description="Rotate the selected keys (old ones keep working for 24 hours)")
    def rotate_keys(self, request, queryset):
        for key in queryset:
            try:
                new, plaintext = api_key_rotate(key=key, overlap=DEFAULT_ROTATION_OVERLAP)
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                continue
            # Shown this once and never again: only a hash is stored.
            self.message_user(
                request,
                f"New key for {new.merchant} / {new.name}: {plaintext} (copy it now; it is not shown again)",
                level=messages.WARNING,
            )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The team audit log, read-only: entries are written by the services that make the changes."""

    list_display = ["created_at", "merchant", "actor_name", "action", "subject", "detail"]
    list_filter = ["action"]
    search_fields = ["merchant__name", "actor_name", "subject"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "merchant", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    search_fields = ["email", "merchant__name"]
    exclude = ["nonce_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
