"""What the reservation pages read: the reservable rooms and a room's week of slots.

The week grid says only whether a slot is free, taken or past — never who holds it.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from reservations.models import Reservation
from stations.hours import SHANGHAI, local_now, periods_on
from stations.models import FunctionArea, OpeningException

FREE, TAKEN, PAST, LATER = "free", "taken", "past", "later"  # LATER: beyond the days a room can be reserved ahead
WEEKS_SHOWN = 60  # how far before or after this week a grid can be asked for


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    state: str

    @property
    def is_free(self):
        return self.state == FREE


@dataclass(frozen=True)
class Day:
    date: date
    slots: list

    @property
    def free_count(self):
        return sum(1 for slot in self.slots if slot.is_free)


def reservable_rooms():
    """Every room open for reservations at an active station, grouped by station in order."""
    return (
        FunctionArea.objects.filter(access_mode=FunctionArea.Access.RESERVATION, reservable__isnull=False, station__is_active=True)
        .select_related("station", "reservable")
        .order_by("station__name", "station_id", "position", "id")
    )


def week_start(day):
    return day - timedelta(days=day.weekday())


def room_for_week(area_id, monday):
    """The room with its station's opening hours and that week's exceptions (two prefetch queries); DoesNotExist if not reservable."""
    exceptions = OpeningException.objects.filter(date__range=(monday, monday + timedelta(days=6)))
    return reservable_rooms().prefetch_related(
        "station__opening_hours", Prefetch("station__opening_exceptions", queryset=exceptions)
    ).get(pk=area_id)


def room_periods(station, reservable, day):
    """When the room can be reserved on `day`: the station's opening periods, narrowed by the room's own hours if set."""
    periods = periods_on(station, day)
    if reservable.opens is None and reservable.closes is None:
        return periods
    earliest = datetime.combine(day, reservable.opens or time(0), tzinfo=SHANGHAI)
    latest = (datetime.combine(day, reservable.closes, tzinfo=SHANGHAI) if reservable.closes
              else datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI))
    narrowed = [(max(start, earliest), min(end, latest)) for start, end in periods]
    return [(start, end) for start, end in narrowed if start < end]


def _slot_starts(period_start, period_end, step):
    """Slot starts within one opening period, aligned to `step` minutes from the full hour."""
    midnight = period_start.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = (period_start - midnight).total_seconds() / 60
    offset = -minutes % step
    start = period_start + timedelta(minutes=offset)
    while start + timedelta(minutes=step) <= period_end:
        yield start
        start += timedelta(minutes=step)


def week_grid(area, week_start_date, *, now=None):
    """Seven Days of Slots for `area`, from the Monday of `week_start_date`.

    `area` comes from room_for_week (station hours prefetched); one more query reads the
    week's holding reservations, whatever their number — and only their times.
    """
    now = local_now(now)
    monday = week_start(week_start_date)
    step = timedelta(minutes=area.reservable.slot_minutes)
    last_day = (now + timedelta(days=area.reservable.max_days_ahead)).date()
    week_begins = datetime.combine(monday, datetime.min.time(), tzinfo=SHANGHAI)
    taken = sorted(
        Reservation.objects.filter(
            area=area, status__in=Reservation.HOLDING,
            starts_at__lt=week_begins + timedelta(days=8), ends_at__gt=week_begins,
        ).values_list("starts_at", "ends_at")
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        slots = []
        for period_start, period_end in room_periods(area.station, area.reservable, day):
            for start in _slot_starts(period_start, period_end, step.total_seconds() / 60):
                end = start + step
                if start <= now:
                    state = PAST
                elif any(t_start < end and start < t_end for t_start, t_end in taken):
                    state = TAKEN
                elif start.date() > last_day:
                    state = LATER
                else:
                    state = FREE
                slots.append(Slot(start, end, state))
        days.append(Day(day, slots))
    return days


def reservations_of(user, *, now=None):
    """The person's own reservations (not staff blocks): (upcoming, past), each with `may_cancel`."""
    now = now or timezone.now()
    mine = list(Reservation.objects.filter(user=user, is_block=False).select_related("area__station", "organisation"))
    for reservation in mine:
        reservation.may_cancel = reservation.status in Reservation.HOLDING and reservation.starts_at > now
    # A weekly series offers "cancel the rest" on its first date that can still be cancelled.
    left = {}
    for reservation in mine:
        if reservation.series and reservation.may_cancel:
            left.setdefault(reservation.series, []).append(reservation)
    for dates in left.values():
        if len(dates) > 1:
            dates[0].offers_series_cancel, dates[0].series_left = True, len(dates) - 1
    upcoming = [r for r in mine if r.ends_at > now]
    past = [r for r in mine if r.ends_at <= now][::-1]
    return upcoming, past
