"""What the reservation pages read: the reservable rooms and a room's week of slots.

The week grid says only whether a slot is free, taken or past — never who holds it.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from reservations.models import Reservation
from stations.hours import SHANGHAI, local_now, periods_on
from stations.models import FunctionArea, OpeningException, Station

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


def stations_with_rooms(*, district=None):
    """Active stations with a room open for reservations, by name, each with its `rooms` (one prefetch query)."""
    rooms = FunctionArea.objects.filter(access_mode=FunctionArea.Access.RESERVATION, reservable__isnull=False)
    stations = (
        Station.objects.filter(is_active=True)
        .filter(Exists(rooms.filter(station=OuterRef("pk"))))
        .only("name", "slug", "address")
        .order_by("name", "pk")
    )
    if district is not None:
        stations = stations.filter(street__district=district)
    return stations.prefetch_related(
        Prefetch("function_areas", queryset=rooms.select_related("reservable").order_by("position", "id"), to_attr="rooms")
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


# --- The staff calendar (admin): a week of the rooms a member of staff looks after, with who holds them.
# Unlike the week grid above, this is for staff only: its callers pass rooms already limited to the reader's scope.


@dataclass(frozen=True)
class CalendarEntry:
    """A pending or approved reservation in one day's cell of the staff calendar; times in Shanghai."""

    reservation: Reservation
    day: date
    starts_at: datetime
    ends_at: datetime

    @property
    def is_pending(self):
        return self.reservation.status == Reservation.Status.PENDING

    @property
    def time_range(self):
        # A reservation running past midnight appears on each of its days; there the dates say which part this is.
        start = f"{self.starts_at:%H:%M}" if self.starts_at.date() == self.day else f"{self.starts_at:%m-%d %H:%M}"
        end = f"{self.ends_at:%H:%M}" if self.ends_at.date() == self.day else f"{self.ends_at:%m-%d %H:%M}"
        return f"{start}–{end}"

    @property
    def requester(self):
        return self.reservation.user.display_name or self.reservation.user.email


@dataclass(frozen=True)
class CalendarCell:
    day: date
    entries: list  # CalendarEntry, in time order


@dataclass(frozen=True)
class CalendarRoom:
    room: FunctionArea
    cells: list  # seven CalendarCells, Monday first


@dataclass(frozen=True)
class CalendarStation:
    station: object
    rooms: list


@dataclass(frozen=True)
class StaffWeek:
    monday: date
    days: list  # the seven dates, Monday to Sunday
    stations: list  # CalendarStation, by station name

    @property
    def rooms_count(self):
        return sum(len(station.rooms) for station in self.stations)


def staff_calendar_stations(rooms):
    """(id, name) of the stations that have a room in `rooms` (a ReservableArea queryset), by name. One query."""
    return list(
        rooms.order_by("area__station__name", "area__station_id")
        .values_list("area__station_id", "area__station__name")
        .distinct()
    )


def staff_week(rooms, monday):
    """The week from `monday`'s Monday for every room in `rooms`, grouped by station.

    `rooms` is a ReservableArea queryset the caller has limited to what the reader may see
    (`portal.scopes`). Each room gets seven cells with the pending and approved reservations
    (blocks included) overlapping that Shanghai day, with requester and organisation: two queries,
    whatever the number of rooms or reservations.
    """
    monday = week_start(monday)
    days = [monday + timedelta(days=offset) for offset in range(7)]
    bounds = [datetime.combine(day, time(0), tzinfo=SHANGHAI) for day in [*days, monday + timedelta(days=7)]]
    reservables = list(
        rooms.select_related("area__station").order_by("area__station__name", "area__station_id", "area__position", "area_id")
    )
    cells = {reservable.area_id: [CalendarCell(day, []) for day in days] for reservable in reservables}
    held = (
        Reservation.objects.filter(
            area_id__in=list(cells), status__in=Reservation.HOLDING, starts_at__lt=bounds[-1], ends_at__gt=bounds[0],
        )
        .select_related("user", "organisation")
        .order_by("starts_at", "pk")
    )
    for reservation in held:
        starts_at, ends_at = timezone.localtime(reservation.starts_at, SHANGHAI), timezone.localtime(reservation.ends_at, SHANGHAI)
        for index, day in enumerate(days):
            if reservation.starts_at < bounds[index + 1] and reservation.ends_at > bounds[index]:
                cells[reservation.area_id][index].entries.append(CalendarEntry(reservation, day, starts_at, ends_at))
    stations = []
    for reservable in reservables:
        area = reservable.area
        if not stations or stations[-1].station.pk != area.station_id:
            stations.append(CalendarStation(area.station, []))
        stations[-1].rooms.append(CalendarRoom(area, cells[area.pk]))
    return StaffWeek(monday, days, stations)
