"""Check-in at the door, seats released to walk-ins, no-shows and what they cost.

Staff check people in by booking code (typed, or read from the QR code on the
person's phone): a confirmed booking becomes `attended`. Both `confirmed` and
`attended` hold seats (Booking.HOLDING_SEATS), so checking in never moves the
seat counter.

A confirmed booking whose holder never came becomes `no_show`, which holds no
seat: whoever moves a booking there takes its seats off `Event.confirmed_seats`
in the same transaction, so the counter always equals the seats of the
bookings that hold them — during the event (staff release unclaimed seats to
walk-ins) and after it (`mark_no_shows`, run by Celery beat).

Lock order is the one of events.services: the event row first, then bookings.
"""

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.models import Booking, Event
from events.services import EventError, _lock_event
from portal import scopes
from portal.audit import audit_log
from portal.notifications import notify

CODE_ALPHABET = frozenset("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
CODE_LENGTH = 10


def _setting(name, default):
    return getattr(settings, name, default)


def check_in_window(event):
    """When the door is open for check-in: from EVENTS_CHECK_IN_OPENS_BEFORE (default 2 h) before the start to the end."""
    opens_before = _setting("EVENTS_CHECK_IN_OPENS_BEFORE", timedelta(hours=2))
    return event.starts_at - opens_before, event.ends_at


def normalise_code(raw):
    """The booking code in what staff typed or the camera read.

    Full-width characters from a Chinese input method become ASCII (NFKC), letters
    upper case; spaces, dashes and dots people type to group the characters are
    dropped. A scanned link (…/bookings/ABCDEFGH23) gives its last segment.
    No confusable is mapped: the alphabet has none of O, 0, I, 1, L to map to.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    for separator in ("/", "=", ":"):
        if separator in text:
            text = text.rstrip("/").rsplit(separator, 1)[-1]
    return "".join(ch for ch in text.upper() if ch not in " \t\r\n-_.·")


def _time(moment):
    return time_format(timezone.localtime(moment), "H:i")


class CheckInOutcome(models.TextChoices):
    CHECKED_IN = "checked_in", _("Checked in")
    ALREADY_CHECKED_IN = "already_checked_in", _("Already checked in")
    WRONG_EVENT = "wrong_event", _("Code for another event")
    UNKNOWN_CODE = "unknown_code", _("Unknown code")
    NOT_CONFIRMED = "not_confirmed", _("No confirmed seat")
    TOO_EARLY = "too_early", _("Check-in not open yet")
    EVENT_OVER = "event_over", _("Event over")
    NOT_OPEN = "not_open", _("Event not taking place")


@dataclass(frozen=True)
class CheckInResult:
    """What a scan found. `message` is translated and says the problem in plain words."""

    outcome: CheckInOutcome
    message: str
    booking: Booking | None = None
    other_event: Event | None = None

    @property
    def ok(self):
        return self.outcome == CheckInOutcome.CHECKED_IN

    @property
    def first_checked_in_at(self):
        """For ALREADY_CHECKED_IN: when the first scan was."""
        return self.booking.checked_in_at if self.booking is not None else None


def _require_scope(actor, event):
    if not scopes.in_scope(actor, event):
        raise PermissionDenied


def _person(booking):
    return booking.user.display_name or booking.user.email


def _not_confirmed_message(booking):
    if booking.status == Booking.Status.WAITLISTED:
        return _("This booking is on the waiting list: it has no seat.")
    if booking.status == Booking.Status.NO_SHOW:
        return _("This seat was released because nobody had checked in by the start time.")
    return _("This booking was cancelled.")


def booking_check_in(*, event, code, actor, now=None):
    """Check in the booking with `code` at `event`, as `actor` (staff of the event's station or street).

    Returns a CheckInResult; only a refused actor raises (PermissionDenied).
    A second scan of the same code is reported with the time of the first one.
    """
    now = now or timezone.now()
    _require_scope(actor, event)
    code = normalise_code(code)

    if event.status != Event.Status.PUBLISHED:
        return CheckInResult(CheckInOutcome.NOT_OPEN, _("This event is not taking place: it is cancelled, finished or not published."))
    opens, closes = check_in_window(event)
    if now < opens:
        return CheckInResult(
            CheckInOutcome.TOO_EARLY,
            format_lazy(_("Check-in opens at {time}."), time=date_format(timezone.localtime(opens), "DATETIME_FORMAT")),
        )
    if now >= closes:
        return CheckInResult(CheckInOutcome.EVENT_OVER, _("This event is over: check-in is closed."))

    if len(code) != CODE_LENGTH or not set(code) <= CODE_ALPHABET:
        return CheckInResult(CheckInOutcome.UNKNOWN_CODE, _("Unknown code. Check the characters and try again."))
    found = Booking.objects.select_related("event").filter(code=code).first()
    if found is None:
        return CheckInResult(CheckInOutcome.UNKNOWN_CODE, _("Unknown code. Check the characters and try again."))
    if found.event_id != event.pk:
        return CheckInResult(
            CheckInOutcome.WRONG_EVENT,
            format_lazy(_("This code is for another event: {title} ({when})."),
                        title=found.event.title, when=date_format(timezone.localtime(found.event.starts_at), "DATETIME_FORMAT")),
            other_event=found.event,
        )

    with transaction.atomic(durable=True):
        # The event lock orders this scan against a concurrent release of unclaimed seats.
        _lock_event(event.pk)
        booking = Booking.objects.select_for_update().select_related("user").get(pk=found.pk)
        if booking.status == Booking.Status.ATTENDED:
            return CheckInResult(
                CheckInOutcome.ALREADY_CHECKED_IN,
                format_lazy(_("{name} already checked in at {time}."), name=_person(booking), time=_time(booking.checked_in_at)),
                booking=booking,
            )
        if booking.status != Booking.Status.CONFIRMED:
            return CheckInResult(
                CheckInOutcome.NOT_CONFIRMED,
                format_lazy(_("{name}: {problem}"), name=_person(booking), problem=_not_confirmed_message(booking)),
                booking=booking,
            )
        booking.status = Booking.Status.ATTENDED
        booking.checked_in_at = now
        booking.save(update_fields=["status", "checked_in_at", "updated_at"])
        audit_log(action="events.booking.checked_in", actor=actor, target=booking)
    return CheckInResult(
        CheckInOutcome.CHECKED_IN,
        # Rendered now, in the language of the request that scanned: the plural needs the number.
        ngettext("Welcome, %(name)s: %(seats)d seat.", "Welcome, %(name)s: %(seats)d seats.", booking.seats)
        % {"name": _person(booking), "seats": booking.seats},
        booking=booking,
    )


def _to_no_show(event, bookings, now):
    """Mark `bookings` (confirmed, of `event`) as no-shows and take their seats off the counter. Expects the event lock."""
    Booking.objects.filter(pk__in=[b.pk for b in bookings], status=Booking.Status.CONFIRMED).update(
        status=Booking.Status.NO_SHOW, updated_at=now,
    )
    seats = sum(b.seats for b in bookings)
    if seats:
        Event.objects.filter(pk=event.pk).update(confirmed_seats=F("confirmed_seats") - seats)
    return seats


def event_release_unclaimed_seats(*, event, actor, now=None):
    """After the start of a free event, give the seats of people who have not checked in to walk-ins.

    Their bookings become no-shows (which count towards the waiting-list-only
    restriction) and they are told. The waiting list is not promoted: the event
    has started, and the people at the door are the walk-ins. Returns the
    number of seats released.
    """
    now = now or timezone.now()
    _require_scope(actor, event)
    if event.fee_fen:
        raise EventError(_("Seats can be released to walk-ins only at free events."))
    with transaction.atomic(durable=True):
        locked = _lock_event(event.pk)
        if locked.status != Event.Status.PUBLISHED:
            raise EventError(_("This event is not taking place: it is cancelled, finished or not published."))
        if now < locked.starts_at:
            raise EventError(_("Seats can be released only once the event has started."))
        if now >= locked.ends_at:
            raise EventError(_("This event is over: the bookings nobody checked in for are recorded as no-shows automatically."))
        unclaimed = list(
            Booking.objects.select_for_update().select_related("user")
            .filter(event=locked, status=Booking.Status.CONFIRMED).order_by("pk")
        )
        seats = _to_no_show(locked, unclaimed, now)
        for booking in unclaimed:
            notify(
                recipient=booking.user,
                kind="events.booking.released",
                title=format_lazy(_("Your seat was given to someone else: {title}"), title=locked.title),
                body=_("You had not checked in when the event started, so the station gave your seat to people waiting at the door. "
                       "If you can't come to an event, please cancel in good time so that someone else can go."),
                url=reverse("events:detail", args=[locked.pk]),
            )
        audit_log(action="events.event.seats_released", actor=actor, target=locked,
                  data={"bookings": len(unclaimed), "seats": seats})
    return seats


def mark_no_shows(*, now=None):
    """Record the confirmed bookings of every published event that has ended as no-shows. Safe to run twice.

    Only events where staff took attendance (someone checked in, or seats were
    released) are marked: where nobody used check-in we don't know who came,
    and counting everyone as absent would restrict people who did come.
    Returns the number of bookings marked.
    """
    now = now or timezone.now()
    took_attendance = Booking.objects.filter(event=OuterRef("pk")).filter(
        Q(checked_in_at__isnull=False) | Q(status__in=[Booking.Status.ATTENDED, Booking.Status.NO_SHOW])
    )
    pending = Booking.objects.filter(event=OuterRef("pk"), status=Booking.Status.CONFIRMED)
    event_ids = list(
        Event.objects.filter(status=Event.Status.PUBLISHED, ends_at__lte=now)
        .filter(Exists(took_attendance), Exists(pending))
        .order_by("pk").values_list("pk", flat=True)
    )
    marked = 0
    for event_id in event_ids:
        # One short transaction per event: beat's run never holds many event locks at once.
        with transaction.atomic(durable=True):
            event = _lock_event(event_id)
            bookings = list(Booking.objects.select_for_update().filter(event=event, status=Booking.Status.CONFIRMED).order_by("pk"))
            _to_no_show(event, bookings, now)
            marked += len(bookings)
            if bookings:
                audit_log(action="events.event.no_shows_marked", target=event, data={"bookings": len(bookings)})
    return marked


def no_show_restriction(user, now=None):
    """None, or the moment until which `user` may only join waiting lists because of repeated no-shows.

    Counts no-shows at free events (paid events cost the absent their fee
    already) whose start lies in the last EVENTS_NO_SHOW_WINDOW_DAYS (60);
    EVENTS_NO_SHOW_THRESHOLD (3) of them restrict the person until
    EVENTS_NO_SHOW_RESTRICTION_DAYS (30) after the latest.
    """
    now = now or timezone.now()
    window = timedelta(days=_setting("EVENTS_NO_SHOW_WINDOW_DAYS", 60))
    threshold = _setting("EVENTS_NO_SHOW_THRESHOLD", 3)
    restriction = timedelta(days=_setting("EVENTS_NO_SHOW_RESTRICTION_DAYS", 30))
    starts = list(
        Booking.objects.filter(
            user=user, status=Booking.Status.NO_SHOW, event__fee_fen=0,
            event__starts_at__gt=now - window, event__starts_at__lte=now,
        ).order_by("-event__starts_at").values_list("event__starts_at", flat=True)[:threshold]
    )
    if len(starts) < threshold:
        return None
    until = starts[0] + restriction
    return until if until > now else None


def no_show_restriction_message(until):
    """Why a person is put on the waiting list although seats are free: for the flash message or the notification."""
    return format_lazy(
        _("You did not come to {n} events you had booked in the last {days} days without cancelling. "
          "Until {until} you can join waiting lists only; a seat that comes free is still yours automatically."),
        n=_setting("EVENTS_NO_SHOW_THRESHOLD", 3),
        days=_setting("EVENTS_NO_SHOW_WINDOW_DAYS", 60),
        until=date_format(timezone.localtime(until), "DATETIME_FORMAT"),
    )
