"""White-collar lunch in the admin, scoped: merchant staff see their merchant's, station staff their points', the street its own.

- Merchants are vetted by the street (licence, food-safety rating, inspection). Suspending and reactivating are
  list actions and are audited; the status is never typed into the form.
- Merchant staff keep their menu and their daily offers, with the pickup points each offer serves. Portions
  already ordered (`sold`) are never written from here: the offer's row is locked (an order can neither be written
  nor counted against a row locked so, see lunch.services) and the form's fields are saved by name, so an order placed while someone edits the
  offer is neither lost nor oversold, and a quota can't go below what is ordered.
- Orders, feedback, subsidy counters, accounts and the ledger are read-only: they change through lunch.services
  only, and orders and ledger entries are never deleted.
- Balances: a person's account is not tied to a station (people top up wherever is convenient), so there is no
  list of accounts for staff. Whoever may record money (`services.may_top_up`: station or merchant staff) records
  a top-up and looks up one person's balance and ledger by exact e-mail or mobile number; superusers also get the
  full lists. A lookup is audited.
- Reports (meals per day, subsidy against budget, monthly settlement) are pages of the order admin, scoped like the
  order list, exportable as CSV and XLSX (see lunch.reports).
"""

import re
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Avg, Count, Prefetch, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from lunch import reports, services
from lunch.models import (
    Account,
    DailyOffer,
    Feedback,
    LedgerEntry,
    Meal,
    Merchant,
    OfferPoint,
    Order,
    PickupPoint,
    SubsidyPolicy,
    SubsidySpend,
    yuan,
)
from portal import scopes
from portal.admin_scoping import ScopedFieldsMixin, ScopedModelAdmin, ScopedTabularInline
from portal.audit import audit_log
from stations.hours import SHANGHAI, local_now
from stations.services import reencoded_photo

scopes.register(Merchant, street=["organisation__street"], merchant=["organisation"])
scopes.register(Meal, street=["merchant__organisation__street"], merchant=["merchant__organisation"])
scopes.register(PickupPoint, street=["street"], station=["station"])
scopes.register(DailyOffer, street=["merchant__organisation__street"], station=["points__station"], merchant=["merchant__organisation"])
scopes.register(OfferPoint, street=["offer__merchant__organisation__street"], station=["point__station"],
                merchant=["offer__merchant__organisation"])
scopes.register(Order, street=["point__street"], station=["point__station"], merchant=["offer__merchant__organisation"])
scopes.register(Feedback, street=["order__point__street"], station=["order__point__station"],
                merchant=["order__offer__merchant__organisation"])
scopes.register(SubsidyPolicy, street=["street"])
scopes.register(SubsidySpend, street=["policy__street"])
# A person's balance belongs to no station or street: superusers list them; staff who record money look one person
# up by exact e-mail or phone (AccountAdmin.lookup_view).
scopes.register(Account)
scopes.register(LedgerEntry)


# ---------------------------------------------------------------------------
# Shared pieces


THOUSANDS = re.compile(r"\d{1,3}([,，]\d{3})+(\.\d*)?")


