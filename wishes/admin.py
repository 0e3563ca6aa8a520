"""Micro-wishes in the admin, scoped: station staff see their stations' beneficiaries and wishes, street administrators their street's.

Statuses move only through `wishes.services`, from list actions (submit, publish, withdraw; confirm, send back or
release the live claim) and from the claim's page (the same decisions, handing the claim on to another verified
party member, approving which fulfilment photos may be public). No form here writes a status: the wish form saves
its content fields by name (`update_fields`), so a claim made while someone edits the wish's text is never
overwritten. The history of a wish (WishEvent) is shown on its page and is never editable, by anyone.

Privacy of beneficiaries:
- Lists, the wish export and the beneficiary form show phone numbers and addresses masked (138****5678) unless the
  member of staff holds `wishes.view_beneficiary_contact`, which no role carries. The export, a file that leaves the
  portal, masks the name too (胡**) without it: see `wishes.resources`.
- Adding a beneficiary, a station worker types the phone and address as usual: they have them in front of them.
  Once saved, staff without the permission never read them back: the change form shows the masked value and an
  empty box, where typing a new value replaces the stored one and leaving it empty keeps it. So a worker can
  correct a number that changed without being able to read the old one; clearing one takes someone with the
  permission. Search looks at names only, never at phones or addresses, so it can't be used to guess them.

- A wish's own photo is re-encoded on upload (no EXIF, so no GPS position of the home; a random file name).

Quick entry: a beneficiary's page lists their wishes (read-only, each linking to its page) and has rows for new
ones, each created through `services.wish_create` (a draft, with the default alias and a first history entry).
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportActionMixin
from import_export.formats.base_formats import CSV, XLSX

from portal import scopes
from portal.admin_scoping import ScopedModelAdmin, ScopedTabularInline, apply_to_each
from portal.audit import audit_log
from portal.models import Membership, Neighbourhood, Organisation
from stations.hours import local_now
from stations.models import Station
from stations.services import reencoded_photo
from wishes import services
from wishes.models import (
    Beneficiary,
    Campaign,
    CampaignTarget,
    Claim,
    ClaimPhoto,
    ServiceVisit,
    Wish,
    WishEvent,
    mask_address,
    mask_phone,
)
from wishes.resources import WishResource, live_claim, live_claim_prefetch, sees_contact

scopes.register(Beneficiary, street=["station__street"], station=["station"])
scopes.register(Wish, street=["station__street"], station=["station"])
scopes.register(WishEvent, street=["wish__station__street"], station=["wish__station"])
scopes.register(Claim, street=["wish__station__street"], station=["wish__station"])
scopes.register(ClaimPhoto, street=["claim__wish__station__street"], station=["claim__wish__station"])
scopes.register(ServiceVisit, street=["claim__wish__station__street"], station=["claim__wish__station"])
scopes.register(Campaign, street=["street"], station=["stations"])
scopes.register(CampaignTarget, street=["campaign__street"], station=["campaign__stations"])

DUE_SOON = timedelta(days=3)
# A wish's text can be corrected until someone has pledged to fulfil it; what they pledged to then stays put.
EDITABLE_STATUSES = (Wish.Status.DRAFT, Wish.Status.REVIEW, Wish.Status.PUBLISHED)
# A wish typed in by mistake can be deleted before it was ever on the wall; after that it is withdrawn, with a reason.
DELETABLE_STATUSES = (Wish.Status.DRAFT, Wish.Status.REVIEW)


class _ServiceRefused(Exception):
    """A service refused what the form had accepted; raised out of the admin's transaction, so nothing is saved."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ServiceRefusalMixin:
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ServiceRefused as refused:
            self.message_user(request, gettext("Nothing was saved: %s") % refused.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _who(claim):
    """The claimer as staff call them: the organisation they claimed for, or the person."""
    if claim.organisation_id:
        return f"{claim.organisation.name} · {claim.claimer}"
    return str(claim.claimer)


class ReasonActionForm(helpers.ActionForm):
    reason = forms.CharField(
        label=_("Reason (to withdraw, send back or release)"), required=False, max_length=300,
        widget=forms.TextInput(attrs={"size": 40}),
    )


def _reason(request):
    return (request.POST.get("reason") or "").strip()[:300]


class _DeadlineFilter(admin.SimpleListFilter):
    """Open claims (being fulfilled or reported) past their deadline, or due within three days."""

    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("soon", _("Due within 3 days"))]

    def open_claims(self):
        now = timezone.now()
        claims = Claim.objects.filter(status__in=Claim.OPEN)
        if self.value() == "overdue":
            return claims.filter(deadline__lt=now)
        if self.value() == "soon":
            return claims.filter(deadline__gte=now, deadline__lt=now + DUE_SOON)
        return None


