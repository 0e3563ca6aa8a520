import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from events import checkin
from events.checkin import CheckInOutcome, booking_check_in, event_release_unclaimed_seats, mark_no_shows, no_show_restriction
from events.models import Booking, Event
from events.services import EventError
from portal.models import AuditEntry, Notification, StaffAssignment
from tests.events.factories import BookingFactory, EventFactory, holding_seats, station_staff
from tests.factories import DEFAULT_PASSWORD, StationFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory(door_open=True, title="午间瑜伽", capacity=10)


@pytest.fixture
def staff(event):
    return station_staff(event.station)


@pytest.fixture
def other_staff():
    return station_staff(StationFactory())


def during(event, minutes=5):
    return event.starts_at + timedelta(minutes=minutes)


# Codes


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("abcd-efgh 23", "ABCDEFGH23"),
        ("  ABCD EFGH 23\n", "ABCDEFGH23"),
        ("ＡＢＣＤ－ＥＦＧＨ２３", "ABCDEFGH23"),  # full-width, from a Chinese input method
        ("https://portal.example.cn/me/bookings/ABCDEFGH23/", "ABCDEFGH23"),
        ("", ""),
    ],
)
def test_normalise_code(typed, expected):
    assert checkin.normalise_code(typed) == expected


# Check-in outcomes


def test_check_in_marks_attended_and_keeps_the_seat_counter(event, staff):
    booking = BookingFactory(event=event, seats=2, user=UserFactory(display_name="王阿姨"))
    now = during(event, -10)

    result = booking_check_in(event=event, code=booking.code.lower(), actor=staff, now=now)

    assert result.outcome == CheckInOutcome.CHECKED_IN and result.ok
    assert "王阿姨" in str(result.message) and "2" in str(result.message)
    booking.refresh_from_db()
    event.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED
    assert booking.checked_in_at == now
    assert event.confirmed_seats == 2 == holding_seats(event)
    assert AuditEntry.objects.filter(action="events.booking.checked_in", actor=staff, object_id=str(booking.pk)).exists()


def test_second_scan_is_flagged_with_the_time_of_the_first(event, staff):
    booking = BookingFactory(event=event)
    first = timezone.localtime(during(event, -7)).replace(hour=12, minute=3, second=0)
    event.starts_at = first + timedelta(minutes=10)
    event.ends_at = event.starts_at + timedelta(hours=1)
    event.save()
    booking_check_in(event=event, code=booking.code, actor=staff, now=first)

    again = booking_check_in(event=event, code=booking.code, actor=staff, now=first + timedelta(minutes=4))

    assert again.outcome == CheckInOutcome.ALREADY_CHECKED_IN and not again.ok
    assert again.first_checked_in_at == first
    assert "12:03" in str(again.message)
    booking.refresh_from_db()
    assert booking.checked_in_at == first


def test_code_for_another_event_is_refused_with_its_title(event, staff):
    elsewhere = BookingFactory(event=EventFactory(door_open=True, title="书法课", station=event.station))

    result = booking_check_in(event=event, code=elsewhere.code, actor=staff, now=during(event))

    assert result.outcome == CheckInOutcome.WRONG_EVENT
    assert result.other_event == elsewhere.event
    assert "书法课" in str(result.message)
    elsewhere.refresh_from_db()
    assert elsewhere.status == Booking.Status.CONFIRMED


@pytest.mark.parametrize("code", ["ABCDEFGH23", "AB", "O0I1LABCDE", ""])
def test_unknown_code(event, staff, code):
    BookingFactory(event=event)

    result = booking_check_in(event=event, code=code, actor=staff, now=during(event))

    assert result.outcome == CheckInOutcome.UNKNOWN_CODE
    assert not Booking.objects.filter(status=Booking.Status.ATTENDED).exists()


@pytest.mark.parametrize("status", [Booking.Status.WAITLISTED, Booking.Status.CANCELLED, Booking.Status.NO_SHOW])
def test_booking_without_a_seat_is_not_checked_in(event, staff, status):
    booking = BookingFactory(event=event, status=status)

    result = booking_check_in(event=event, code=booking.code, actor=staff, now=during(event))

    assert result.outcome == CheckInOutcome.NOT_CONFIRMED
    booking.refresh_from_db()
    assert booking.status == status and booking.checked_in_at is None