class FenField(forms.DecimalField):
    """An amount typed in yuan ("28", "28.5", "¥28.50"), cleaned to integer fen; at most two decimal places."""

    def __init__(self, *, max_digits=12, decimal_places=2, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[¥￥元\s]", "", value)
            if THOUSANDS.fullmatch(value):  # "1,000.50"; but "12,5" stays invalid rather than becoming 125
                value = value.replace(",", "").replace("，", "")
        return super().to_python(value)

    def clean(self, value):
        amount = super().clean(value)  # a finite Decimal within the bounds, with at most two places
        return None if amount is None else int((amount * 100).to_integral_value())

    def prepare_value(self, value):
        # The instance holds fen (an int); a re-shown bound form holds the text that was typed.
        return yuan(value) if isinstance(value, int) else value

    def has_changed(self, initial, data):
        try:
            return self.clean(data) != (initial if initial not in ("", None) else None)
        except ValidationError:
            return True


class _Refused(Exception):
    """A rule checked under the lock refused what the form had accepted; raised out of the admin's transaction."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class RefusalMixin:
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            self.message_user(request, gettext("Nothing was saved: %s") % refused.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdminMixin:
    """Rows that change through lunch.services only: staff look, nobody adds, edits or deletes here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def choice_filter(title, parameter, id_path, name_path):
    """A list filter offering the related rows present in the (scoped) list, read in one query with their names.

    Unlike RelatedOnlyFieldListFilter it never builds each choice's str() (a merchant's is its organisation's
    name, a street's its district's and its own), so the page's query count doesn't grow with the choices.
    """

    class ChoiceFilter(admin.SimpleListFilter):
        parameter_name = parameter

        def lookups(self, request, model_admin):
            return list(model_admin.get_queryset(request).order_by(name_path, id_path).values_list(id_path, name_path).distinct())

        def queryset(self, request, queryset):
            if self.value() and self.value().isdigit():
                return queryset.filter(**{id_path: int(self.value())})
            return queryset

    ChoiceFilter.title = title
    return ChoiceFilter


def merchant_filter(path):
    return choice_filter(_("merchant"), "merchant", f"{path}_id", f"{path}__organisation__name")


def street_filter(path):
    return choice_filter(_("street or town"), "street", f"{path}_id", f"{path}__name")


def _scoped_merchants(request):
    return Merchant.objects.filter(scopes.scope_q(request.user, Merchant)).select_related("organisation")


def _only_merchant_initial(request):
    """Merchant staff of a single merchant get it filled in."""
    if scopes.scope_of(request.user).superuser:
        return {}
    ids = list(_scoped_merchants(request).values_list("pk", flat=True)[:2])
    return {"merchant": ids[0]} if len(ids) == 1 else {}


def _local_time(moment):
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if moment else "—"


# ---------------------------------------------------------------------------
# Merchants


class LicenceFilter(admin.SimpleListFilter):
    title = _("licence")
    parameter_name = "licence"

    def lookups(self, request, model_admin):
        return [("expired", _("Expired")), ("expiring", _("Expires within %(days)d days") % {"days": settings.LUNCH_LICENCE_WARN_DAYS}),
                ("valid", _("Valid"))]

    def queryset(self, request, queryset):
        today = local_now().date()
        horizon = today + timedelta(days=settings.LUNCH_LICENCE_WARN_DAYS)
        if self.value() == "expired":
            return queryset.filter(licence_expires_on__lt=today)
        if self.value() == "expiring":
            return queryset.filter(licence_expires_on__gte=today, licence_expires_on__lte=horizon)
        if self.value() == "valid":
            return queryset.filter(licence_expires_on__gt=horizon)
        return queryset


class MerchantActionForm(helpers.ActionForm):
    reason = forms.CharField(label=_("Reason (to suspend)"), required=False, max_length=200, widget=forms.TextInput(attrs={"size": 40}))


class MerchantForm(forms.ModelForm):
    class Meta:
        model = Merchant
        fields = ["organisation", "licence_number", "licence_expires_on", "food_safety_rating", "last_inspected_on", "contact_name",
                  "contact_phone", "allows_pay_at_pickup"]

    def clean_last_inspected_on(self):
        day = self.cleaned_data.get("last_inspected_on")
        if day and day > local_now().date():
            raise ValidationError(_("An inspection date can't lie in the future."))
        return day


@admin.register(Merchant)
class MerchantAdmin(ScopedModelAdmin):
    form = MerchantForm
    action_form = MerchantActionForm
    actions = ["suspend_selected", "reactivate_selected"]
    list_display = ["name", "street", "licence_number", "licence_expiry", "food_safety_rating", "last_inspected_on", "status",
                    "allows_pay_at_pickup", "rating"]
    list_filter = ["status", LicenceFilter, "food_safety_rating", "allows_pay_at_pickup"]
    list_select_related = ["organisation__street__district"]
    search_fields = ["organisation__name", "licence_number", "contact_name"]
    ordering = ["organisation__name"]
    fieldsets = [
        (None, {"fields": ["organisation", "status", "status_reason"]}),
        (_("Licence and food safety"), {"fields": ["licence_number", "licence_expires_on", "food_safety_rating", "last_inspected_on"]}),
        (_("Contact"), {"fields": ["contact_name", "contact_phone"]}),
        (_("Orders"), {"fields": ["allows_pay_at_pickup"]}),
    ]

    def get_queryset(self, request):
        # The average of every rating given to the merchant's meals, in the list's own query.
        return super().get_queryset(request).annotate(avg_stars=Avg("offers__orders__feedback__stars"),
                                                      n_ratings=Count("offers__orders__feedback"))

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a new merchant is active; its status changes through the actions only
            return [(name, {"fields": [f for f in opts["fields"] if f not in ("status", "status_reason")]}) for name, opts in self.fieldsets]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        # The organisation is who the merchant is; its status moves through the audited actions.
        return ["organisation", "status", "status_reason"] if obj is not None else []

    @admin.display(description=_("merchant"), ordering="organisation__name")
    def name(self, merchant):
        return merchant.organisation.name

    @admin.display(description=_("street or town"), ordering="organisation__street__name")
    def street(self, merchant):
        return merchant.organisation.street

    @admin.display(description=_("licence expires on"), ordering="licence_expires_on")
    def licence_expiry(self, merchant):
        today = local_now().date()
        day = f"{merchant.licence_expires_on:%Y-%m-%d}"
        if merchant.licence_expires_on < today:
            return format_html('<strong style="color:var(--error-fg)">{} · {}</strong>', day, gettext("expired"))
        left = (merchant.licence_expires_on - today).days
        if left <= settings.LUNCH_LICENCE_WARN_DAYS:
            return format_html('<strong style="color:#b45309">{} · {}</strong>', day,
                               ngettext("%d day left", "%d days left", left) % left)
        return day

    @admin.display(description=_("rating"), ordering="avg_stars")
    def rating(self, merchant):
        if not merchant.n_ratings:
            return "—"
        return f"★ {merchant.avg_stars:.1f} ({merchant.n_ratings})"

    def save_model(self, request, obj, form, change):
        if change:
            # Saved by name: the status and the licence warning belong to the actions and to check_licences.
            fields = [name for name in form.changed_data if name in form.Meta.fields and name != "organisation"]
            if "licence_expires_on" in fields:
                obj.licence_warning_sent_on = None  # a renewed licence is warned about again before it expires
                fields.append("licence_warning_sent_on")
            if fields:
                obj.save(update_fields=[*fields, "updated_at"])
        else:
            obj.save()
        self.ensure_in_scope(request, obj)

    def _set_status(self, request, queryset, *, status, reason=""):
        today = local_now().date()
        done = 0
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True))
            for merchant in Merchant.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
                if not self.has_change_permission(request, merchant) or merchant.status == status:
                    continue
                if status == Merchant.Status.ACTIVE and merchant.licence_expires_on < today:
                    self.message_user(request, gettext("%(merchant)s: the food business licence has expired; record the renewed "
                                                       "licence first.") % {"merchant": merchant}, messages.WARNING)
                    continue
                previous = merchant.status_reason
                merchant.status, merchant.status_reason = status, reason
                merchant.save(update_fields=["status", "status_reason", "updated_at"])
                action = "lunch.merchant.suspended" if status == Merchant.Status.SUSPENDED else "lunch.merchant.reactivated"
                audit_log(action=action, actor=request.user, target=merchant, data={"reason": reason, "previous_reason": previous})
                done += 1
        return done

    @admin.action(description=_("Suspend the selected merchants with the reason given"), permissions=["change"])
    def suspend_selected(self, request, queryset):
        reason = (request.POST.get("reason") or "").strip()[:200]
        if not reason:
            self.message_user(request, gettext("Please give the reason for the suspension."), messages.ERROR)
            return
        done = self._set_status(request, queryset, status=Merchant.Status.SUSPENDED, reason=reason)
        if done:
            self.message_user(request, ngettext("%d merchant was suspended: its meals can't be ordered.",
                                                "%d merchants were suspended: their meals can't be ordered.", done) % done, messages.SUCCESS)

    @admin.action(description=_("Reactivate the selected merchants"), permissions=["change"])
    def reactivate_selected(self, request, queryset):
        done = self._set_status(request, queryset, status=Merchant.Status.ACTIVE)
        if done:
            self.message_user(request, ngettext("%d merchant was reactivated.", "%d merchants were reactivated.", done) % done,
                              messages.SUCCESS)


