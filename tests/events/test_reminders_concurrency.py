"""Beat running the reminder task twice at once (a slow run overlapping the next) reminds each person once.

The control switches the booking row locks off and shows duplicates do happen, so
we know this test can see the race it guards against.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

import events.services
from events.models import Booking
from events.schedule import send_due_reminders
from portal.models import Notification
from tests.concurrency import run_in_threads, slow_down, without_select_for_update
from tests.events.factories import BookingFactory, EventFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
EVENTS, PEOPLE_PER_EVENT = 3, 4
NOTIFY_SECONDS = 0.02  # a slow inbox write: the window in which a second run would remind the same people again


@pytest.fixture
def due_bookings():
    """Confirmed bookings at a few events, and a moment at which every one of them is due its reminder."""
    start = timezone.now() + timedelta(days=2)
    bookings = [
        BookingFactory(event=event)
        for event in EventFactory.create_batch(EVENTS, starts_at=start, capacity=50)
        for _ in range(PEOPLE_PER_EVENT)
    ]
    return bookings, start - timedelta(hours=1)


@pytest.fixture
def slow_notify(monkeypatch):
    slow_down(monkeypatch, events.services, "notify", NOTIFY_SECONDS)


@pytest.fixture
def without_row_locks(monkeypatch):
    """send_due_reminders as it would be without select_for_update: a plain read."""
    without_select_for_update(monkeypatch, Booking)


def reminders_per_person():
    return Counter(Notification.objects.filter(kind="events.booking.reminder").values_list("recipient_id", flat=True))


def test_concurrent_runs_remind_each_booking_once(due_bookings, slow_notify):
    bookings, now = due_bookings

    sent = run_in_threads(lambda: send_due_reminders(now=now), THREADS)

    assert sum(sent) == len(bookings)  # each reminder was counted by exactly one run
    per_person = reminders_per_person()
    assert set(per_person) == {b.user_id for b in bookings}
    assert set(per_person.values()) == {1}
    assert {b.reminded_for for b in Booking.objects.filter(pk__in=[b.pk for b in bookings])} == {bookings[0].event.starts_at}
    assert send_due_reminders(now=now) == 0  # and the next run finds nothing left to do


def test_control_without_the_row_locks_runs_remind_people_twice(due_bookings, slow_notify, without_row_locks):
    bookings, now = due_bookings

    sent = run_in_threads(lambda: send_due_reminders(now=now), THREADS)

    assert sum(sent) > len(bookings)
    assert max(reminders_per_person().values()) > 1
