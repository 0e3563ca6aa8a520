"""Opening hours, worked out in Shanghai time whatever the server's clock says.

A station's day is its usual weekday periods unless the date has exceptions:
an exception closed all day wins; exceptions with times replace the usual
periods for that date. A period closing at 00:00 runs to midnight.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

SHANGHAI = ZoneInfo(settings.TIME_ZONE)
MIDNIGHT = time(0, 0)
LOOKAHEAD_DAYS = 8  # far enough to find the next opening after a long holiday weekend


def local_now(now=None):
    return (now or timezone.now()).astimezone(SHANGHAI)


def _period(day, opens, closes):
    start = datetime.combine(day, opens, tzinfo=SHANGHAI)
    end_day = day + timedelta(days=1) if closes == MIDNIGHT else day
    return start, datetime.combine(end_day, closes, tzinfo=SHANGHAI)


def periods_on(station, day):
    """The opening periods of `station` on `day`, as aware datetimes, earliest first.

    Reads `station.opening_hours.all()` and `station.opening_exceptions.all()`, so a
    list page prefetches both once for all its stations.
    """
    exceptions = [e for e in station.opening_exceptions.all() if e.date == day]
    if exceptions:
        if any(e.is_closed for e in exceptions):
            return []
        return sorted(_period(day, e.opens, e.closes) for e in exceptions)
    weekday = day.weekday()
    return sorted(_period(day, h.opens, h.closes) for h in station.opening_hours.all() if h.weekday == weekday)


@dataclass(frozen=True)
class OpeningState:
    is_open: bool
    closes_at: datetime | None = None  # while open
    opens_at: datetime | None = None  # while closed: the next opening within LOOKAHEAD_DAYS

    @property
    def opens_today(self):
        return self.opens_at is not None and self.opens_at.date() == local_now().date()


def opening_state(station, now=None):
    now = local_now(now)
    for offset in range(-1, LOOKAHEAD_DAYS):
        # Start from yesterday: a period that began yesterday may run past midnight.
        for start, end in periods_on(station, now.date() + timedelta(days=offset)):
            if start <= now < end:
                return OpeningState(is_open=True, closes_at=end)
            if start > now:
                return OpeningState(is_open=False, opens_at=start)
    return OpeningState(is_open=False)


def week_schedule(station, start_day=None):
    """The next seven days' periods, for the station page: [(date, [(opens, closes), …], reason)]."""
    start_day = start_day or local_now().date()
    out = []
    for offset in range(7):
        day = start_day + timedelta(days=offset)
        reasons = [e.reason for e in station.opening_exceptions.all() if e.date == day and e.reason]
        out.append((day, periods_on(station, day), reasons[0] if reasons else ""))
    return out


def open_now_q(now=None):
    """A filter for stations open at `now`, evaluated in the database."""
    from stations.models import OpeningException, OpeningHours

    now = local_now(now)
    today, moment = now.date(), now.time().replace(microsecond=0)
    covers = Q(opens__lte=moment) & (Q(closes__gt=moment) | Q(closes=MIDNIGHT))
    exceptions_today = OpeningException.objects.filter(station=OuterRef("pk"), date=today)
    usual = OpeningHours.objects.filter(covers, station=OuterRef("pk"), weekday=today.weekday())
    special = exceptions_today.filter(covers, is_closed=False)
    closed_all_day = exceptions_today.filter(is_closed=True)
    return (Exists(special) | (~Exists(exceptions_today) & Exists(usual))) & ~Exists(closed_all_day)


def exceptions_window(day: date | None = None):
    """The date range of exceptions a page needs to prefetch to answer opening questions."""
    day = day or local_now().date()
    return day - timedelta(days=1), day + timedelta(days=LOOKAHEAD_DAYS)
