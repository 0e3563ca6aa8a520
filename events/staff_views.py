"""Staff pages at the door of an event: check-in, live arrivals count, attendance CSV, seats for walk-ins.

Every view needs a logged-in member of staff whose scope covers the event's
station (portal.scopes); anyone else gets 403. State changes go through
events.checkin.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from events import checkin
from events.models import Booking, Event
from events.services import EventError
from portal import scopes
from portal.spreadsheets import safe_cell

ARRIVALS_SHOWN = 50
MESSAGE_LEVEL = {
    checkin.CheckInOutcome.CHECKED_IN: messages.SUCCESS,
    checkin.CheckInOutcome.ALREADY_CHECKED_IN: messages.WARNING,
}


def _event_for_staff(request, event_id):
    event = get_object_or_404(Event.objects.select_related("station"), pk=event_id)
    if not scopes.in_scope(request.user, event):
        raise PermissionDenied
    return event


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _arrivals(event):
    return list(
        Booking.objects.filter(event=event, status=Booking.Status.ATTENDED)
        .select_related("user").order_by("-checked_in_at", "-pk")[:ARRIVALS_SHOWN]
    )


def _counts(event):
    """Seats checked in and seats held, read fresh: the page polls this while people arrive."""
    checked_in = Booking.objects.filter(event=event, status=Booking.Status.ATTENDED).aggregate(n=Sum("seats"))["n"] or 0
    confirmed = Event.objects.filter(pk=event.pk).values_list("confirmed_seats", flat=True).get()
    return {"checked_in": checked_in, "confirmed": confirmed, "expected": confirmed - checked_in, "capacity": event.capacity}


def _arrival_json(booking):
    return {
        "name": booking.user.display_name or booking.user.email,
        "seats": booking.seats,
        "seats_label": ngettext("%(n)s seat", "%(n)s seats", booking.seats) % {"n": booking.seats},  # the template's msgid
        "time": time_format(timezone.localtime(booking.checked_in_at), "H:i"),
    }


def _may_release(event, now):
    return event.fee_fen == 0 and event.status == Event.Status.PUBLISHED and event.starts_at <= now < event.ends_at


@never_cache
@login_required
@require_GET
def checkin_page(request, event_id):
    event = _event_for_staff(request, event_id)
    now = timezone.now()
    opens, closes = checkin.check_in_window(event)
    return render(request, "events/staff/checkin.html", {
        "event": event,
        "counts": _counts(event),
        "arrivals": _arrivals(event),
        "check_in_opens": opens,
        "check_in_open": event.status == Event.Status.PUBLISHED and opens <= now < closes,
        "may_release": _may_release(event, now),
    })


@login_required
@require_POST
def checkin_scan(request, event_id):
    """A typed or scanned code. Without JavaScript: flash message and back to the page; with it: JSON."""
    event = _event_for_staff(request, event_id)
    result = checkin.booking_check_in(event=event, code=request.POST.get("code", ""), actor=request.user)
    if _wants_json(request):
        return JsonResponse({
            "outcome": result.outcome.value,
            "ok": result.ok,
            "message": str(result.message),
            "counts": _counts(event),
            "arrival": _arrival_json(result.booking) if result.ok else None,
        })
    messages.add_message(request, MESSAGE_LEVEL.get(result.outcome, messages.ERROR), result.message)
    return redirect("events_staff:checkin", event_id=event.pk)


@never_cache
@login_required
@require_GET
def checkin_count(request, event_id):
    event = _event_for_staff(request, event_id)
    return JsonResponse({**_counts(event), "arrivals": [_arrival_json(b) for b in _arrivals(event)]})


def _local(moment):
    return date_format(timezone.localtime(moment), "Y-m-d H:i") if moment else ""


@never_cache
@login_required
@require_GET
def attendance_csv(request, event_id):
    """Everyone who held a seat: arrived, still expected, or did not come. Waiting list and cancellations are left out."""
    event = _event_for_staff(request, event_id)
    bookings = (
        Booking.objects.filter(event=event, status__in=[Booking.Status.ATTENDED, Booking.Status.CONFIRMED, Booking.Status.NO_SHOW])
        .select_related("user").order_by("user__display_name", "pk")
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="attendance-{event.pk}-{timezone.localtime(event.starts_at):%Y%m%d}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the Chinese names as UTF-8
    writer = csv.writer(response)
    writer.writerow([_("Booking code"), _("Name"), _("E-mail"), _("Seats"), _("Status"), _("Confirmed at"), _("Checked in at")])
    for b in bookings:
        writer.writerow([
            b.code, safe_cell(b.user.display_name), safe_cell(b.user.email), b.seats, b.get_status_display(),
            _local(b.confirmed_at), _local(b.checked_in_at),
        ])
    return response


@login_required
@require_POST
def release_seats(request, event_id):
    event = _event_for_staff(request, event_id)
    try:
        seats = checkin.event_release_unclaimed_seats(event=event, actor=request.user)
    except EventError as error:
        messages.error(request, error.message)
    else:
        if seats:
            messages.success(request, ngettext("%(n)d seat released to walk-ins.", "%(n)d seats released to walk-ins.", seats) % {"n": seats})
        else:
            messages.info(request, _("Everyone with a seat has checked in: no seats to release."))
    return redirect("events_staff:checkin", event_id=event.pk)
