"""The public event pages through the test client: the list and its filters, the week view, one event's
page and its one button, booking and cancelling through the views, My bookings, and query counts.

Pages are read in English (the language cookie), so the assertions don't depend on the translations.
"""

import re
import time
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
import qrcode
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from events.models import Booking, Event
from events.selectors import upcoming_events, week_start
from events.services import booking_create
from events.templatetags.events_extras import booking_qr, when
from portal.models import Membership, User
from stations.models import FunctionArea
from tests.events.factories import EventFactory
from tests.factories import (
    DistrictFactory,
    MembershipFactory,
    OrganisationFactory,
    StationFactory,
    StreetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIST = reverse("events:list")
MINE = reverse("events:my_bookings")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def person(client):
    user = UserFactory()
    client.force_login(user)
    return user


def monday():
    """The Monday two weeks from now, in Shanghai: every event built from it is in the future, whatever the time."""
    return week_start(timezone.localtime(timezone.now(), SHANGHAI).date()) + timedelta(days=14)


def at(day, hour, minute=0):
    return datetime.combine(day, clock(hour, minute), tzinfo=SHANGHAI)


def event_at(day, hour, minute=0, *, minutes=40, **kwargs):
    start = at(day, hour, minute)
    return EventFactory(starts_at=start, ends_at=start + timedelta(minutes=minutes), **kwargs)


def titles(response):
    return [e.title for e in response.context["page"].object_list]


def text(response):
    return response.content.decode()


def flashes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def booking_box(response):
    html = text(response)
    start = html.index('class="panel booking-box"')
    return html[start:html.index("</section>", start)]


def actions(box):
    """The buttons and button-links in the booking box: the page offers exactly one thing."""
    return re.findall(r"<button\b[^>]*>.*?</button>|<a class=\"button[^\"]*\"[^>]*>.*?</a>", box, re.S)


# ---------------------------------------------------------------------------
# The list


def test_the_list_shows_upcoming_published_public_events_as_cards(client):
    day = monday() + timedelta(days=3)  # a Thursday
    station = StationFactory(name="梧桐·SPACE")
    event_at(day, 12, 10, title="午间瑜伽", station=station, capacity=5, confirmed_seats=2)
    event_at(day, 18, 30, title="职场英语", category=Event.Category.AFTER_WORK, fee_fen=5000, capacity=1, confirmed_seats=1)
    event_at(day, 12, title="草稿", status=Event.Status.DRAFT)
    event_at(day, 12, title="已取消", status=Event.Status.CANCELLED)
    event_at(day, 12, title="企业专场", private_for=OrganisationFactory())
    past = timezone.now() - timedelta(hours=2)
    EventFactory(title="已开始", starts_at=past, ends_at=past + timedelta(hours=3))

    response = client.get(LIST)
    assert response.status_code == 200
    assert titles(response) == ["午间瑜伽", "职场英语"]
    page = text(response)
    card = page[page.index("午间瑜伽"):page.index("职场英语")]
    assert "Lunch-hour salon" in page
    assert "梧桐·SPACE" in card
    assert f"Thu {day.day} {day:%b} 12:10–12:50" in card
    assert "3 seats left" in card
    assert "Free" in card
    assert "¥50.00" in page
    assert escape("Full — waiting list open") in page


def test_times_are_written_the_chinese_way_in_chinese():
    start = datetime(2026, 11, 26, 12, 10, tzinfo=SHANGHAI)
    event = Event(starts_at=start, ends_at=start + timedelta(minutes=40))
    with translation.override("zh-hans"):
        assert when(event) == "11月26日 周四 12:10–12:50"
    with translation.override("en"):
        assert when(event) == "Thu 26 Nov 12:10–12:50"
    # Stored in UTC (04:10), shown in Shanghai time; an event over midnight names both days.
    late = Event(starts_at=datetime(2026, 1, 4, 22, 0, tzinfo=SHANGHAI), ends_at=datetime(2026, 1, 5, 1, 0, tzinfo=SHANGHAI))
    with translation.override("zh-hans"):
        assert when(late) == "1月4日 周日 22:00 – 1月5日 周一 01:00"


def test_pages_of_twenty_and_page_numbers_past_the_end_show_the_last_page(client):
    day = monday()
    for n in range(45):
        event_at(day + timedelta(days=n % 7), 12, n % 50, title=f"活动{n:02d}")
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 20
    assert first.context["page"].paginator.num_pages == 3
    assert client.get(LIST, {"page": "999"}).context["page"].number == 3
    assert client.get(LIST, {"page": "abc"}).context["page"].number == 1
    assert client.get(LIST, {"page": "-1"}).status_code == 200


def test_pagination_keeps_the_filters_but_not_the_mistakes(client):
    for n in range(25):
        event_at(monday(), 12, n, category=Event.Category.LUNCH_SALON)
    html = text(client.get(LIST, {"category": "lunch_salon", "audience": "martians"}))
    assert "category=lunch_salon&amp;page=2" in html
    assert "martians" not in html.split("pagination")[-1]


def test_an_empty_result_says_what_to_do(client):
    response = client.get(LIST)
    assert "No upcoming event matches your search." in text(response)


# ---------------------------------------------------------------------------
# Filters


def test_date_range_is_in_shanghai_days(client):
    day = monday()
    event_at(day - timedelta(days=1), 23, 30, title="前一天深夜")
    event_at(day, 0, 30, title="当天凌晨")  # 16:30 UTC the day before: a UTC date filter would miss it
    event_at(day + timedelta(days=1), 23, 59, title="次日深夜")
    event_at(day + timedelta(days=2), 0, 0, title="第三天零点")
    response = client.get(LIST, {"date_from": day.isoformat(), "date_to": (day + timedelta(days=1)).isoformat()})
    assert titles(response) == ["当天凌晨", "次日深夜"]
    assert titles(client.get(LIST, {"date_from": (day + timedelta(days=2)).isoformat()})) == ["第三天零点"]


def test_lunch_hour_band_is_11_30_to_13_30_shanghai_time(client):
    day = monday()
    for hour, minute in ((11, 29), (11, 30), (12, 10), (13, 29), (13, 30), (18, 0)):
        event_at(day, hour, minute, title=f"{hour:02d}:{minute:02d}")
    assert titles(client.get(LIST, {"time": "lunch"})) == ["11:30", "12:10", "13:29"]


def test_after_work_band_is_17_30_to_21_00_shanghai_time(client):
    day = monday()
    for hour, minute in ((12, 0), (17, 29), (17, 30), (20, 59), (21, 0)):
        event_at(day, hour, minute, title=f"{hour:02d}:{minute:02d}")
    assert titles(client.get(LIST, {"time": "after_work"})) == ["17:30", "20:59"]


def test_weekend_is_saturday_and_sunday_in_shanghai(client):
    day = monday()
    event_at(day + timedelta(days=4), 23, 0, title="周五晚")
    event_at(day + timedelta(days=5), 0, 30, title="周六凌晨")  # Friday 16:30 in UTC
    event_at(day + timedelta(days=6), 23, 30, title="周日深夜")
    event_at(day + timedelta(days=7), 7, 0, title="周一早")  # Sunday 23:00 in UTC
    assert titles(client.get(LIST, {"time": "weekend"})) == ["周六凌晨", "周日深夜"]


def test_category_station_district_audience_and_seats_filters(client):
    day = monday()
    xuhui = DistrictFactory(name="徐汇区")
    station = StationFactory(street=StreetFactory(district=xuhui))
    event_at(day, 9, title="健康", category=Event.Category.HEALTH)
    event_at(day, 10, title="徐汇站", station=station)
    event_at(day, 11, title="党员", audience=Event.Audience.PARTY_MEMBERS)
    event_at(day, 12, title="满员", capacity=2, confirmed_seats=2)
    assert titles(client.get(LIST, {"category": "health"})) == ["健康"]
    assert titles(client.get(LIST, {"station": station.pk})) == ["徐汇站"]
    assert titles(client.get(LIST, {"district": xuhui.pk})) == ["徐汇站"]
    assert titles(client.get(LIST, {"audience": "party_members"})) == ["党员"]
    assert "满员" not in titles(client.get(LIST, {"seats": "on"}))
    assert len(titles(client.get(LIST, {"seats": "on"}))) == 3
    assert titles(client.get(LIST, {"district": xuhui.pk, "category": "health"})) == []


def test_repeated_parameters_take_the_last_value(client):
    event_at(monday(), 9, title="健康", category=Event.Category.HEALTH)
    event_at(monday(), 12, title="沙龙")
    assert titles(client.get(f"{LIST}?category=nonsense&category=health")) == ["健康"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"time": "midnight"}, "Time of day: Select a valid choice."),
        ({"category": "zzz"}, "Kind of event: Select a valid choice."),
        ({"station": "abc"}, "Station: Select a valid choice."),
        ({"station": "999999"}, "Station: Select a valid choice."),
        ({"district": "-1"}, "District: Select a valid choice."),
        ({"audience": "martians"}, "For: Select a valid choice."),
        ({"date_from": "yesterday"}, "From: Enter a date like 2026-11-23."),
        ({"date_to": "9999-12-31"}, "Until: Choose a date between the years 2000 and 2100."),
        ({"date_from": "0001-01-01"}, "From: Choose a date between the years 2000 and 2100."),
        ({"date_from": "2020-05-02", "date_to": "2020-05-01"}, "Until: The last day is before the first day; it was left out."),
        ({"view": "week", "week": "2026-13-45"}, "Week of: Enter a date like 2026-11-23."),
        ({"view": "week", "week": "9999-12-31"}, "Week of: Choose a date between the years 2000 and 2100."),
        ({"seats": "\x00" * 50}, None),
        ({"page": "9" * 50}, None),
    ],
)
def test_bad_parameters_are_left_out_and_explained(client, params, message):
    event_at(monday(), 12, title="沙龙")
    response = client.get(LIST, params)
    assert response.status_code == 200
    if message:
        assert escape(message) in text(response)
        assert "Some of your search could not be used and was left out" in text(response)
    if params.get("view") != "week":
        assert titles(response) == ["沙龙"]  # the rest of the search still ran


