"""The room reservation pages: the rooms, a room's week of free and taken slots, the request form and My reservations.

A ReservationError from the services becomes a form error or a flash message; nothing a visitor sends ends in a 500.
"""

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import icalendar
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from events.calendars import absolute_url, new_calendar, site_host
from portal import page_cache
from portal.models import District
from reservations import selectors, services
from reservations.forms import DAY_MINUTES, ReservationRequestForm
from reservations.models import Reservation
from stations.hours import SHANGHAI, local_now
from stations.models import FunctionArea


def _room_or_404(area_id, monday):
    try:
        return selectors.room_for_week(area_id, monday)
    except FunctionArea.DoesNotExist:
        raise Http404(_("This room is not open for reservations.")) from None


def _requested_week(value, today):
    """The Monday of the week asked for; this week for anything else (not a date, too far away)."""
    this_monday = selectors.week_start(today)
    if not value or len(value) != 10:
        return this_monday
    try:
        monday = selectors.week_start(date.fromisoformat(value))
    except ValueError:
        return this_monday
    if abs((monday - this_monday).days) > 7 * selectors.WEEKS_SHOWN:
        return this_monday
    return monday


STATIONS_PER_PAGE = 20


@require_safe
@page_cache.public_page("places", "stations", "reservations")
def room_list(request):
    districts = list(District.objects.order_by("ordering", "name"))
    chosen = request.GET.get("district", "")
    district = next((d for d in districts if str(d.pk) == chosen), None)
    # A city has thousands of rooms: a page of stations at a time, and a district to narrow them.
    page = Paginator(selectors.stations_with_rooms(district=district), STATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "reservations/room_list.html", {
        "page": page,
        "districts": districts,
        "district": district,
        "pagination_request": SimpleNamespace(GET=QueryDict(urlencode({"district": district.pk}) if district else "")),
    })


@require_safe
@page_cache.public_page("places", "stations", "reservations")
def room_week(request, area_id):
    today = local_now().date()
    monday = _requested_week(request.GET.get("week", ""), today)
    area = _room_or_404(area_id, monday)
    days = selectors.week_grid(area, monday)
    base = reverse("reservations:room", args=[area.pk])
    return render(request, "reservations/room_week.html", {
        "area": area,
        "station": area.station,
        "days": days,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "today": today,
        "is_this_week": monday == selectors.week_start(today),
        "previous_week_url": f"{base}?{urlencode({'week': (monday - timedelta(days=7)).isoformat()})}",
        "next_week_url": f"{base}?{urlencode({'week': (monday + timedelta(days=7)).isoformat()})}",
        "this_week_url": base,
        "request_url": reverse("reservations:request", args=[area.pk]),
    })


def _initial(request, reservable):
    """Prefill from a slot link (?date=…&start=…): the slot itself as the time asked for."""
    initial = {"attendees": 1}
    try:
        day = date.fromisoformat(request.GET.get("date", "")[:10])
        start = request.GET.get("start", "")[:5]
        hours, minutes = (int(part) for part in start.split(":"))
        end_minutes = hours * 60 + minutes + reservable.slot_minutes
    except ValueError:
        return initial
    if not (0 <= hours < 24 and 0 <= minutes < 60) or end_minutes > 24 * 60:
        return initial
    initial.update(date=day, start=start, end="24:00" if end_minutes == 24 * 60 else f"{end_minutes // 60:02d}:{end_minutes % 60:02d}")
    return initial


def _open_span(area, monday):
    """The earliest start and latest end of the room's opening periods in the week from `monday`, in minutes after
    midnight, for the form's time choices (the service still checks each day's own hours). All day if it never opens
    that week or a period runs past midnight."""
    span = None
    for offset in range(7):
        day = monday + timedelta(days=offset)
        midnight = datetime.combine(day, time(0), tzinfo=SHANGHAI)
        for start, end in selectors.room_periods(area.station, area.reservable, day):
            first, last = (start - midnight) // timedelta(minutes=1), (end - midnight) // timedelta(minutes=1)
            if last > DAY_MINUTES:
                return 0, DAY_MINUTES
            span = (min(span[0], first), max(span[1], last)) if span else (first, last)
    return span or (0, DAY_MINUTES)


