from allauth.account.admin import EmailAddressAdmin as BaseEmailAddressAdmin
from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import scopes, services
from portal.admin_scoping import ScopedAdminMixin, ScopedModelAdmin, ScopedTabularInline
from portal.models import (
    AuditEntry,
    Building,
    District,
    Membership,
    Neighbourhood,
    Notification,
    NotificationDelivery,
    Organisation,
    Residence,
    StaffAssignment,
    Street,
    User,
)

admin.site.site_header = _("Community Station Portal — staff")
admin.site.site_title = _("Station staff")
admin.site.index_title = _("What you look after")

# How each core model reaches the street, station or merchant that governs it.
scopes.register(District, reference=True)
scopes.register(Street, street=["pk"], reference=True)
scopes.register(Neighbourhood, street=["street"], reference=True)
scopes.register(Building, street=["street"], reference=True)
scopes.register(Organisation, street=["street"], station=["building__stations"], merchant=["pk"])
scopes.register(Membership, street=["organisation__street"], station=["organisation__building__stations"])
scopes.register(Residence, street=["neighbourhood__street"], station=["neighbourhood__stations"])
scopes.register(
    User,
    street=["memberships__organisation__street", "residences__neighbourhood__street"],
    station=["memberships__organisation__building__stations", "residences__neighbourhood__stations"],
)
scopes.register(StaffAssignment, street=["street", "station__street", "merchant__street"])
scopes.register(Notification)  # personal inboxes: superusers only
scopes.register(NotificationDelivery)
scopes.register(AuditEntry)
scopes.register(Group)
scopes.register(EmailAddress)  # login addresses: superusers only


@admin.register(District)
class DistrictAdmin(ScopedModelAdmin):
    list_display = ["name", "ordering"]
    search_fields = ["name"]


@admin.register(Street)
class StreetAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "district"]
    list_filter = ["district", "kind"]
    search_fields = ["name", "district__name"]
    list_select_related = ["district"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "street"]
    list_filter = ["kind", "street__district"]
    search_fields = ["name", "street__name"]
    list_select_related = ["street__district"]
    autocomplete_fields = ["street"]


@admin.register(Building)
class BuildingAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "street", "address"]
    list_filter = ["kind", "street__district"]
    search_fields = ["name", "address", "street__name"]
    list_select_related = ["street__district"]
    autocomplete_fields = ["street"]


class MembershipInline(ScopedTabularInline):
    model = Membership
    fk_name = "organisation"
    extra = 0
    fields = ["user", "role", "verified_at", "verified_by"]
    readonly_fields = ["user", "verified_at", "verified_by"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "street", "building", "is_active"]
    list_filter = ["kind", "is_active", "street__district"]
    search_fields = ["name", "description"]
    list_select_related = ["street__district", "building"]
    autocomplete_fields = ["street", "building", "parent"]
    inlines = [MembershipInline]


class ClaimAdmin(ScopedModelAdmin):
    """Memberships and residences: staff verify what people say about themselves."""

    list_display = ["user", "verified", "created_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["user", "verified_at", "verified_by", "created_at"]
    actions = ["verify", "unverify"]
    date_hierarchy = "created_at"
    verify_service = None

    @admin.display(boolean=True, description=_("verified"))
    def verified(self, obj):
        return obj.is_verified

    def has_add_permission(self, request):
        return False  # people add their own, from their profile page

    def _set(self, request, queryset, verified):
        for claim in queryset:
            type(self).verify_service(claim, actor=request.user, verified=verified)
        self.message_user(request, ngettext("%d record updated.", "%d records updated.", len(queryset)) % len(queryset),
                          messages.SUCCESS)

    @admin.action(description=_("Verify the selected records"), permissions=["change"])
    def verify(self, request, queryset):
        self._set(request, queryset, True)

    @admin.action(description=_("Withdraw verification of the selected records"), permissions=["change"])
    def unverify(self, request, queryset):
        self._set(request, queryset, False)


@admin.register(Membership)
class MembershipAdmin(ClaimAdmin):
    list_display = ["user", "organisation", "role", "verified", "created_at"]
    list_filter = ClaimAdmin.list_filter + ["role", "organisation__kind"]
    search_fields = ["user__email", "user__display_name", "organisation__name"]
    list_select_related = ["user", "organisation"]
    readonly_fields = ClaimAdmin.readonly_fields + ["organisation"]
    fields = ["user", "organisation", "role", "verified_at", "verified_by", "created_at"]

    @staticmethod
    def verify_service(claim, *, actor, verified):
        return services.membership_verify(membership=claim, actor=actor, verified=verified)


@admin.register(Residence)
class ResidenceAdmin(ClaimAdmin):
    list_display = ["user", "neighbourhood", "verified", "created_at"]
    search_fields = ["user__email", "user__display_name", "neighbourhood__name"]
    list_select_related = ["user", "neighbourhood"]
    readonly_fields = ClaimAdmin.readonly_fields + ["neighbourhood"]
    fields = ["user", "neighbourhood", "verified_at", "verified_by", "created_at"]

    @staticmethod
    def verify_service(claim, *, actor, verified):
        return services.residence_verify(residence=claim, actor=actor, verified=verified)


class StaffAssignmentInline(ScopedTabularInline):
    model = StaffAssignment
    fk_name = "user"
    extra = 0
    fields = ["role", "street", "station", "merchant"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ScopedModelAdmin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "phone", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "language"]
    search_fields = ["email", "display_name", "phone"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [StaffAssignmentInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "phone", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ScopedModelAdmin):
    list_display = ["user", "role", "street", "station", "merchant", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__display_name", "street__name", "station__name", "merchant__name"]
    list_select_related = ["user", "street__district", "station", "merchant"]
    autocomplete_fields = ["user", "street", "station", "merchant"]

    def save_model(self, request, obj, form, change):
        services.staff_assignment_save(assignment=obj, actor=request.user)
        self.ensure_in_scope(request, obj)

    def delete_model(self, request, obj):
        services.staff_unassign(assignment=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for assignment in queryset:
            services.staff_unassign(assignment=assignment, actor=request.user)


class NotificationDeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "status", "attempts", "enqueued_at", "sent_at", "last_error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ScopedModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__email"]
    list_select_related = ["recipient"]
    readonly_fields = ["recipient", "kind", "title", "body", "url", "created_at", "read_at"]
    inlines = [NotificationDeliveryInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedModelAdmin):
    list_display = ["created_at", "action", "actor", "object_repr"]
    list_filter = ["action"]
    search_fields = ["action", "object_repr", "actor__email"]
    list_select_related = ["actor"]
    readonly_fields = ["action", "actor", "content_type", "object_id", "object_repr", "data", "created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ScopedModelAdmin):
    search_fields = ["name"]
    filter_horizontal = ["permissions"]


# allauth registers its own admin; replace it so it follows the same scope rule as every other admin.
admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(ScopedAdminMixin, BaseEmailAddressAdmin):
    pass
