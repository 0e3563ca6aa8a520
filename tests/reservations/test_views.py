from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from reservations.models import Reservation, ReservationQuota
from stations.models import FunctionArea, OpeningException, Station
from tests.factories import MembershipFactory, UserFactory
from tests.reservations.factories import meeting_room, shanghai_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Pages are read in English (the language cookie), so the assertions don't depend on the translations."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def room_url(area, **query):
    url = reverse("reservations:room", args=[area.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def slots_of(response):
    return {slot.starts_at: slot.state for day in response.context["days"] for slot in day.slots}


def test_the_grid_shows_free_taken_and_past_in_shanghai_time_without_the_booker(client):
    area = meeting_room()
    booker = UserFactory(display_name="王秘密", email="secret-booker@example.cn")
    start = shanghai_at(1, 14)
    # Stored as UTC: 06:00 UTC is 14:00 in Shanghai.
    Reservation.objects.create(area=area, user=booker, starts_at=start.astimezone(UTC), ends_at=shanghai_at(1, 15).astimezone(UTC),
                               purpose="秘密会议", status=Reservation.Status.PENDING)
    response = client.get(room_url(area, week=start.date().isoformat()))
    assert response.status_code == 200
    slots = slots_of(response)
    assert slots[shanghai_at(1, 14)] == "taken"
    assert slots[shanghai_at(1, 14, 30)] == "taken"
    assert slots[shanghai_at(1, 13, 30)] == "free"
    assert slots[shanghai_at(1, 15)] == "free"
    assert shanghai_at(1, 7, 30) not in slots and shanghai_at(1, 21) not in slots  # outside opening hours
    assert min(s for s in slots if s.date() == start.date()).hour == 8
    html = response.content.decode()
    assert "王秘密" not in html and "secret-booker" not in html and "秘密会议" not in html
    assert f"?date={start.date().isoformat()}&amp;start=13:30" in html

    last_week = client.get(room_url(area, week=(timezone.localdate() - timedelta(days=7)).isoformat()))
    assert set(slots_of(last_week).values()) == {"past"}


def test_cancelled_reservations_free_their_slots(client):
    area = meeting_room()
    Reservation.objects.create(area=area, user=UserFactory(), starts_at=shanghai_at(1, 10), ends_at=shanghai_at(1, 11),
                               purpose="x", status=Reservation.Status.CANCELLED)
    slots = slots_of(client.get(room_url(area, week=shanghai_at(1, 10).date().isoformat())))
    assert slots[shanghai_at(1, 10)] == "free"


def test_the_grid_takes_a_fixed_number_of_queries(client):
    area = meeting_room()
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    url = room_url(area, week=monday.isoformat())
    client.get(url)  # warm up (sessions, content types)
    with CaptureQueriesContext(connection) as empty:
        assert client.get(url).status_code == 200
    user = UserFactory()
    base = datetime(monday.year, monday.month, monday.day, 8, tzinfo=shanghai_at(0, 0).tzinfo)
    Reservation.objects.bulk_create([
        Reservation(area=area, user=user, purpose="x", starts_at=base + timedelta(days=i % 7, minutes=5 * (i // 7)),
                    ends_at=base + timedelta(days=i % 7, minutes=5 * (i // 7) + 5), status=Reservation.Status.APPROVED)
        for i in range(200)
    ])
    with CaptureQueriesContext(connection) as full:
        response = client.get(url)
    assert len(full) == len(empty) <= 4, [q["sql"][:80] for q in full.captured_queries]
    assert "taken" in set(slots_of(response).values())


@pytest.mark.parametrize("week", ["abc", "2026-13-45", "9999-12-31", "0001-01-01", "1" * 500, "2026-01-01T00"])
def test_bad_weeks_show_this_week(client, week):
    area = meeting_room()
    response = client.get(room_url(area, week=week))
    assert response.status_code == 200
    assert response.context["is_this_week"]


def test_walk_in_rooms_and_unknown_rooms_are_404(client):
    area = meeting_room()
    walk_in = FunctionArea.objects.create(station=area.station, kind=FunctionArea.Kind.READING)
    assert client.get(room_url(walk_in)).status_code == 404
    assert client.get(reverse("reservations:room", args=[10**12])).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("reservations:request", args=[walk_in.pk])).status_code == 404


def test_the_room_list_groups_rooms_by_station(client):
    area = meeting_room()
    FunctionArea.objects.create(station=area.station, kind=FunctionArea.Kind.READING, name="只能走进来")
    response = client.get(reverse("reservations:rooms"))
    assert response.status_code == 200
    html = response.content.decode()
    assert area.station.name in html and room_url(area) in html and "只能走进来" not in html


def test_login_is_required(client):
    area = meeting_room()
    for url in (reverse("reservations:request", args=[area.pk]), reverse("reservations:mine"),
                reverse("reservations:calendar", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("reservations:cancel", args=[1]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def post(client, area, begin, finish, **extra):
    data = {"date": begin.date().isoformat(), "start": f"{begin:%H:%M}", "end": f"{finish:%H:%M}", "purpose": "支部学习", "attendees": 5}
    data.update(extra)
    return client.post(reverse("reservations:request", args=[area.pk]), data)


def test_a_free_slot_link_prefills_the_form_and_the_request_is_saved(client):
    area = meeting_room()
    user = UserFactory()
    client.force_login(user)
    start = shanghai_at(2, 14)
    form = client.get(reverse("reservations:request", args=[area.pk]) + f"?date={start.date().isoformat()}&start=14:00").context["form"]
    assert form.initial["start"] == "14:00" and form.initial["end"] == "14:30"
    response = post(client, area, start, shanghai_at(2, 15, 30))
    assert response.status_code == 302 and response["Location"] == reverse("reservations:mine")
    reservation = Reservation.objects.get()
    assert reservation.user == user and reservation.starts_at == start and reservation.status == Reservation.Status.PENDING
    mine = client.get(reverse("reservations:mine"))
    assert "Waiting for approval" in mine.content.decode()
    assert reverse("reservations:cancel", args=[reservation.pk]) in mine.content.decode()


def _quota_case(area, user):
    membership = MembershipFactory(user=user, verified=True)
    ReservationQuota.objects.create(station=area.station, organisation=membership.organisation, hours_per_week=1)
    return {"organisation": membership.organisation.pk}


def test_the_time_choices_are_the_rooms_opening_hours_and_a_time_outside_them_changes_nothing(client):
    area = meeting_room()  # open 08:00–21:00, 30-minute slots
    client.force_login(UserFactory())
    form = client.get(reverse("reservations:request", args=[area.pk])).context["form"]
    starts = [value for value, _ in form.fields["start"].choices]
    ends = [value for value, _ in form.fields["end"].choices]
    assert (starts[0], starts[-1], len(starts)) == ("08:00", "20:30", 26)
    assert (ends[0], ends[-1], len(ends)) == ("08:30", "21:00", 26)

    response = post(client, area, shanghai_at(2, 7), shanghai_at(2, 8, 30))
    assert response.status_code == 200
    assert "start" in response.context["form"].errors
    assert Reservation.objects.count() == 0


def test_a_room_open_round_the_clock_offers_the_whole_day_up_to_midnight(client):
    area = meeting_room()
    area.station.opening_hours.update(opens="00:00", closes="00:00")  # 00:00 to 00:00 is the whole day
    client.force_login(UserFactory())
    form = client.get(reverse("reservations:request", args=[area.pk])).context["form"]
    assert [form.fields["start"].choices[0][0], form.fields["start"].choices[-1][0]] == ["00:00", "23:30"]
    assert [form.fields["end"].choices[0][0], form.fields["end"].choices[-1][0]] == ["00:30", "24:00"]


@pytest.mark.parametrize(("case", "start", "end", "message"), [
    ("past", (-1, 14), (-1, 15), "in the past"),
    ("hours", (2, 10), (2, 11), "not open"),  # the station is closed that day
    ("long", (2, 8), (2, 13), "longest"),
    ("far", (40, 10), (40, 11), "days ahead"),
    ("capacity", (2, 10), (2, 11), "at most 20 people"),
    ("quota", (2, 10), (2, 12), "hours a week"),
    ("overlap", (2, 10, 30), (2, 11, 30), "taken"),
    ("reversed", (2, 11), (2, 10), "after the start"),
])
def test_every_broken_rule_is_a_form_error_and_nothing_is_saved(client, case, start, end, message):
    area = meeting_room(capacity=20)
    user = UserFactory()
    client.force_login(user)
    extra = {}
    if case == "capacity":
        extra["attendees"] = 21
    if case == "quota":
        extra.update(_quota_case(area, user))
    if case == "hours":
        OpeningException.objects.create(station=area.station, date=shanghai_at(2, 10).date(), is_closed=True, reason="消防检查")
    if case == "overlap":
        Reservation.objects.create(area=area, user=UserFactory(), starts_at=shanghai_at(2, 10), ends_at=shanghai_at(2, 11), purpose="x")
    before = Reservation.objects.count()
    response = post(client, area, shanghai_at(*start), shanghai_at(*end), **extra)
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["form"].non_field_errors())
    assert message in errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Reservation.objects.count() == before


@pytest.mark.parametrize("data", [
    {"date": "9999-12-31", "start": "23:30", "end": "24:00"},
    {"date": "abc", "start": "x", "end": "y"},
    {"attendees": "99999999999999999999"},
    {"attendees": "-3"},
    {"purpose": "x" * 5000},
    {"organisation": "99999999"},
])
def test_bad_input_is_a_form_error_never_a_500(client, data):
    area = meeting_room()
    user = UserFactory()
    MembershipFactory(user=user, verified=True)  # so the organisation field is offered
    client.force_login(user)
    response = post(client, area, shanghai_at(2, 10), shanghai_at(2, 11), **data)
    assert response.status_code == 200
    assert not response.context["form"].is_valid() or response.context["form"].errors
    assert Reservation.objects.count() == 0
    odd = client.get(reverse("reservations:request", args=[area.pk]) + "?date=99999&start=99:99")
    assert odd.status_code == 200


def test_only_verified_memberships_are_offered(client):
    area = meeting_room()
    user = UserFactory()
    verified = MembershipFactory(user=user, verified=True)
    unverified = MembershipFactory(user=user)
    client.force_login(user)
    choices = client.get(reverse("reservations:request", args=[area.pk])).context["form"].fields["organisation"].queryset
    assert list(choices) == [verified.organisation]
    response = post(client, area, shanghai_at(2, 10), shanghai_at(2, 11), organisation=unverified.organisation.pk)
    assert response.status_code == 200 and Reservation.objects.count() == 0


def test_cancel_own_only_and_until_it_starts(client):
    area = meeting_room()
    me, other = UserFactory(), UserFactory()
    mine = Reservation.objects.create(area=area, user=me, starts_at=shanghai_at(2, 10), ends_at=shanghai_at(2, 11), purpose="x")
    theirs = Reservation.objects.create(area=area, user=other, starts_at=shanghai_at(2, 12), ends_at=shanghai_at(2, 13), purpose="x")
    started = Reservation.objects.create(area=area, user=me, starts_at=timezone.now() - timedelta(minutes=10),
                                         ends_at=timezone.now() + timedelta(minutes=20), purpose="x", status=Reservation.Status.APPROVED)
    client.force_login(me)
    page = client.get(reverse("reservations:mine")).content.decode()
    assert reverse("reservations:cancel", args=[mine.pk]) in page
    assert reverse("reservations:cancel", args=[started.pk]) not in page
    client.post(reverse("reservations:cancel", args=[theirs.pk]))
    client.post(reverse("reservations:cancel", args=[started.pk]))
    response = client.post(reverse("reservations:cancel", args=[mine.pk]), follow=True)
    assert "cancelled" in response.content.decode()
    for reservation in (mine, theirs, started):
        reservation.refresh_from_db()
    assert mine.status == Reservation.Status.CANCELLED
    assert theirs.status == Reservation.Status.PENDING and started.status == Reservation.Status.APPROVED
    assert client.get(reverse("reservations:cancel", args=[mine.pk])).status_code == 405


def test_ics_of_own_reservation_only(client):
    area = meeting_room()
    me, other = UserFactory(), UserFactory()
    mine = Reservation.objects.create(area=area, user=me, starts_at=shanghai_at(2, 14), ends_at=shanghai_at(2, 15), purpose="支部学习")
    theirs = Reservation.objects.create(area=area, user=other, starts_at=shanghai_at(2, 16), ends_at=shanghai_at(2, 17), purpose="x")
    client.force_login(me)
    response = client.get(reverse("reservations:calendar", args=[mine.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VTIMEZONE" in body and "TZID:Asia/Shanghai" in body
    assert f"DTSTART;TZID=Asia/Shanghai:{shanghai_at(2, 14):%Y%m%dT140000}" in body
    assert "STATUS:TENTATIVE" in body
    assert client.get(reverse("reservations:calendar", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("reservations:calendar", args=[10**12])).status_code == 404


def test_the_station_page_links_each_reservable_room_to_its_free_times_at_no_extra_query(client, django_assert_max_num_queries):
    from tests.reservations.factories import meeting_room as _room

    area = _room()
    second = _room(station=area.station)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("stations:detail", args=[area.station.slug])).content.decode()
    assert reverse("reservations:room", args=[area.pk]) in page
    assert reverse("reservations:room", args=[second.pk]) in page


def test_the_room_list_comes_a_page_of_stations_at_a_time_in_fixed_queries(client, django_assert_max_num_queries):
    first = meeting_room()
    for _ in range(25):
        meeting_room()
    with django_assert_max_num_queries(6):
        page = client.get(reverse("reservations:rooms")).content.decode()
    assert page.count('class="room-links"') == 20
    with django_assert_max_num_queries(6):
        second = client.get(reverse("reservations:rooms"), {"page": 2}).content.decode()
    assert second.count('class="room-links"') == 6
    # A district narrows the list; the page links keep it.
    district = first.station.street.district
    narrowed = client.get(reverse("reservations:rooms"), {"district": district.pk}).content.decode()
    assert room_url(first) in narrowed
    assert narrowed.count('class="room-links"') == Station.objects.filter(street__district=district).count()
