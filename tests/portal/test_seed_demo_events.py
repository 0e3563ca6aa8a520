"""`seed_demo`'s month of events and the demo people's bookings."""

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from events.models import Booking, Event
from portal.demo import data, events_seed, stations_data
from portal.demo import events_data as content
from portal.models import Notification, Organisation
from stations.models import OpeningException
from tests.events.factories import holding_seats
from tests.portal.seed_helpers import row_counts, seed_demo, summary

pytestmark = pytest.mark.django_db

FULL_CLASS = "梧桐书法社·午间书法体验"


def sessions_on_open_days(monday, weeks=range(content.WEEKS)):
    """(station, title, starts_at) of the sessions the data lays out in the given weeks from `monday`, holidays left out."""
    closed = set(OpeningException.objects.filter(is_closed=True).values_list("station__slug", "date"))
    first, last = monday + timedelta(weeks=min(weeks)), monday + timedelta(weeks=max(weeks) + 1)
    return {
        (row["station"], row["title"], start)
        for row in content.EVENTS
        for start, _end in events_seed.occurrences(row, monday)
        if first <= timezone.localtime(start).date() < last and (row["station"], timezone.localtime(start).date()) not in closed
    }


@pytest.fixture
def seeded():
    return seed_demo()


def test_the_data_names_only_known_stations_rooms_and_organisers():
    slugs = {row["slug"] for row in data.STATIONS}
    organisations = {(row["street"], row["name"]) for row in data.ORGANISATIONS}
    categories, audiences = set(Event.Category.values), set(Event.Audience.values)
    for row in content.EVENTS:
        assert row["station"] in slugs, row["title"]
        assert row.get("organiser") is None or row["organiser"] in organisations, row["title"]
        if row.get("room"):
            assert row["room"] in {area["name"] for area in stations_data.FUNCTION_AREAS[row["station"]]}, row["title"]
        assert row["category"] in categories and row["audience"] in audiences, row["title"]
        assert set(row["weeks"]) <= set(range(content.WEEKS)) and 0 <= row["weekday"] <= 6, row["title"]
        assert row["start"] < row["end"], row["title"]


def test_the_month_starts_on_the_monday_after_the_current_week_and_the_cycle_is_fixed():
    assert events_seed.first_monday(date(2026, 11, 25)) == date(2026, 11, 30)  # a Wednesday
    assert events_seed.first_monday(date(2026, 11, 23)) == date(2026, 11, 30)  # a Monday
    assert events_seed.first_monday(date(2026, 11, 29)) == date(2026, 11, 30)  # a Sunday
    fortnightly = {"weekday": 1, "start": "14:00", "end": "15:30", "weeks": (0, 2)}
    one_run = set(events_seed.occurrences(fortnightly, date(2026, 11, 30)))
    next_run = set(events_seed.occurrences(fortnightly, date(2026, 12, 7)))
    assert len(one_run) == len(next_run) == 2
    assert len(one_run & next_run) == 1  # the shared weeks agree on the dates


def test_the_seed_lays_out_a_month_of_upcoming_events_at_many_stations(seeded):
    events = Event.objects.all()
    monday = events_seed.first_monday()
    expected = len(sessions_on_open_days(monday))
    assert summary(seeded)["events.Event"] == (expected, expected, 0)
    now = timezone.now()
    assert all(event.starts_at > now and event.status == Event.Status.PUBLISHED for event in events)
    days = {timezone.localtime(event.starts_at).date() for event in events}
    assert min(days) >= monday and max(days) < monday + timedelta(weeks=4)
    assert events.values("station").distinct().count() >= 15
    assert set(events.values_list("category", flat=True)) >= {
        "lunch_salon", "after_work", "culture", "health", "volunteer", "party_education",
    }