def test_check_in_window(event, staff):
    booking = BookingFactory(event=event)

    too_early = booking_check_in(event=event, code=booking.code, actor=staff, now=event.starts_at - timedelta(hours=2, minutes=1))
    over = booking_check_in(event=event, code=booking.code, actor=staff, now=event.ends_at)
    just_open = booking_check_in(event=event, code=booking.code, actor=staff, now=event.starts_at - timedelta(hours=2))

    assert too_early.outcome == CheckInOutcome.TOO_EARLY
    assert over.outcome == CheckInOutcome.EVENT_OVER
    assert just_open.outcome == CheckInOutcome.CHECKED_IN


def test_cancelled_event_takes_no_check_ins(event, staff):
    booking = BookingFactory(event=event)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    event.refresh_from_db()

    assert booking_check_in(event=event, code=booking.code, actor=staff, now=during(event)).outcome == CheckInOutcome.NOT_OPEN


def test_staff_of_another_station_may_not_check_in(event, other_staff):
    booking = BookingFactory(event=event)

    with pytest.raises(PermissionDenied):
        booking_check_in(event=event, code=booking.code, actor=other_staff, now=during(event))
    with pytest.raises(PermissionDenied):
        booking_check_in(event=event, code=booking.code, actor=UserFactory(), now=during(event))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_street_administrator_may_check_in(event):
    admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=event.station.street)
    booking = BookingFactory(event=event)

    assert booking_check_in(event=event, code=booking.code, actor=admin, now=during(event)).ok


# Releasing unclaimed seats to walk-ins


def test_release_unclaimed_seats_after_the_start(event, staff, django_capture_on_commit_callbacks):
    came = BookingFactory(event=event, seats=1)
    absent = [BookingFactory(event=event, seats=2), BookingFactory(event=event, seats=1)]
    waiting = BookingFactory(event=event, status=Booking.Status.WAITLISTED)
    booking_check_in(event=event, code=came.code, actor=staff, now=during(event, -5))

    with django_capture_on_commit_callbacks(execute=True):
        released = event_release_unclaimed_seats(event=event, actor=staff, now=during(event))

    assert released == 3
    event.refresh_from_db()
    assert event.confirmed_seats == 1 == holding_seats(event)
    assert {b.status for b in Booking.objects.filter(pk__in=[b.pk for b in absent])} == {Booking.Status.NO_SHOW}
    came.refresh_from_db()
    waiting.refresh_from_db()
    assert came.status == Booking.Status.ATTENDED
    assert waiting.status == Booking.Status.WAITLISTED  # the event has started: walk-ins get the seats
    told = Notification.objects.filter(kind="events.booking.released")
    assert sorted(n.recipient_id for n in told) == sorted(b.user_id for b in absent)
    # A late arrival whose seat went to a walk-in is told so at the door.
    late = booking_check_in(event=event, code=absent[0].code, actor=staff, now=during(event, 10))
    assert late.outcome == CheckInOutcome.NOT_CONFIRMED


def test_release_is_refused_before_the_start_for_paid_events_and_for_other_staff(event, staff, other_staff):
    BookingFactory(event=event)
    with pytest.raises(EventError):
        event_release_unclaimed_seats(event=event, actor=staff, now=during(event, -1))
    with pytest.raises(PermissionDenied):
        event_release_unclaimed_seats(event=event, actor=other_staff, now=during(event))
    paid = EventFactory(door_open=True, station=event.station, fee_fen=5000)
    BookingFactory(event=paid)
    with pytest.raises(EventError):
        event_release_unclaimed_seats(event=paid, actor=staff, now=during(paid))
    assert not Booking.objects.filter(status=Booking.Status.NO_SHOW).exists()


# No-shows after the event