def test_a_huge_query_string_is_cut_to_what_was_understood(client):
    event_at(monday(), 12, title="沙龙")
    response = client.get(LIST, {"category": "health", "station": "9" * (5 * 1024 * 1024), "x": "y" * 5000})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?category=health"
    assert client.get(response["Location"]).status_code == 200


def test_only_get_and_head(client):
    assert client.post(LIST).status_code == 405
    assert client.head(LIST).status_code == 200


# ---------------------------------------------------------------------------
# The week view


def test_the_week_view_has_seven_days_with_their_events_in_shanghai_time(client):
    day = monday()
    event_at(day + timedelta(days=1), 0, 30, title="周二凌晨")  # Monday in UTC
    event_at(day + timedelta(days=3), 12, 10, title="周四午间")
    event_at(day + timedelta(days=3), 18, 30, title="周四晚", category=Event.Category.AFTER_WORK)
    event_at(day + timedelta(days=7), 12, title="下周一")
    response = client.get(LIST, {"view": "week", "week": (day + timedelta(days=2)).isoformat()})
    assert response.status_code == 200
    days = response.context["days"]
    assert [d for d, _events in days] == [day + timedelta(days=n) for n in range(7)]
    by_day = {d: [e.title for e in events] for d, events in days}
    assert by_day[day] == []
    assert by_day[day + timedelta(days=1)] == ["周二凌晨"]
    assert by_day[day + timedelta(days=3)] == ["周四午间", "周四晚"]
    html = text(response)
    assert f"week={(day + timedelta(days=7)).isoformat()}" in html  # next week
    assert f"week={(day - timedelta(days=7)).isoformat()}" in html  # previous week
    # The filters apply to the week too.
    filtered = client.get(LIST, {"view": "week", "week": day.isoformat(), "time": "after_work"})
    assert [e.title for _d, events in filtered.context["days"] for e in events] == ["周四晚"]