class WishDeadlineFilter(_DeadlineFilter):
    def queryset(self, request, queryset):
        claims = self.open_claims()
        return queryset if claims is None else queryset.filter(pk__in=claims.values("wish_id"))


class ClaimDeadlineFilter(_DeadlineFilter):
    def queryset(self, request, queryset):
        claims = self.open_claims()
        return queryset if claims is None else queryset.filter(pk__in=claims.values("pk"))


class WishRulesMixin:
    """The service's rules for a wish's content (the value cap, only a service repeats), as form errors."""

    def clean(self):
        cleaned = super().clean()
        if {"category", "recurrence", "estimated_value"} & set(self.errors):
            return cleaned  # those errors come first
        instance = self.instance
        probe = Wish(
            category=cleaned.get("category", instance.category),
            recurrence=cleaned.get("recurrence", instance.recurrence) or "",
            estimated_value=cleaned.get("estimated_value", instance.estimated_value) or 0,
        )
        try:
            services.check_wish(probe)
        except services.WishError as error:
            raise ValidationError(error.message) from error
        return cleaned


# ---------------------------------------------------------------------------
# Beneficiaries, with their wishes


class BeneficiaryAdminForm(forms.ModelForm):
    # Set by BeneficiaryAdmin.get_form: the stored phone and address are not shown to this user.
    contact_hidden = False

    class Meta:
        model = Beneficiary
        fields = ["full_name", "gender", "birth_year", "hardship", "station", "neighbourhood", "phone", "address", "consent_on", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.contact_hidden and self.instance.pk):
            return
        for name, mask in (("phone", mask_phone), ("address", mask_address)):
            field = self.fields.get(name)
            if field is None:
                continue
            shown = mask(getattr(self.instance, name))
            self.initial[name] = ""
            field.widget.attrs["placeholder"] = shown
            field.widget.attrs["autocomplete"] = "off"
            field.help_text = (
                gettext("Stored: %(value)s. Type a new one to replace it; leave the box empty to keep it.") % {"value": shown}
                if shown else gettext("None stored yet.")
            )

    def _kept(self, name):
        value = self.cleaned_data.get(name, "")
        if self.contact_hidden and self.instance.pk and not value:
            return getattr(self.instance, name)  # an empty box keeps what is stored
        return value

    def clean_phone(self):
        return self._kept("phone")

    def clean_address(self):
        return self._kept("address")

    def clean(self):
        cleaned = super().clean()
        station, neighbourhood = cleaned.get("station"), cleaned.get("neighbourhood")
        if station and neighbourhood and neighbourhood.street_id != station.street_id:
            self.add_error("neighbourhood", _("Choose a neighbourhood or village of the station's street or town."))
        return cleaned


class WishListInline(ScopedTabularInline):
    """The beneficiary's wishes, to read: each is changed on its own page, its status only through the services."""

    model = Wish
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["alias", "title", "category", "estimated_value", "campaign", "status", "published_at"]
    readonly_fields = fields
    verbose_name_plural = _("wishes")

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("campaign")
        return scopes.scoped_queryset(request.user, qs, for_change=False)

    def has_add_permission(self, request, obj=None):
        return False


class NewWishForm(WishRulesMixin, forms.ModelForm):
    class Meta:
        model = Wish
        fields = ["title", "category", "estimated_value", "campaign", "alias", "recurrence", "people_served"]
        widgets = {
            "title": forms.TextInput(attrs={"size": 24}),
            "alias": forms.TextInput(attrs={"size": 8}),
            "estimated_value": forms.NumberInput(attrs={"style": "width: 6em", "min": 0, "step": "0.01"}),
            "people_served": forms.NumberInput(attrs={"style": "width: 4em", "min": 1}),
        }


class NewWishInline(ScopedTabularInline):
    """Rows for new wishes, entered with the beneficiary; saved as drafts through `services.wish_create`."""

    model = Wish
    form = NewWishForm
    extra = 1
    can_delete = False
    fields = ["title", "category", "estimated_value", "campaign", "alias", "recurrence", "people_served"]
    verbose_name = _("new wish")
    verbose_name_plural = _("new wishes")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Beneficiary)
