"""Beat's job for wishes: safe to run twice; beat running it again is the retry."""

from celery import shared_task

from wishes import services


@shared_task(name="wishes.tasks.sweep_wish_deadlines", ignore_result=True)
def sweep_wish_deadlines():
    """Release claims past their deadline, remind claimers whose deadline is near, expire wishes no one claimed in time.

    Releasing first: a claim already past its deadline gets released, not a late reminder; a released wish
    comes back on the wall for at least WISHES_CLAIM_DAYS, so the expiry that follows leaves it there.
    """
    return {
        "released": services.release_overdue_claims(),
        "reminded": services.remind_deadlines(),
        "expired": services.expire_wishes(),
    }
