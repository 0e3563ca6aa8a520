"""Booking seats at events: confirm while seats last, then the waiting list, promoted in order.

Lock order, everywhere: the event row first (it holds the seat counter), then
bookings. Seats move only here, with F() expressions, under that row's lock; the
database's check constraint (confirmed_seats <= capacity) refuses anything else.

A single booking takes the event row last, not first (`_book_at_once`): the booking,
its notification and its audit row are written as the event was read a moment
before, and one conditional statement on the event row, just before the commit,
checks that this still holds — a seat is there to take (and is taken in the same
statement), or the event is still full for a place on the waiting list — and holds
the row's lock to the commit only. When it no longer holds, everything rolls back
and the booking goes the locked way (`book_in_transaction`): the event row locked
first, read again, decided under the lock. Either way, a seat is counted and a
waiting place written only under the event row's lock, so a cancellation (which
locks the row, then promotes the waiting list) sees every waiting place that was
there before its seat came free, and a new booking never takes a seat someone on
the waiting list is owed. Seats only get scarcer between cancellations, so the
bookings written first still get the seats first.
"""

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from events.models import Booking, Event
from events.selectors import may_book_for_a_group
from portal.audit import audit_log
from portal.db import rows_changed, violates
from portal.exceptions import PortalError
from portal.models import Membership
from portal.notifications import notify


class EventError(PortalError):
    """A booking rule was broken; the message says which, in words a person understands."""


MAX_GROUP_SEATS = getattr(settings, "EVENTS_MAX_GROUP_SEATS", 20)
ALREADY_BOOKED = _("You have already booked this event.")


