"""Moving events and reminding the people booked: once per start time, with the time they will actually come."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from events import tasks
from events.models import Booking, Event
from events.schedule import event_move, send_due_reminders
from events.services import EventError
from portal.models import AuditEntry, Notification
from tests.events.factories import BookingFactory, EventFactory, shanghai
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONFIRMED, WAITLISTED, CANCELLED = Booking.Status.CONFIRMED, Booking.Status.WAITLISTED, Booking.Status.CANCELLED
REMINDER, MOVED = "events.booking.reminder", "events.event.moved"


def reminders(booking):
    return list(Notification.objects.filter(recipient=booking.user, kind=REMINDER).order_by("pk"))


def reminded_titles(booking):
    return [n.title for n in reminders(booking)]


# --- reminders: who, when, and how often


def test_a_confirmed_booking_is_reminded_within_the_lead_and_not_before():
    booking = BookingFactory(event__starts_at=shanghai(3, 12, 10))
    start = booking.event.starts_at

    assert send_due_reminders(now=start - timedelta(hours=2, minutes=1)) == 0
    assert reminders(booking) == []

    assert send_due_reminders(now=start - timedelta(hours=2)) == 1  # the edge of the window counts
    [reminder] = reminders(booking)
    assert booking.event.title in reminder.title
    assert "12:10" in reminder.title  # Shanghai wall-clock time, not UTC's 04:10
    assert booking.code in reminder.body
    assert reminder.url == booking.event.get_absolute_url()
    booking.refresh_from_db()
    assert booking.reminded_for == start


def test_an_event_that_has_started_gets_no_reminder():
    booking = BookingFactory()

    assert send_due_reminders(now=booking.event.starts_at) == 0
    assert send_due_reminders(now=booking.event.starts_at + timedelta(minutes=5)) == 0
    assert reminders(booking) == []


def test_the_lead_comes_from_settings(settings):
    settings.EVENTS_REMINDER_BEFORE = timedelta(hours=24)
    booking = BookingFactory()

    assert send_due_reminders(now=booking.event.starts_at - timedelta(hours=23)) == 1
    assert len(reminders(booking)) == 1


def test_a_second_run_sends_nothing_more():
    bookings = BookingFactory.create_batch(3, event=EventFactory())
    now = bookings[0].event.starts_at - timedelta(hours=1)

    assert send_due_reminders(now=now) == 3
    assert send_due_reminders(now=now) == 0
    assert send_due_reminders(now=now + timedelta(minutes=30)) == 0
    assert [len(reminders(b)) for b in bookings] == [1, 1, 1]


def test_only_confirmed_bookings_of_published_events_are_reminded():
    start = shanghai(3, 12, 10)
    reminded = BookingFactory(event=EventFactory(starts_at=start))
    waiting = BookingFactory(event=reminded.event, status=WAITLISTED)
    gave_back = BookingFactory(event=reminded.event, status=CANCELLED)
    of_cancelled = BookingFactory(event=EventFactory(starts_at=start, status=Event.Status.CANCELLED))
    of_draft = BookingFactory(event=EventFactory(starts_at=start, status=Event.Status.DRAFT))

    assert send_due_reminders(now=start - timedelta(hours=1)) == 1

    assert len(reminders(reminded)) == 1
    for booking in (waiting, gave_back, of_cancelled, of_draft):
        assert reminders(booking) == [], booking.status
        booking.refresh_from_db()
        assert booking.reminded_for is None


def test_a_reminder_is_written_in_the_recipients_language():
    booking = BookingFactory(event__starts_at=shanghai(3, 12, 10), user=UserFactory(language="en"))

    send_due_reminders(now=booking.event.starts_at - timedelta(hours=1))

    [reminder] = reminders(booking)
    assert reminder.title.startswith("Reminder: ")
    assert "12:10 p.m." in reminder.title  # English date format, still Shanghai time


def test_the_celery_task_sends_the_due_reminders(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.schedule, "send_due_reminders", lambda: calls.append("ran") or 4)

    assert tasks.send_event_reminders.apply().get() == 4
    assert calls == ["ran"]


def test_the_no_show_task_marks_the_no_shows(monkeypatch):
    monkeypatch.setattr(tasks.checkin, "mark_no_shows", lambda: 7)
    assert tasks.mark_event_no_shows.apply().get() == 7


# --- moving an event


def test_moving_tells_everyone_booked_or_waiting_the_new_shanghai_time(django_capture_on_commit_callbacks, mailoutbox):
    event = EventFactory(starts_at=shanghai(3, 12, 10))
    confirmed = BookingFactory(event=event)
    waiting = BookingFactory(event=event, status=WAITLISTED)
    gave_back = BookingFactory(event=event, status=CANCELLED)
    staff = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        moved = event_move(event=event, starts_at=shanghai(4, 18, 30), ends_at=shanghai(4, 19, 30), actor=staff)

    moved.refresh_from_db()
    assert (moved.starts_at, moved.ends_at) == (shanghai(4, 18, 30), shanghai(4, 19, 30))
    for booking in (confirmed, waiting):
        [notice] = Notification.objects.filter(recipient=booking.user, kind=MOVED)
        assert event.title in notice.title
        assert "18:30" in notice.body and "12:10" in notice.body  # the new time, and the old one for reference
    assert not Notification.objects.filter(recipient=gave_back.user).exists()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([confirmed.user.email, waiting.user.email])
    entry = AuditEntry.objects.get(action="events.event.moved")
    assert entry.actor == staff and entry.object_id == str(event.pk) and entry.data["told"] == 2


def test_a_moved_event_is_reminded_again_with_the_new_time():
    event = EventFactory(starts_at=shanghai(3, 12, 10))
    booking = BookingFactory(event=event)
    assert send_due_reminders(now=event.starts_at - timedelta(hours=1)) == 1

    event_move(event=event, starts_at=shanghai(3, 14, 40), ends_at=shanghai(3, 15, 20), actor=None, now=shanghai(3, 11, 30))
    booking.refresh_from_db()
    assert booking.reminded_for is None

    assert send_due_reminders(now=shanghai(3, 11, 30)) == 0  # 14:40 is not due yet at 11:30
    assert send_due_reminders(now=shanghai(3, 13, 0)) == 1
    assert send_due_reminders(now=shanghai(3, 13, 5)) == 0
    first, second = reminded_titles(booking)
    assert "12:10" in first
    assert "14:40" in second and "12:10" not in second
    booking.refresh_from_db()
    assert booking.reminded_for == shanghai(3, 14, 40)


def test_an_event_moved_away_and_back_is_reminded_again():
    event = EventFactory(starts_at=shanghai(3, 12, 10))
    booking = BookingFactory(event=event)
    send_due_reminders(now=shanghai(3, 11, 0))

    event_move(event=event, starts_at=shanghai(5, 12, 10), ends_at=shanghai(5, 13, 0), actor=None, now=shanghai(3, 11, 5))
    event_move(event=event, starts_at=shanghai(3, 12, 10), ends_at=shanghai(3, 12, 50), actor=None, now=shanghai(3, 11, 10))

    # The person was told "moved away" and "moved back" after their reminder: they are due one more.
    assert send_due_reminders(now=shanghai(3, 11, 15)) == 1
    assert len(reminders(booking)) == 2


def test_moving_keeps_the_booking_deadlines_the_same_time_before_the_start():
    start = shanghai(3, 12, 10)
    event = EventFactory(starts_at=start, booking_closes_at=start - timedelta(hours=3), cancellation_deadline=start - timedelta(days=1))

    event_move(event=event, starts_at=start + timedelta(days=7), ends_at=start + timedelta(days=7, hours=1), actor=None)

    event.refresh_from_db()
    assert event.booking_closes_at == event.starts_at - timedelta(hours=3)
    assert event.cancellation_deadline == event.starts_at - timedelta(days=1)


def refused_move(**kwargs):
    with pytest.raises(EventError) as caught:
        event_move(actor=None, **kwargs)
    with translation.override("en"):
        return str(caught.value.message)


def test_an_event_cannot_be_moved_into_the_past_or_to_end_before_it_starts():
    event = EventFactory(starts_at=shanghai(3, 12, 10))
    booking = BookingFactory(event=event)
    now = timezone.now()

    assert "already passed" in refused_move(event=event, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))
    assert "already passed" in refused_move(event=event, starts_at=now, ends_at=now + timedelta(hours=1), now=now)
    assert "end after it starts" in refused_move(event=event, starts_at=shanghai(4, 12), ends_at=shanghai(4, 12))
    assert "end after it starts" in refused_move(event=event, starts_at=shanghai(4, 12), ends_at=shanghai(4, 11))

    event.refresh_from_db()
    assert event.starts_at == shanghai(3, 12, 10)
    assert not Notification.objects.filter(recipient=booking.user).exists()
    assert not AuditEntry.objects.filter(action="events.event.moved").exists()


def test_a_cancelled_event_cannot_be_moved():
    event = EventFactory(status=Event.Status.CANCELLED)

    assert "cannot be moved" in refused_move(event=event, starts_at=shanghai(5, 12), ends_at=shanghai(5, 13))


def test_moving_to_the_same_time_tells_nobody():
    event = EventFactory()
    booking = BookingFactory(event=event)

    event_move(event=event, starts_at=event.starts_at, ends_at=event.ends_at, actor=None)

    assert not Notification.objects.filter(recipient=booking.user).exists()
