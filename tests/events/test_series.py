from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from events.models import Booking, Event, EventSeries
from events.series import series_generate
from events.services import EventError, booking_cancel, booking_create
from stations.hours import SHANGHAI
from tests.events.factories import book
from tests.factories import StationFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_series(**overrides):
    start = timezone.localdate() + timedelta(days=7)
    values = {
        "station": StationFactory(),
        "title": "午间瑜伽",
        "category": "lunch_salon",
        "first_date": start,
        "weekly_count": 8,
        "start_time": time(12, 10),
        "end_time": time(12, 50),
        "capacity": 2,
    }
    values.update(overrides)
    return EventSeries.objects.create(**values)


def test_a_series_makes_its_weekly_sessions_once_in_shanghai_time():
    series = make_series(first_date=date(2030, 1, 1))  # a Tuesday
    created = series_generate(series=series, actor=None)
    assert len(created) == 8
    assert series_generate(series=series, actor=None) == []
    sessions = list(Event.objects.filter(series=series).order_by("starts_at"))
    assert [s.starts_at.astimezone(SHANGHAI).date() for s in sessions] == [date(2030, 1, 1) + timedelta(weeks=w) for w in range(8)]
    assert all(s.starts_at.astimezone(SHANGHAI).time() == time(12, 10) for s in sessions)
    assert all(s.status == Event.Status.PUBLISHED and s.capacity == 2 for s in sessions)


def test_sessions_of_an_ordinary_series_are_booked_one_by_one():
    series = make_series()
    first, second = series_generate(series=series, actor=None)[:2]
    person = UserFactory()
    booking_create(event=second, user=person)
    assert list(Booking.objects.filter(user=person).values_list("event_id", flat=True)) == [second.pk]


def test_a_whole_course_books_every_remaining_session_at_once():
    series = make_series(whole_course=True, weekly_count=4)
    sessions = series_generate(series=series, actor=None)
    person = UserFactory()
    booking = booking_create(event=sessions[1], user=person)
    assert booking.event_id == sessions[1].pk
    booked = set(Booking.objects.filter(user=person).values_list("event_id", flat=True))
    assert booked == {s.pk for s in sessions[1:]}  # from the session chosen onwards
    assert person.notifications.filter(kind="events.booking.course").count() == 1
    for session in sessions[1:]:
        session.refresh_from_db()
        assert session.confirmed_seats == 1


def test_a_full_session_puts_that_session_on_the_waiting_list_only():
    series = make_series(whole_course=True, weekly_count=3, capacity=1)
    sessions = series_generate(series=series, actor=None)
    book(sessions[2])  # someone took the last session's only seat
    person = UserFactory()
    booking_create(event=sessions[0], user=person)
    statuses = dict(Booking.objects.filter(user=person).values_list("event_id", "status"))
    assert statuses == {sessions[0].pk: "confirmed", sessions[1].pk: "confirmed", sessions[2].pk: "waitlisted"}


def test_cancelled_sessions_are_left_out_of_a_course_and_booking_twice_is_refused():
    series = make_series(whole_course=True, weekly_count=3)
    sessions = series_generate(series=series, actor=None)
    Event.objects.filter(pk=sessions[2].pk).update(status=Event.Status.CANCELLED)
    # The cancelled session is simply not part of the course any more.
    person = UserFactory()
    booking_create(event=sessions[0], user=person)
    assert Booking.objects.filter(user=person).count() == 2
    # Booking twice is refused and changes nothing.
    with pytest.raises(EventError):
        booking_create(event=sessions[0], user=person)
    assert Booking.objects.filter(user=person).count() == 2


def test_cancelling_one_session_of_a_course_frees_that_seat():
    series = make_series(whole_course=True, weekly_count=2, capacity=1)
    sessions = series_generate(series=series, actor=None)
    person, waiting = UserFactory(), UserFactory()
    booking_create(event=sessions[0], user=person)
    booking_create(event=sessions[0], user=waiting)
    first = Booking.objects.get(user=person, event=sessions[0])
    booking_cancel(booking_id=first.pk, user=person)
    assert Booking.objects.get(user=waiting, event=sessions[0]).status == "confirmed"
    assert Booking.objects.get(user=waiting, event=sessions[1]).status == "waitlisted"


def test_repeated_no_shows_lead_to_the_waiting_list_with_the_reason(settings):
    from events.models import Event as EventModel

    settings.EVENTS_NO_SHOW_THRESHOLD = 2
    person = UserFactory()
    station = StationFactory()
    now = timezone.now()
    for days_ago in (3, 10):
        past = EventModel.objects.create(
            station=station, title="过去的沙龙", category="lunch_salon", status="finished", capacity=5,
            starts_at=now - timedelta(days=days_ago), ends_at=now - timedelta(days=days_ago) + timedelta(hours=1),
        )
        Booking.objects.create(event=past, user=person, status=Booking.Status.NO_SHOW)
    upcoming = EventModel.objects.create(
        station=station, title="午间茶艺", category="lunch_salon", status="published", capacity=5,
        starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=1),
    )
    booking = booking_create(event=upcoming, user=person)
    assert booking.status == Booking.Status.WAITLISTED
    assert booking.restricted_until is not None
    upcoming.refresh_from_db()
    assert upcoming.confirmed_seats == 0
    note = person.notifications.get(kind="events.booking.waitlisted")
    assert "2" in note.body  # says how many events were missed
    # Somebody else still gets a seat straight away.
    assert book(upcoming).status == Booking.Status.CONFIRMED
