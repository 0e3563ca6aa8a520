"""Beat's lunch jobs: each is scheduled, runs (eagerly here) against the real clock, and does its work once however often it runs."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from lunch import tasks
from lunch.models import Account, Merchant, Order
from portal.celery import app
from portal.models import Notification
from stations.hours import local_now
from tests.lunch.factories import merchant, merchant_staff, morning, offer, office_worker, point
from tests.lunch.factories import order as place

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "lunch.tasks.send_lunch_manifests": 60.0,
    "lunch.tasks.mark_uncollected_lunches": 15 * 60.0,
    "lunch.tasks.check_merchant_licences": crontab(hour=6, minute=0),
    "lunch.tasks.remind_low_lunch_balances": crontab(hour=19, minute=30),
}


@pytest.mark.parametrize("name", SCHEDULE)
def test_beat_runs_each_lunch_job(name):
    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == name]
    assert entry["schedule"] == SCHEDULE[name]
    assert name in app.tasks


def run(task):
    """Through Celery, the way beat starts it (eager in tests); a failure inside the task fails here."""
    result = task.delay()
    assert result.successful(), result.traceback
    return result.get()


def waiting_order(seller, at, *, days=-1):
    """An order for an offer `days` from today whose cut-off has passed (too late to place through the service now)."""
    made = offer(seller=seller, points=[at], day=local_now().date() + timedelta(days=days), cutoff=(0, 0))
    person = office_worker(street=seller.organisation.street)
    return Order.objects.create(user=person, offer=made, point=at, list_price_fen=2800, discount_fen=300, subsidy_fen=0,
                                self_paid_fen=2500, payment=Order.Payment.AT_PICKUP, idempotency_key=uuid.uuid4())


@pytest.fixture
def seller():
    return merchant(allows_pay_at_pickup=True)


@pytest.fixture
def at(seller):
    return point(street=seller.organisation.street)


def test_the_manifest_job_sends_past_cut_offs_once(seller, at):
    staff = merchant_staff(seller)
    waiting = waiting_order(seller, at, days=0)  # today's: its cut-off, midnight, has passed
    offer(seller=seller, points=[at])  # tomorrow's: its cut-off is ahead

    assert run(tasks.send_lunch_manifests) == 1
    assert run(tasks.send_lunch_manifests) == 0
    (note,) = Notification.objects.filter(recipient=staff, kind="lunch.manifest")
    assert waiting.pickup_code in [row[1] for row in csv.reader(io.StringIO(note.attachment))]


def test_the_manifest_job_leaves_past_days_alone(seller, at):
    merchant_staff(seller)
    waiting_order(seller, at, days=-1)
    assert run(tasks.send_lunch_manifests) == 0
    assert not Notification.objects.filter(kind="lunch.manifest").exists()


def test_the_uncollected_job_marks_yesterdays_waiting_orders_once(seller, at):
    waiting = waiting_order(seller, at)
    assert run(tasks.mark_uncollected_lunches) == 1
    assert run(tasks.mark_uncollected_lunches) == 0
    waiting.refresh_from_db()
    assert waiting.status == Order.Status.NOT_COLLECTED


def test_the_licence_job_suspends_expired_merchants_and_warns_once(seller):
    Merchant.objects.filter(pk=seller.pk).update(licence_expires_on=local_now().date() - timedelta(days=1))
    expiring = merchant(name="顺风大酒店", licence_days=10)
    staff = merchant_staff(expiring)

    assert run(tasks.check_merchant_licences) == {"suspended": 1, "warned": 1}
    assert run(tasks.check_merchant_licences) == {"suspended": 0, "warned": 0}
    assert Merchant.objects.get(pk=seller.pk).status == Merchant.Status.SUSPENDED
    assert Notification.objects.filter(recipient=staff, kind="lunch.merchant.licence_expiring").count() == 1


def test_the_low_balance_job_reminds_usual_orderers_once(seller, at):
    meals = [offer(seller=seller, points=[at]) for _ in range(settings.LUNCH_USUAL_ORDERS)]  # tomorrow, ¥25.00 after discount
    person = office_worker(street=seller.organisation.street, balance_fen=2500 * len(meals) + 1000)
    for made in meals:
        place(person, made, when=morning(made) - timedelta(days=1))
    assert Account.objects.get(user=person).balance_fen == 1000

    assert run(tasks.remind_low_lunch_balances) == 1
    assert run(tasks.remind_low_lunch_balances) == 0
    assert Notification.objects.filter(recipient=person, kind="lunch.balance.low").count() == 1
    assert Account.objects.get(user=person).low_balance_notice_on == timezone.localdate()
