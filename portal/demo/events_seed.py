"""Loaders for a month of demo events and their bookings (`portal.demo.events_data`).

Appended to `portal.demo.seed.LOADERS`, after the stations' content (events name its rooms).

Dates are relative to the day the seed runs: the four weeks start on the Monday after the
current week, so the demo always shows upcoming events. The natural key of an event is
(station, title, starts_at), and starts_at is computed from that Monday, so every run in the
same week finds the same rows and creates nothing. Which weeks an event has comes from a
four-week cycle counted from a fixed Monday (`CYCLE_START`), not from the run, so runs in
different weeks agree on every date. A run in a later week lays out its own four weeks: the
weeks it shares with an earlier run are found again, the new ones are added, and the events of
earlier runs stay where they are (they pass into history like real ones); the demo people then
book the first session of the new run as well. Nothing is ever deleted.

An event's descriptive fields (times, category, room, organiser, fee, description) are brought
back to the data; its seats and status are set when it is made and then left to the admin and
the booking services, so a run never undoes a capacity change or a cancellation — nor trips
over the seats already confirmed.

Bookings go through the booking service's in-transaction core (`events.services.book_in_transaction`): it
decides "confirmed" or "waiting list" and moves the seat counter under the event's row lock, as
a real booking would. (`booking_create` itself opens a durable transaction, which can't run
inside the seed's one transaction.) A person who already holds a place at the event is skipped,
and so is an event that is no longer open for booking, so a second run books nothing twice.
No notifications are sent for demo bookings.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from events.models import Booking, Event
from events.services import book_in_transaction
from portal.demo import events_data as content
from portal.models import User
from stations.models import FunctionArea, OpeningException

# A Monday: the four-week cycle of `events_data` (its `weeks`) counts from here.
CYCLE_START = date(2024, 1, 1)


def first_monday(today=None):
    """The Monday after the current week: the first of the run's four weeks."""
    today = today or timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=1)


def cycle_week(monday):
    """The week of the four-week cycle that starts on `monday`."""
    return (monday - CYCLE_START).days // 7 % content.WEEKS


def _at(day, hhmm):
    return timezone.make_aware(datetime.combine(day, time.fromisoformat(hhmm)))


def occurrences(row, monday):
    """(starts_at, ends_at) of each session of a data row in the four weeks from `monday`."""
    for week in range(content.WEEKS):
        week_monday = monday + timedelta(weeks=week)
        if cycle_week(week_monday) in row["weeks"]:
            day = week_monday + timedelta(days=row["weekday"])
            yield _at(day, row["start"]), _at(day, row["end"])


def _closed_days(station):
    return set(OpeningException.objects.filter(station=station, is_closed=True).values_list("date", flat=True))


def load_events(ctx):
    monday = first_monday()
    seen = set()
    for row in content.EVENTS:
        station = ctx.station(row["station"])
        room = FunctionArea.objects.get(station=station, name=row["room"]) if row.get("room") else None
        organiser = ctx.organisation(*row["organiser"]) if row.get("organiser") else None
        closed = _closed_days(station)
        for starts_at, ends_at in occurrences(row, monday):
            key = (row["station"], row["title"], starts_at)
            if key in seen:
                raise ValueError(f"The demo events name one session twice: {key!r}")
            seen.add(key)
            if timezone.localtime(starts_at).date() in closed:
                continue  # the station is closed that day (a public holiday)
            ctx.upsert(
                Event,
                {"station": station, "title": row["title"], "starts_at": starts_at},
                {
                    "ends_at": ends_at,
                    "category": row["category"],
                    "audience": row["audience"],
                    "function_area": room,
                    "organiser": organiser,
                    "fee_fen": row.get("fee_fen", 0),
                    "subsidy_note": row.get("subsidy_note", ""),
                    "description": row["description"],
                },
                on_create={"capacity": row["capacity"], "status": Event.Status.PUBLISHED},
            )


def load_demo_attendees(ctx):
    """The fictional people who fill the demo's full class. They have no password and can't sign in."""
    for spec in content.DEMO_ATTENDEES:
        ctx.users[spec["email"]] = ctx.upsert(
            User, {"email": spec["email"]}, {"display_name": spec["display_name"]}, prepare=lambda u: u.set_unusable_password()
        )


def _first_session(ctx, slug, title, monday):
    """The first session of the run of an event of the data (None when the station is closed on all of them)."""
    row = next((r for r in content.EVENTS if (r["station"], r["title"]) == (slug, title)), None)
    if row is None:
        raise LookupError(f"The demo bookings name an event that is not in the data: {(slug, title)!r}")
    starts = [start for start, _end in occurrences(row, monday)]
    return Event.objects.filter(station=ctx.station(slug), title=title, starts_at__in=starts).order_by("starts_at").first()


def load_event_bookings(ctx):
    monday = first_monday()
    now = timezone.now()
    ctx.touch(Booking)
    for spec in content.BOOKINGS:
        event = _first_session(ctx, *spec["event"], monday)
        if event is None or event.status != Event.Status.PUBLISHED or event.starts_at <= now:
            continue  # closed that day, or cancelled or moved in the admin: nothing to book
        for email in spec["people"]:
            user = ctx.user(email)
            if Booking.objects.filter(event=event, user=user, status__in=Booking.ACTIVE).exists():
                continue
            book_in_transaction(event.pk, user, 1, now, tell=False)
            ctx.created[Booking] += 1


# In this order, after `portal.demo.stations_seed.LOADERS` (rooms) and `load_account_roles` (people).
LOADERS = [
    load_events,
    load_demo_attendees,
    load_event_bookings,
]
