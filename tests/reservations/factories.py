from datetime import datetime, time, timedelta

from django.utils import timezone

from reservations.models import ReservableArea
from stations.hours import SHANGHAI
from stations.models import FunctionArea, OpeningHours
from tests.factories import StationFactory


def meeting_room(*, capacity=20, needs_approval=True, station=None):
    """A multifunction room of a station open 08:00–21:00 every day, reservable in 30-minute steps."""
    station = station or StationFactory()
    for weekday in range(7):
        OpeningHours.objects.create(station=station, weekday=weekday, opens=time(8, 0), closes=time(21, 0))
    area = FunctionArea.objects.create(station=station, kind=FunctionArea.Kind.MEETING, access_mode=FunctionArea.Access.RESERVATION,
                                       capacity=capacity)
    ReservableArea.objects.create(area=area, needs_approval=needs_approval)
    return area


def shanghai_at(days, hour, minute=0):
    """An aware time `days` from today at hour:minute in Shanghai."""
    day = timezone.localdate() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
