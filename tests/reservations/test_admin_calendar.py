"""The staff calendar in the reservation admin: a week of the rooms in the reader's scope, with who holds them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Organisation
from reservations.models import ReservableArea, Reservation
from stations.models import FunctionArea
from tests.factories import OrganisationFactory, StationFactory, StreetFactory, UserFactory, make_staff
from tests.reservations.factories import meeting_room, shanghai_at

pytestmark = pytest.mark.django_db

CALENDAR = reverse("admin:reservations_reservation_calendar")
CHANGELIST = reverse("admin:reservations_reservation_changelist")


def _reservation(room, *, days=2, hour=10, purpose="支部学习", status=Reservation.Status.PENDING, is_block=False, user=None,
                 organisation=None):
    """One row as the services leave it; written directly so each test states exactly the statuses it needs."""
    return Reservation.objects.create(
        area=room, user=user or UserFactory(), organisation=organisation, starts_at=shanghai_at(days, hour),
        ends_at=shanghai_at(days, hour + 1), purpose=purpose, status=status, is_block=is_block,
    )


def _week_of(days):
    return {"week": shanghai_at(days, 0).date().isoformat()}


def _page(client, **params):
    response = client.get(CALENDAR, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def room():
    return meeting_room()


@pytest.fixture
def staff_client(client, room):
    client.force_login(make_staff("station_staff", station=room.station))
    return client


def test_station_staff_see_their_rooms_reservations_with_requester_and_link(staff_client, room):
    organisation = OrganisationFactory(name="梧桐科技")
    reservation = _reservation(room, purpose="支部学习", user=UserFactory(display_name="张三"), organisation=organisation)
    html = _page(staff_client, **_week_of(2))
    assert room.station.name in html
    assert room.display_name in html
    assert "支部学习" in html
    assert "张三" in html and "梧桐科技" in html
    assert "10:00–11:00" in html
    assert reverse("admin:reservations_reservation_change", args=[reservation.pk]) in html


def test_station_staff_do_not_see_another_stations_rooms_or_reservations(staff_client, room):
    other = meeting_room()
    _reservation(room, purpose="本站活动")
    foreign = _reservation(other, purpose="别站的秘密会议", user=UserFactory(display_name="李四"))
    html = _page(staff_client, **_week_of(2))
    assert "本站活动" in html
    assert "别站的秘密会议" not in html
    assert "李四" not in html
    assert other.station.name not in html
    assert reverse("admin:reservations_reservation_change", args=[foreign.pk]) not in html
    # Asking for the other station by id shows nothing of it either.
    html = _page(staff_client, station=other.station.pk, **_week_of(2))
    assert "别站的秘密会议" not in html
    assert other.station.name not in html


def test_a_street_admin_sees_every_station_of_the_street_and_no_other(client):
    street = StreetFactory()
    first, second = meeting_room(station=StationFactory(street=street)), meeting_room(station=StationFactory(street=street))
    elsewhere = meeting_room()
    _reservation(first, purpose="第一站的会")
    _reservation(second, purpose="第二站的会")
    _reservation(elsewhere, purpose="别的街道的会")
    client.force_login(make_staff("street_admin", street=street))
    html = _page(client, **_week_of(2))
    assert first.station.name in html and second.station.name in html
    assert "第一站的会" in html and "第二站的会" in html
    assert "别的街道的会" not in html
    assert elsewhere.station.name not in html


def test_a_superuser_sees_every_station(client, room):
    other = meeting_room()
    _reservation(room, purpose="甲的会")
    _reservation(other, purpose="乙的会")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = _page(client, **_week_of(2))
    assert "甲的会" in html and "乙的会" in html


def test_rejected_and_cancelled_are_not_shown_pending_approved_and_blocks_are(staff_client, room):
    _reservation(room, hour=9, purpose="被拒绝的申请", status=Reservation.Status.REJECTED)
    _reservation(room, hour=9, purpose="已取消的申请", status=Reservation.Status.CANCELLED)
    _reservation(room, hour=10, purpose="等待审批的会", status=Reservation.Status.PENDING)
    _reservation(room, hour=12, purpose="已批准的会", status=Reservation.Status.APPROVED)
    _reservation(room, hour=14, purpose="设备检修", status=Reservation.Status.APPROVED, is_block=True)
    html = _page(staff_client, **_week_of(2))
    assert "被拒绝的申请" not in html
    assert "已取消的申请" not in html
    assert "等待审批的会" in html and "已批准的会" in html and "设备检修" in html
    # Pending and blocks are marked as such; entries come in time order.
    assert html.count('class="entry pending"') == 1
    assert html.count('class="entry approved block"') == 1
    assert html.index("等待审批的会") < html.index("已批准的会") < html.index("设备检修")


def test_reservations_land_on_their_day_of_the_week(staff_client, room):
    reservation = _reservation(room, days=2, purpose="那天的会")
    day = shanghai_at(2, 0).date()
    response = staff_client.get(CALENDAR, _week_of(2))
    week = response.context["week"]
    assert week.monday.weekday() == 0 and week.monday <= day <= week.days[-1]
    (cells,) = [row.cells for group in week.stations for row in group.rooms]
    assert [cell.day for cell in cells] == week.days
    assert [[entry.reservation.pk for entry in cell.entries] for cell in cells] == [
        [reservation.pk] if cell.day == day else [] for cell in cells
    ]


def test_week_navigation(staff_client, room):
    _reservation(room, days=2, purpose="本周之后的会")
    later = _page(staff_client, **_week_of(2))
    monday = shanghai_at(2, 0).date() - timedelta(days=shanghai_at(2, 0).weekday())
    assert f"week={(monday - timedelta(days=7)).isoformat()}" in later
    assert f"week={(monday + timedelta(days=7)).isoformat()}" in later
    # The next week holds nothing of it.
    next_week = _page(staff_client, week=(monday + timedelta(days=7)).isoformat())
    assert "本周之后的会" not in next_week
    # A day in the middle of the week shows the same week.
    assert "本周之后的会" in _page(staff_client, week=(monday + timedelta(days=3)).isoformat())


@pytest.mark.parametrize("value", ["", "garbage", "2025-02-30", "2025-13-01", "99999-01-01", "0001-01-01", "9999-12-31", "2025-06-02'"])
def test_an_invalid_week_shows_this_week(staff_client, value):
    response = staff_client.get(CALENDAR, {"week": value})
    assert response.status_code == 200
    assert response.context["is_this_week"]


def test_the_station_filter_offers_only_stations_in_scope_and_narrows_the_rooms(client):
    street = StreetFactory()
    first, second = meeting_room(station=StationFactory(street=street)), meeting_room(station=StationFactory(street=street))
    elsewhere = meeting_room()
    _reservation(first, purpose="第一站的会")
    _reservation(second, purpose="第二站的会")
    client.force_login(make_staff("street_admin", street=street))
    html = _page(client, **_week_of(2))
    assert f'<option value="{first.station.pk}"' in html and f'<option value="{second.station.pk}"' in html
    assert f'<option value="{elsewhere.station.pk}"' not in html
    html = _page(client, station=first.station.pk, **_week_of(2))
    assert "第一站的会" in html and "第二站的会" not in html
    # The week links keep the station.
    assert f"station={first.station.pk}" in html
    # A station outside the scope, or no number at all, is ignored: the whole scope is shown.
    for value in (elsewhere.station.pk, "x"):
        html = _page(client, station=value, **_week_of(2))
        assert "第一站的会" in html and "第二站的会" in html


def test_staff_without_view_permission_on_reservations_get_403(client):
    merchant = OrganisationFactory(kind=Organisation.Kind.MERCHANT)
    client.force_login(make_staff("merchant_staff", merchant=merchant))
    assert client.get(CALENDAR).status_code == 403


def test_people_who_are_not_staff_are_sent_to_log_in(client):
    client.force_login(UserFactory())
    response = client.get(CALENDAR)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_changelist_links_to_the_calendar_and_keeps_the_add_button(staff_client):
    html = staff_client.get(CHANGELIST).content.decode()
    assert f'href="{CALENDAR}"' in html
    assert reverse("admin:reservations_reservation_add") in html


def _another_room(station):
    area = FunctionArea.objects.create(station=station, kind=FunctionArea.Kind.MEETING, access_mode=FunctionArea.Access.RESERVATION,
                                       capacity=8, position=1)
    ReservableArea.objects.create(area=area)
    return area


def _count_queries(client, rooms_count):
    street = StreetFactory()
    admin = make_staff("street_admin", street=street)
    rooms = []
    for index in range(rooms_count):
        # Two rooms a station, each with a request of an organisation and a staff block.
        rooms.append(meeting_room(station=StationFactory(street=street)) if index % 2 == 0 else _another_room(rooms[-1].station))
    for index, room in enumerate(rooms):
        _reservation(room, hour=10, purpose=f"会议{index}", organisation=OrganisationFactory(), user=UserFactory())
        _reservation(room, hour=14, purpose=f"检修{index}", status=Reservation.Status.APPROVED, is_block=True, user=admin)
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        html = _page(client, **_week_of(2))
    assert html.count('class="entry ') == 2 * rooms_count
    return len(queries)


def test_the_query_count_does_not_grow_with_rooms_and_reservations(client):
    few = _count_queries(client, 2)
    many = _count_queries(client, 10)
    assert few == many