def test_the_week_view_defaults_to_this_week(client):
    response = client.get(LIST, {"view": "week"})
    today = timezone.localtime(timezone.now(), SHANGHAI).date()
    assert response.context["monday"] == week_start(today)
    assert response.context["days"][0][0].weekday() == 0


# ---------------------------------------------------------------------------
# One event's page: the details and the one button


def test_the_event_page_shows_everything_a_visitor_needs(client):
    district = DistrictFactory(name="徐汇区")
    station = StationFactory(name="梧桐·Learning", street=StreetFactory(district=district))
    room = FunctionArea.objects.create(station=station, kind=FunctionArea.Kind.MEETING, name="多功能会议室")
    organiser = OrganisationFactory(name="湖南街道党工委")
    deadline = at(monday(), 10)
    event = event_at(
        monday(), 12, 10, title="茶艺沙龙", description="品一杯秋日白茶。", station=station, function_area=room,
        organiser=organiser, audience=Event.Audience.OFFICE_WORKERS, fee_fen=2000, subsidy_note="政府补贴一半",
        cancellation_deadline=deadline, capacity=12, confirmed_seats=9,
    )
    response = client.get(event.get_absolute_url())
    assert response.status_code == 200
    html = text(response)
    for expected in ("茶艺沙龙", "品一杯秋日白茶。", "梧桐·Learning", "徐汇区", "多功能会议室", "湖南街道党工委",
                     "Office workers", "¥20.00", "政府补贴一半", "3 seats left", f"{deadline:%H:%M}"):
        assert expected in html, expected
    assert f'href="{station.get_absolute_url()}"' in html


def test_anonymous_visitors_are_asked_to_log_in_and_come_back(client):
    event = event_at(monday(), 12)
    box = booking_box(client.get(event.get_absolute_url()))
    assert len(actions(box)) == 1
    assert "Log in to book" in box
    assert f'href="{reverse("account_login")}?next=%2Fevents%2F{event.pk}%2F"' in box


