"""Events and their bookings in the admin, scoped: station staff see their station's, street administrators their street's.

Seats move only through `events.services`: a capacity change goes through
`event_capacity_change` (which refuses fewer seats than are confirmed and gives
new seats to the waiting list), cancelling goes through `event_cancel` (which
gives every seat back and tells everyone). The change form never writes the seat
counter, so a booking made while someone edits the event is never overwritten.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from events import schedule, services
from events.models import Booking, Event
from portal import scopes
from portal.admin_scoping import ScopedModelAdmin, ScopedTabularInline

scopes.register(Event, street=["station__street"], station=["station"])
scopes.register(Booking, street=["event__station__street"], station=["event__station"])

# The fields the change form saves itself; the seat counter and capacity are left to the services.
_NOT_SAVED_BY_THE_FORM = {"id", "capacity", "confirmed_seats", "created_at"}


class _ServiceRefused(Exception):
    """A service refused a change the form had accepted (bookings came in meanwhile, or the new time has passed)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class EventAdminForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "title", "station", "function_area", "organiser", "category", "audience", "status", "starts_at", "ends_at",
            "booking_opens_at", "booking_closes_at", "cancellation_deadline", "capacity", "fee_fen", "subsidy_note",
            "description", "cover", "private_for",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is None:
            return
        if self.instance.pk and self.instance.status == Event.Status.CANCELLED:
            # Its bookings were given back when it was cancelled: publishing it again would strand them.
            status.disabled = True
            status.help_text = _("A cancelled event stays cancelled. Copy it to run it again.")
        else:
            status.choices = [c for c in status.choices if c[0] != Event.Status.CANCELLED]
            status.help_text = _(
                "To cancel an event, select it in the list and use the action “Cancel the selected events”, so everyone booked is told."
            )

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity is not None:
            # The counter as it is now, not as it was when the form was opened; the service checks again under the lock.
            confirmed = Event.objects.filter(pk=self.instance.pk).values_list("confirmed_seats", flat=True).first() or 0
            if capacity < confirmed:
                raise ValidationError(
                    _("%(n)d seats are already confirmed: the event cannot have fewer seats than that."),
                    code="below_confirmed", params={"n": confirmed},
                )
        return capacity

    def clean(self):
        cleaned = super().clean()
        station, room = cleaned.get("station"), cleaned.get("function_area")
        if station and room and room.station_id != station.pk:
            self.add_error("function_area", _("Choose a room of the event's station."))
        return cleaned


class CancelActionForm(helpers.ActionForm):
    reason = forms.CharField(
        label=_("Reason (for the cancel action)"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("e.g. The speaker is ill")}),
    )


class BookingInline(ScopedTabularInline):
    """Who booked: to read only. People book and cancel themselves; a filterable list is the Booking change list."""

    model = Booking
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["person", "phone", "seats", "status", "code", "created_at", "confirmed_at", "cancelled_at", "checked_in_at"]
    readonly_fields = fields
    verbose_name_plural = _("bookings and waiting list")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("person"))
    def person(self, booking):
        return booking.user.display_name or booking.user.email

    @admin.display(description=_("mobile phone"))
    def phone(self, booking):
        return booking.user.phone or "—"


