"""The reservation admin: the approval queue, its approve/reject actions and staff blocks, all scoped."""

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse

from portal.models import Notification
from reservations import services
from reservations.models import Reservation
from tests.factories import UserFactory, make_staff
from tests.reservations.factories import meeting_room, shanghai_at

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reservations_reservation_changelist")
ADD = reverse("admin:reservations_reservation_add")


@pytest.fixture
def room():
    return meeting_room()


@pytest.fixture
def staff_client(client, room):
    client.force_login(make_staff("station_staff", station=room.station))
    return client


def _pending(room, day=2, hour=10):
    person = UserFactory()
    return services.reservation_request(area=room, user=person, starts_at=shanghai_at(day, hour), ends_at=shanghai_at(day, hour + 1),
                                        purpose="支部学习", attendees=5)


def _messages(response, level=None):
    return [str(m) for m in get_messages(response.wsgi_request) if level is None or m.level == level]


def test_the_queue_lists_the_stations_requests_with_the_requester(staff_client, room):
    reservation = _pending(room)
    reservation.user.display_name = "张三"
    reservation.user.save()
    page = staff_client.get(CHANGELIST)
    assert page.status_code == 200
    assert reverse("admin:reservations_reservation_change", args=[reservation.pk]) in page.content.decode()
    detail = staff_client.get(reverse("admin:reservations_reservation_change", args=[reservation.pk]))
    assert "张三" in detail.content.decode()


def test_staff_of_another_station_see_nothing(client, room):
    reservation = _pending(room)
    client.force_login(make_staff("station_staff", station=meeting_room().station))
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert reverse("admin:reservations_reservation_change", args=[reservation.pk]) not in page.content.decode()
    assert client.get(reverse("admin:reservations_reservation_change", args=[reservation.pk])).status_code in (302, 403)
    client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [reservation.pk]})
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.PENDING


def test_approve_action_approves_and_notifies(staff_client, room):
    first, second = _pending(room, hour=10), _pending(room, hour=14)
    response = staff_client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [first.pk, second.pk]}, follow=True)
    assert any("2" in m for m in _messages(response))
    for reservation in (first, second):
        reservation.refresh_from_db()
        assert reservation.status == Reservation.Status.APPROVED
        assert Notification.objects.filter(recipient=reservation.user, kind="reservations.reservation.approved").exists()


def test_reject_action_needs_a_reason_and_tells_the_requester(staff_client, room):
    reservation = _pending(room)
    response = staff_client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": [reservation.pk]}, follow=True)
    assert _messages(response, messages.ERROR)
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.PENDING

    staff_client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": [reservation.pk], "reason": "会议室维修"})
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.REJECTED and reservation.staff_remark == "会议室维修"
    assert Notification.objects.get(recipient=reservation.user, kind="reservations.reservation.rejected").body.endswith("\n会议室维修")


def _block_form(room, day, start, end):
    starts, ends = shanghai_at(day, start), shanghai_at(day, end)
    return {
        "area": room.pk, "purpose": "设备检修",
        "starts_at_0": starts.strftime("%Y-%m-%d"), "starts_at_1": starts.strftime("%H:%M"),
        "ends_at_0": ends.strftime("%Y-%m-%d"), "ends_at_1": ends.strftime("%H:%M"),
    }


def test_a_block_added_in_admin_refuses_overlapping_requests(staff_client, room):
    response = staff_client.post(ADD, _block_form(room, 3, 9, 12))
    assert response.status_code == 302
    block = Reservation.objects.get(is_block=True)
    assert block.status == Reservation.Status.APPROVED and block.area == room
    with pytest.raises(services.ReservationError):
        services.reservation_request(area=room, user=UserFactory(), starts_at=shanghai_at(3, 11), ends_at=shanghai_at(3, 13),
                                     purpose="开会")


def test_a_block_over_a_held_slot_is_refused_with_a_message(staff_client, room):
    _pending(room, day=3, hour=10)
    response = staff_client.post(ADD, _block_form(room, 3, 9, 12), follow=True)
    assert response.status_code == 200
    assert _messages(response, messages.ERROR)
    assert not Reservation.objects.filter(is_block=True).exists()


def test_times_and_room_of_an_existing_reservation_cannot_be_changed(staff_client, room):
    reservation = _pending(room)
    starts = reservation.starts_at
    staff_client.post(reverse("admin:reservations_reservation_change", args=[reservation.pk]), _block_form(room, 5, 9, 12))
    reservation.refresh_from_db()
    assert reservation.starts_at == starts and not reservation.is_block