class BeneficiaryAdmin(ServiceRefusalMixin, ScopedModelAdmin):
    form = BeneficiaryAdminForm
    list_filter = ["hardship", ("station", admin.RelatedOnlyFieldListFilter), ("neighbourhood", admin.RelatedOnlyFieldListFilter)]
    # Names only: searching phones or addresses would let staff without the permission guess them.
    search_fields = ["full_name"]
    list_select_related = ["station", "neighbourhood"]
    readonly_fields = ["consent_recorded_by"]
    fieldsets = [
        (None, {"fields": ["full_name", ("gender", "birth_year"), "hardship", "station", "neighbourhood"]}),
        (_("Contact"), {"fields": ["phone", "address"]}),
        (_("Consent to publish"), {"fields": ["consent_on", "consent_recorded_by"]}),
        (_("Staff notes"), {"fields": ["notes"]}),
    ]
    inlines = [WishListInline, NewWishInline]
    actions = ["record_consent"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(wish_count=Count("wishes"))

    def get_list_display(self, request):
        contact = ["phone", "address"] if sees_contact(request.user) else ["masked_phone", "masked_address"]
        return ["full_name", "gender", "birth_year", "neighbourhood", "station", *contact, "hardship", "consent_on", "wishes_entered"]

    @admin.display(description=_("phone"))
    def masked_phone(self, beneficiary):
        return mask_phone(beneficiary.phone)

    @admin.display(description=_("address"))
    def masked_address(self, beneficiary):
        return mask_address(beneficiary.address)

    @admin.display(description=_("wishes"), ordering="wish_count")
    def wishes_entered(self, beneficiary):
        return beneficiary.wish_count

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.contact_hidden = obj is not None and not sees_contact(request.user)  # a fresh class each call
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        stations = scopes.scope_of(request.user).stations
        if len(stations) == 1 and "station" not in initial:
            initial["station"] = next(iter(stations))
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "neighbourhood" and field is not None:
            # Neighbourhoods belong to streets, not stations: offer those of the streets of the stations this person
            # looks after (station staff included), and the one the beneficiary has now.
            streets = Station.objects.filter(scopes.scope_q(request.user, Station)).values("street_id")
            allowed = Q(street__in=streets)
            current = getattr(request, "_scoped_admin_obj", None)
            if isinstance(current, Beneficiary) and current.neighbourhood_id:
                allowed |= Q(pk=current.neighbourhood_id)
            field.queryset = Neighbourhood.objects.filter(allowed).order_by("name")
        return field

    def has_delete_permission(self, request, obj=None):
        # Wishes keep their beneficiary (and their claims, their history): only someone entered by mistake goes.
        if obj is not None and obj.wishes.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if "consent_on" in form.changed_data:
            obj.consent_recorded_by = request.user if obj.consent_on else None
        super().save_model(request, obj, form, change)
        if "consent_on" in form.changed_data:
            audit_log(action="wishes.beneficiary.consent", actor=request.user, target=obj,
                      data={"on": obj.consent_on.isoformat() if obj.consent_on else None})

    def save_formset(self, request, form, formset, change):
        if not issubclass(formset.form, NewWishForm):
            return super().save_formset(request, form, formset, change)
        beneficiary = form.instance
        created = []
        for wish_form in formset.forms:
            if not wish_form.has_changed():
                continue
            data = wish_form.cleaned_data
            try:
                created.append(services.wish_create(
                    beneficiary=beneficiary, station=beneficiary.station, actor=request.user, title=data["title"],
                    category=data["category"], estimated_value=data.get("estimated_value") or 0, campaign=data.get("campaign"),
                    alias=data.get("alias") or "", recurrence=data.get("recurrence") or "", people_served=data.get("people_served") or 1,
                ))
            except services.WishError as error:
                raise _ServiceRefused(error.message) from error
        # What the admin's change message reads (formset.save() would have set these).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = created, [], []

    @admin.action(description=_("Record consent given today"), permissions=["change"])
    def record_consent(self, request, queryset):
        today, recorded, already = local_now().date(), 0, 0
        for beneficiary in queryset.order_by("pk"):
            if not self.has_change_permission(request, beneficiary):
                continue
            if services.beneficiary_consent_record(beneficiary=beneficiary, actor=request.user, on=today):
                recorded += 1
            else:
                already += 1
        if recorded:
            self.message_user(request, ngettext("Consent recorded for %d person.", "Consent recorded for %d people.", recorded) % recorded,
                              messages.SUCCESS)
        if already:
            self.message_user(request, ngettext("%d person had given consent already; left as it was.",
                                                "%d people had given consent already; left as it was.", already) % already,
                              messages.INFO)


# ---------------------------------------------------------------------------
# Wishes


class WishAdminForm(WishRulesMixin, forms.ModelForm):
    class Meta:
        model = Wish
        fields = ["beneficiary", "station", "campaign", "alias", "category", "title", "story", "estimated_value", "people_served",
                  "recurrence", "photo", "photo_is_public", "expires_on", "thanks_note", "thanks_is_public"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if isinstance(photo, UploadedFile):
            # Re-encoded like every photo the portal keeps: no EXIF (a phone's GPS would give the home away).
            return reencoded_photo(photo)
        return photo


@admin.register(Wish)
class WishAdmin(ServiceRefusalMixin, ExportActionMixin, ScopedModelAdmin):
    form = WishAdminForm
    action_form = ReasonActionForm
    list_display = ["alias", "title", "neighbourhood", "station", "campaign", "category", "estimated_value", "status",
                    "claimed_by", "deadline"]
    list_display_links = ["alias", "title"]
    list_filter = ["status", ("station", admin.RelatedOnlyFieldListFilter), ("campaign", admin.RelatedOnlyFieldListFilter),
                   "category", WishDeadlineFilter]
    search_fields = ["title", "alias", "beneficiary__full_name"]
    list_select_related = ["beneficiary__neighbourhood", "station", "campaign"]
    date_hierarchy = "created_at"
    # Drafts (not yet published) first, on SQLite and PostgreSQL alike (they sort NULLs differently): they wait for staff.
    ordering = [F("published_at").desc(nulls_first=True), "-created_at", "-pk"]
    autocomplete_fields = ["beneficiary"]
    actions = ["submit_for_review", "publish", "withdraw", "confirm_fulfilment", "send_back_report", "release_claim"]
    content_fields = ["alias", "title", "story", "category", "estimated_value", "people_served", "recurrence", "photo"]
    # What the change form writes itself, by name; statuses and dates are the services'.
    saved_by_the_form = {"station", "campaign", *content_fields, "photo_is_public", "expires_on"}
    wish_fieldset = (None, {"fields": [
        "beneficiary", "station", "campaign", ("alias", "category"), "title", "story",
        ("estimated_value", "people_served", "recurrence"), ("photo", "photo_is_public"), "expires_on",
    ]})

    # Export for the street office (django-import-export): the filtered list, phones and addresses masked unless permitted.
    resource_classes = [WishResource]
    export_formats = [CSV, XLSX]
    show_change_form_export = False  # one wish is read on its page; exports are of the (filtered) list
    change_form_template = None  # back to admin/wishes/wish/change_form.html instead of import-export's
    to_encoding = "utf-8-sig"  # with a BOM, so Excel reads the Chinese in a CSV correctly

    def get_queryset(self, request):
        open_deadline = Claim.objects.filter(wish=OuterRef("pk"), status__in=Claim.OPEN).values("deadline")[:1]
        return super().get_queryset(request).annotate(open_deadline=Subquery(open_deadline)).prefetch_related(live_claim_prefetch())

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_valid_export_item_pks(self, request):
        return self.get_queryset(request).values_list("pk", flat=True)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [self.wish_fieldset]
        return [
            self.wish_fieldset,
            (_("Status and claim"), {"fields": ["status", "published_at", "current_claim"]}),
            (_("Thank-you note"), {"fields": ["thanks_note", "thanks_is_public"],
                                   "description": _("Recorded once the wish is fulfilled.")}),
            (_("History"), {"fields": ["timeline"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = ["status", "published_at", "current_claim", "timeline", "beneficiary"]
        if obj.status not in DELETABLE_STATUSES:
            fields.append("station")
        if obj.status not in EDITABLE_STATUSES:
            fields += self.content_fields
        if obj.status != Wish.Status.FULFILLED:
            fields += ["thanks_note", "thanks_is_public"]
        return fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, where has_delete_permission sees each wish
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.status not in DELETABLE_STATUSES or obj.claims.exists()):
            return False
        return super().has_delete_permission(request, obj)

    # --- columns

    @admin.display(description=_("neighbourhood or village"), ordering="beneficiary__neighbourhood__name")
    def neighbourhood(self, wish):
        return wish.beneficiary.neighbourhood

    @admin.display(description=_("claimer"))
    def claimed_by(self, wish):
        claim = live_claim(wish)
        return _who(claim) if claim else "—"

    @admin.display(description=_("fulfil by"), ordering="open_deadline")
    def deadline(self, wish):
        moment = getattr(wish, "open_deadline", None)
        if moment is None:
            return "—"
        text = timezone.localtime(moment).strftime("%Y-%m-%d")
        if moment < timezone.now():
            return format_html("<strong>{}</strong> · {}", text, gettext("overdue"))
        return text

    # --- the change page

    @admin.display(description=_("claim"))
    def current_claim(self, wish):
        claim = live_claim(wish)
        if claim is None:
            return "—"
        return render_to_string("admin/wishes/wish/live_claim.html", {
            "claim": claim,
            "who": _who(claim),
            "photos": list(claim.photos.all()),
            "claim_url": reverse("admin:wishes_claim_change", args=[claim.pk]),
            "reassign_url": reverse("admin:wishes_claim_reassign", args=[claim.pk]) if claim.status in Claim.OPEN else "",
        })

    @admin.display(description=_("history"))
    def timeline(self, wish):
        events = wish.history.select_related("actor").order_by("at", "pk")
        return render_to_string("admin/wishes/wish/timeline.html", {"events": events})

    # --- saving: content by name through the form, new wishes and thanks through the services

    def save_model(self, request, obj, form, change):
        if not change:
            try:
                made = services.wish_create(
                    beneficiary=obj.beneficiary, station=obj.station, title=obj.title, category=obj.category, actor=request.user,
                    story=obj.story, estimated_value=obj.estimated_value, campaign=obj.campaign, alias=obj.alias,
                    recurrence=obj.recurrence, people_served=obj.people_served,
                )
            except services.WishError as error:
                raise _ServiceRefused(error.message) from error
            made.photo, made.photo_is_public, made.expires_on = obj.photo, obj.photo_is_public, obj.expires_on
            made.save(update_fields=["photo", "photo_is_public", "expires_on", "updated_at"])
            obj.__dict__.update({k: v for k, v in made.__dict__.items() if k != "_state"})
            obj._state.adding = False
            obj._state.db = made._state.db
            self.ensure_in_scope(request, obj)
            return
        changed = [name for name in form.changed_data if name in self.saved_by_the_form]
        if "alias" in changed and not obj.alias:
            obj.alias = obj.beneficiary.default_alias(year=local_now().year)
        if changed:
            obj.save(update_fields=[*changed, "updated_at"])
        self.ensure_in_scope(request, obj)
        if {"thanks_note", "thanks_is_public"} & set(form.changed_data):
            try:
                services.wish_record_thanks(wish=obj, actor=request.user, note=obj.thanks_note, public=obj.thanks_is_public)
            except services.WishError as error:
                raise _ServiceRefused(error.message) from error

    # --- actions: one service call per wish; a refusal is reported for that wish and the others go on

    def _each(self, request, queryset, call):
        return apply_to_each(self, request, queryset.order_by("pk"), call)

    def _open_claim(self, wish):
        claim = Claim.objects.filter(wish=wish, status__in=Claim.OPEN).first()
        if claim is None:
            raise services.WishError(gettext("No one is fulfilling this wish now."))
        return claim

    def _needs_reason(self, request):
        reason = _reason(request)
        if not reason:
            self.message_user(request, gettext("Please give the reason in the box next to the action; the people concerned will see it."),
                              messages.ERROR)
        return reason

    @admin.action(description=_("Send the selected drafts for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        done = self._each(request, queryset, lambda wish: services.wish_submit(wish=wish, actor=request.user))
        if done:
            self.message_user(request, ngettext("%d wish was sent for review.", "%d wishes were sent for review.", done) % done,
                              messages.SUCCESS)

    @admin.action(description=_("Publish the selected wishes on the wall"), permissions=["change"])
    def publish(self, request, queryset):
        done = self._each(request, queryset, lambda wish: services.wish_publish(wish=wish, actor=request.user))
        if done:
            self.message_user(request, ngettext("%d wish was published.", "%d wishes were published.", done) % done, messages.SUCCESS)

    @admin.action(description=_("Withdraw the selected wishes with the reason given"), permissions=["change"])
    def withdraw(self, request, queryset):
        reason = self._needs_reason(request)
        if not reason:
            return
        done = self._each(request, queryset, lambda wish: services.wish_withdraw(wish=wish, actor=request.user, reason=reason))
        if done:
            self.message_user(request, ngettext("%d wish was withdrawn.", "%d wishes were withdrawn.", done) % done, messages.SUCCESS)

    @admin.action(description=_("Confirm the reported fulfilment of the selected wishes"), permissions=["change"])
    def confirm_fulfilment(self, request, queryset):
        done = self._each(request, queryset, lambda wish: services.claim_confirm(claim=self._open_claim(wish), actor=request.user))
        if done:
            self.message_user(request, ngettext("%d wish is fulfilled; its claimer was told.", "%d wishes are fulfilled; their claimers were told.",
                                                done) % done, messages.SUCCESS)

    @admin.action(description=_("Send the fulfilment report back with the reason given"), permissions=["change"])
    def send_back_report(self, request, queryset):
        reason = self._needs_reason(request)
        if not reason:
            return
        done = self._each(request, queryset,
                          lambda wish: services.claim_send_back(claim=self._open_claim(wish), actor=request.user, reason=reason))
        if done:
            self.message_user(request, ngettext("%d report was sent back to its claimer.", "%d reports were sent back to their claimers.",
                                                done) % done, messages.SUCCESS)

    @admin.action(description=_("Release the claim with the reason given (the wish goes back on the wall)"), permissions=["change"])
    def release_claim(self, request, queryset):
        reason = self._needs_reason(request)
        if not reason:
            return
        done = self._each(request, queryset,
                          lambda wish: services.claim_release(claim=self._open_claim(wish), actor=request.user, reason=reason))
        if done:
            self.message_user(request, ngettext("%d claim was released; the wish is back on the wall.",
                                                "%d claims were released; the wishes are back on the wall.", done) % done, messages.SUCCESS)


# ---------------------------------------------------------------------------
# Claims: the fulfilment report, its photos, the station's decision, handing a claim on


class ClaimAdminForm(forms.ModelForm):
    CONFIRM, SEND_BACK, RELEASE = "confirm", "send_back", "release"
    decision = forms.ChoiceField(
        label=_("decision"), required=False,
        choices=[("", "—"), (CONFIRM, _("Confirm the fulfilment")), (SEND_BACK, _("Send the report back to the claimer")),
                 (RELEASE, _("Release the claim: the wish goes back on the wall"))],
    )
    reason = forms.CharField(
        label=_("reason"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Needed to send a report back or release a claim; the claimer reads it."),
    )

    class Meta:
        model = Claim
        fields = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") in (self.SEND_BACK, self.RELEASE) and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Please say why; the claimer will see it."))
        return cleaned


class ClaimPhotoInline(ScopedTabularInline):
    """The report's photos. Whether one may be shown publicly is set through `services.claim_photo_publish`."""

    model = ClaimPhoto
    extra = 0
    can_delete = False
    fields = ["preview", "is_public", "created_at"]
    readonly_fields = ["preview", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("photo"))
    def preview(self, photo):
        if not photo.pk:
            return "—"
        return format_html('<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" style="max-height:120px;max-width:180px"></a>',
                           photo.image.url, photo.thumbnail.url, gettext("Fulfilment photo (opens full size)"))


class VisitInline(ScopedTabularInline):
    model = ServiceVisit
    extra = 0
    can_delete = False
    fields = ["on", "people_served", "note", "recorded_by"]
    readonly_fields = fields
    verbose_name_plural = _("service visits")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")

    def has_add_permission(self, request, obj=None):
        return False


class NewVisitForm(forms.ModelForm):
    class Meta:
        model = ServiceVisit
        fields = ["on", "people_served", "note"]


class NewVisitInline(ScopedTabularInline):
    """A visit of a repeating service, recorded by the station through `services.visit_record`."""

    model = ServiceVisit
    form = NewVisitForm
    extra = 1
    can_delete = False
    fields = ["on", "people_served", "note"]
    verbose_name = _("visit to record")
    verbose_name_plural = _("record a visit")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class ReassignForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the new claimer"),
        help_text=_("A party member whose membership has been verified. Ask them first: they are told at once."),
    )
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"), required=False, queryset=Organisation.objects.none(),
        help_text=_("Only if they take it on as the representative of their party organisation."),
    )
    reason = forms.CharField(label=_("Why the claim is handed on"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text=_("Both people read it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Party organisations someone may claim for: those with a verified representative or manager.
        self.fields["organisation"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.PARTY, is_active=True, memberships__verified_at__isnull=False,
            memberships__role__in=[Membership.Role.REPRESENTATIVE, Membership.Role.MANAGER],
        ).distinct().order_by("name")

    def clean_email(self):
        email = self.cleaned_data["email"]
        self.to_user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if self.to_user is None:
            raise ValidationError(_("No one has an account with this e-mail address."))
        return email


@admin.register(Claim)
class ClaimAdmin(ServiceRefusalMixin, ScopedModelAdmin):
    form = ClaimAdminForm
    action_form = ReasonActionForm
    list_display = ["wish", "station", "claimer_name", "organisation", "status", "claimed_at", "deadline", "reported_at", "confirmed_at"]
    list_filter = ["status", ClaimDeadlineFilter, ("wish__station", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["wish__title", "wish__alias", "claimer__email", "claimer__display_name", "organisation__name"]
    list_select_related = ["wish__station", "claimer", "organisation"]
    date_hierarchy = "created_at"
    actions = ["confirm_selected", "send_back_selected", "release_selected"]
    claim_fields = ["wish_link", "station", "claimer_name", "claimer_contact", "organisation", "status", "claimed_at", "deadline",
                    "commitment_until", "reminders_sent", "reminded_at"]
    report_fields = ["report_note", "reported_at", "sent_back_note", "confirmed_at", "confirmed_by", "released_note"]
    readonly_fields = [*claim_fields, *report_fields]

    def get_queryset(self, request):
        # The change list applies list_select_related only to a queryset that selects nothing yet: name it all here.
        return super().get_queryset(request).select_related(*self.list_select_related, "confirmed_by")

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": self.claim_fields}), (_("Fulfilment report"), {"fields": self.report_fields})]
        if obj is not None and obj.status in Claim.OPEN:
            fieldsets.append((_("The station's decision"), {"fields": ["decision", "reason"]}))
        return fieldsets

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        inlines = [ClaimPhotoInline]
        if obj.wish.is_recurring:
            inlines.append(VisitInline)
            if obj.status == Claim.Status.ACTIVE:
                inlines.append(NewVisitInline)
        return inlines

    # Claims are made by party members on the site and stay as history: never added or deleted here.
    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        opts = self.model._meta
        reassign = path("<path:object_id>/reassign/", self.admin_site.admin_view(self.reassign_view),
                        name=f"{opts.app_label}_{opts.model_name}_reassign")
        return [reassign, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.status in Claim.OPEN and self.has_change_permission(request, obj):
            context["reassign_url"] = reverse("admin:wishes_claim_reassign", args=[obj.pk])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # --- columns and fields

    @admin.display(description=_("wish"))
    def wish_link(self, claim):
        return format_html('<a href="{}">{}</a>', reverse("admin:wishes_wish_change", args=[claim.wish_id]), claim.wish)

    @admin.display(description=_("station"), ordering="wish__station__name")
    def station(self, claim):
        return claim.wish.station

    @admin.display(description=_("claimer"), ordering="claimer__display_name")
    def claimer_name(self, claim):
        return claim.claimer

    @admin.display(description=_("how to reach them"))
    def claimer_contact(self, claim):
        return " · ".join(part for part in (claim.claimer.email, claim.claimer.phone) if part)

    @admin.display(description=_("claimed at"), ordering="created_at")
    def claimed_at(self, claim):
        # As a string: the change page's read-only fields print a callable's datetime as it is, in UTC.
        return formats.localize(timezone.localtime(claim.created_at))

    # --- saving: the decision through the services; nothing of the claim is written by the form

    def save_model(self, request, obj, form, change):
        decision, reason = form.cleaned_data.get("decision"), (form.cleaned_data.get("reason") or "").strip()
        try:
            if decision == ClaimAdminForm.CONFIRM:
                services.claim_confirm(claim=obj, actor=request.user)
                self.message_user(request, gettext("The wish is fulfilled; its claimer was told."), messages.SUCCESS)
            elif decision == ClaimAdminForm.SEND_BACK:
                services.claim_send_back(claim=obj, actor=request.user, reason=reason)
                self.message_user(request, gettext("The report was sent back to the claimer."), messages.SUCCESS)
            elif decision == ClaimAdminForm.RELEASE:
                services.claim_release(claim=obj, actor=request.user, reason=reason)
                self.message_user(request, gettext("The claim was released; the wish is back on the wall."), messages.SUCCESS)
        except services.WishError as error:
            raise _ServiceRefused(error.message) from error

    def save_formset(self, request, form, formset, change):
        changed, created = [], []
        if formset.model is ClaimPhoto:
            for photo_form in formset.initial_forms:
                if "is_public" in photo_form.changed_data:
                    try:
                        services.claim_photo_publish(photo=photo_form.instance, actor=request.user,
                                                     public=photo_form.cleaned_data["is_public"])
                    except services.WishError as error:
                        raise _ServiceRefused(error.message) from error
                    changed.append((photo_form.instance, ["is_public"]))
        elif issubclass(formset.form, NewVisitForm):
            for visit_form in formset.forms:
                if not visit_form.has_changed():
                    continue
                data = visit_form.cleaned_data
                try:
                    created.append(services.visit_record(claim=form.instance, actor=request.user, on=data["on"],
                                                         people_served=data["people_served"], note=data.get("note") or ""))
                except services.WishError as error:
                    raise _ServiceRefused(error.message) from error
        # Recorded visits are read-only: nothing else to save.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = created, changed, []

    # --- handing a claim on

    def reassign_view(self, request, object_id):
        claim = Claim.objects.select_related("wish__station", "claimer", "organisation").filter(pk=unquote(object_id)).first()
        if claim is None:
            raise Http404
        if not self.has_change_permission(request, claim):
            raise PermissionDenied
        change_url = reverse("admin:wishes_claim_change", args=[claim.pk])
        if claim.status not in Claim.OPEN:
            self.message_user(request, gettext("Only an open claim can be handed on."), messages.WARNING)
            return HttpResponseRedirect(change_url)
        form = ReassignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                new = services.claim_reassign(claim=claim, actor=request.user, to_user=form.to_user,
                                              organisation=form.cleaned_data["organisation"], reason=form.cleaned_data["reason"])
            except services.WishError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, gettext("The claim was handed on to %(who)s; both people were told.") % {"who": _who(new)},
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:wishes_claim_change", args=[new.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Hand the claim on to someone else"),
            "subtitle": str(claim.wish),
            "opts": self.model._meta,
            "original": claim,
            "who": _who(claim),
            "adminform": helpers.AdminForm(form, [(None, {"fields": ["email", "organisation", "reason"]})], {}),
            "form": form,
            "media": self.media + form.media,
            "errors": helpers.AdminErrorList(form, []),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/wishes/claim/reassign.html", context)

    # --- actions

    def _decide(self, request, queryset, call):
        return apply_to_each(self, request, queryset.select_related("wish").order_by("pk"), call, label=lambda claim: claim.wish)

    @admin.action(description=_("Confirm the reported fulfilment"), permissions=["change"])
    def confirm_selected(self, request, queryset):
        done = self._decide(request, queryset, lambda claim: services.claim_confirm(claim=claim, actor=request.user))
        if done:
            self.message_user(request, ngettext("%d fulfilment was confirmed.", "%d fulfilments were confirmed.", done) % done,
                              messages.SUCCESS)

    @admin.action(description=_("Send the report back with the reason given"), permissions=["change"])
    def send_back_selected(self, request, queryset):
        reason = _reason(request)
        if not reason:
            self.message_user(request, gettext("Please give the reason in the box next to the action; the claimer will see it."),
                              messages.ERROR)
            return
        done = self._decide(request, queryset, lambda claim: services.claim_send_back(claim=claim, actor=request.user, reason=reason))
        if done:
            self.message_user(request, ngettext("%d report was sent back.", "%d reports were sent back.", done) % done, messages.SUCCESS)

    @admin.action(description=_("Release the claims with the reason given"), permissions=["change"])
    def release_selected(self, request, queryset):
        reason = _reason(request)
        if not reason:
            self.message_user(request, gettext("Please give the reason in the box next to the action; the claimer will see it."),
                              messages.ERROR)
            return
        done = self._decide(request, queryset, lambda claim: services.claim_release(claim=claim, actor=request.user, reason=reason))
        if done:
            self.message_user(request, ngettext("%d claim was released.", "%d claims were released.", done) % done, messages.SUCCESS)


# ---------------------------------------------------------------------------
# Campaigns: the street's wish drives, with what each party organisation is asked to take on


class CampaignAdminForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "street", "stations", "starts_on", "ends_on", "target_wishes", "description"]

    def clean(self):
        cleaned = super().clean()
        street, stations = cleaned.get("street"), cleaned.get("stations")
        if street and stations and any(station.street_id != street.pk for station in stations):
            self.add_error("stations", _("Choose stations of the campaign's street or town."))
        return cleaned


class CampaignTargetInline(ScopedTabularInline):
    model = CampaignTarget
    extra = 1
    fields = ["organisation", "wishes", "progress"]
    readonly_fields = ["progress"]

    def get_queryset(self, request):
        def count(statuses):
            claims = (Claim.objects.filter(organisation=OuterRef("organisation"), wish__campaign=OuterRef("campaign"), status__in=statuses)
                      .order_by().values("organisation").annotate(n=Count("pk")).values("n"))
            return Coalesce(Subquery(claims, output_field=IntegerField()), 0)

        return super().get_queryset(request).select_related("organisation").annotate(
            claimed_count=count(Claim.LIVE), fulfilled_count=count([Claim.Status.CONFIRMED]),
        )

    @admin.display(description=_("progress"))
    def progress(self, target):
        claimed = getattr(target, "claimed_count", None)
        if claimed is None:
            return "—"
        return gettext("%(claimed)d of %(asked)d claimed, %(fulfilled)d fulfilled") % {
            "claimed": claimed, "asked": target.wishes, "fulfilled": target.fulfilled_count,
        }


@admin.register(Campaign)
class CampaignAdmin(ScopedModelAdmin):
    form = CampaignAdminForm
    list_display = ["name", "street", "starts_on", "ends_on", "target_wishes", "collected", "claimed", "fulfilled"]
    list_filter = [("street", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    list_select_related = ["street__district"]
    date_hierarchy = "starts_on"
    filter_horizontal = ["stations"]
    fields = ["name", "street", "stations", ("starts_on", "ends_on"), "target_wishes", "description"]
    inlines = [CampaignTargetInline]

    def get_queryset(self, request):
        taken = [Wish.Status.CLAIMED, Wish.Status.REPORTED, Wish.Status.FULFILLED]
        return super().get_queryset(request).annotate(
            wishes_collected=Count("wishes", distinct=True),
            wishes_claimed=Count("wishes", filter=Q(wishes__status__in=taken), distinct=True),
            wishes_fulfilled=Count("wishes", filter=Q(wishes__status=Wish.Status.FULFILLED), distinct=True),
        )

    def has_delete_permission(self, request, obj=None):
        # Its wishes would lose their campaign, and the organisations their record of it.
        if obj is not None and obj.wishes.exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("wishes collected"), ordering="wishes_collected")
    def collected(self, campaign):
        return campaign.wishes_collected

    @admin.display(description=_("claimed"), ordering="wishes_claimed")
    def claimed(self, campaign):
        return campaign.wishes_claimed

    @admin.display(description=_("fulfilled"), ordering="wishes_fulfilled")
    def fulfilled(self, campaign):
        return campaign.wishes_fulfilled