def test_lunch_salons_fit_the_lunch_hour_and_courses_follow_the_working_day(seeded):
    for event in Event.objects.filter(category=Event.Category.LUNCH_SALON):
        start, end = timezone.localtime(event.starts_at).time(), timezone.localtime(event.ends_at).time()
        assert start.hour == 12 and (end.hour, end.minute) <= (13, 0), event.title
    courses = Event.objects.filter(category=Event.Category.AFTER_WORK)
    assert courses.exists()
    assert all(timezone.localtime(c.starts_at).hour >= 18 and c.subsidy_note for c in courses)
    assert courses.filter(title__contains="心理咨询师", fee_fen__gt=0).exists()
    assert courses.filter(title__contains="育婴师").exists()
    titles = set(Event.objects.values_list("title", flat=True))
    for words in ("午+1白领精致生活主题沙龙", "周桥二十四味", "瑜伽", "茶艺", "古诗词", "水墨画", "电影赏析", "咖啡沙龙", "义诊"):
        assert any(words in title for title in titles), words
    yoga = Event.objects.filter(title__contains="瑜伽").select_related("organiser").first()
    assert yoga.organiser == Organisation.objects.get(name="长宁区总工会")


def test_every_seat_counter_equals_the_seats_its_bookings_hold(seeded):
    for event in Event.objects.all():
        held = holding_seats(event)
        assert event.confirmed_seats == held <= event.capacity, event.title


def test_one_class_is_full_with_a_waiting_list_and_the_worker_has_booked_a_salon(seeded):
    full = Event.objects.filter(title=FULL_CLASS, station__slug="wutong-space").order_by("starts_at").first()
    assert full.confirmed_seats == full.capacity == 6
    waiting = full.bookings.filter(status=Booking.Status.WAITLISTED).order_by("created_at", "pk")
    assert [b.user.email for b in waiting] == ["member@demo.station.cn", "resident@demo.station.cn"]
    worker = Booking.objects.filter(user__email="worker@demo.station.cn", status=Booking.Status.CONFIRMED).select_related("event")
    assert any(b.event.category == Event.Category.LUNCH_SALON for b in worker)
    # Demo bookings leave nothing in anyone's inbox.
    assert not Notification.objects.filter(kind__startswith="events.").exists()


def test_a_second_run_creates_nothing_and_changes_nothing(seeded):
    counts = row_counts()
    snapshot = {model: list(model.objects.order_by("pk").values()) for model in (Event, Booking)}

    rows = summary(seed_demo())

    assert row_counts() == counts
    for model, before in snapshot.items():
        assert list(model.objects.order_by("pk").values()) == before, model
    assert rows["events.Event"][1:] == (0, 0)
    assert rows["events.Booking"][1:] == (0, 0)


def test_a_second_run_leaves_what_staff_did_in_the_admin(seeded):
    """Seats and status belong to the admin once an event exists: the seed neither undoes them nor books a cancelled event."""
    full = Event.objects.filter(title=FULL_CLASS).order_by("starts_at").first()
    Event.objects.filter(pk=full.pk).update(capacity=8)
    Booking.objects.filter(event=full).delete()
    Event.objects.filter(pk=full.pk).update(confirmed_seats=0, status=Event.Status.CANCELLED)

    seed_demo()

    full.refresh_from_db()
    assert (full.capacity, full.status, full.bookings.count()) == (8, Event.Status.CANCELLED, 0)


def test_a_run_in_a_later_week_adds_that_weeks_events_without_duplicates(seeded, monkeypatch):
    before = Counter(Event.objects.values_list("station", "title", "starts_at"))
    next_week = timezone.localdate() + timedelta(weeks=1)
    monkeypatch.setattr(events_seed.timezone, "localdate", lambda: next_week)

    rows = summary(seed_demo())

    after = Counter(Event.objects.values_list("station", "title", "starts_at"))
    assert max(after.values()) == 1
    # Only the new run's last week is new; fortnightly events keep their fortnight.
    added = sessions_on_open_days(events_seed.first_monday(next_week), weeks=[3])
    assert rows["events.Event"][1] == len(added) > 0
    assert set(before) <= set(after)


def test_no_event_is_laid_on_a_day_the_station_is_closed(monkeypatch):
    # A run on 23 December 2026 lays out 28 December to 24 January: 元旦 (1 January 2027) is closed everywhere.
    monkeypatch.setattr(events_seed.timezone, "localdate", lambda: date(2026, 12, 23))
    monkeypatch.setattr(events_seed.timezone, "now", lambda: timezone.make_aware(datetime(2026, 12, 23, 9, 0)))
    seed_demo()
    days = {timezone.localtime(start).date() for start in Event.objects.values_list("starts_at", flat=True)}
    assert date(2026, 12, 31) in days and date(2027, 1, 1) not in days
