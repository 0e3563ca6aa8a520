"""Beat running the reminder task twice at once (a slow run overlapping the next) reminds each person once.

The control switches the booking row locks off and shows duplicates do happen, so
we know this test can see the race it guards against.
"""

import threading
import time
from collections import Counter
from datetime import timedelta

import factory
import pytest
from django.db import connection
from django.utils import timezone

import events.services
from events.models import Booking, Event
from events.schedule import send_due_reminders
from portal.models import Notification
from tests.factories import StationFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
EVENTS, PEOPLE_PER_EVENT = 3, 4
NOTIFY_SECONDS = 0.02  # a slow inbox write: the window in which a second run would remind the same people again


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    station = factory.SubFactory(StationFactory)
    title = factory.Sequence(lambda n: f"健康讲座{n}")
    category = Event.Category.HEALTH
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=1))
    capacity = 50
    status = Event.Status.PUBLISHED


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    status = Booking.Status.CONFIRMED


def run_concurrently(fn, *, threads=THREADS):
    """Run fn in `threads` threads released together; return their results. Each thread closes its connection."""
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def run():
        try:
            connection.ensure_connection()  # connect first, so the barrier releases threads that are ready to query
            barrier.wait(timeout=30)
            results.append(fn())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a thread hung"
    assert errors == []
    return results


@pytest.fixture
def due_bookings():
    """Confirmed bookings at a few events, and a moment at which every one of them is due its reminder."""
    start = timezone.now() + timedelta(days=2)
    bookings = [
        BookingFactory(event=event)
        for event in EventFactory.create_batch(EVENTS, starts_at=start)
        for _ in range(PEOPLE_PER_EVENT)
    ]
    return bookings, start - timedelta(hours=1)


@pytest.fixture
def slow_notify(monkeypatch):
    real_notify = events.services.notify

    def notify(**kwargs):
        time.sleep(NOTIFY_SECONDS)
        return real_notify(**kwargs)

    monkeypatch.setattr(events.services, "notify", notify)


@pytest.fixture
def without_row_locks(monkeypatch):
    """send_due_reminders as it would be without select_for_update: a plain read."""
    monkeypatch.setattr(Booking.objects, "select_for_update", lambda *args, **kwargs: Booking.objects.all())


def reminders_per_person():
    return Counter(Notification.objects.filter(kind="events.booking.reminder").values_list("recipient_id", flat=True))


def test_concurrent_runs_remind_each_booking_once(due_bookings, slow_notify):
    bookings, now = due_bookings

    sent = run_concurrently(lambda: send_due_reminders(now=now))

    assert sum(sent) == len(bookings)  # each reminder was counted by exactly one run
    per_person = reminders_per_person()
    assert set(per_person) == {b.user_id for b in bookings}
    assert set(per_person.values()) == {1}
    assert {b.reminded_for for b in Booking.objects.filter(pk__in=[b.pk for b in bookings])} == {bookings[0].event.starts_at}
    assert send_due_reminders(now=now) == 0  # and the next run finds nothing left to do


def test_control_without_the_row_locks_runs_remind_people_twice(due_bookings, slow_notify, without_row_locks):
    bookings, now = due_bookings

    sent = run_concurrently(lambda: send_due_reminders(now=now))

    assert sum(sent) > len(bookings)
    assert max(reminders_per_person().values()) > 1