@admin.register(Event)
class EventAdmin(ScopedModelAdmin):
    form = EventAdminForm
    action_form = CancelActionForm
    list_display = ["title", "starts_at", "station", "category", "seats_taken", "capacity", "seats_left", "status", "check_in_link"]
    list_filter = ["status", "category", ("station", admin.RelatedOnlyFieldListFilter), "audience"]
    search_fields = ["title", "description", "station__name"]
    list_select_related = ["station"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["station", "organiser", "private_for"]
    readonly_fields = ["seats_taken", "seats_left", "series"]
    fieldsets = [
        (None, {"fields": ["title", "station", "function_area", "organiser", ("category", "audience"), "status"]}),
        (_("When"), {"fields": [("starts_at", "ends_at"), ("booking_opens_at", "booking_closes_at"), "cancellation_deadline"]}),
        (_("Seats and fee"), {"fields": ["capacity", ("seats_taken", "seats_left"), ("fee_fen", "subsidy_note")]}),
        (_("About"), {"fields": ["description", "cover", "private_for", "series"]}),
    ]
    inlines = [BookingInline]
    actions = ["cancel_events", "export_attendees"]

    @admin.display(description=_("seats taken"), ordering="confirmed_seats")
    def seats_taken(self, event):
        return event.confirmed_seats

    @admin.display(description=_("seats left"))
    def seats_left(self, event):
        return event.seats_left if event.capacity is not None else "—"  # a new event has no seats yet

    # --- saving: everything but the seats through the form, the seats through the service

    @admin.display(description=_("check-in"))
    def check_in_link(self, event):
        if event.status != Event.Status.PUBLISHED:
            return ""
        return format_html('<a href="{}">{}</a>', reverse("events_staff:checkin", args=[event.pk]), gettext("Check in"))

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        new_capacity = obj.capacity
        moved = {"starts_at", "ends_at"} & set(form.changed_data)
        new_times = (obj.starts_at, obj.ends_at)
        # A new time goes through event_move, which tells everyone booked or waiting and re-arms their reminders.
        not_saved_here = _NOT_SAVED_BY_THE_FORM | ({"starts_at", "ends_at", "booking_closes_at", "cancellation_deadline"} if moved else set())
        fields = [f.name for f in Event._meta.concrete_fields if f.name not in not_saved_here]
        obj.save(update_fields=fields)
        self.ensure_in_scope(request, obj)
        if moved:
            try:
                schedule.event_move(event=obj, starts_at=new_times[0], ends_at=new_times[1], actor=request.user)
            except services.EventError as error:
                raise _ServiceRefused(error.message) from error
            self.message_user(request, gettext("The new time was sent to everyone booked or waiting."), messages.SUCCESS)
        if "capacity" not in form.changed_data:
            obj.refresh_from_db(fields=["capacity", "confirmed_seats"])
            return
        waiting_before = obj.bookings.filter(status=Booking.Status.WAITLISTED).count()
        try:
            changed = services.event_capacity_change(event=obj, capacity=new_capacity, actor=request.user)
        except services.EventError as error:
            # Raised out of the admin's transaction, so the form's other changes are rolled back too.
            raise _ServiceRefused(error.message) from error
        obj.capacity, obj.confirmed_seats = changed.capacity, changed.confirmed_seats
        promoted = waiting_before - obj.bookings.filter(status=Booking.Status.WAITLISTED).count()
        if promoted:
            self.message_user(
                request,
                ngettext("%d person on the waiting list got a seat and was told.",
                         "%d people on the waiting list got a seat and were told.", promoted) % promoted,
                messages.SUCCESS,
            )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ServiceRefused as refused:
            self.message_user(request, gettext("Nothing was saved: %s") % refused.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- actions

    @admin.action(description=_("Cancel the selected events and notify everyone booked or waiting"), permissions=["change"])
    def cancel_events(self, request, queryset):
        reason = (request.POST.get("reason") or "").strip()[:200]
        cancelled, bookings = 0, 0
        for event in queryset.order_by("pk"):
            if not self.has_change_permission(request, event):
                continue
            held = event.bookings.filter(status__in=Booking.ACTIVE).count()
            try:
                services.event_cancel(event=event, actor=request.user, reason=reason)
            except services.EventError as error:
                self.message_user(request, error.message, messages.WARNING)
                continue
            cancelled += 1
            bookings += held
        if cancelled:
            self.message_user(
                request,
                ngettext("%(events)d event was cancelled; %(bookings)d bookings were given back and their people told.",
                         "%(events)d events were cancelled; %(bookings)d bookings were given back and their people told.",
                         cancelled) % {"events": cancelled, "bookings": bookings},
                messages.SUCCESS,
            )

    @admin.action(description=_("Export the attendees of the selected events as CSV"), permissions=["view"])
    def export_attendees(self, request, queryset):
        # `queryset` is already limited to the user's scope (the change list's queryset); staff see the names
        # and phones of people booked at their own events, to run them.
        bookings = (
            Booking.objects.filter(event__in=queryset, status__in=Booking.ACTIVE)
            .select_related("event__station", "user")
            .order_by("event__starts_at", "event_id", "created_at", "pk")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="event-attendees-{stamp}.csv"'
        response.write("\ufeff")  # a BOM, so Excel reads the Chinese correctly
        writer = csv.writer(response)
        writer.writerow([
            gettext("event"), gettext("starts at"), gettext("station"), gettext("name"), gettext("mobile phone"),
            gettext("seats"), gettext("status"), gettext("booking code"), gettext("checked in at"),
        ])
        for booking in bookings:
            event = booking.event
            writer.writerow([
                event.title,
                timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M"),
                event.station.name,
                booking.user.display_name or booking.user.email,
                booking.user.phone or "",
                booking.seats,
                booking.get_status_display(),
                booking.code,
                timezone.localtime(booking.checked_in_at).strftime("%Y-%m-%d %H:%M") if booking.checked_in_at else "",
            ])
        return response


@admin.register(Booking)
class BookingAdmin(ScopedModelAdmin):
    """Bookings to look through and filter. They are made and given back by people, through the booking services."""

    list_display = ["code", "event", "event_starts_at", "person", "seats", "status", "created_at", "checked_in_at"]
    list_filter = ["status", ("event", admin.RelatedOnlyFieldListFilter), ("event__station", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "user__display_name", "user__email", "user__phone", "event__title"]
    list_select_related = ["event", "user"]
    date_hierarchy = "created_at"
    fields = ["event", "person", "phone", "seats", "status", "code", "created_at", "confirmed_at", "cancelled_at", "checked_in_at"]
    readonly_fields = fields

    @admin.display(description=_("starts at"), ordering="event__starts_at")
    def event_starts_at(self, booking):
        return booking.event.starts_at

    @admin.display(description=_("person"), ordering="user__display_name")
    def person(self, booking):
        return booking.user.display_name or booking.user.email

    @admin.display(description=_("mobile phone"))
    def phone(self, booking):
        return booking.user.phone or "—"

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would leave the event's seat counter wrong; people cancel, and cancelled bookings stay as history.
        return False


# The series admin and the activity-request admin live in their own modules; importing them registers them.
from events import admin_delivery, admin_series  # noqa: E402, F401