def _report_outcomes(request, outcomes):
    held = [o for o in outcomes if o.reservation is not None]
    pending = any(o.reservation.status == Reservation.Status.PENDING for o in held)
    if len(outcomes) == 1:
        messages.success(request, _("Your request is received. Station staff will look at it soon; the time is kept for you meanwhile.")
                         if pending else _("Your reservation is confirmed."))
        return
    messages.success(request, ngettext("%(count)d date is requested.", "%(count)d dates are requested.", len(held)) % {"count": len(held)}
                     + (" " + _("Station staff will look at them soon; the times are kept for you meanwhile.") if pending else ""))
    for occurrence in outcomes:
        if occurrence.problem:
            messages.warning(request, _("%(date)s was not reserved: %(reason)s") % {
                "date": date_format(timezone.localtime(occurrence.starts_at), "DATE_FORMAT"), "reason": occurrence.problem,
            })


@login_required
def request_form(request, area_id):
    """One date, or the same time weekly: a weekly request first shows which dates are free, then reserves those."""
    monday = selectors.week_start(local_now().date())
    area = _room_or_404(area_id, monday)
    reservable = area.reservable
    hours = _open_span(area, monday)
    preview = None
    if request.method == "POST":
        form = ReservationRequestForm(request.POST, reservable=reservable, user=request.user, hours=hours)
        if form.is_valid():
            data = form.cleaned_data
            request_args = {"area": area, "user": request.user, "starts_at": data["starts_at"], "ends_at": data["ends_at"],
                                "attendees": data["attendees"], "organisation": data.get("organisation"), "weeks": data["weeks"]}
            try:
                if data["weeks"] > 1 and request.POST.get("confirm") != "1":
                    preview = services.reservation_preview(**request_args)
                else:
                    outcomes = services.reservation_request_weekly(purpose=data["purpose"], **request_args)
                    _report_outcomes(request, outcomes)
                    return redirect("reservations:mine")
            except services.ReservationError as error:
                form.add_error(None, error.message)
    elif request.method in ("GET", "HEAD"):
        form = ReservationRequestForm(initial=_initial(request, reservable), reservable=reservable, user=request.user, hours=hours)
    else:
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    return render(request, "reservations/request_form.html", {
        "area": area, "station": area.station, "reservable": reservable, "form": form,
        "preview": preview, "free_count": sum(1 for o in preview or () if o.is_free),
    })


@login_required
@require_safe
def my_reservations(request):
    upcoming, past = selectors.reservations_of(request.user)
    return render(request, "reservations/my_reservations.html", {"upcoming": upcoming, "past": past[:50]})


@require_POST
def cancel(request, reservation_id):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("reservations:mine"))
    try:
        services.reservation_cancel(reservation_id=reservation_id, user=request.user)
    except services.ReservationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your reservation is cancelled."))
    return redirect("reservations:mine")


@require_POST
def cancel_series(request, series):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("reservations:mine"))
    try:
        count = services.reservation_cancel_series(series=series, user=request.user)
    except services.ReservationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ngettext("%(count)d date is cancelled.", "%(count)d dates are cancelled.", count) % {"count": count})
    return redirect("reservations:mine")


@login_required
@require_safe
def calendar_file(request, reservation_id):
    reservation = get_object_or_404(
        Reservation.objects.select_related("area__station"), pk=reservation_id, user=request.user, is_block=False,
    )
    calendar, tz = new_calendar()
    station = reservation.area.station
    event = icalendar.Event()
    event.add("uid", f"reservation-{reservation.pk}@{site_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", timezone.localtime(reservation.starts_at, tz))
    event.add("dtend", timezone.localtime(reservation.ends_at, tz))
    event.add("sequence", int(reservation.updated_at.timestamp()))
    event.add("summary", f"{reservation.area.display_name} · {reservation.purpose}")
    event.add("location", f"{station.name}, {station.address}" if station.address else station.name)
    event.add("description", f"{reservation.get_status_display()}\n\n{absolute_url(reverse('reservations:mine'))}")
    event.add("status", {"approved": "CONFIRMED", "pending": "TENTATIVE"}.get(reservation.status, "CANCELLED"))
    calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reservation-{reservation.pk}.ics"'
    return response