def test_a_person_with_no_booking_can_book_a_seat(client, person):
    event = event_at(monday(), 12)
    box = booking_box(client.get(event.get_absolute_url()))
    assert len(actions(box)) == 1
    assert "Book a seat" in box
    assert f'action="{reverse("events:book", args=[event.pk])}"' in box
    assert 'name="seats"' not in box  # only enterprise contacts book for colleagues


def test_a_full_event_offers_the_waiting_list(client, person):
    event = event_at(monday(), 12, capacity=1, confirmed_seats=1)
    box = booking_box(client.get(event.get_absolute_url()))
    assert len(actions(box)) == 1
    assert "Join the waiting list" in box


def test_a_booked_person_sees_the_confirmed_seat_the_code_and_a_cancel_button(client, person):
    event = event_at(monday(), 12)
    booking = booking_create(event=event, user=person)
    box = booking_box(client.get(event.get_absolute_url()))
    assert "You are booked — seat confirmed" in box.replace("&mdash;", "—")
    assert booking.code in box
    assert len(actions(box)) == 1
    assert "Cancel my booking" in box
    assert f'action="{reverse("events:cancel", args=[booking.pk])}"' in box


def test_after_the_cancellation_deadline_the_cancel_button_is_gone(client, person):
    event = event_at(monday(), 12)
    booking = booking_create(event=event, user=person)
    Event.objects.filter(pk=event.pk).update(cancellation_deadline=timezone.now() - timedelta(minutes=1))
    box = booking_box(client.get(event.get_absolute_url()))
    assert booking.code in box
    assert actions(box) == []
    assert "The cancellation deadline has passed" in box


def test_a_waiting_person_sees_their_position_and_can_leave(client, person):
    event = event_at(monday(), 12, capacity=1)
    booking_create(event=event, user=UserFactory())
    booking_create(event=event, user=UserFactory())  # first on the list
    booking_create(event=event, user=person)
    box = booking_box(client.get(event.get_absolute_url()))
    assert "You are on the waiting list (position 2)" in box
    assert len(actions(box)) == 1
    assert "Leave the waiting list" in box


@pytest.mark.parametrize(
    "changes, explanation",
    [
        ({"status": Event.Status.CANCELLED}, "This event has been cancelled."),
        ({"status": Event.Status.FINISHED}, "This event has already taken place."),
        ({"booking_opens_at": "future"}, "Booking opens on"),
        ({"booking_closes_at": "past"}, "Booking for this event has closed."),
    ],
)
def test_events_that_cannot_be_booked_explain_why_and_offer_nothing(client, person, changes, explanation):
    moments = {"future": timezone.now() + timedelta(days=1), "past": timezone.now() - timedelta(minutes=1)}
    event = event_at(monday(), 12, **{k: moments.get(v, v) for k, v in changes.items()})
    box = booking_box(client.get(event.get_absolute_url()))
    assert explanation in box
    assert actions(box) == []


def test_an_event_that_has_started_explains_it(client, person):
    start = timezone.now() - timedelta(minutes=10)
    event = EventFactory(starts_at=start, ends_at=start + timedelta(hours=1))
    box = booking_box(client.get(event.get_absolute_url()))
    assert "This event has already taken place." in box
    assert actions(box) == []


