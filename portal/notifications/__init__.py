"""Telling people things: the one module every app uses.

`notify()` writes the inbox row in the caller's transaction and hands delivery
to Celery only after commit, so a rolled-back change never tells anyone
anything. Publishing is bounded by a short broker timeout and never raises
into the caller: what could not be published is picked up by `sweep()`, which
Celery beat runs every minute. `deliver()` locks the delivery row and sends
only while it is still pending, so two sweeps or two workers racing on the
same notification send it once.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from portal.models import Notification, NotificationDelivery
from portal.notifications.channels import get_channel, get_channels

logger = logging.getLogger(__name__)

__all__ = ["notify", "deliver", "sweep", "enqueue"]


def notify(*, recipient, kind, title, body="", url="", attachment=None):
    """Record a notification for `recipient` and deliver it after the surrounding transaction commits.

    `title` and `body` may be lazy translations: they are rendered in the
    recipient's own language, not the language of whoever triggered them.
    `attachment`, if given, is (file name, text): a small CSV or text file.
    """
    with translation.override(getattr(recipient, "language", None) or settings.LANGUAGE_CODE):
        title, body = str(title), str(body)
    # No savepoint inside the caller's transaction: a failure here fails the caller's write as a whole.
    with transaction.atomic(savepoint=False):
        notification = Notification.objects.create(
            recipient=recipient, kind=kind, title=title[:200], body=body, url=str(url)[:500],
            attachment_name=attachment[0][:100] if attachment else "", attachment=attachment[1] if attachment else "",
        )
        deliveries = NotificationDelivery.objects.bulk_create(
            [
                NotificationDelivery(
                    notification=notification,
                    channel=channel.name,
                    status=(
                        NotificationDelivery.Status.PENDING
                        if channel.can_reach(recipient)
                        else NotificationDelivery.Status.SKIPPED
                    ),
                )
                for channel in get_channels()
            ]
        )
        pending = [d.pk for d in deliveries if d.status == NotificationDelivery.Status.PENDING]
        if pending:
            transaction.on_commit(partial(enqueue, pending))
    return notification


def enqueue(delivery_ids):
    """Hand deliveries to the task queue. Returns the ids that could not be published."""
    from portal.tasks import deliver_notification

    delivery_ids = list(delivery_ids)
    for index, delivery_id in enumerate(delivery_ids):
        try:
            deliver_notification.apply_async(args=[delivery_id], retry=False)
        except Exception:  # broker down or slow: the sweep will try again
            # Stop at the first failure: each further try would wait out the same timeout.
            logger.warning("Could not publish notification deliveries %s; the sweep will retry them.",
                           delivery_ids[index:], exc_info=True)
            return delivery_ids[index:]
    return []


def deliver(delivery_id):
    """Send one delivery if it is still pending. Safe to run twice, or twice at once.

    The row lock is held while sending: a second worker skips the locked row,
    and one that comes after finds it no longer pending.
    """
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient")
            .filter(pk=delivery_id, status=NotificationDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return False
        delivery.attempts += 1
        try:
            get_channel(delivery.channel).send(delivery.notification)
        except Exception as exc:
            logger.warning("Delivery %s failed (attempt %s)", delivery_id, delivery.attempts, exc_info=True)
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                delivery.status = NotificationDelivery.Status.FAILED
            delivery.save(update_fields=["attempts", "last_error", "status"])
            return False
        delivery.status = NotificationDelivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return True


def sweep(*, now=None, limit=500):
    """Re-enqueue deliveries still pending after NOTIFICATION_SWEEP_AFTER_SECONDS.

    Deliveries that cannot be published (broker down) are sent right here, so
    a run of the sweep from beat or from cron always makes progress.
    Returns how many deliveries it picked up.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFICATION_SWEEP_AFTER_SECONDS)
    with transaction.atomic():
        stale = list(
            NotificationDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationDelivery.Status.PENDING, enqueued_at__lte=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        # Claim them: a sweep running beside this one no longer sees them as stale.
        NotificationDelivery.objects.filter(pk__in=stale).update(enqueued_at=now)
    for delivery_id in enqueue(stale):
        deliver(delivery_id)
    return len(stale)
