"""Room reservations in the admin, scoped: station staff see their station's, street administrators their street's.

The reservation list is the approval queue. Statuses move only through `reservations.services`:
approving and rejecting are list actions (a rejection needs a reason, which the requester sees), and
adding a reservation here makes a staff block through `reservation_block`, which refuses a slot that is
already held. The room and times of an existing reservation can't be changed here, so no admin path
creates an overlap.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal import scopes
from portal.admin_scoping import ScopedModelAdmin, apply_to_each
from reservations import selectors, services
from reservations.models import ReservableArea, Reservation, ReservationQuota
from stations.hours import local_now

scopes.register(ReservableArea, street=["area__station__street"], station=["area__station"])
scopes.register(Reservation, street=["area__station__street"], station=["area__station"])
scopes.register(ReservationQuota, street=["station__street"], station=["station"])

CALENDAR_REACH = timedelta(days=3660)  # ?week= further than about ten years from today shows this week


def _requested_monday(value, today):
    """The Monday of the week `?week=YYYY-MM-DD` asks for; this week's for anything else."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        day = today
    if abs(day - today) > CALENDAR_REACH:
        day = today
    return selectors.week_start(day)


def _requested_station(value, stations):
    """The station id `?station=` asks for if it is one of `stations` (those in scope), else None."""
    try:
        station_id = int(value or "")
    except ValueError:
        return None
    return station_id if any(station_id == pk for pk, _name in stations) else None


class _ServiceRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ReasonActionForm(helpers.ActionForm):
    reason = forms.CharField(
        label=_("Reason (for the reject action)"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"size": 40}),
    )


