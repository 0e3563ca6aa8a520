"""Beat's sweep of wish deadlines: each release, reminder and expiry happens once, however often (or however
many at once) the task runs."""

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

import wishes.services
from portal.celery import app
from portal.models import Notification
from stations.hours import local_now
from stations.selectors import station_staff_of
from tests.concurrency import run_in_threads, slow_down
from tests.wishes.factories import claimed, wish
from wishes.models import Claim, Wish
from wishes.tasks import sweep_wish_deadlines

TASK = "wishes.tasks.sweep_wish_deadlines"


def test_beat_runs_the_sweep_every_hour():
    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == TASK]
    assert entry["schedule"] == 60 * 60.0
    assert TASK in app.tasks


@pytest.fixture
def due():
    """A claim past its deadline, one near it, an unclaimed wish past its date; and one of each that isn't due."""
    now = timezone.now()
    yesterday = local_now().date() - timedelta(days=1)
    overdue_wish = wish()
    Wish.objects.filter(pk=overdue_wish.pk).update(expires_on=yesterday)  # must come back on the wall, not expire
    overdue = claimed(overdue_wish, now=now - timedelta(days=settings.WISHES_CLAIM_DAYS, minutes=5))
    near = claimed(wish(), now=now - timedelta(days=settings.WISHES_CLAIM_DAYS - 1))
    fresh = claimed(wish(), now=now)
    stale = wish()
    Wish.objects.filter(pk=stale.pk).update(expires_on=yesterday)
    current = wish()
    return {"overdue": overdue, "near": near, "fresh": fresh, "stale": stale, "current": current}


def notified():
    return Counter(Notification.objects.values_list("kind", flat=True))


def statuses(due):
    return {name: type(obj).objects.get(pk=obj.pk).status for name, obj in due.items()}


EXPECTED = {
    "overdue": Claim.Status.RELEASED, "near": Claim.Status.ACTIVE, "fresh": Claim.Status.ACTIVE,
    "stale": Wish.Status.EXPIRED, "current": Wish.Status.PUBLISHED,
}


@pytest.mark.django_db
def test_the_sweep_runs_eagerly_and_twice_changes_nothing_more(django_capture_on_commit_callbacks, due):
    before = notified()
    with django_capture_on_commit_callbacks(execute=True):
        first = sweep_wish_deadlines.delay()
    assert first.successful()
    assert first.result == {"released": 1, "reminded": 1, "expired": 1}
    assert statuses(due) == EXPECTED
    assert Wish.objects.get(pk=due["overdue"].wish_id).status == Wish.Status.PUBLISHED  # back on the wall, not expired
    assert Claim.objects.get(pk=due["near"].pk).reminded_at is not None
    after_first = notified()
    assert after_first - before == Counter({
        "wishes.claim.released": 1, "wishes.claim.released.staff": 1, "wishes.claim.reminder": 1, "wishes.claim.reminder.staff": 1,
    })
    (staff,) = station_staff_of(due["overdue"].wish.station)
    assert Notification.objects.filter(recipient=staff, kind="wishes.claim.released.staff").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        second = sweep_wish_deadlines.delay()
    assert second.result == {"released": 0, "reminded": 0, "expired": 0}
    assert statuses(due) == EXPECTED
    assert notified() == after_first


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sweeps_running_at_once_do_each_thing_once(monkeypatch, due):
    """A slow run overlapping the next: the row locks and the re-checks under them keep each step to one run."""
    slow_down(monkeypatch, wishes.services, "notify", 0.02)
    before = notified()

    results = run_in_threads(sweep_wish_deadlines, 6)

    assert sum(r["released"] for r in results) == 1
    assert sum(r["reminded"] for r in results) == 1
    assert sum(r["expired"] for r in results) == 1
    assert statuses(due) == EXPECTED
    assert notified() - before == Counter({
        "wishes.claim.released": 1, "wishes.claim.released.staff": 1, "wishes.claim.reminder": 1, "wishes.claim.reminder.staff": 1,
    })