def test_mark_no_shows_is_idempotent_and_keeps_the_counter(event, staff):
    came = BookingFactory(event=event)
    absent = BookingFactory(event=event, seats=3)
    booking_check_in(event=event, code=came.code, actor=staff, now=during(event))
    # Nobody took attendance here: we can't tell who came, so nobody is marked.
    unchecked = EventFactory(door_open=True, station=event.station)
    untouched = BookingFactory(event=unchecked)
    # Not over yet.
    later = EventFactory(station=event.station, starts_at=event.ends_at + timedelta(days=1), ends_at=event.ends_at + timedelta(days=1, hours=1))
    later_came = BookingFactory(event=later)
    later_absent = BookingFactory(event=later)
    booking_check_in(event=later, code=later_came.code, actor=staff, now=during(later))

    assert mark_no_shows(now=event.ends_at) == 1
    assert mark_no_shows(now=event.ends_at + timedelta(minutes=1)) == 0

    absent.refresh_from_db()
    came.refresh_from_db()
    untouched.refresh_from_db()
    later_absent.refresh_from_db()
    event.refresh_from_db()
    assert absent.status == Booking.Status.NO_SHOW
    assert came.status == Booking.Status.ATTENDED
    assert untouched.status == Booking.Status.CONFIRMED
    assert later_absent.status == Booking.Status.CONFIRMED
    assert event.confirmed_seats == 1 == holding_seats(event)


def test_mark_no_shows_skips_cancelled_events(event, staff):
    came = BookingFactory(event=event)
    absent = BookingFactory(event=event)
    booking_check_in(event=event, code=came.code, actor=staff, now=during(event))
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)

    assert mark_no_shows(now=event.ends_at + timedelta(hours=1)) == 0
    absent.refresh_from_db()
    assert absent.status == Booking.Status.CONFIRMED


# The waiting-list-only restriction


def _no_show(user, days_ago, now, *, fee_fen=0):
    starts = now - timedelta(days=days_ago)
    event = EventFactory(starts_at=starts, ends_at=starts + timedelta(hours=1), fee_fen=fee_fen)
    return BookingFactory(event=event, user=user, status=Booking.Status.NO_SHOW)


def test_no_show_restriction_threshold_and_window():
    now = timezone.now()
    user = UserFactory()
    _no_show(user, 50, now)
    _no_show(user, 20, now)
    assert no_show_restriction(user, now=now) is None  # two are below the threshold of three

    latest = _no_show(user, 10, now)
    assert no_show_restriction(user, now=now) == latest.event.starts_at + timedelta(days=30)

    # Once the latest is more than 30 days ago the restriction has run out.
    assert no_show_restriction(user, now=now + timedelta(days=21)) is None


def test_no_shows_outside_the_window_or_at_paid_events_do_not_count():
    now = timezone.now()
    user = UserFactory()
    _no_show(user, 61, now)
    _no_show(user, 20, now, fee_fen=5000)
    _no_show(user, 10, now)
    _no_show(user, 5, now)
    BookingFactory(event__door_open=True, user=user, status=Booking.Status.CANCELLED)

    assert no_show_restriction(user, now=now) is None
    assert no_show_restriction(UserFactory(), now=now) is None


def test_no_show_restriction_follows_the_settings(settings):
    settings.EVENTS_NO_SHOW_THRESHOLD = 2
    settings.EVENTS_NO_SHOW_WINDOW_DAYS = 10
    settings.EVENTS_NO_SHOW_RESTRICTION_DAYS = 7
    now = timezone.now()
    user = UserFactory()
    _no_show(user, 12, now)
    latest = _no_show(user, 3, now)
    assert no_show_restriction(user, now=now) is None
    _no_show(user, 8, now)
    assert no_show_restriction(user, now=now) == latest.event.starts_at + timedelta(days=7)
    assert "2" in str(checkin.no_show_restriction_message(now))


# Staff pages


def _url(name, event):
    return reverse(f"events_staff:{name}", args=[event.pk])


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_pages_need_in_scope_staff(client, event, other_staff):
    for name in ("checkin", "checkin_count", "attendance_csv"):
        response = client.get(_url(name, event))
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(other_staff)
    for name in ("checkin", "checkin_count", "attendance_csv"):
        assert client.get(_url(name, event)).status_code == 403
    for name in ("checkin_scan", "release_seats"):
        assert client.post(_url(name, event), {"code": "X"}).status_code == 403
    client.force_login(UserFactory())
    assert client.get(_url("checkin", event)).status_code == 403