def test_drafts_and_unknown_events_are_not_found(client):
    draft = event_at(monday(), 12, status=Event.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(reverse("events:detail", args=[999999])).status_code == 404
    assert client.post(reverse("events:book", args=[draft.pk])).status_code == 404


@pytest.mark.parametrize("role", [Membership.Role.REPRESENTATIVE, Membership.Role.MANAGER])
def test_a_verified_enterprise_contact_can_choose_a_number_of_seats(client, role):
    contact = MembershipFactory(role=role, verified=True).user
    client.force_login(contact)
    event = event_at(monday(), 12)
    box = booking_box(client.get(event.get_absolute_url()))
    assert 'name="seats"' in box
    assert len(actions(box)) == 1


def test_an_unverified_or_ordinary_member_gets_no_seats_field(client):
    event = event_at(monday(), 12)
    for membership in (MembershipFactory(role=Membership.Role.REPRESENTATIVE), MembershipFactory(verified=True)):
        client.force_login(membership.user)
        assert 'name="seats"' not in booking_box(client.get(event.get_absolute_url()))


# ---------------------------------------------------------------------------
# Booking and cancelling through the views


def test_booking_a_seat(client, person):
    event = event_at(monday(), 12, capacity=2)
    response = client.post(reverse("events:book", args=[event.pk]))
    assert response.status_code == 302
    assert response["Location"] == event.get_absolute_url()
    booking = Booking.objects.get(event=event, user=person)
    assert booking.status == Booking.Status.CONFIRMED
    assert flashes(response) == [f"You are booked — seat confirmed. Your booking code is {booking.code}."]
    event.refresh_from_db()
    assert event.confirmed_seats == 1


def test_booking_a_full_event_puts_the_person_on_the_waiting_list(client, person):
    event = event_at(monday(), 12, capacity=1, confirmed_seats=1)
    response = client.post(reverse("events:book", args=[event.pk]))
    assert Booking.objects.get(event=event, user=person).status == Booking.Status.WAITLISTED
    assert "you are on the waiting list" in flashes(response)[0]


def test_a_booking_costs_a_fixed_handful_of_statements_and_a_second_one_is_refused_by_the_constraint(client, person):
    """Booked: the event (the page's read), the session and the person, the person's no-show record; then the
    transaction — the booking, the notification and its delivery, the audit row, and last the seat counted in one
    conditional statement on the event row — and its COMMIT (here a savepoint and its release, inside the test's
    transaction). Nothing locks the event first and nothing asks "booked already?": a second booking meets
    booking_one_active_per_person, rolls back whole and is told so."""
    event = event_at(monday(), 12, capacity=5)
    booking_create(event=event, user=UserFactory())  # the first booking: the process's per-model caches filled
    with CaptureQueriesContext(connection) as booked:
        assert client.post(reverse("events:book", args=[event.pk])).status_code == 302
    assert len(booked) == 11, "\n".join(q["sql"][:120] for q in booked.captured_queries)
    assert not any(q["sql"].startswith('SELECT 1 AS "a" FROM "events_booking"') for q in booked.captured_queries)
    assert not any("FOR UPDATE" in q["sql"] for q in booked.captured_queries)
    assert booked.captured_queries[-2]["sql"].startswith("UPDATE events_event SET confirmed_seats = confirmed_seats + ")

    response = client.post(reverse("events:book", args=[event.pk]), follow=True)
    assert "You have already booked this event." in flashes(response)
    event.refresh_from_db()
    assert event.confirmed_seats == 2
    assert Booking.objects.filter(event=event, user=person).count() == 1
    assert person.notifications.filter(kind__startswith="events.booking").count() == 1


def test_a_place_on_a_full_events_waiting_list_reads_no_no_show_record_and_locks_the_event_just_before_the_commit(client, person):
    """The waiting list is open to everyone, so the no-show record isn't read; the event row is locked last, by the
    statement that checks it is still full (a seat given back meanwhile would be this person's, not a waiting place)."""
    event = event_at(monday(), 12, capacity=1, confirmed_seats=1)
    with CaptureQueriesContext(connection) as waited:
        assert client.post(reverse("events:book", args=[event.pk])).status_code == 302
    sql = [q["sql"] for q in waited.captured_queries]
    assert len(sql) == 10, "\n".join(q[:120] for q in sql)
    assert not any('"events_booking"."status" = \'no_show\'' in q or "no_show" in q for q in sql[:4])
    assert sql[-2].startswith("SELECT id FROM events_event WHERE") and "confirmed_seats > capacity" in sql[-2]
    if connection.features.has_select_for_update:  # PostgreSQL; SQLite locks the whole database at the first write
        assert sql[-2].endswith("FOR UPDATE")
    assert Booking.objects.get(event=event, user=person).status == Booking.Status.WAITLISTED


def test_booking_twice_is_refused_with_a_message(client, person):
    event = event_at(monday(), 12)
    client.post(reverse("events:book", args=[event.pk]))
    response = client.post(reverse("events:book", args=[event.pk]), follow=True)
    assert response.status_code == 200
    assert "You have already booked this event." in flashes(response)
    assert Booking.objects.filter(event=event, user=person).count() == 1


def test_booking_a_cancelled_event_is_refused_with_a_message(client, person):
    event = event_at(monday(), 12, status=Event.Status.CANCELLED)
    response = client.post(reverse("events:book", args=[event.pk]))
    assert response.status_code == 302
    assert flashes(response) == ["This event has been cancelled."]
    assert not Booking.objects.exists()


def test_a_group_booking_by_an_enterprise_contact(client):
    contact = MembershipFactory(role=Membership.Role.MANAGER, verified=True).user
    client.force_login(contact)
    event = event_at(monday(), 12, capacity=10)
    client.post(reverse("events:book", args=[event.pk]), {"seats": "4"})
    assert Booking.objects.get(event=event, user=contact).seats == 4
    event.refresh_from_db()
    assert event.confirmed_seats == 4


@pytest.mark.parametrize(
    "seats, message",
    [
        ("3", "Only a verified contact of an enterprise can book seats for colleagues."),
        ("0", "Book at least one seat."),
        ("-1", "Enter the number of seats as a whole number, e.g. 3."),
        ("abc", "Enter the number of seats as a whole number, e.g. 3."),
        ("1e9", "Enter the number of seats as a whole number, e.g. 3."),
        ("9" * 100, "Enter the number of seats as a whole number, e.g. 3."),
        ("٣", "Enter the number of seats as a whole number, e.g. 3."),  # an Arabic-Indic 3: a digit to str.isdigit, not here
    ],
)
def test_a_bad_number_of_seats_is_refused_with_a_message(client, person, seats, message):
    event = event_at(monday(), 12)
    response = client.post(reverse("events:book", args=[event.pk]), {"seats": seats})
    assert response.status_code == 302
    assert flashes(response) == [message]
    assert not Booking.objects.exists()


def test_anonymous_booking_goes_to_the_login_page_and_back_to_the_event(client):
    event = event_at(monday(), 12)
    response = client.post(reverse("events:book", args=[event.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/events/{event.pk}/"
    assert client.post(reverse("events:cancel", args=[1]))["Location"].startswith(reverse("account_login"))
    assert not Booking.objects.exists()


def test_get_on_the_post_routes_is_not_allowed(client, person):
    event = event_at(monday(), 12)
    booking = booking_create(event=event, user=person)
    assert client.get(reverse("events:book", args=[event.pk])).status_code == 405
    assert client.get(reverse("events:cancel", args=[booking.pk])).status_code == 405


def test_cancelling_gives_the_seat_to_the_first_person_waiting(client, person):
    event = event_at(monday(), 12, capacity=1)
    mine = booking_create(event=event, user=person)
    waiting = booking_create(event=event, user=UserFactory())
    response = client.post(reverse("events:cancel", args=[mine.pk]), {"next": event.get_absolute_url()})
    assert response["Location"] == event.get_absolute_url()
    assert flashes(response) == ["Your booking is cancelled and your seat goes to the next person."]
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert mine.status == Booking.Status.CANCELLED
    assert waiting.status == Booking.Status.CONFIRMED
    # Booking again after cancelling is allowed (a new booking; the event is full, so the waiting list).
    client.post(reverse("events:book", args=[event.pk]))
    assert Booking.objects.filter(event=event, user=person).latest("pk").status == Booking.Status.WAITLISTED


def test_leaving_the_waiting_list(client, person):
    event = event_at(monday(), 12, capacity=1, confirmed_seats=1)
    waiting = booking_create(event=event, user=person)
    response = client.post(reverse("events:cancel", args=[waiting.pk]))
    assert flashes(response) == ["You have left the waiting list."]
    assert response["Location"] == event.get_absolute_url()
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CANCELLED


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_cancel_never_redirects_off_the_site(client, person, target):
    event = event_at(monday(), 12)
    booking = booking_create(event=event, user=person)
    response = client.post(reverse("events:cancel", args=[booking.pk]), {"next": target})
    assert response["Location"] == event.get_absolute_url()


def test_a_forged_booking_id_is_refused_with_a_message(client, person):
    event = event_at(monday(), 12)
    someone_elses = booking_create(event=event, user=UserFactory())
    for booking_id in (someone_elses.pk, 999999):
        response = client.post(reverse("events:cancel", args=[booking_id]))
        assert response.status_code == 302
        assert response["Location"] == MINE
        assert flashes(response)[-1] == "There is no such booking of yours."
    someone_elses.refresh_from_db()
    assert someone_elses.status == Booking.Status.CONFIRMED
    assert client.post(f"/events/bookings/{'9' * 30}/cancel/").status_code in (302, 404)


def test_cancelling_after_the_deadline_or_twice_is_refused_with_a_message(client, person):
    event = event_at(monday(), 12)
    booking = booking_create(event=event, user=person)
    Event.objects.filter(pk=event.pk).update(cancellation_deadline=timezone.now() - timedelta(minutes=1))
    response = client.post(reverse("events:cancel", args=[booking.pk]))
    assert flashes(response) == ["The cancellation deadline has passed. Please tell the station if you cannot come."]
    Event.objects.filter(pk=event.pk).update(cancellation_deadline=None)
    client.post(reverse("events:cancel", args=[booking.pk]))
    response = client.post(reverse("events:cancel", args=[booking.pk]))
    assert flashes(response)[-1] == "This booking can no longer be cancelled."


# ---------------------------------------------------------------------------
# My bookings


def test_my_bookings_needs_a_login(client):
    response = client.get(MINE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={MINE}"


def test_my_bookings_lists_upcoming_and_past_with_status_code_and_qr(client, person):
    confirmed = booking_create(event=event_at(monday(), 12, title="午间瑜伽"), user=person)
    full = event_at(monday() + timedelta(days=1), 12, title="茶艺沙龙", capacity=1, confirmed_seats=1)
    waiting = booking_create(event=full, user=person)
    start = timezone.now() - timedelta(days=3)
    past_event = EventFactory(title="上周讲座", starts_at=start, ends_at=start + timedelta(hours=1))
    past = Booking.objects.create(event=past_event, user=person, status=Booking.Status.ATTENDED)
    other = booking_create(event=event_at(monday(), 18, title="别人的活动"), user=UserFactory())

    response = client.get(MINE)
    assert response.status_code == 200
    html = text(response)
    assert [b.event.title for b in response.context["upcoming"]] == ["午间瑜伽", "茶艺沙龙"]
    assert [b.event.title for b in response.context["past"]] == ["上周讲座"]
    assert "别人的活动" not in html and other.code not in html
    for code in (confirmed.code, waiting.code, past.code):
        assert f'<p class="booking-code">{code}</p>' in html
    assert "Seat confirmed" in html and "On the waiting list" in html and "Attended" in html
    # A QR code for the confirmed seat (the one shown at the door), with an accessible name.
    assert f'role="img" aria-label="QR code for booking {confirmed.code}"' in html
    assert f"QR code for booking {waiting.code}" not in html
    # Cancel for both upcoming ones, none for the past.
    assert f'action="{reverse("events:cancel", args=[confirmed.pk])}"' in html
    assert f'action="{reverse("events:cancel", args=[waiting.pk])}"' in html
    assert f'action="{reverse("events:cancel", args=[past.pk])}"' not in html


def test_the_qr_code_encodes_the_booking_code():
    code = "KH64KTPVWA"
    svg = str(booking_qr(code))
    qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(code)
    qr.make(fit=True)
    dark = {(x + 4, y + 4) for y, row in enumerate(qr.get_matrix()[4:-4]) for x, cell in enumerate(row[4:-4]) if cell}
    drawn = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg)}
    assert drawn == dark
    assert str(booking_qr("OTHERCODE2")) != svg
    assert svg.startswith("<svg") and 'role="img"' in svg and "<?xml" not in svg


def test_the_header_and_the_home_page_lead_to_the_events(client, person):
    event_at(monday(), 12, title="下周瑜伽")
    event_at(monday(), 13, title="下周茶艺")
    event_at(monday(), 14, title="下周书法")
    event_at(monday(), 15, title="第四个")
    html = text(client.get("/"))
    assert f'href="{LIST}"' in html
    assert f'href="{MINE}"' in text(client.get(reverse("portal:profile")))  # "Mine" gathers the person's own pages
    assert "下周瑜伽" in html and "下周书法" in html and "第四个" not in html


# ---------------------------------------------------------------------------
# Query counts: the same for a handful of events as for 10,000 events and 100,000 bookings


def make_events(count, stations, *, start=0):
    now = timezone.now()
    rows = []
    for i in range(start, start + count):
        starts = now + timedelta(hours=1 + (i * 37) % (24 * 120))
        rows.append(Event(
            station=stations[i % len(stations)], title=f"活动{i}", category=Event.Category.values[i % 7],
            audience=Event.Audience.values[i % 4], starts_at=starts, ends_at=starts + timedelta(hours=1),
            capacity=200, status=Event.Status.PUBLISHED if i % 10 else Event.Status.FINISHED,
        ))
    Event.objects.bulk_create(rows, batch_size=2000)
    return list(Event.objects.filter(title__in=[r.title for r in rows[:1000]]).order_by("pk"))


def make_bookings(events, users):
    """Every user books every event given: len(events) × len(users) confirmed bookings, in batches."""
    batch = []
    for event in events:
        for user in users:
            batch.append(Booking(event=event, user=user, status=Booking.Status.CONFIRMED, confirmed_at=timezone.now()))
            if len(batch) == 5000:
                Booking.objects.bulk_create(batch)
                batch = []
    Booking.objects.bulk_create(batch)
    Event.objects.filter(pk__in=[e.pk for e in events]).update(confirmed_seats=len(users))


def page_queries(client, urls):
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


# Upper bounds so a new query is noticed. Logged in, every page also reads the session, the user and the
# unread-notification count (3). List: count + page + the district and station pickers (+1 each to validate a
# chosen one). Week: the week's events + pickers. Detail: the event + my booking (with its waiting position);
# +1 for "may book for a group" when there is something to book. My bookings: upcoming, past, calendar link.
MAX_QUERIES = {"list": 7, "list, filtered": 9, "week": 6, "detail": 5, "detail, bookable": 6, "detail, anonymous": 1, "my bookings": 6, "home": 5}


def test_pages_cost_the_same_queries_for_a_few_events_as_for_10000_events_and_100000_bookings(client):
    districts = [DistrictFactory(name=f"{n}区") for n in ("黄浦", "徐汇", "长宁", "静安")]
    stations = [StationFactory(street=StreetFactory(district=d)) for d in districts for _ in range(3)]
    person = UserFactory()
    anonymous = client.__class__()
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(person)
    event = event_at(monday(), 12, station=stations[0], capacity=500)
    booking_create(event=event, user=person)
    bookable = event_at(monday(), 13, station=stations[1])
    make_events(30, stations, start=0)
    urls = {
        "list": LIST,
        "list, filtered": f"{LIST}?time=lunch&category=lunch_salon&district={districts[0].pk}&station={stations[0].pk}"
                          f"&audience=everyone&seats=on&date_from={monday().isoformat()}",
        "week": f"{LIST}?view=week&week={monday().isoformat()}",
        "detail": event.get_absolute_url(),
        "detail, bookable": bookable.get_absolute_url(),
        "my bookings": MINE,
        "home": "/",
    }
    few = page_queries(client, urls)
    few["detail, anonymous"] = page_queries(anonymous, {"detail": event.get_absolute_url()})["detail"]

    started = time.perf_counter()
    booked = make_events(9968, stations, start=30)
    users = User.objects.bulk_create(User(email=f"bulk{n}@example.cn", display_name=f"白领{n}") for n in range(100))
    users = list(User.objects.filter(email__startswith="bulk").order_by("pk"))
    make_bookings(booked, users)
    make_bookings([event], users)  # the event on the page has 100 other bookings too
    build_s = time.perf_counter() - started
    assert Event.objects.count() == 10_000
    assert Booking.objects.count() == 100_101

    many = page_queries(client, urls)
    many["detail, anonymous"] = page_queries(anonymous, {"detail": event.get_absolute_url()})["detail"]
    print(f"\nqueries per page with a few / 10,000 events: { {name: (few[name], many[name]) for name in few} }")
    assert many == few
    for name, count in many.items():
        assert count <= MAX_QUERIES[name], f"{name}: {count} queries"

    timings = {}
    for name, url in (("list", LIST), ("list, filtered", urls["list, filtered"]), ("week", urls["week"]), ("detail", urls["detail"])):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        timings[name] = round((time.perf_counter() - started) * 1000)
    print(f"10,000 events / 100,101 bookings on {connection.vendor} (built in {build_s:.1f} s), ms per page: {timings}")
    assert client.get(LIST).context["page"].paginator.count == upcoming_events().count() > 8000


@pytest.mark.postgres
def test_the_list_queries_use_the_event_indexes_on_postgresql():
    stations = [StationFactory() for _ in range(5)]
    make_events(10_000, stations)
    # A year of events, most of them over: the upcoming ones are a small slice the index finds directly.
    Event.objects.filter(pk__in=Event.objects.order_by("starts_at").values("pk")[:9000]).update(
        starts_at=timezone.now() - timedelta(days=400), ends_at=timezone.now() - timedelta(days=399),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_event")
    page = upcoming_events()[:20]
    plan = page.explain()
    print("\nlist page plan:\n" + plan)
    assert "event_status_start_idx" in plan
    by_station = upcoming_events(station=stations[0])[:20].explain()
    print("station filter plan:\n" + by_station)
    assert "event_station_start_idx" in by_station or "event_status_start_idx" in by_station


def test_a_person_with_repeated_no_shows_is_told_why_they_are_waiting(client, settings):
    settings.EVENTS_NO_SHOW_THRESHOLD = 1
    person = UserFactory()
    station = StationFactory()
    now = timezone.now()
    past = Event.objects.create(station=station, title="上周的沙龙", category="lunch_salon", status="finished", capacity=5,
                                starts_at=now - timedelta(days=7), ends_at=now - timedelta(days=7, hours=-1))
    Booking.objects.create(event=past, user=person, status=Booking.Status.NO_SHOW)
    upcoming = Event.objects.create(station=station, title="午间茶艺", category="lunch_salon", status="published", capacity=5,
                                    starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=1))
    client.force_login(person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(reverse("events:book", args=[upcoming.pk]), follow=True)
    assert Booking.objects.get(event=upcoming, user=person).status == Booking.Status.WAITLISTED
    page = response.content.decode()
    assert "您有 1 次预约了活动却没有到场" in page  # the reason, in the page's language