def _lock_event(event_id):
    """Lock the event row for the rest of the transaction. Callers must be inside transaction.atomic()."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("_lock_event must run inside transaction.atomic()")
    # The station comes along (bookings name it in their notification); only the event row is locked.
    return Event.objects.select_for_update(of=("self",)).select_related("station").get(pk=event_id)


def _check_bookable(event, now):
    if event.status == Event.Status.CANCELLED:
        raise EventError(_("This event has been cancelled."))
    if event.status != Event.Status.PUBLISHED:
        raise EventError(_("This event is not open for booking."))
    if event.starts_at <= now:
        raise EventError(_("This event has already started."))
    if event.booking_opens_at and now < event.booking_opens_at:
        raise EventError(
            format_lazy(_("Booking opens on {when}."), when=date_format(timezone.localtime(event.booking_opens_at), "DATETIME_FORMAT"))
        )
    if event.booking_closes_at and now >= event.booking_closes_at:
        raise EventError(_("Booking for this event has closed."))


def _check_may_attend(event, user):
    if event.private_for_id and not Membership.objects.filter(
        user=user, organisation_id=event.private_for_id, verified_at__isnull=False
    ).exists():
        raise EventError(_("This activity is for the staff of one enterprise only."))


def _notify_booking(booking, kind, title, body=""):
    notify(recipient=booking.user, kind=kind, title=title, body=body, url=reverse("events:detail", args=[booking.event_id]))


def _when(event):
    return date_format(timezone.localtime(event.starts_at), "DATETIME_FORMAT")


def booking_create(*, event, user, seats=1, now=None):
    """Book `seats` at `event` for `user`: confirmed if the seats are free, otherwise on the waiting list.

    When the event belongs to a series booked as a whole course, every upcoming
    session from this one on is booked in the same transaction (each confirmed or
    waiting on its own); the booking of `event` is returned.
    """
    now = now or timezone.now()
    if seats < 1:
        raise EventError(_("Book at least one seat."))
    if seats > MAX_GROUP_SEATS:
        raise EventError(format_lazy(_("At most {n} seats can be booked at once."), n=MAX_GROUP_SEATS))
    if seats > 1 and not may_book_for_a_group(user):
        raise EventError(_("Only a verified contact of an enterprise can book seats for colleagues."))
    _check_bookable(event, now)  # cheap checks before taking the lock
    _check_may_attend(event, user)

    course = _course_sessions(event, now)
    try:
        if len(course) == 1:
            booking = _book_at_once(event, user, seats, now)
            if booking is not None:
                return booking
        # The person's own no-show record, read before the event's lock so the queue behind that lock moves faster.
        restricted_until = _no_show_restriction(user, now) if event.fee_fen == 0 else None
        with transaction.atomic(durable=True):
            if len(course) == 1:
                return book_in_transaction(event.pk, user, seats, now, restricted_until=restricted_until)
            return _book_course(event, course, user, seats, now, restricted_until)
    except IntegrityError as exc:
        # Booked already: the booking's INSERT met the constraint, and everything rolled back.
        if violates(exc, "booking_one_active_per_person", "events_booking.user_id"):
            raise EventError(ALREADY_BOOKED) from exc
        raise


def _book_at_once(event, user, seats, now):
    """Book `event` as it was just read, taking its row last (see the module's docstring); None when it changed.

    `event` is the caller's read, with its station, made a moment ago without a lock.
    """
    if seats > event.capacity:
        return None  # refused the locked way, with the reason
    fits = event.capacity - event.confirmed_seats >= seats
    # A no-show record matters only where a seat would be given: a full event's waiting list is open to everyone.
    restricted_until = _no_show_restriction(user, now) if fits and not event.fee_fen else None
    confirmed = fits and restricted_until is None
    with transaction.atomic(durable=True):
        booking = _write_booking(event, user, seats, now, confirmed, restricted_until)
        if not _event_still_as_read(event, seats, now, take_seats=confirmed, full=not fits):
            transaction.set_rollback(True)  # the booking, its notification and its audit row go; nothing is told
            return None
    return booking


# The statement a single booking ends with, as SQL: the ORM took 0.6 ms of CPU to build it again for every booking,
# against 0.05 ms to send it, and a booking's CPU is what the benchmark's bookings per second are made of (bench/,
# issue #8). Its condition is `_check_bookable`'s, checked again in the statement that books; the seats move in the
# database (`confirmed_seats + n`, as F() would), so the check constraint event_not_overbooked judges the real total.
_STILL_BOOKABLE = (
    "id = %s AND status = %s AND starts_at > %s AND (booking_opens_at IS NULL OR booking_opens_at <= %s)"
    " AND (booking_closes_at IS NULL OR booking_closes_at > %s)"
)
_TAKE_SEATS = f"UPDATE events_event SET confirmed_seats = confirmed_seats + %s WHERE {_STILL_BOOKABLE} AND confirmed_seats <= capacity - %s"
_STILL_FULL = f"SELECT id FROM events_event WHERE {_STILL_BOOKABLE} AND confirmed_seats > capacity - %s"
_STILL_OPEN = f"SELECT id FROM events_event WHERE {_STILL_BOOKABLE}"


def _event_still_as_read(event, seats, now, *, take_seats, full):
    """One statement on the event row, which then stays locked to the commit: is the event still as `event` was read?

    `take_seats`: count the seats if they are still free. Otherwise, with `full`: the event is still too full for
    `seats` (a waiting place is right). Neither (seats free, the person restricted to waiting lists): still bookable.
    """
    bookable = [event.pk, Event.Status.PUBLISHED, now, now, now]
    if take_seats:
        return rows_changed(_TAKE_SEATS, [seats, *bookable, seats]) == 1
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite: the first write locks it all
    with connection.cursor() as cursor:
        if full:
            cursor.execute(_STILL_FULL + lock, [*bookable, seats])
        else:
            cursor.execute(_STILL_OPEN + lock, bookable)
        return cursor.fetchone() is not None


def _book_course(event, course, user, seats, now, restricted_until):
    bookings = {}
    # Sessions are locked in primary-key order, like every multi-event write, so two courses can't deadlock.
    for session_id in sorted(course):
        booking = book_in_transaction(session_id, user, seats, now, tell=False, skip_if_booked=session_id != event.pk,
                                      restricted_until=restricted_until)
        if booking is not None:
            bookings[session_id] = booking
    booking = bookings[event.pk]
    confirmed = sum(1 for b in bookings.values() if b.status == Booking.Status.CONFIRMED)
    _notify_booking(
        booking, "events.booking.course",
        format_lazy(_("Course booked: {title}"), title=event.title),
        format_lazy(_("{confirmed} of {total} sessions confirmed; the others are on the waiting list. Your booking codes are in My bookings."),
                    confirmed=confirmed, total=len(bookings)),
    )
    return booking


def _course_sessions(event, now):
    """The ids of the sessions a booking of `event` covers: itself, or the rest of its course."""
    if not event.series_id or not event.series.whole_course:
        return [event.pk]
    return list(
        Event.objects.filter(series_id=event.series_id, status=Event.Status.PUBLISHED, starts_at__gte=event.starts_at, starts_at__gt=now)
        .values_list("pk", flat=True)
    ) or [event.pk]


def _no_show_restriction(user, now):
    from events.checkin import no_show_restriction  # checkin builds on this module

    return no_show_restriction(user, now)


_UNREAD = object()


def book_in_transaction(event_id, user, seats, now, *, tell=True, skip_if_booked=False, restricted_until=_UNREAD):
    """Lock the event and book it. Runs inside the caller's transaction (the seed's, or booking_create's).

    It checks the event is bookable and has room; who may book (group seats, private events) is
    booking_create's job, so callers other than it book single seats for people entitled to them.

    With `skip_if_booked`, a session the person already holds is left alone (None is returned);
    the check runs under the event's lock, so two course bookings at once can't both pass it.
    `restricted_until` is the person's no-show restriction (`events.checkin.no_show_restriction`), when the
    caller has read it already.
    """
    event = _lock_event(event_id)
    _check_bookable(event, now)
    if seats > event.capacity:
        raise EventError(format_lazy(_("This event has only {n} seats in all."), n=event.capacity))
    # A second booking of the event by the same person fails at its INSERT (booking_one_active_per_person), which
    # booking_create tells as ALREADY_BOOKED; only a course's other sessions are looked at first, to be skipped.
    if skip_if_booked and Booking.objects.filter(event=event, user=user, status__in=Booking.ACTIVE).exists():
        return None
    # Repeated no-shows at free events: only the waiting list for a while (they are told why).
    if event.fee_fen:
        restricted_until = None
    elif restricted_until is _UNREAD:
        restricted_until = _no_show_restriction(user, now)
    confirmed = restricted_until is None and event.capacity - event.confirmed_seats >= seats
    booking = _write_booking(event, user, seats, now, confirmed, restricted_until, tell=tell)
    if confirmed:
        Event.objects.filter(pk=event.pk).update(confirmed_seats=F("confirmed_seats") + seats)
    return booking


def _write_booking(event, user, seats, now, confirmed, restricted_until, *, tell=True):
    """The booking, what the person is told and the audit row; the seats are counted by the caller."""
    booking = Booking.objects.create(
        event=event,
        user=user,
        seats=seats,
        status=Booking.Status.CONFIRMED if confirmed else Booking.Status.WAITLISTED,
        confirmed_at=now if confirmed else None,
    )
    if tell and confirmed:
        _notify_booking(
            booking, "events.booking.confirmed",
            format_lazy(_("Seat confirmed: {title}"), title=event.title),
            format_lazy(_("{when} at {station}. Show your booking code {code} when you arrive."),
                        when=_when(event), station=event.station.name, code=booking.code),
        )
    elif tell:
        from events.checkin import no_show_restriction_message  # checkin builds on this module

        _notify_booking(
            booking, "events.booking.waitlisted",
            format_lazy(_("On the waiting list: {title}"), title=event.title),
            no_show_restriction_message(restricted_until) if restricted_until else
            _("The event is full. If a seat is given back, you get it automatically and we tell you."),
        )
    booking.restricted_until = restricted_until  # for the page that made the booking to explain it
    audit_log(action=f"events.booking.{booking.status}", actor=user, target=booking, data={"seats": seats})
    return booking


def _promote_waiting(event, now):
    """Give free seats to the waiting list in order: the first whose request fits. Expects the event lock."""
    free = event.capacity - event.confirmed_seats
    if free <= 0:
        return []
    promoted = []
    waiting = Booking.objects.select_for_update().filter(event=event, status=Booking.Status.WAITLISTED).order_by("created_at", "pk")
    for booking in waiting:
        if booking.seats > free:
            continue  # a group that doesn't fit keeps its place; someone smaller behind it may fit
        booking.status = Booking.Status.CONFIRMED
        booking.confirmed_at = now
        booking.save(update_fields=["status", "confirmed_at", "updated_at"])
        free -= booking.seats
        promoted.append(booking)
        _notify_booking(
            booking, "events.booking.promoted",
            format_lazy(_("A seat came free — you are booked: {title}"), title=event.title),
            format_lazy(_("{when} at {station}. Can't come after all? Cancel on the event page so the next person gets the seat."),
                        when=_when(event), station=event.station.name),
        )
        audit_log(action="events.booking.promoted", target=booking)
        if free == 0:
            break
    if promoted:
        Event.objects.filter(pk=event.pk).update(confirmed_seats=F("confirmed_seats") + sum(b.seats for b in promoted))
    return promoted


def booking_cancel(*, booking_id, user, now=None):
    """Give a booking back: a waiting-list place any time, a confirmed seat until the cancellation deadline."""
    now = now or timezone.now()
    event_id = Booking.objects.filter(pk=booking_id, user=user).values_list("event_id", flat=True).first()
    if event_id is None:
        raise EventError(_("There is no such booking of yours."))
    with transaction.atomic(durable=True):
        event = _lock_event(event_id)
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if booking.status == Booking.Status.WAITLISTED:
            pass
        elif booking.status == Booking.Status.CONFIRMED:
            deadline = event.cancellation_deadline or event.starts_at
            if now >= deadline:
                raise EventError(_("The cancellation deadline has passed. Please tell the station if you cannot come."))
        else:
            raise EventError(_("This booking can no longer be cancelled."))
        held = booking.status == Booking.Status.CONFIRMED
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.save(update_fields=["status", "cancelled_at", "updated_at"])
        if held:
            Event.objects.filter(pk=event.pk).update(confirmed_seats=F("confirmed_seats") - booking.seats)
            event.refresh_from_db(fields=["confirmed_seats"])
            _promote_waiting(event, now)
        audit_log(action="events.booking.cancelled", actor=user, target=booking)
    return booking


def event_capacity_change(*, event, capacity, actor, now=None):
    """Change an event's seats. Fewer than already confirmed is refused; more seats go to the waiting list."""
    now = now or timezone.now()
    if capacity < 1:
        # The check constraint event_has_seats would refuse it too, but as an IntegrityError (a 500), not a message.
        raise EventError(_("An event needs at least one seat."))
    with transaction.atomic():
        locked = _lock_event(event.pk)
        if capacity < locked.confirmed_seats:
            raise EventError(
                format_lazy(_("{n} seats are already confirmed: the event cannot have fewer seats than that."), n=locked.confirmed_seats)
            )
        locked.capacity = capacity
        locked.save(update_fields=["capacity", "updated_at"])
        _promote_waiting(locked, now)
        locked.refresh_from_db(fields=["confirmed_seats"])  # promotions moved the counter in SQL; the caller gets the truth
        audit_log(action="events.event.capacity_changed", actor=actor, target=locked, data={"capacity": capacity})
    return locked


# Event changes


def event_cancel(*, event, actor, reason="", now=None):
    """Cancel an event: every booking and waiting place is given back, and everyone who held one is told.

    Locks the event row (like every seat change), then its bookings; the seat counter goes to 0.
    Not durable: the admin calls it once per selected event, each in its own transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_event(event.pk)
        if locked.status == Event.Status.CANCELLED:
            raise EventError(format_lazy(_("“{title}” has already been cancelled."), title=locked.title))
        if locked.status == Event.Status.FINISHED:
            raise EventError(format_lazy(_("“{title}” has finished and can no longer be cancelled."), title=locked.title))
        bookings = list(
            Booking.objects.select_for_update().select_related("user").filter(event=locked, status__in=Booking.ACTIVE).order_by("pk")
        )
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(status=Booking.Status.CANCELLED, cancelled_at=now, updated_at=now)
        locked.status = Event.Status.CANCELLED
        locked.confirmed_seats = 0
        locked.save(update_fields=["status", "confirmed_seats", "updated_at"])
        body = format_lazy(_("The event on {when} at {station} will not take place."), when=_when(locked), station=locked.station.name)
        if reason:
            body = format_lazy(_("{body} Reason: {reason}"), body=body, reason=reason)
        told = [b for b in bookings if b.status in (Booking.Status.CONFIRMED, Booking.Status.WAITLISTED)]
        for booking in told:
            _notify_booking(booking, "events.event.cancelled", format_lazy(_("Cancelled: {title}"), title=locked.title), body)
        audit_log(action="events.event.cancelled", actor=actor, target=locked, data={"reason": reason, "bookings": len(bookings)})
    return locked
