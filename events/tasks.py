"""Beat's jobs for events. Each is safe to run twice; beat running it again is the retry, so none declares its own."""

from celery import shared_task

from events import checkin, schedule


@shared_task(name="events.tasks.send_event_reminders", ignore_result=True)
def send_event_reminders():
    return schedule.send_due_reminders()


@shared_task(name="events.tasks.mark_event_no_shows", ignore_result=True)
def mark_event_no_shows():
    return checkin.mark_no_shows()