# ---------------------------------------------------------------------------
# Menus and pickup points


class MealForm(forms.ModelForm):
    list_price_fen = FenField(label=_("list price (yuan)"), min_value=Decimal("0.01"), max_value=Decimal("1000"))

    class Meta:
        model = Meal
        fields = ["merchant", "name", "description", "allergens", "list_price_fen", "photo", "is_active"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        # Re-encoded like every photo the portal keeps: a plain JPEG without EXIF.
        return reencoded_photo(photo) if isinstance(photo, UploadedFile) else photo


@admin.register(Meal)
class MealAdmin(ScopedModelAdmin):
    form = MealForm
    list_display = ["name", "merchant_name", "price", "allergens", "is_active"]
    list_filter = ["is_active", merchant_filter("merchant")]
    list_select_related = ["merchant__organisation"]
    search_fields = ["name", "merchant__organisation__name"]

    def get_changeform_initial_data(self, request):
        return {**_only_merchant_initial(request), **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "merchant" and field is not None:
            field.queryset = field.queryset.select_related("organisation")
        return field

    @admin.display(description=_("merchant"), ordering="merchant__organisation__name")
    def merchant_name(self, meal):
        return meal.merchant.organisation.name

    @admin.display(description=_("list price"), ordering="list_price_fen")
    def price(self, meal):
        return yuan(meal.list_price_fen)


class PickupPointForm(forms.ModelForm):
    class Meta:
        model = PickupPoint
        fields = ["name", "station", "building", "street", "address", "window_opens", "window_closes", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "street" in self.fields:
            self.fields["street"].required = False
            self.fields["street"].help_text = _("Left empty for a station's lunch point: the station's street.")

    def clean(self):
        data = super().clean()
        station, street = data.get("station"), data.get("street")
        if station is not None:
            if street is not None and street.pk != station.street_id:
                self.add_error("street", _("The station lies in %(street)s.") % {"street": station.street})
            data["street"] = self.instance.street = station.street
        elif street is None and not self.has_error("street"):
            self.add_error("street", _("Choose the street of the delivery building."))
        building = data.get("building")
        if station is None and building is None:
            self.add_error("station", _("Choose a station or a delivery building."))
        if building is not None and data.get("street") is not None and building.street_id != data["street"].pk:
            self.add_error("building", _("This building lies in another street."))
        opens, closes = data.get("window_opens"), data.get("window_closes")
        if opens and closes and opens >= closes:
            self.add_error("window_closes", _("The pickup window must close after it opens."))
        return data


@admin.register(PickupPoint)
class PickupPointAdmin(ScopedModelAdmin):
    form = PickupPointForm
    list_display = ["name", "street", "station", "building", "window", "is_active"]
    list_filter = ["is_active", street_filter("street"), ("station", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["street__district", "station", "building"]
    search_fields = ["name", "address", "station__name", "building__name"]

    @admin.display(description=_("pickup window"))
    def window(self, point):
        return f"{point.window_opens:%H:%M}–{point.window_closes:%H:%M}"


# ---------------------------------------------------------------------------
# Daily offers


def offerable_points(user, offer=None):
    """Points an offer may serve: active points of its merchant's street (or in the user's own scope), and those it serves."""
    merchants = Merchant.objects.filter(scopes.scope_q(user, Merchant))
    allowed = PickupPoint.objects.filter(scopes.scope_q(user, PickupPoint) | Q(street__in=merchants.values("organisation__street")),
                                         is_active=True)
    q = Q(pk__in=allowed.values("pk"))
    if offer is not None and offer.pk:
        q |= Q(pk__in=OfferPoint.objects.filter(offer=offer).values("point"))
    return PickupPoint.objects.filter(q).order_by("name", "pk")


class OfferPointFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            instance, deleted = form.instance, self._should_delete_form(form)
            if instance.pk and instance.sold:
                if deleted:
                    form.add_error(None, _("%(n)d portions are ordered for %(point)s: it can't be removed.")
                                   % {"n": instance.sold, "point": instance.point})
                elif "point" in form.changed_data:
                    form.add_error("point", _("Portions are ordered for this point already: add another point instead."))
            if not deleted and form.cleaned_data.get("point") is not None:
                kept += 1
        if kept == 0:
            raise ValidationError(_("Choose at least one pickup point."))


class OfferPointForm(forms.ModelForm):
    class Meta:
        model = OfferPoint
        fields = ["point", "quota"]

    def clean_quota(self):
        quota = self.cleaned_data.get("quota")
        if quota is not None and self.instance.pk and quota < self.instance.sold:
            raise ValidationError(_("%(n)d portions are ordered here already: the quota can't be lower.") % {"n": self.instance.sold})
        return quota


class OfferPointInline(ScopedTabularInline):
    model = OfferPoint
    form = OfferPointForm
    formset = OfferPointFormSet
    extra = 1
    fields = ["point", "quota", "sold", "delivered"]
    readonly_fields = ["sold", "delivered"]

    def get_formset(self, request, obj=None, **kwargs):
        request._lunch_offer = obj
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("point")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "point":
            # Pickup points belong to stations and streets, not to merchants: a merchant may serve its street's points.
            kwargs["queryset"] = offerable_points(request.user, getattr(request, "_lunch_offer", None))
            return super(ScopedFieldsMixin, self).formfield_for_foreignkey(db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("delivered at"))
    def delivered(self, offer_point):
        return _local_time(offer_point.delivered_at)


class DailyOfferForm(forms.ModelForm):
    discount_fen = FenField(label=_("merchant discount per meal (yuan)"), min_value=Decimal("0"), max_value=Decimal("1000"),
                            initial=0)

    class Meta:
        model = DailyOffer
        fields = ["date", "merchant", "meal", "quota", "cutoff_at", "discount_fen", "is_open"]
        help_texts = {"cutoff_at": _("Shanghai time, e.g. 10:30 on the day.")}

    def _value(self, name):
        if name in self.cleaned_data:
            return self.cleaned_data[name]
        return getattr(self.instance, name) if self.instance.pk else None

    def clean(self):
        data = super().clean()
        day, merchant, meal = self._value("date"), self._value("merchant"), self._value("meal")
        if merchant is not None and meal is not None and meal.merchant_id != merchant.pk:
            self.add_error("meal", _("This meal is on another merchant's menu."))
        quota = data.get("quota")
        if quota is not None and self.instance.pk and quota < self.instance.sold:
            self.add_error("quota", _("%(n)d portions are ordered already: the quota can't be lower.") % {"n": self.instance.sold})
        if not self.instance.pk and day is not None and day < local_now().date():
            self.add_error("date", _("Offers are for today or later."))
        cutoff = data.get("cutoff_at")
        if cutoff is not None and day is not None and cutoff.astimezone(SHANGHAI).date() > day:
            self.add_error("cutoff_at", _("Orders must close on the day of the meal at the latest."))
        discount = data.get("discount_fen")
        if discount is not None and meal is not None and discount >= meal.list_price_fen:
            self.add_error("discount_fen", _("The discount must be less than the meal's price (¥%(price)s).") % {"price": yuan(meal.list_price_fen)})
        return data


@admin.register(DailyOffer)
class DailyOfferAdmin(RefusalMixin, ScopedModelAdmin):
    form = DailyOfferForm
    inlines = [OfferPointInline]
    list_display = ["date", "meal_name", "merchant_name", "sold_of_quota", "served_points", "cutoff", "discount", "is_open"]
    list_filter = ["is_open", merchant_filter("merchant"), ("points", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["meal", "merchant__organisation"]
    search_fields = ["meal__name", "merchant__organisation__name"]
    date_hierarchy = "date"
    ordering = ["-date", "merchant__organisation__name", "meal__name"]
    editable_fields = ["date", "merchant", "meal", "quota", "cutoff_at", "discount_fen", "is_open"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("offer_points", queryset=OfferPoint.objects.select_related("point").order_by("point__name", "pk")))

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["date", "merchant", "meal", "is_open"]}),
            (_("Portions and price"), {"fields": ["quota", *(["sold"] if obj else []), "discount_fen"]}),
            (_("Orders"), {"fields": ["cutoff_at", *(["manifest_sent"] if obj else [])]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = ["sold", "manifest_sent"]
        if obj is not None and obj.orders.exists():
            # Orders froze this meal's price for this day: the offer can't turn into another meal or day.
            fields += ["date", "merchant", "meal"]
        return fields

    def get_changeform_initial_data(self, request):
        return {**_only_merchant_initial(request), **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is None:
            return field
        if db_field.name == "merchant":
            field.queryset = field.queryset.filter(status=Merchant.Status.ACTIVE).select_related("organisation")
        if db_field.name == "meal":
            current = getattr(request, "_scoped_admin_obj", None)
            field.queryset = field.queryset.filter(Q(is_active=True) | Q(pk=getattr(current, "meal_id", None)))
        return field

    @admin.display(description=_("meal"), ordering="meal__name")
    def meal_name(self, offer):
        return offer.meal.name

    @admin.display(description=_("merchant"), ordering="merchant__organisation__name")
    def merchant_name(self, offer):
        return offer.merchant.organisation.name

    @admin.display(description=_("ordered / portions"), ordering="sold")
    def sold_of_quota(self, offer):
        return f"{offer.sold} / {offer.quota}"

    @admin.display(description=_("pickup points"))
    def served_points(self, offer):
        return "、".join(f"{op.point.name} {op.sold}/{op.quota}" if op.quota is not None else op.point.name
                        for op in offer.offer_points.all())

    @admin.display(description=_("order until (Shanghai)"), ordering="cutoff_at")
    def cutoff(self, offer):
        local = offer.cutoff_at.astimezone(SHANGHAI)
        return f"{local:%H:%M}" if local.date() == offer.date else f"{local:%m-%d %H:%M}"

    @admin.display(description=_("merchant discount"), ordering="discount_fen")
    def discount(self, offer):
        return yuan(offer.discount_fen)

    @admin.display(description=_("manifest sent at"))
    def manifest_sent(self, offer):
        return _local_time(offer.manifest_sent_at)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
        else:
            # FOR UPDATE on the offer's row waits for orders in flight (their rows refer to it) and, once held, keeps
            # new ones and cancellations from being written or counted (lunch.services), so the portions ordered here
            # and at each point stay as read below.
            current = DailyOffer.objects.select_for_update().get(pk=obj.pk)
            if obj.quota < current.sold:
                raise _Refused(gettext("%(n)d portions are ordered already: the quota can't be lower.") % {"n": current.sold})
            obj.sold, obj.manifest_sent_at = current.sold, current.manifest_sent_at
            obj.save(update_fields=[*self.editable_fields, "updated_at"])
        self.ensure_in_scope(request, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not OfferPoint:
            return super().save_formset(request, form, formset, change)
        offer = form.instance
        formset.save(commit=False)  # sorts the rows into new, changed and deleted
        # Under the offer's lock (save_model): these counts can't move until the admin's transaction ends.
        sold = dict(OfferPoint.objects.filter(offer=offer).values_list("pk", "sold"))
        for offer_point in formset.deleted_objects:
            if sold.get(offer_point.pk):
                raise _Refused(gettext("Portions were ordered for %(point)s meanwhile: it can't be removed.") % {"point": offer_point.point})
            offer_point.delete()
        for offer_point, changed in formset.changed_objects:
            ordered = sold.get(offer_point.pk, 0)
            if ordered and "point" in changed:
                raise _Refused(gettext("Portions are ordered for that point already: add another point instead."))
            if offer_point.quota is not None and offer_point.quota < ordered:
                raise _Refused(gettext("%(n)d portions are ordered for %(point)s already: its quota can't be lower.")
                               % {"n": ordered, "point": offer_point.point})
            offer_point.save(update_fields=[name for name in changed if name in ("point", "quota")])
        for offer_point in formset.new_objects:
            offer_point.offer = offer
            offer_point.save()
        formset.save_m2m()


# ---------------------------------------------------------------------------
# Subsidy


class SubsidyPolicyForm(forms.ModelForm):
    subsidy_fen = FenField(label=_("subsidy per meal (yuan)"), min_value=Decimal("0.01"), max_value=Decimal("1000"))
    monthly_budget_fen = FenField(label=_("monthly budget (yuan)"), min_value=Decimal("0"), max_value=Decimal("100000000"))

    class Meta:
        model = SubsidyPolicy
        fields = ["street", "name", "audience", "neighbourhoods", "subsidy_fen", "monthly_budget_fen", "valid_from", "valid_until"]

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            self.add_error("valid_until", _("A policy can't end before it starts."))
        street, neighbourhoods = data.get("street"), data.get("neighbourhoods")
        if street is not None and neighbourhoods and any(n.street_id != street.pk for n in neighbourhoods):
            self.add_error("neighbourhoods", _("Only neighbourhoods of the policy's street."))
        if data.get("audience") == SubsidyPolicy.Audience.ELDERLY and not neighbourhoods:
            self.add_error("neighbourhoods", _("Choose the neighbourhoods whose elderly residents qualify."))
        return data


@admin.register(SubsidyPolicy)
class SubsidyPolicyAdmin(ScopedModelAdmin):
    form = SubsidyPolicyForm
    list_display = ["name", "street", "audience", "subsidy", "budget", "valid_from", "valid_until"]
    list_filter = ["audience", street_filter("street")]
    list_select_related = ["street__district"]
    search_fields = ["name", "street__name"]
    filter_horizontal = ["neighbourhoods"]

    @admin.display(description=_("subsidy per meal"), ordering="subsidy_fen")
    def subsidy(self, policy):
        return yuan(policy.subsidy_fen)

    @admin.display(description=_("monthly budget"), ordering="monthly_budget_fen")
    def budget(self, policy):
        return yuan(policy.monthly_budget_fen)


@admin.register(SubsidySpend)
class SubsidySpendAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["policy", "street", "month_label", "budget", "spent", "left", "meals"]
    list_filter = [("policy", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["policy__street__district"]
    date_hierarchy = "month"

    @admin.display(description=_("street or town"), ordering="policy__street__name")
    def street(self, spend):
        return spend.policy.street

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, spend):
        return f"{spend.month:%Y-%m}"

    @admin.display(description=_("budget"), ordering="budget_fen")
    def budget(self, spend):
        return yuan(spend.budget_fen)

    @admin.display(description=_("spent"), ordering="spent_fen")
    def spent(self, spend):
        return yuan(spend.spent_fen)

    @admin.display(description=_("left"))
    def left(self, spend):
        return yuan(spend.budget_fen - spend.spent_fen)


# ---------------------------------------------------------------------------
# Orders and the reports


class DaysForm(forms.Form):
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))


class MonthsForm(forms.Form):
    start = forms.CharField(label=_("from month"), widget=forms.TextInput(attrs={"type": "month", "size": 8}))
    end = forms.CharField(label=_("to month"), widget=forms.TextInput(attrs={"type": "month", "size": 8}))

    def _month(self, name):
        month = reports.parse_month(self.cleaned_data.get(name), None)
        if month is None:
            raise ValidationError(_("A month like 2025-06."))
        return month

    def clean_start(self):
        return self._month("start")

    def clean_end(self):
        return self._month("end")


REPORTS = {
    "meals": (_("Meals per day per merchant and pickup point"), DaysForm),
    "subsidy": (_("Subsidy spent against budget per street and month"), MonthsForm),
    "settlement": (_("Monthly settlement per merchant"), MonthsForm),
}


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["day", "pickup_code", "person", "meal", "merchant", "point", "quantity", "price", "payment", "status"]
    list_filter = ["status", "payment", merchant_filter("offer__merchant"), ("point", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["offer__meal", "offer__merchant__organisation", "point", "user"]
    search_fields = ["=pickup_code"]
    search_help_text = _("The 6-digit pickup code.")
    date_hierarchy = "offer__date"
    ordering = ["-offer__date", "-created_at", "-pk"]
    fieldsets = [
        (None, {"fields": ["offer", "point", "person", "quantity", "pickup_code", "status", "payment"]}),
        (_("Price, frozen when ordered"), {"fields": ["list_price", "discount", "subsidy", "self_paid", "policy"]}),
        (_("History"), {"fields": ["created_at", "picked_up_at", "picked_up_by", "cancelled_at"]}),
    ]

    @admin.display(description=_("date"), ordering="offer__date")
    def day(self, order):
        return f"{order.offer.date:%Y-%m-%d}"

    @admin.display(description=_("person"))
    def person(self, order):
        return order.user.get_short_name()

    @admin.display(description=_("meal"))
    def meal(self, order):
        return order.offer.meal.name

    @admin.display(description=_("merchant"), ordering="offer__merchant__organisation__name")
    def merchant(self, order):
        return order.offer.merchant.organisation.name

    @admin.display(description=_("list − discount − subsidy = self-paid"))
    def price(self, order):
        return f"{yuan(order.total_fen)} − {yuan(order.discount_fen)} − {yuan(order.subsidy_fen)} = {yuan(order.self_paid_fen)}"

    @admin.display(description=_("list price per meal"))
    def list_price(self, order):
        return yuan(order.list_price_fen)

    @admin.display(description=_("merchant discount"))
    def discount(self, order):
        return yuan(order.discount_fen)

    @admin.display(description=_("subsidy"))
    def subsidy(self, order):
        return yuan(order.subsidy_fen)

    @admin.display(description=_("self-paid"))
    def self_paid(self, order):
        return yuan(order.self_paid_fen)

    def changelist_view(self, request, extra_context=None):
        extra = {"may_top_up": services.may_top_up(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    # --- reports

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        # First: the default "<path:object_id>/" would otherwise take "reports" for an object id.
        return [
            path("reports/", self.admin_site.admin_view(self.reports_view), name=f"{prefix}_reports"),
            path("reports/<slug:kind>/", self.admin_site.admin_view(self.report_view), name=f"{prefix}_report"),
            *super().get_urls(),
        ]

    def _may_see_report(self, request, kind):
        if kind == "subsidy":
            return self.admin_site._registry[SubsidySpend].has_view_permission(request)
        return self.has_view_permission(request)

    def _context(self, request, title):
        request.current_app = self.admin_site.name
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}

    def reports_view(self, request):
        available = [(kind, title) for kind, (title, _form) in REPORTS.items() if self._may_see_report(request, kind)]
        if not available:
            raise PermissionDenied
        return TemplateResponse(request, "admin/lunch/reports.html", {**self._context(request, gettext("Lunch reports")), "reports": available})

    def report_view(self, request, kind):
        if kind not in REPORTS:
            raise Http404
        if not self._may_see_report(request, kind):
            raise PermissionDenied
        title, form_class = REPORTS[kind]
        today = local_now().date()
        if form_class is DaysForm:
            defaults = {"start": today.replace(day=1), "end": today + timedelta(days=7)}
        else:
            defaults = {"start": today.replace(day=1), "end": today.replace(day=1)}
        form = form_class(request.GET if "start" in request.GET or "end" in request.GET else None,
                          initial={k: (v if form_class is DaysForm else f"{v:%Y-%m}") for k, v in defaults.items()})
        period = form.cleaned_data if form.is_bound and form.is_valid() else defaults
        report = self._build_report(request, kind, period)
        fmt = request.GET.get("format")
        if fmt in reports.EXPORT_FORMATS:
            content, content_type, extension = reports.export(report, fmt)
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="lunch-{kind}-{period["start"]:%Y%m%d}-{period["end"]:%Y%m%d}.{extension}"'
            return response
        query = request.GET.copy()
        query.pop("format", None)
        context = {
            **self._context(request, title), "form": form, "report": report, "kind": kind,
            "start": period["start"], "end": period["end"],
            "exports": [(name.upper(), f"?{_with(query, format=name)}") for name in reports.EXPORT_FORMATS],
        }
        return TemplateResponse(request, "admin/lunch/report.html", context)

    def _build_report(self, request, kind, period):
        user = request.user
        if kind == "meals":
            start, end = reports.clamp_days(period["start"], period["end"])
            period.update(start=start, end=end)
            return reports.meals_per_day(scopes.scoped_queryset(user, Order.objects.all(), for_change=False), start=start, end=end)
        first, last = reports.clamp_months(period["start"], period["end"])
        period.update(start=first, end=last)
        if kind == "subsidy":
            policies = scopes.scoped_queryset(user, SubsidyPolicy.objects.all(), for_change=False)
            return reports.subsidy_against_budget(policies, first_month=first, last_month=last)
        return reports.settlement(scopes.scoped_queryset(user, Order.objects.all(), for_change=False), first_month=first,
                                  last_month=last, now=timezone.now())


def _with(query, **changes):
    query = query.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["created_at", "stars_shown", "comment", "meal", "merchant", "point", "day"]
    list_filter = ["stars", merchant_filter("order__offer__merchant"), ("order__point", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["order__offer__meal", "order__offer__merchant__organisation", "order__point"]
    search_fields = ["comment", "order__offer__meal__name"]
    date_hierarchy = "created_at"
    fields = ["order", "stars_shown", "comment", "created_at"]

    @admin.display(description=_("stars"), ordering="stars")
    def stars_shown(self, feedback):
        return "★" * feedback.stars + "☆" * (5 - feedback.stars)

    @admin.display(description=_("meal"))
    def meal(self, feedback):
        return feedback.order.offer.meal.name

    @admin.display(description=_("merchant"), ordering="order__offer__merchant__organisation__name")
    def merchant(self, feedback):
        return feedback.order.offer.merchant.organisation.name

    @admin.display(description=_("pickup point"))
    def point(self, feedback):
        return feedback.order.point.name

    @admin.display(description=_("date of the meal"), ordering="order__offer__date")
    def day(self, feedback):
        return f"{feedback.order.offer.date:%Y-%m-%d}"


# ---------------------------------------------------------------------------
# Balances: top-ups at the desk, one person's ledger, and the full lists for superusers


def find_person(text):
    """The active person with exactly this e-mail address or mainland mobile number, or None."""
    text = (text or "").strip()
    people = get_user_model().objects.filter(is_active=True)
    if "@" in text:
        found = list(people.filter(email__iexact=text)[:2])
    else:
        digits = re.sub(r"[\s\-()]", "", text)
        digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
        if not re.fullmatch(r"1[3-9]\d{9}", digits):
            return None
        found = list(people.filter(phone=digits)[:2])
    return found[0] if len(found) == 1 else None


class PersonField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(label=_("E-mail or mobile phone"), max_length=254, **kwargs)

    def clean(self, value):
        person = find_person(super().clean(value))
        if person is None:
            raise ValidationError(_("No one with exactly this e-mail address or mobile number."), code="not_found")
        return person


class TopUpForm(forms.Form):
    person = PersonField()
    amount = FenField(label=_("Amount received (yuan)"), min_value=Decimal("0.01"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False, help_text=_("E.g. cash, WeChat transfer, receipt number."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The ceiling is a setting: built per form, so a changed setting applies at once.
        self.fields["amount"] = FenField(label=_("Amount received (yuan)"), min_value=Decimal("0.01"),
                                         max_value=Decimal(settings.LUNCH_MAX_TOP_UP_FEN) / 100)


class LookupForm(forms.Form):
    person = PersonField()


LEDGER_SHOWN = 50


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["person", "email", "phone", "balance", "low_balance_notices"]
    list_select_related = ["user"]
    search_fields = ["=user__email", "=user__phone", "user__display_name"]

    @admin.display(description=_("person"), ordering="user__display_name")
    def person(self, account):
        return account.user.get_short_name()

    @admin.display(description=_("e-mail address"), ordering="user__email")
    def email(self, account):
        return account.user.email

    @admin.display(description=_("mobile phone"))
    def phone(self, account):
        return account.user.phone or "—"

    @admin.display(description=_("balance"), ordering="balance_fen")
    def balance(self, account):
        return yuan(account.balance_fen)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, extra_context={"may_top_up": services.may_top_up(request.user), **(extra_context or {})})

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("top-up/", self.admin_site.admin_view(self.top_up_view), name=f"{prefix}_top_up"),
            path("lookup/", self.admin_site.admin_view(self.lookup_view), name=f"{prefix}_lookup"),
            *super().get_urls(),
        ]

    def _desk_context(self, request, title):
        request.current_app = self.admin_site.name
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title,
                "lists_accounts": self.has_view_permission(request)}

    def top_up_view(self, request):
        """Money received at the desk becomes balance, through services.top_up (which audits and tells the person)."""
        if not services.may_top_up(request.user):
            raise PermissionDenied
        form = TopUpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            person, amount_fen = form.cleaned_data["person"], form.cleaned_data["amount"]
            try:
                entry = services.top_up(user=person, amount_fen=amount_fen, actor=request.user, note=form.cleaned_data["note"])
            except services.LunchError as error:
                form.add_error("amount", error.message)
            else:
                self.message_user(request, gettext("¥%(amount)s added to the lunch balance of %(person)s. Their balance is now ¥%(balance)s.")
                                  % {"amount": yuan(amount_fen), "person": person.get_short_name(), "balance": yuan(entry.account.balance_fen)},
                                  messages.SUCCESS)
                # Back to an empty form: reloading the page can't record the same money twice.
                return HttpResponseRedirect(request.path)
        context = {**self._desk_context(request, gettext("Record a top-up")), "form": form,
                   "max_top_up": yuan(settings.LUNCH_MAX_TOP_UP_FEN)}
        return TemplateResponse(request, "admin/lunch/account/top_up.html", context)

    def lookup_view(self, request):
        """One person's balance and latest ledger entries, found by exact e-mail or phone (a POST: no address in a URL)."""
        if not services.may_top_up(request.user):
            raise PermissionDenied
        form = LookupForm(request.POST or None)
        context = {**self._desk_context(request, gettext("Look up a lunch balance")), "form": form}
        if request.method == "POST" and form.is_valid():
            person = form.cleaned_data["person"]
            account = Account.objects.filter(user=person).first()
            entries = []
            if account is not None:
                entries = list(account.entries.select_related("order__offer__meal", "order__point", "recorded_by")
                               .order_by("-created_at", "-pk")[:LEDGER_SHOWN + 1])
            audit_log(action="lunch.balance.looked_up", actor=request.user, target=account or person)
            context.update(person=person, account=account, balance=yuan(account.balance_fen if account else 0),
                           entries=[(e, yuan(e.amount_fen)) for e in entries[:LEDGER_SHOWN]], more=len(entries) > LEDGER_SHOWN)
        return TemplateResponse(request, "admin/lunch/account/lookup.html", context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["created_at", "person", "kind", "amount", "order", "recorded_by", "note"]
    list_filter = ["kind"]
    list_select_related = ["account__user", "order__offer__meal", "recorded_by"]
    search_fields = ["=account__user__email", "=account__user__phone", "note"]
    date_hierarchy = "created_at"

    @admin.display(description=_("person"), ordering="account__user__email")
    def person(self, entry):
        return entry.account.user.get_short_name()

    @admin.display(description=_("amount"), ordering="amount_fen")
    def amount(self, entry):
        return yuan(entry.amount_fen)
