"""When events happen: moving an event, and reminding the people booked before it starts.

Lock order is the one in events.services: the event row first, then its bookings.
event_move holds both until it commits; send_due_reminders locks only bookings and
skips the ones somebody else holds, so it never waits and never deadlocks. Because
event_move locks the bookings of the event it moves, a reminder run that holds a
booking's lock knows the start time it reads next is final for its transaction.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from events.models import Booking, Event
from events.services import EventError, _lock_event, _notify_booking
from portal.audit import audit_log

DEFAULT_REMINDER_BEFORE = timedelta(hours=2)


def _format_local(moment):
    return date_format(timezone.localtime(moment, timezone.get_default_timezone()), "DATETIME_FORMAT")


def local_time(moment):
    """`moment` as Shanghai wall-clock time, formatted lazily: notify() renders it in the recipient's own language."""
    return lazy(partial(_format_local, moment), str)()


def reminder_lead():
    """How long before the start people are reminded (settings.EVENTS_REMINDER_BEFORE)."""
    return getattr(settings, "EVENTS_REMINDER_BEFORE", DEFAULT_REMINDER_BEFORE)


def event_move(*, event, starts_at, ends_at, actor, now=None):
    """Give `event` a new time and tell everyone with a seat or a waiting-list place.

    Booking deadlines that were set (booking closes, cancellation deadline) move by
    the same amount as the start, since people read them as "so long before the event".
    Reminders already sent announced the old time, so each booking is due a new one.
    """
    now = now or timezone.now()
    if ends_at <= starts_at:
        raise EventError(_("The event must end after it starts."))
    if starts_at <= now:
        raise EventError(_("An event cannot be moved to a time that has already passed."))

    # Not durable: admin's save_model runs inside the admin's own transaction.
    with transaction.atomic():
        locked = _lock_event(event.pk)
        if locked.status in (Event.Status.CANCELLED, Event.Status.FINISHED):
            raise EventError(_("A cancelled or finished event cannot be moved."))
        old_start, old_end = locked.starts_at, locked.ends_at
        if (old_start, old_end) == (starts_at, ends_at):
            return locked
        people = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(event=locked, status__in=[Booking.Status.CONFIRMED, Booking.Status.WAITLISTED])
            .order_by("pk")
        )
        shift = starts_at - old_start
        changed = ["starts_at", "ends_at", "updated_at"]
        for deadline in ("booking_closes_at", "cancellation_deadline"):
            if getattr(locked, deadline) is not None and shift:
                setattr(locked, deadline, getattr(locked, deadline) + shift)
                changed.append(deadline)
        locked.starts_at, locked.ends_at = starts_at, ends_at
        locked.save(update_fields=changed)
        if shift:
            # Forget the reminders for the old time, rather than only comparing with the new start:
            # an event moved away and back again would otherwise get no reminder after the notice.
            Booking.objects.filter(event=locked, reminded_for__isnull=False).update(reminded_for=None)
        for booking in people:
            booking.event = locked
            _notify_booking(
                booking, "events.event.moved",
                format_lazy(_("New time: {title}"), title=locked.title),
                format_lazy(
                    _("{title} now starts at {when} (it was {old}) at {station}. Your booking stays as it is; "
                      "if the new time doesn't suit you, cancel it on the event page so someone else can come."),
                    title=locked.title, when=local_time(starts_at), old=local_time(old_start), station=locked.station.name,
                ),
            )
        audit_log(
            action="events.event.moved", actor=actor, target=locked,
            data={"from": [old_start.isoformat(), old_end.isoformat()], "to": [starts_at.isoformat(), ends_at.isoformat()],
                  "told": len(people)},
        )
    return locked


def send_due_reminders(*, now=None):
    """Remind each confirmed booking of a published event starting within the reminder lead, once per start time.

    Safe to run twice, or twice at once: a run locks the bookings it reminds and skips
    those another run holds; a booking is reminded when `reminded_for` differs from the
    event's start and then records that start. Returns how many reminders it sent.
    """
    now = now or timezone.now()
    until = now + reminder_lead()
    sent = 0
    with transaction.atomic(durable=True):
        due = list(
            Booking.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "event__station")
            .filter(
                status=Booking.Status.CONFIRMED,
                event__status=Event.Status.PUBLISHED,
                event__starts_at__gt=now,
                event__starts_at__lte=until,
            )
            .exclude(reminded_for=F("event__starts_at"))
            .order_by("pk")
        )
        if not due:
            return 0
        # Read the events again now that their bookings are locked: the join above saw them as of the
        # statement's start, and an event_move that committed meanwhile must not be announced with the old time.
        current = {
            event.pk: event
            for event in Event.objects.select_related("station").filter(pk__in={booking.event_id for booking in due})
        }
        reminded = []
        for booking in due:
            event = current[booking.event_id]
            if event.status != Event.Status.PUBLISHED or not now < event.starts_at <= until or booking.reminded_for == event.starts_at:
                continue
            booking.event = event
            _notify_booking(
                booking, "events.booking.reminder",
                format_lazy(_("Reminder: {title} starts at {when}"), title=event.title, when=local_time(event.starts_at)),
                format_lazy(_("{title} at {station}, {address}. Show your booking code {code} when you arrive."),
                            title=event.title, station=event.station.name, address=event.station.address, code=booking.code),
            )
            booking.reminded_for = event.starts_at
            reminded.append(booking)
            sent += 1
        # A reminder is not a change to the booking: updated_at stays as it is.
        Booking.objects.bulk_update(reminded, ["reminded_for"])
    return sent
