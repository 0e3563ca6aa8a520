from celery import shared_task

from portal import notifications


@shared_task(name="portal.tasks.deliver_notification", ignore_result=True)
def deliver_notification(delivery_id):
    # Failures are recorded on the delivery row and retried by the sweep, not by Celery.
    notifications.deliver(delivery_id)


@shared_task(name="portal.tasks.sweep_notifications", ignore_result=True)
def sweep_notifications():
    return notifications.sweep()