@admin.register(ReservableArea)
class ReservableAreaAdmin(ScopedModelAdmin):
    list_display = ["area", "station", "slot_minutes", "min_minutes", "max_minutes", "max_days_ahead", "needs_approval"]
    list_filter = ["needs_approval", ("area__station", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["area__station"]
    search_fields = ["area__name", "area__station__name"]

    @admin.display(description=_("station"), ordering="area__station__name")
    def station(self, reservable):
        return reservable.area.station


@admin.register(ReservationQuota)
class ReservationQuotaAdmin(ScopedModelAdmin):
    list_display = ["station", "organisation", "hours_per_week"]
    list_filter = [("station", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["station", "organisation"]


@admin.register(Reservation)
class ReservationAdmin(ScopedModelAdmin):
    action_form = ReasonActionForm
    list_display = ["area", "station", "starts", "ends", "purpose", "attendees", "organisation", "status", "is_block"]
    list_filter = ["status", ("area__station", admin.RelatedOnlyFieldListFilter), "is_block"]
    list_select_related = ["area__station", "organisation", "user"]
    search_fields = ["purpose", "area__name", "area__station__name", "organisation__name"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at", "pk"]
    actions = ["approve_selected", "reject_selected"]
    # Adding a reservation here blocks a slot (maintenance, a station event).
    add_fields = ["area", "starts_at", "ends_at", "purpose"]
    shown_fields = [
        "area", "station", "starts_at", "ends_at", "purpose", "attendees", "requester", "requester_phone", "organisation",
        "status", "is_block", "staff_remark", "decided_by", "decided_at", "created_at",
    ]

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.shown_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.shown_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "area" and field is not None:
            field.queryset = field.queryset.filter(reservable__isnull=False)
        return field

    def has_delete_permission(self, request, obj=None):
        # Reservations stay as history: people cancel, staff reject.
        return False

    @admin.display(description=_("station"), ordering="area__station__name")
    def station(self, reservation):
        return reservation.area.station

    @admin.display(description=_("starts at"), ordering="starts_at")
    def starts(self, reservation):
        return timezone.localtime(reservation.starts_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("ends at"), ordering="ends_at")
    def ends(self, reservation):
        return timezone.localtime(reservation.ends_at).strftime("%H:%M")

    # Only rows in the user's scope reach these: the queryset and the object pages are scoped.
    @admin.display(description=_("person"))
    def requester(self, reservation):
        return reservation.user.display_name or reservation.user.email

    @admin.display(description=_("mobile phone"))
    def requester_phone(self, reservation):
        return reservation.user.phone or "—"

    # --- the calendar: one week of the rooms this member of staff looks after

    def get_urls(self):
        calendar = path("calendar/", self.admin_site.admin_view(self.calendar_view),
                        name=f"{self.opts.app_label}_{self.opts.model_name}_calendar")
        # First: the default "<path:object_id>/" would otherwise take "calendar" for an object id.
        return [calendar, *super().get_urls()]

    def calendar_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = local_now().date()
        monday = _requested_monday(request.GET.get("week"), today)
        # The same rule as the reservable-room admin's list: the rooms, and so their reservations, in the user's scope.
        rooms = scopes.scoped_queryset(request.user, ReservableArea.objects.all(), for_change=False)
        stations = selectors.staff_calendar_stations(rooms)
        station_id = _requested_station(request.GET.get("station"), stations)
        if station_id is not None:
            rooms = rooms.filter(area__station_id=station_id)
        week = selectors.staff_week(rooms, monday)
        here = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_calendar", current_app=self.admin_site.name)

        def week_url(day):
            query = {"week": day.isoformat()}
            if station_id is not None:
                query["station"] = station_id
            return f"{here}?{urlencode(query)}"

        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Room calendar"),
            "subtitle": gettext("%(monday)s to %(sunday)s") % {"monday": monday.isoformat(), "sunday": week.days[-1].isoformat()},
            "week": week,
            "today": today,
            "is_this_week": monday == selectors.week_start(today),
            "previous_week_url": week_url(monday - timedelta(days=7)),
            "next_week_url": week_url(monday + timedelta(days=7)),
            "this_week_url": week_url(selectors.week_start(today)),
            "stations": stations,
            "station_id": station_id,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/reservations/reservation/calendar.html", context)

    # --- adding: a staff block, through the service

    def save_model(self, request, obj, form, change):
        if change:  # nothing of an existing reservation is edited here; kept for safety
            return
        try:
            block = services.reservation_block(
                area=obj.area, starts_at=obj.starts_at, ends_at=obj.ends_at, actor=request.user, reason=obj.purpose,
            )
        except services.ReservationError as error:
            raise _ServiceRefused(error.message) from error
        obj.__dict__.update({k: v for k, v in block.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ServiceRefused as refused:
            self.message_user(request, gettext("Nothing was saved: %s") % refused.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- the approval queue's actions

    def _decide(self, request, queryset, *, approve, remark=""):
        return apply_to_each(
            self, request, queryset.select_related("area__station").order_by("starts_at", "pk"),
            lambda reservation: services.reservation_decide(reservation=reservation, actor=request.user, approve=approve, remark=remark),
        )

    @admin.action(description=_("Approve the selected reservations"), permissions=["change"])
    def approve_selected(self, request, queryset):
        done = self._decide(request, queryset, approve=True)
        if done:
            self.message_user(request, ngettext("%d reservation was approved and its requester told.",
                                                "%d reservations were approved and their requesters told.", done) % done,
                              messages.SUCCESS)

    @admin.action(description=_("Reject the selected reservations with the reason given"), permissions=["change"])
    def reject_selected(self, request, queryset):
        reason = (request.POST.get("reason") or "").strip()[:200]
        if not reason:
            self.message_user(request, gettext("Please give the reason for the rejection; the requester will see it."), messages.ERROR)
            return
        done = self._decide(request, queryset, approve=False, remark=reason)
        if done:
            self.message_user(request, ngettext("%d reservation was rejected and its requester told.",
                                                "%d reservations were rejected and their requesters told.", done) % done,
                              messages.SUCCESS)
