"""Reads of events for the public pages: the upcoming list and week, one event's page, and a person's bookings.

Every function fetches the related rows a page shows up front, so a page costs the same
number of queries whether there are 10 events or 10,000. Time bands and days are worked out
in Shanghai time in SQL (Extract… with tzinfo), the same on PostgreSQL and SQLite.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, ExtractMinute
from django.utils import timezone

from events.models import Booking, Event, EventSeries
from portal.db import FixedRead, is_row_id
from portal.models import Membership, Organisation
from stations.models import Station

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Time bands in minutes after midnight, Shanghai time: an event belongs to the band it starts in.
LUNCH_HOUR = (11 * 60 + 30, 13 * 60 + 30)  # 午间一小时
AFTER_WORK = (17 * 60 + 30, 21 * 60)  # 班后一小时
TIME_BANDS = ("lunch", "after_work", "weekend")
WEEK_LIMIT = 300  # more events than this in one week is no calendar anyone reads; the page says to filter

# What an event page or card may show to the public. Drafts are nobody's business yet; activities delivered
# to one enterprise are reachable by their link (the enterprise's staff get it) but never listed.
VISIBLE_STATUSES = (Event.Status.PUBLISHED, Event.Status.CANCELLED, Event.Status.FINISHED)


def local_day_start(day):
    """Midnight at the start of `day` in Shanghai, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def week_start(day):
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def _listed():
    return (
        Event.objects.filter(status=Event.Status.PUBLISHED, private_for__isnull=True)
        .select_related("station__street__district", "organiser")
    )


def _start_minute():
    return ExtractHour("starts_at", tzinfo=SHANGHAI) * 60 + ExtractMinute("starts_at", tzinfo=SHANGHAI)


