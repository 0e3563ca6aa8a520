"""Beat's jobs for events. Each is safe to run twice; beat running it again is the retry, so none declares its own."""

import importlib.util
import logging

from celery import shared_task

from events import schedule

logger = logging.getLogger(__name__)


@shared_task(name="events.tasks.send_event_reminders", ignore_result=True)
def send_event_reminders():
    return schedule.send_due_reminders()


@shared_task(name="events.tasks.mark_event_no_shows", ignore_result=True)
def mark_event_no_shows():
    # The slot for check-in's no-show marking: events.checkin is written separately and may not be deployed yet.
    # find_spec rather than catching ImportError, so a broken events.checkin still fails loudly.
    if importlib.util.find_spec("events.checkin") is None:
        logger.info("events.checkin is not installed; no bookings marked as no-shows.")
        return None
    from events.checkin import mark_no_shows

    return mark_no_shows()
