"""Beat's jobs for lunch. Each is safe to run twice; beat running it again is the retry."""

from celery import shared_task

from lunch import services


@shared_task(name="lunch.tasks.send_lunch_manifests", ignore_result=True)
def send_lunch_manifests():
    return services.send_manifests()


@shared_task(name="lunch.tasks.mark_uncollected_lunches", ignore_result=True)
def mark_uncollected_lunches():
    return services.mark_uncollected()


@shared_task(name="lunch.tasks.check_merchant_licences", ignore_result=True)
def check_merchant_licences():
    return services.check_licences()


@shared_task(name="lunch.tasks.remind_low_lunch_balances", ignore_result=True)
def remind_low_lunch_balances():
    return services.remind_low_balances()