def test_check_in_without_javascript(staff_client, event):
    booking = BookingFactory(event=event, user=UserFactory(display_name="李先生"))

    response = staff_client.post(_url("checkin_scan", event), {"code": booking.code}, follow=True)

    assert response.redirect_chain == [(_url("checkin", event), 302)]
    page = response.content.decode()
    assert "李先生" in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED
    assert [str(m) for m in response.context["messages"]] and response.context["counts"]["checked_in"] == 1

    again = staff_client.post(_url("checkin_scan", event), {"code": booking.code}, follow=True)
    [message] = list(again.context["messages"])
    assert message.level_tag == "warning"


def test_check_in_with_javascript_answers_json(staff_client, event):
    booking = BookingFactory(event=event, seats=2)
    other = BookingFactory(event=event)

    answer = staff_client.post(_url("checkin_scan", event), {"code": booking.code}, headers={"accept": "application/json"}).json()
    wrong = staff_client.post(_url("checkin_scan", event), {"code": "ZZZZZZZZZZ"}, headers={"accept": "application/json"}).json()

    assert answer["outcome"] == "checked_in" and answer["ok"] is True
    assert answer["counts"] == {"checked_in": 2, "confirmed": 3, "expected": 1, "capacity": 10}
    assert answer["arrival"]["seats"] == 2
    assert wrong["outcome"] == "unknown_code" and wrong["arrival"] is None
    count = staff_client.get(_url("checkin_count", event)).json()
    assert count["checked_in"] == 2 and [a["name"] for a in count["arrivals"]] == [booking.user.display_name]
    assert other.user.display_name not in str(count)


def test_check_in_page_query_count(staff_client, event, staff, django_assert_max_num_queries):
    event.capacity = 40
    event.save()
    for _ in range(30):
        booking_check_in(event=event, code=BookingFactory(event=event).code, actor=staff, now=during(event, -5))

    with django_assert_max_num_queries(15):
        response = staff_client.get(_url("checkin", event))

    assert response.status_code == 200
    assert len(response.context["arrivals"]) == 30


def test_attendance_csv(staff_client, event, staff):
    came = BookingFactory(event=event, seats=2, user=UserFactory(display_name="张三"))
    absent = BookingFactory(event=event, user=UserFactory(display_name="=HYPERLINK(1)"))
    BookingFactory(event=event, status=Booking.Status.WAITLISTED)
    BookingFactory(event=event, status=Booking.Status.CANCELLED)
    BookingFactory(event=EventFactory(door_open=True, station=event.station))  # another event
    booking_check_in(event=event, code=came.code, actor=staff, now=during(event, -1))

    response = staff_client.get(_url("attendance_csv", event))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(header) == 7
    assert sorted(row[0] for row in rows) == sorted([came.code, absent.code])
    by_code = {row[0]: row for row in rows}
    assert by_code[came.code][1] == "张三" and by_code[came.code][3] == "2" and by_code[came.code][6]
    assert by_code[absent.code][1] == "'=HYPERLINK(1)" and by_code[absent.code][6] == ""


def test_release_seats_page(staff_client, event, django_capture_on_commit_callbacks):
    absent = BookingFactory(event=event, seats=2)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(minutes=5))

    page = staff_client.get(_url("checkin", event))
    assert _url("release_seats", event) in page.content.decode()
    response = staff_client.post(_url("release_seats", event), follow=True)

    assert response.redirect_chain == [(_url("checkin", event), 302)]
    absent.refresh_from_db()
    assert absent.status == Booking.Status.NO_SHOW
    event.refresh_from_db()
    assert event.confirmed_seats == 0


def test_release_seats_before_the_start_says_why(staff_client, event):
    absent = BookingFactory(event=event)

    page = staff_client.get(_url("checkin", event))
    response = staff_client.post(_url("release_seats", event), follow=True)

    assert _url("release_seats", event) not in page.content.decode()
    [message] = list(response.context["messages"])
    assert message.level_tag == "error"
    absent.refresh_from_db()
    assert absent.status == Booking.Status.CONFIRMED


def test_staff_logs_in_with_password(client, event, staff):
    # The login the browser test drives: the factory's password works for staff too.
    assert client.login(email=staff.email, password=DEFAULT_PASSWORD)
    assert client.get(_url("checkin", event)).status_code == 200
