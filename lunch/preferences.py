"""A person's own lunch settings (kept apart from lunch.services, which guards money and portions)."""

from django.db import transaction

from lunch.models import Account
from portal.audit import audit_log


def set_low_balance_notices(*, user, on):
    """Turn the evening-before low-balance reminders on or off for this person (their account is made if need be)."""
    on = bool(on)
    with transaction.atomic():
        account, created = Account.objects.select_for_update().get_or_create(user=user, defaults={"low_balance_notices": on})
        if not created and account.low_balance_notices != on:
            account.low_balance_notices = on
            account.save(update_fields=["low_balance_notices"])
            audit_log(action="lunch.account.reminders_" + ("on" if on else "off"), actor=user, target=account)
    return account
