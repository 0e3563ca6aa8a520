"""“Open now” across lunch breaks, midnight, holidays, and a server clock in UTC."""

from datetime import UTC, date, datetime, time

import pytest
from django.utils import timezone

from stations.hours import SHANGHAI, opening_state, week_schedule
from stations.models import OpeningException, OpeningHours, Station
from stations.selectors import station_search
from tests.factories import StationFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 23)


def at(day, hh, mm=0, ss=0):
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI)


def hours(station, weekday, opens, closes):
    OpeningHours.objects.create(station=station, weekday=weekday, opens=time(*opens), closes=time(*closes))


@pytest.fixture
def lunch_break_station():
    station = StationFactory()
    for weekday in range(5):
        hours(station, weekday, (9, 0), (11, 30))
        hours(station, weekday, (13, 0), (17, 30))
    return station


def state(station, now):
    fresh = Station.objects.prefetch_related("opening_hours", "opening_exceptions").get(pk=station.pk)
    return opening_state(fresh, now)


def open_in_db(station, now):
    return station_search(open_now=True, now=now).filter(pk=station.pk).exists()


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [((8, 59, 59), False), ((9, 0, 0), True), ((11, 29, 59), True), ((11, 30, 0), False), ((12, 15, 0), False),
     ((13, 0, 0), True), ((17, 29, 59), True), ((17, 30, 0), False)],
)
def test_lunch_break(lunch_break_station, moment, is_open):
    now = at(MONDAY, *moment)
    assert state(lunch_break_station, now).is_open is is_open
    assert open_in_db(lunch_break_station, now) is is_open


def test_during_the_lunch_break_it_says_when_it_reopens(lunch_break_station):
    result = state(lunch_break_station, at(MONDAY, 12, 0))
    assert not result.is_open
    assert result.opens_at == at(MONDAY, 13, 0)


def test_while_open_it_says_when_it_closes(lunch_break_station):
    assert state(lunch_break_station, at(MONDAY, 10, 0)).closes_at == at(MONDAY, 11, 30)


def test_friday_evening_points_to_monday_morning(lunch_break_station):
    friday = date(2026, 11, 27)
    assert state(lunch_break_station, at(friday, 18, 0)).opens_at == at(date(2026, 11, 30), 9, 0)


def test_closing_at_midnight():
    station = StationFactory()
    hours(station, 0, (18, 0), (0, 0))  # Monday evening until midnight
    assert state(station, at(MONDAY, 23, 59, 59)).is_open
    assert open_in_db(station, at(MONDAY, 23, 59, 59))
    assert state(station, at(MONDAY, 23, 0)).closes_at == at(date(2026, 11, 24), 0, 0)
    tuesday_just_after = at(date(2026, 11, 24), 0, 0, 30)
    assert not state(station, tuesday_just_after).is_open
    assert not open_in_db(station, tuesday_just_after)


def test_open_all_day_is_written_midnight_to_midnight():
    station = StationFactory()
    hours(station, 0, (0, 0), (0, 0))
    for moment in [(0, 0, 0), (3, 0, 0), (12, 0, 0), (23, 59, 59)]:
        assert state(station, at(MONDAY, *moment)).is_open
        assert open_in_db(station, at(MONDAY, *moment))


def test_a_holiday_closes_the_station_all_day(lunch_break_station):
    OpeningException.objects.create(station=lunch_break_station, date=MONDAY, is_closed=True, reason="国庆节")
    assert not state(lunch_break_station, at(MONDAY, 10, 0)).is_open
    assert not open_in_db(lunch_break_station, at(MONDAY, 10, 0))
    assert state(lunch_break_station, at(MONDAY, 10, 0)).opens_at == at(date(2026, 11, 24), 9, 0)
    schedule = week_schedule(Station.objects.prefetch_related("opening_hours", "opening_exceptions").get(pk=lunch_break_station.pk),
                             MONDAY)
    assert schedule[0] == (MONDAY, [], "国庆节")


def test_special_hours_replace_the_usual_ones(lunch_break_station):
    OpeningException.objects.create(station=lunch_break_station, date=MONDAY, is_closed=False,
                                    opens=time(14, 0), closes=time(16, 0), reason="场地维修")
    assert not state(lunch_break_station, at(MONDAY, 10, 0)).is_open
    assert not open_in_db(lunch_break_station, at(MONDAY, 10, 0))
    assert state(lunch_break_station, at(MONDAY, 15, 0)).is_open
    assert open_in_db(lunch_break_station, at(MONDAY, 15, 0))


def test_special_hours_open_a_station_on_a_day_it_is_usually_closed():
    station = StationFactory()
    sunday = date(2026, 11, 29)
    OpeningException.objects.create(station=station, date=sunday, is_closed=False, opens=time(9, 0), closes=time(12, 0))
    assert state(station, at(sunday, 10, 0)).is_open
    assert open_in_db(station, at(sunday, 10, 0))


def test_the_answer_is_in_shanghai_time_whatever_the_server_clock(lunch_break_station):
    # 01:30 UTC on Monday is 09:30 in Shanghai: open. 23:00 UTC on Sunday is 07:00 Monday in Shanghai: closed.
    with timezone.override("UTC"):
        assert state(lunch_break_station, datetime(2026, 11, 23, 1, 30, tzinfo=UTC)).is_open
        assert open_in_db(lunch_break_station, datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
        early = state(lunch_break_station, datetime(2026, 11, 22, 23, 0, tzinfo=UTC))
        assert not early.is_open
        assert early.opens_at == at(MONDAY, 9, 0)
        # 09:30 UTC Monday is 17:30 in Shanghai: just closed, although 09:30 looks like opening time.
        assert not state(lunch_break_station, datetime(2026, 11, 23, 9, 30, tzinfo=UTC)).is_open
        assert not open_in_db(lunch_break_station, datetime(2026, 11, 23, 9, 30, tzinfo=UTC))


def test_a_station_without_hours_is_never_open():
    station = StationFactory()
    assert state(station, at(MONDAY, 10, 0)) == opening_state(station, at(MONDAY, 10, 0))
    assert not state(station, at(MONDAY, 10, 0)).is_open
    assert state(station, at(MONDAY, 10, 0)).opens_at is None
