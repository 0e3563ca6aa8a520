"""Sweeps and workers racing on the same deliveries send each notification once (PostgreSQL row locks).

Each race has a control that switches the locks off and shows duplicates do happen,
so we know these tests can see the race they guard against.
"""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings

import portal.notifications
from portal.models import NotificationDelivery
from portal.notifications import deliver, notify, sweep
from tests.concurrency import run_in_threads, without_select_for_update
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
SEND_SECONDS = 0.05  # how long each send holds its row: the window a second sender would slip through
READ_PAUSE_SECONDS = 0.05
STALE_READ = f'"{NotificationDelivery._meta.db_table}"."enqueued_at" <='


def pause_after_reading_stale_deliveries(execute, sql, params, many, context):
    """A slow database: a sweep pauses after reading which deliveries are stale, before it claims them.

    Without it the read-then-claim takes a millisecond or two and, on a busy machine, sweeps
    released together may not overlap at all; with it, every sweep reads while the others
    are still between their read and their claim, which is the window the row lock closes.
    """
    result = execute(sql, params, many, context)
    if sql.startswith("SELECT") and STALE_READ in sql:
        time.sleep(READ_PAUSE_SECONDS)
    return result


def stale_deliveries(count, monkeypatch):
    """`count` pending deliveries whose publish was lost, and a moment at which the sweep finds them all stale."""
    person = UserFactory()
    with monkeypatch.context() as m:
        # In a transactional test on-commit callbacks run at once; drop them, as a dead broker would.
        m.setattr(portal.notifications, "enqueue", lambda delivery_ids: delivery_ids)
        notifications = [notify(recipient=person, kind="portal.test", title=f"Notice {i}") for i in range(count)]
    deliveries = list(NotificationDelivery.objects.filter(notification__in=notifications).order_by("pk"))
    assert len(deliveries) == count and {d.status for d in deliveries} == {NotificationDelivery.Status.PENDING}
    later = max(d.enqueued_at for d in deliveries) + timedelta(seconds=django_settings.NOTIFICATION_SWEEP_AFTER_SECONDS)
    return [d.pk for d in deliveries], later


@pytest.fixture
def slow_channel(recording_channel):
    recording_channel.delay = SEND_SECONDS
    return recording_channel


@pytest.fixture
def without_row_locks(monkeypatch):
    """deliver() and sweep() as they would be without select_for_update: a plain read."""
    without_select_for_update(monkeypatch, NotificationDelivery)


def deliver_all(ids):
    return sum(deliver(delivery_id) for delivery_id in ids)


def sends_per_notification(channel):
    return Counter(channel.sent)


# --- workers racing on the same deliveries


def test_workers_delivering_the_same_ids_at_once_send_each_once(slow_channel, monkeypatch):
    ids, _ = stale_deliveries(3, monkeypatch)

    results = run_in_threads(lambda: deliver_all(ids), THREADS)

    assert sum(results) == len(ids)  # exactly one worker reports each send
    assert len(slow_channel.sent) == len(ids)
    assert set(sends_per_notification(slow_channel).values()) == {1}
    rows = NotificationDelivery.objects.filter(pk__in=ids)
    assert {(row.status, row.attempts) for row in rows} == {(NotificationDelivery.Status.SENT, 1)}


def test_control_without_the_row_lock_workers_send_duplicates(slow_channel, without_row_locks, monkeypatch):
    ids, _ = stale_deliveries(3, monkeypatch)

    run_in_threads(lambda: deliver_all(ids), THREADS)

    assert len(slow_channel.sent) > len(ids)
    assert max(sends_per_notification(slow_channel).values()) > 1


# --- sweeps racing each other, and workers


def test_concurrent_sweeps_send_each_notification_once(slow_channel, monkeypatch):
    ids, later = stale_deliveries(10, monkeypatch)

    picked = run_in_threads(lambda: sweep(now=later), THREADS, execute_wrapper=pause_after_reading_stale_deliveries)

    assert sum(picked) == len(ids)  # every stale delivery was claimed by exactly one sweep
    assert sorted(slow_channel.sent) == sorted(NotificationDelivery.objects.get(pk=i).notification_id for i in ids)
    assert set(sends_per_notification(slow_channel).values()) == {1}
    assert set(NotificationDelivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {NotificationDelivery.Status.SENT}


def test_sweeps_and_workers_racing_send_each_notification_once(slow_channel, monkeypatch):
    ids, later = stale_deliveries(6, monkeypatch)
    turn = iter(range(THREADS))
    lock = threading.Lock()

    def sweep_or_deliver():
        # Half the threads are beat's sweep, half are workers running the original (late) tasks.
        with lock:
            mine = next(turn)
        return sweep(now=later) if mine % 2 else deliver_all(ids)

    run_in_threads(sweep_or_deliver, THREADS, execute_wrapper=pause_after_reading_stale_deliveries)

    assert len(slow_channel.sent) == len(ids)
    assert set(sends_per_notification(slow_channel).values()) == {1}
    rows = NotificationDelivery.objects.filter(pk__in=ids)
    assert {(row.status, row.attempts) for row in rows} == {(NotificationDelivery.Status.SENT, 1)}


def test_control_without_the_row_locks_sweeps_send_duplicates(slow_channel, without_row_locks, monkeypatch):
    ids, later = stale_deliveries(10, monkeypatch)

    picked = run_in_threads(lambda: sweep(now=later), THREADS, execute_wrapper=pause_after_reading_stale_deliveries)

    assert sum(picked) > len(ids)  # several sweeps claimed the same deliveries
    assert max(sends_per_notification(slow_channel).values()) > 1
