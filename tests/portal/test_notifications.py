"""notify(), deliver() and sweep(): the inbox row, the e-mail after commit, and what happens when things go wrong."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import before_task_publish, task_prerun
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from portal import services
from portal.models import Notification, NotificationDelivery
from portal.notifications import deliver, notify, sweep
from portal.tasks import deliver_notification, sweep_notifications
from tests.factories import MembershipFactory, UserFactory, make_staff
from tests.portal.conftest import UNREACHABLE_BROKER, celery_configured, finishes_within

pytestmark = pytest.mark.django_db

PENDING, SENT, FAILED, SKIPPED = (
    NotificationDelivery.Status.PENDING,
    NotificationDelivery.Status.SENT,
    NotificationDelivery.Status.FAILED,
    NotificationDelivery.Status.SKIPPED,
)
DELIVER_TASK = "portal.tasks.deliver_notification"


@pytest.fixture
def task_runs():
    """(task name, args) of every Celery task that runs, eagerly or not."""
    runs = []

    def record(sender=None, args=None, **kwargs):
        runs.append((sender.name, list(args)))

    task_prerun.connect(record, weak=False)
    yield runs
    task_prerun.disconnect(record)


@pytest.fixture
def verification():
    """A membership waiting for staff to verify it: verifying it is a business change that notifies."""
    membership = MembershipFactory(user=UserFactory(language="en"))
    staff = make_staff("street_admin", street=membership.organisation.street)
    return membership, staff


def unpublished_notification(recipient, django_capture_on_commit_callbacks, **fields):
    """A notification whose delivery was never handed to Celery, as if the publish had been lost."""
    fields = {"kind": "portal.test", "title": "Lunch order confirmed", **fields}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(recipient=recipient, **fields)
    assert len(callbacks) == 1
    return notification, notification.deliveries.get()


# --- notify(): inbox row in the transaction, e-mail from a task after commit


def test_notify_writes_the_inbox_row_at_once_and_a_task_sends_the_email_after_commit(django_capture_on_commit_callbacks, mailoutbox, task_runs):
    person = UserFactory(language="en")
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        notification = notify(recipient=person, kind="lunch.order.confirmed", title="Lunch order confirmed", body="Collect it at 12:00.", url="/me/")

    row = Notification.objects.get(pk=notification.pk)
    assert (row.recipient, row.kind, row.title, row.body, row.url, row.read_at) == (
        person,
        "lunch.order.confirmed",
        "Lunch order confirmed",
        "Collect it at 12:00.",
        "/me/",
        None,
    )
    delivery = row.deliveries.get()
    assert (delivery.channel, delivery.status, delivery.attempts) == ("email", PENDING, 0)
    # Nothing has left yet: delivery waits for the commit.
    assert mailoutbox == [] and task_runs == []
    assert len(callbacks) == 1

    callbacks[0]()  # the commit happens

    assert task_runs == [(DELIVER_TASK, [delivery.pk])]
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [person.email]
    assert email.subject == django_settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + "Lunch order confirmed"
    assert "Collect it at 12:00." in email.body
    assert django_settings.SITE_URL.rstrip("/") + "/me/" in email.body
    assert email.alternatives and email.alternatives[0][1] == "text/html"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (SENT, 1, "")
    assert delivery.sent_at is not None


def test_a_service_that_notifies_emails_only_after_its_transaction_commits(verification, django_capture_on_commit_callbacks, mailoutbox):
    membership, staff = verification
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.membership_verify(membership=membership, actor=staff)
        assert Notification.objects.filter(recipient=membership.user, kind="portal.membership.verified").count() == 1
        assert mailoutbox == []
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [[membership.user.email]]


def test_a_rolled_back_change_leaves_no_notification_and_sends_nothing(verification, django_capture_on_commit_callbacks, mailoutbox, task_runs):
    membership, staff = verification
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        services.membership_verify(membership=membership, actor=staff)
        assert Notification.objects.filter(recipient=membership.user).exists()  # written inside the transaction
        raise RuntimeError("the rest of the change failed")

    assert callbacks == []
    assert not Notification.objects.exists()
    assert not NotificationDelivery.objects.exists()
    assert mailoutbox == [] and task_runs == []
    membership.refresh_from_db()
    assert not membership.is_verified


@pytest.mark.parametrize("user_kwargs", [{"email": "", "verified_email": False}, {"is_active": False}], ids=["no-email", "inactive"])
def test_a_person_email_cannot_reach_gets_the_inbox_row_and_a_skipped_delivery(user_kwargs, django_capture_on_commit_callbacks, mailoutbox):
    person = UserFactory(**user_kwargs)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(recipient=person, kind="portal.test", title="Hello")
    assert Notification.objects.filter(pk=notification.pk, recipient=person).exists()
    assert notification.deliveries.get().status == SKIPPED
    assert callbacks == []  # nothing to enqueue
    assert mailoutbox == []
    assert sweep(now=timezone.now() + timedelta(days=1)) == 0


@pytest.mark.parametrize(
    ("recipient_language", "actor_language", "title", "body", "footer"),
    [
        ("zh-hans", "en", "是", "密码", "社区党群服务站"),
        ("en", "zh-hans", "Yes", "Password", "Community party-mass service stations"),
    ],
)
def test_notify_writes_in_the_recipients_language_not_the_actors(
    recipient_language, actor_language, title, body, footer, django_capture_on_commit_callbacks, mailoutbox
):
    # "Yes" and "Password" come from Django's own catalogue, so this holds whatever the portal's catalogue says.
    person = UserFactory(language=recipient_language)
    with translation.override(actor_language), django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=person, kind="portal.test", title=gettext_lazy("Yes"), body=gettext_lazy("Password"))
    notification.refresh_from_db()
    assert (notification.title, notification.body) == (title, body)
    assert mailoutbox[0].subject.endswith(title)
    assert footer in mailoutbox[0].body


# --- the broker is down


def test_with_the_broker_down_the_action_succeeds_quickly_and_a_later_sweep_sends_once(
    unreachable_broker, verification, django_capture_on_commit_callbacks, mailoutbox, settings, caplog
):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 300
    membership, staff = verification

    started = time.monotonic()
    with finishes_within(10), django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.membership_verify(membership=membership, actor=staff)
    elapsed = time.monotonic() - started

    # Never hangs: a generous bound, the real figure is milliseconds.
    assert elapsed < 10, f"membership_verify took {elapsed:.1f}s with the broker down"
    assert len(callbacks) == 1  # the publish was tried, and failed quietly
    assert "the sweep will retry" in caplog.text
    membership.refresh_from_db()
    assert membership.is_verified
    delivery = NotificationDelivery.objects.get(notification__recipient=membership.user)
    assert (delivery.status, delivery.attempts) == (PENDING, 0)
    assert mailoutbox == []

    assert sweep() == 0  # not stale yet
    assert mailoutbox == []

    later = delivery.enqueued_at + timedelta(seconds=300)
    assert sweep(now=later) == 1  # broker still down: the sweep sends it itself
    assert [m.to for m in mailoutbox] == [[membership.user.email]]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (SENT, 1)

    assert sweep(now=later + timedelta(seconds=600)) == 0
    assert len(mailoutbox) == 1


def test_with_a_broker_that_never_answers_the_action_still_returns_in_bounded_time(
    silent_broker, verification, django_capture_on_commit_callbacks, mailoutbox, caplog
):
    # The broker timeouts in settings (2 s) are what bound this; without them a publish would wait for ever.
    membership, staff = verification
    started = time.monotonic()
    with finishes_within(10), django_capture_on_commit_callbacks(execute=True):
        services.membership_verify(membership=membership, actor=staff)
    elapsed = time.monotonic() - started

    assert elapsed < 10, f"membership_verify took {elapsed:.1f}s with a silent broker"
    assert "the sweep will retry" in caplog.text
    membership.refresh_from_db()
    assert membership.is_verified
    assert NotificationDelivery.objects.get(notification__recipient=membership.user).status == PENDING
    assert mailoutbox == []


def test_after_the_broker_comes_back_the_sweep_sends_through_the_task_queue(
    verification, django_capture_on_commit_callbacks, mailoutbox, task_runs, settings
):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 300
    membership, staff = verification
    with celery_configured(broker_url=UNREACHABLE_BROKER, task_always_eager=False), django_capture_on_commit_callbacks(execute=True):
        services.membership_verify(membership=membership, actor=staff)
    delivery = NotificationDelivery.objects.get(notification__recipient=membership.user)
    assert delivery.status == PENDING and task_runs == []

    # The broker is back (the test profile runs tasks eagerly).
    assert sweep(now=delivery.enqueued_at + timedelta(seconds=300)) == 1
    assert task_runs == [(DELIVER_TASK, [delivery.pk])]
    assert len(mailoutbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == SENT


# --- deliver(): once, and a record of failures


def test_deliver_twice_sends_once(django_capture_on_commit_callbacks, mailoutbox):
    _, delivery = unpublished_notification(UserFactory(), django_capture_on_commit_callbacks)
    assert deliver(delivery.pk) is True
    assert deliver(delivery.pk) is False
    assert len(mailoutbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (SENT, 1)


def test_the_deliver_task_is_safe_to_run_twice(django_capture_on_commit_callbacks, mailoutbox):
    _, delivery = unpublished_notification(UserFactory(), django_capture_on_commit_callbacks)
    deliver_notification.apply(args=[delivery.pk])
    deliver_notification.apply(args=[delivery.pk])
    assert len(mailoutbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (SENT, 1)


def test_a_failing_channel_records_each_attempt_and_gives_up_after_the_limit(recording_channel, django_capture_on_commit_callbacks, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    recording_channel.error = ConnectionError("SMTP server said no")
    _, delivery = unpublished_notification(UserFactory(), django_capture_on_commit_callbacks)

    for attempt in (1, 2):
        assert deliver(delivery.pk) is False
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (PENDING, attempt)
        assert delivery.last_error == "ConnectionError: SMTP server said no"
        assert delivery.sent_at is None

    assert deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (FAILED, 3)

    # A failed delivery stays failed: neither deliver() nor the sweep touch it again.
    recording_channel.error = None
    assert deliver(delivery.pk) is False
    assert sweep(now=timezone.now() + timedelta(days=1)) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (FAILED, 3)
    assert recording_channel.sent == []


def test_a_delivery_that_failed_once_succeeds_later_and_forgets_the_error(recording_channel, django_capture_on_commit_callbacks):
    recording_channel.error = TimeoutError("timed out")
    notification, delivery = unpublished_notification(UserFactory(), django_capture_on_commit_callbacks)
    assert deliver(delivery.pk) is False
    recording_channel.error = None
    assert deliver(delivery.pk) is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (SENT, 2, "")
    assert recording_channel.sent == [notification.pk]


# --- sweep(): stale deliveries only


def test_the_sweep_leaves_deliveries_that_are_not_yet_stale(recording_channel, django_capture_on_commit_callbacks, settings):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 300
    notification, delivery = unpublished_notification(UserFactory(), django_capture_on_commit_callbacks)

    assert sweep(now=delivery.enqueued_at + timedelta(seconds=299)) == 0
    fresh = NotificationDelivery.objects.get(pk=delivery.pk)
    assert (fresh.status, fresh.enqueued_at, fresh.attempts) == (PENDING, delivery.enqueued_at, 0)
    assert recording_channel.sent == []

    assert sweep(now=delivery.enqueued_at + timedelta(seconds=300)) == 1
    assert recording_channel.sent == [notification.pk]


def test_the_sweep_re_enqueues_stale_deliveries_and_claims_them(recording_channel, django_capture_on_commit_callbacks, settings):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 300
    person = UserFactory()
    deliveries = [unpublished_notification(person, django_capture_on_commit_callbacks)[1] for _ in range(3)]
    ids = [d.pk for d in deliveries]
    later = max(d.enqueued_at for d in deliveries) + timedelta(seconds=300)

    published = []

    def record(sender=None, body=None, **kwargs):
        published.append((sender, list(body[0])))

    # A broker that accepts messages but has no worker: we see what the sweep publishes, and nothing runs.
    before_task_publish.connect(record, weak=False)
    with celery_configured(broker_url="memory://", task_always_eager=False) as app:
        try:
            assert sweep(now=later, limit=2) == 2
            assert published == [(DELIVER_TASK, [ids[0]]), (DELIVER_TASK, [ids[1]])]
            assert recording_channel.sent == []  # published, not sent in place
            rows = NotificationDelivery.objects.in_bulk(ids)
            assert [(rows[i].status, rows[i].enqueued_at) for i in ids[:2]] == [(PENDING, later)] * 2
            assert rows[ids[2]].enqueued_at < later

            # Claimed ones are not stale again until another sweep period has passed.
            assert sweep(now=later) == 1
            assert published[-1] == (DELIVER_TASK, [ids[2]])
            assert sweep(now=later + timedelta(seconds=300)) == 3
        finally:
            before_task_publish.disconnect(record)
            app.control.purge()
    assert len(published) == 6


def test_the_sweep_task_sends_what_is_stale(recording_channel, django_capture_on_commit_callbacks, settings):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 0
    notification, _ = unpublished_notification(UserFactory(), django_capture_on_commit_callbacks)
    assert sweep_notifications.apply().get() == 1
    assert recording_channel.sent == [notification.pk]


# --- a real broker and a real worker


@pytest.mark.postgres  # the worker thread must see the test's committed rows through its own connection
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_email_after_commit(settings, mailoutbox):
    membership = MembershipFactory(user=UserFactory(language="en"))
    staff = make_staff("street_admin", street=membership.organisation.street)

    with celery_configured(broker_url=settings.REDIS_URL, task_always_eager=False, worker_hijack_root_logger=False) as app:
        app.control.purge()
        # The worker thread's database connection is closed after each task by Celery's Django fixup.
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            with transaction.atomic():
                services.membership_verify(membership=membership, actor=staff)
                assert mailoutbox == []
            delivery = NotificationDelivery.objects.get(notification__recipient=membership.user)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                delivery.refresh_from_db()
                if delivery.status != PENDING and mailoutbox:
                    break
                time.sleep(0.1)
        app.control.purge()

    assert (delivery.status, delivery.attempts) == (SENT, 1)
    assert [m.to for m in mailoutbox] == [[membership.user.email]]


@pytest.mark.redis
def test_publishing_goes_through_one_redis_client_and_every_message_lands(settings):
    """portal.broker: kombu's Redis channel, but one client for every publish instead of a new one per message (a new
    pool after a disconnect gets a new client); the messages reach the queue all the same."""
    from portal.broker import Channel

    with celery_configured(broker_url=settings.REDIS_URL, task_always_eager=False) as app:
        app.control.purge()
        for _ in range(3):
            deliver_notification.apply_async(args=[0], retry=False)
        assert app.control.purge() == 3
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            assert isinstance(channel, Channel)
            publisher = channel._create_client()
            assert channel._create_client() is publisher and publisher.connection_pool is channel.pool
            channel._disconnect_pools()
            assert channel._create_client() is not publisher and channel._create_client().connection_pool is channel.pool


def test_enqueue_stops_at_the_first_publishing_failure(monkeypatch):
    """With the broker gone, each try would wait out the timeout: the rest are left to the sweep at once."""
    from portal import tasks
    from portal.notifications import enqueue

    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_notification, "apply_async", refuse)
    assert enqueue([11, 12, 13]) == [11, 12, 13]
    assert len(calls) == 1