def upcoming_events(
    *,
    now=None,
    date_from=None,
    date_to=None,
    time_band=None,
    category=None,
    station=None,
    district=None,
    audience=None,
    seats_left=False,
):
    """Published public events that have not started, soonest first, with the list's filters.

    `date_from`/`date_to` are dates in Shanghai, both included. `time_band` is one of TIME_BANDS.
    """
    now = now or timezone.now()
    # starts_at first in the filter: the (status, starts_at) index answers status + range + order.
    qs = _listed().filter(starts_at__gte=now)
    if date_from is not None:
        qs = qs.filter(starts_at__gte=local_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(starts_at__lt=local_day_start(date_to + timedelta(days=1)))
    if time_band in ("lunch", "after_work"):
        low, high = LUNCH_HOUR if time_band == "lunch" else AFTER_WORK
        qs = qs.annotate(start_minute=_start_minute()).filter(start_minute__gte=low, start_minute__lt=high)
    elif time_band == "weekend":
        qs = qs.annotate(start_weekday=ExtractIsoWeekDay("starts_at", tzinfo=SHANGHAI)).filter(start_weekday__gte=6)
    if category:
        qs = qs.filter(category=category)
    if station is not None:
        qs = qs.filter(station=station)
    if district is not None:
        qs = qs.filter(station__street__district=district)
    if audience:
        qs = qs.filter(audience=audience)
    if seats_left:
        qs = qs.filter(capacity__gt=F("confirmed_seats"))
    return qs.order_by("starts_at", "pk")


def week_events(*, week_of, now=None, **filters):
    """The upcoming events of the Monday-to-Sunday week that starts on `week_of`, as
    ([(day, [events])] × 7, more_than_limit). Filters as for upcoming_events()."""
    monday = week_start(week_of)
    sunday = monday + timedelta(days=6)
    date_from = max(filter(None, (filters.pop("date_from", None), monday)))
    date_to = min(filter(None, (filters.pop("date_to", None), sunday)))
    events = list(upcoming_events(now=now, date_from=date_from, date_to=date_to, **filters)[: WEEK_LIMIT + 1])
    more = len(events) > WEEK_LIMIT
    days = {monday + timedelta(days=n): [] for n in range(7)}
    for event in events[:WEEK_LIMIT]:
        days[timezone.localtime(event.starts_at, SHANGHAI).date()].append(event)
    return list(days.items()), more


def next_events(count=3, *, now=None):
    """The next few events for the home page."""
    return upcoming_events(now=now)[:count]


def event_for_page(event_id):
    """One event with everything its page shows; Event.DoesNotExist for drafts and unknown ids."""
    return (
        Event.objects.filter(status__in=VISIBLE_STATUSES)
        .select_related("station__street__district", "organiser", "function_area")
        .get(pk=event_id)
    )


# What services.booking_create reads of the event it is given.
BOOKING_FIELDS = (
    "title", "status", "starts_at", "booking_opens_at", "booking_closes_at", "capacity", "confirmed_seats", "fee_fen",
    "private_for", "series", "station",
)


# The booking's read, on the path of every booking (see portal.db.FixedRead, which says why it is SQL): the visible event
# with what booking it needs (services.booking_create) — its rules and seats, its station's name and its course. Only those
# columns: an event and its station are wide rows. tests/events/test_selectors.py holds it to the queryset it stands for:
# Event.objects.filter(status__in=VISIBLE_STATUSES).select_related("station", "series")
#     .only(*BOOKING_FIELDS, "station__name", "series__whole_course")
_EVENT_TO_BOOK = FixedRead(
    "event_to_book",
    f"""SELECT {{event}}, {{station}}, {{series}}
    FROM events_event event
    JOIN stations_station station ON station.id = event.station_id
    LEFT JOIN events_eventseries series ON series.id = event.series_id
    WHERE event.id = %s AND event.status IN ({", ".join(["%s"] * len(VISIBLE_STATUSES))})""",
    event=(Event, BOOKING_FIELDS), station=(Station, ("name",)), series=(EventSeries, ("whole_course",)),
)


def event_to_book(event_id):
    """The visible event `event_id` with what booking it needs, its station and course along (one query); None when
    there is no such event to see."""
    rows = _EVENT_TO_BOOK.rows([event_id, *VISIBLE_STATUSES]) if is_row_id(event_id) else []
    if not rows:
        return None
    [(event, station, series)] = rows
    event.station, event.series = station, series
    return event


def _waiting_position():
    """1 for the first on the waiting list: how many waiting bookings of the same event come before, plus one.
    "Before" is the list's own order (created_at, pk), the order _promote_waiting serves it in."""
    ahead = (
        Booking.objects.filter(event=OuterRef("event"), status=Booking.Status.WAITLISTED)
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1


def my_booking(*, event, user):
    """The person's active booking of `event` (with `waiting_position` when waitlisted), or None. One query."""
    if not user.is_authenticated:
        return None
    return (
        Booking.objects.filter(event=event, user=user, status__in=Booking.ACTIVE)
        .annotate(waiting_position=_waiting_position())
        .order_by("-created_at", "-pk")
        .first()
    )


def may_book_for_a_group(user):
    """A verified representative or manager of an enterprise may book several seats at once (as the service allows)."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user,
        organisation__kind=Organisation.Kind.ENTERPRISE,
        role__in=[Membership.Role.REPRESENTATIVE, Membership.Role.MANAGER],
        verified_at__isnull=False,
    ).exists()


UPCOMING_BOOKINGS_SHOWN = 100  # nobody has more; a runaway account must not draw a thousand QR codes
PAST_BOOKINGS_SHOWN = 50


def bookings_of(user, *, now=None):
    """A person's bookings as (upcoming, past): the next UPCOMING_BOOKINGS_SHOWN soonest first,
    the latest PAST_BOOKINGS_SHOWN past ones newest first."""
    now = now or timezone.now()
    qs = Booking.objects.filter(user=user).select_related("event__station__street__district", "event__function_area")
    upcoming = list(
        qs.filter(event__starts_at__gte=now)
        .annotate(waiting_position=_waiting_position())
        .order_by("event__starts_at", "event_id", "-created_at")[:UPCOMING_BOOKINGS_SHOWN]
    )
    past = list(qs.filter(event__starts_at__lt=now).order_by("-event__starts_at", "-pk")[:PAST_BOOKINGS_SHOWN])
    return upcoming, past
