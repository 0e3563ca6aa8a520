"""Ordering, cancelling, paying and handing over lunches; merchants' licences; the scheduled jobs.

Every lunch write takes its rows in one order: the order's row, the person's account row (the balance), the
policy's month row (the subsidy budget), then the offer's row and its pickup point's row (the portions). Placing
an order locks nothing before it writes: it reads the offer, the price and the month's spend without a lock,
inserts the order, then takes each scarce thing in one conditional UPDATE that checks and takes under that row's
lock (`_take_balance`, `charge_budget`, `_take_portions`), so each row is held from there to the commit only —
the month row by every subsidised order of the street, the offer's row by every order of that meal. Cancelling
locks the order first, then the same rows in the same order (it reads the account with `_account_for_update`, as
`top_up` does). Each lock takes its own row only (`of=("self",)`): a join locked along with it (the merchant, the
pickup point) would make every order of a merchant or a point queue behind one another. Counters and balances
move in the database (F(), or `sold = sold + n` in the order's own SQL), so the constraints judge the real totals:
`offer_not_oversold`, `account_never_negative`, `spend_within_budget`, `order_one_subsidy_per_day`,
`order_price_adds_up`, `order_idempotent` back every rule, and tests/lunch/test_concurrency.py shows each one
holding with its guard switched off.

Placing an order used to lock the person's account row first, with a read; what that lock did is done now by:
- a double submit (the same form key): the INSERT of the order meets `order_idempotent` — on PostgreSQL it waits
  for the first submit's uncommitted order, then fails once that commits — and the first submit's order is the
  answer (`_place_with_retries`);
- one subsidised meal per person per day: the person's orders of different meals at once are all priced before
  any is written, so each may see the day's subsidy free. The INSERT of the second meets
  `order_one_subsidy_per_day` (again waiting for the first to commit), rolls back and is priced again, without
  the subsidy (`_subsidy_taken_meanwhile`), as an order whose budget went meanwhile is;
- a balance never below zero: `_take_balance` checks and takes in one conditional UPDATE, which takes the account
  row's lock where the locked read took it (before the budget, the offer and the point), and
  `account_never_negative` stands behind it. An order paid at pickup, or costing its person nothing, touches no
  account row.
"""

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lunch.models import (
    Account,
    DailyOffer,
    Feedback,
    LedgerEntry,
    Merchant,
    OfferPoint,
    Order,
    SubsidyPolicy,
    SubsidySpend,
    new_pickup_code,
    yuan,
)
from portal import scopes
from portal.audit import audit_log
from portal.db import FixedRead, rows_changed, violates
from portal.exceptions import PortalError
from portal.models import Organisation, StaffAssignment
from portal.notifications import notify
from portal.spreadsheets import safe_cell
from stations.hours import SHANGHAI, local_now


class LunchError(PortalError):
    """A lunch rule was broken; the message says which."""


class SoldOut(LunchError):
    """No portion of the meal is left (at that pickup point): the person should choose another meal."""


SOLD_OUT = _("Sold out. Please choose another meal.")


# ---------------------------------------------------------------------------
# Prices


@dataclass(frozen=True)
class Price:
    """What one order costs, split the way the street explains it."""

    list_fen: int  # per meal
    quantity: int
    discount_fen: int  # in all
    subsidy_fen: int  # one meal at most
    policy: SubsidyPolicy | None = None
    no_subsidy_reason: str = ""

    @property
    def total_fen(self):
        return self.list_fen * self.quantity

    @property
    def self_paid_fen(self):
        return self.total_fen - self.discount_fen - self.subsidy_fen

    def breakdown(self):
        """原价 28.00 − 商户让利 3.00 − 政府补贴 10.00 = 自付 15.00"""
        return format_lazy(
            _("List price {total} − merchant discount {discount} − subsidy {subsidy} = you pay {paid}"),
            total=yuan(self.total_fen), discount=yuan(self.discount_fen), subsidy=yuan(self.subsidy_fen), paid=yuan(self.self_paid_fen),
        )


def split_price(*, list_fen, quantity, discount_per_meal_fen, subsidy_per_meal_fen):
    """The discount applies to every meal, the subsidy to one; neither makes a meal cost less than nothing."""
    discount = min(discount_per_meal_fen, list_fen) * quantity
    subsidy = min(subsidy_per_meal_fen, list_fen - min(discount_per_meal_fen, list_fen))
    return discount, subsidy


def month_start(day):
    return day.replace(day=1)


# Why a price has no subsidy, in the same words wherever a price is shown (services.quote, selectors.PriceBook).
NOT_ELIGIBLE = _("The lunch subsidy is for verified office workers of the street's enterprises "
                 "(and elderly residents where the street has such a policy).")
USED_TODAY = _("You have had today's subsidised meal already: one a day.")
BUDGET_SPENT = _("This month's subsidy budget is spent. Thank you for understanding.")


def price_of(offer, quantity, policies, *, used_today, spent):
    """The price rule: the first of `policies` (those the person qualifies for, best subsidy first) whose month
    still has budget for this subsidy pays it; none when the person had a subsidised meal that day, or when the
    merchant's discount already makes the meal free. `used_today()` and `spent(policy)` read those two facts, and
    are only called when the answer depends on them."""
    list_fen = offer.meal.list_price_fen
    discount, _subsidy = split_price(list_fen=list_fen, quantity=quantity, discount_per_meal_fen=offer.discount_fen, subsidy_per_meal_fen=0)
    if not policies:
        return Price(list_fen, quantity, discount, 0, no_subsidy_reason=NOT_ELIGIBLE)
    if used_today():
        return Price(list_fen, quantity, discount, 0, no_subsidy_reason=USED_TODAY)
    subsidisable = False
    for policy in policies:
        _discount, subsidy = split_price(list_fen=list_fen, quantity=quantity, discount_per_meal_fen=offer.discount_fen,
                                         subsidy_per_meal_fen=policy.subsidy_fen)
        if subsidy <= 0:
            continue
        subsidisable = True
        if spent(policy) + subsidy <= policy.monthly_budget_fen:
            return Price(list_fen, quantity, discount, subsidy, policy=policy)
    if not subsidisable:  # the merchant's discount already covers the meal: there is nothing to subsidise
        return Price(list_fen, quantity, discount, 0)
    return Price(list_fen, quantity, discount, 0, no_subsidy_reason=BUDGET_SPENT)


# One statement for every fact a price needs. It is SQL rather than the ORM's Exists/OuterRef/Subquery because it is on
# the path of every order and every order form: Django took 4 ms of CPU to build that query each time, against 0.3 ms for
# this one in all; and, prepared once per connection on PostgreSQL (portal.db.FixedRead), PostgreSQL no longer spends
# 0.8 ms planning it for every order. tests/lunch/test_selectors.py holds its answers to PriceBook's, which reads the same
# facts with the ORM.
_LIVE = {f"live{n}": status for n, status in enumerate(Order.LIVE)}
_POLICIES_FOR = FixedRead(
    "lunch_policies_for",
    f"""SELECT {{policy}}, COALESCE(spend.spent_fen, 0),
           EXISTS (SELECT 1 FROM lunch_order o
                   WHERE o.user_id = %(user)s AND o.subsidised_on = %(day)s
                     AND o.status IN ({", ".join(f"%({name})s" for name in _LIVE)}))
    FROM lunch_subsidypolicy policy
    LEFT JOIN lunch_subsidyspend spend ON spend.policy_id = policy.id AND spend.month = %(month)s
    WHERE policy.street_id = %(street)s AND policy.valid_from <= %(day)s
      AND (policy.valid_until IS NULL OR policy.valid_until >= %(day)s)
      AND CASE WHEN policy.audience = %(office_workers)s THEN EXISTS (
              SELECT 1 FROM portal_membership m
              JOIN portal_organisation org ON org.id = m.organisation_id
              LEFT JOIN portal_building b ON b.id = org.building_id
              WHERE m.user_id = %(user)s AND m.verified_at IS NOT NULL AND org.kind = %(enterprise)s AND org.is_active
                AND (b.street_id = policy.street_id OR org.street_id = policy.street_id))
          ELSE EXISTS (
              SELECT 1 FROM portal_residence r
              JOIN lunch_subsidypolicy_neighbourhoods listed ON listed.neighbourhood_id = r.neighbourhood_id
              WHERE listed.subsidypolicy_id = policy.id AND r.user_id = %(user)s AND r.verified_at IS NOT NULL)
          END
    ORDER BY policy.subsidy_fen DESC, policy.id""",
    extra=2,
    policy=SubsidyPolicy,
)


def policies_for(user, point, day):
    """The street's policies valid on `day` that this person qualifies for (a verified office worker of an enterprise
    of the street; a verified resident of a listed neighbourhood), best subsidy first — each with the facts its price
    needs: `month_spent` (the month's spend so far) and `used_today` (the person has a live subsidised order that day)."""
    if not getattr(user, "is_authenticated", False):
        return []
    params = {
        "user": user.pk, "street": point.street_id, "day": day, "month": month_start(day), **_LIVE,
        "office_workers": SubsidyPolicy.Audience.OFFICE_WORKERS, "enterprise": Organisation.Kind.ENTERPRISE,
    }
    policies = []
    for policy, month_spent, used_today in _POLICIES_FOR.rows(params):
        policy.month_spent, policy.used_today = month_spent, bool(used_today)  # SQLite answers 0 or 1
        policies.append(policy)
    return policies


def quote(*, user, offer, point, quantity=1):
    """The price this person would pay now, with the reason when there is no subsidy: one query.

    The month's spend is read without a lock: order_place charges the subsidy with `charge_budget`, which
    checks the budget again in the statement that spends it.
    """
    policies = policies_for(user, point, offer.date)
    return price_of(offer, quantity, policies, used_today=lambda: policies[0].used_today, spent=lambda policy: policy.month_spent)


# The conditional UPDATEs every order runs, as SQL. Each is one fixed statement, and the ORM took 0.25–0.75 ms of CPU to build
# each one again for every order, against 0.05 ms to send it; an order's CPU is what the benchmark's uncontended orders per
# second are made of (bench/, issue #8). The balance's statement has no ORM form at all: update() answers with a count, and
# the ledger entry needs the account's id (UPDATE … RETURNING: PostgreSQL, and SQLite since 3.35). They move each counter in
# the database (`sold = sold + n`, as F() would), so the constraints judge the real totals; tests/lunch/test_concurrency.py
# switches each off in turn. The same SQL runs on PostgreSQL and SQLite.
_TAKE_BALANCE = "UPDATE lunch_account SET balance_fen = balance_fen - %s WHERE user_id = %s AND balance_fen >= %s RETURNING id"
_CHARGE_BUDGET = ("UPDATE lunch_subsidyspend SET spent_fen = spent_fen + %s, meals = meals + 1, budget_fen = %s "
                  "WHERE policy_id = %s AND month = %s AND spent_fen <= %s")
_TAKE_OFFER_PORTIONS = ("UPDATE lunch_dailyoffer SET sold = sold + %s "
                        "WHERE id = %s AND is_open AND manifest_sent_at IS NULL AND sold <= quota - %s")
_TAKE_POINT_PORTIONS = "UPDATE lunch_offerpoint SET sold = sold + %s WHERE id = %s AND (quota IS NULL OR sold <= quota - %s)"


def charge_budget(policy, day, fen):
    """Spend `fen` of the policy's budget for the month of `day`, if it still fits; False when it doesn't.

    One conditional UPDATE checks and spends under the month row's lock, which is then held to the commit only —
    every subsidised order of the street needs that row. The row carries the budget the constraint
    `spend_within_budget` checks; it follows the policy's budget when the street changes it mid-month (the
    check makes sure it never drops below what is spent: those meals are eaten). The month's first subsidised
    meal makes the row.
    """
    month = month_start(day)
    budget = policy.monthly_budget_fen
    charge = [fen, budget, policy.pk, month, budget - fen]
    if rows_changed(_CHARGE_BUDGET, charge):
        return True
    if SubsidySpend.objects.filter(policy=policy, month=month).exists():
        return False
    SubsidySpend.objects.get_or_create(policy=policy, month=month, defaults={"budget_fen": budget})
    return bool(rows_changed(_CHARGE_BUDGET, charge))


def _refund_budget(policy_id, day, fen):
    """Give one subsidy back to the month of `day` (the row exists: the order charged it)."""
    SubsidySpend.objects.filter(policy_id=policy_id, month=month_start(day)).update(spent_fen=F("spent_fen") - fen, meals=F("meals") - 1)


# ---------------------------------------------------------------------------
# Ordering


def no_shows_of(user, *, now=None):
    since = (local_now(now) - timedelta(days=settings.LUNCH_NO_SHOW_WINDOW_DAYS)).date()
    return Order.objects.filter(user=user, status=Order.Status.NOT_COLLECTED, offer__date__gte=since).count()


def offer_refusal(offer, *, now):
    """Why an offer can't be ordered now, or None."""
    merchant = offer.merchant
    if merchant.status != Merchant.Status.ACTIVE or merchant.licence_expires_on < offer.date:
        return _("This merchant is not taking orders at the moment.")
    if not offer.is_open:
        return _("This meal is not open for orders.")
    if offer.manifest_sent_at is not None:  # the merchant has its list: an order now would not be cooked
        return format_lazy(_("Orders for this meal closed at {time}."), time=f"{offer.cutoff_at.astimezone(SHANGHAI):%H:%M}")
    if offer.date < local_now(now).date() or now >= offer.cutoff_at:
        return format_lazy(_("Orders for this meal closed at {time}."), time=f"{offer.cutoff_at.astimezone(SHANGHAI):%H:%M}")
    return None


def _take_balance(user, fen):
    """Take `fen` from the person's balance, if it is there: the account's id. A LunchError saying the balance otherwise.

    One conditional UPDATE checks and takes under the account row's lock, which is then held to the commit;
    `account_never_negative` stands behind it. No account yet is a balance of nothing.
    """
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_BALANCE, [fen, user.pk, fen])
        taken = cursor.fetchone()
        if taken is None:
            # Rare: too little. Read under the row's lock, the balance is the one the refusal is judged on — and a top-up
            # that landed between the two statements is taken now, not refused.
            balance = Account.objects.select_for_update().filter(user=user).values_list("balance_fen", flat=True).first() or 0
            if balance < fen:
                raise LunchError(format_lazy(
                    _("Your balance is ¥{balance}; this order needs ¥{needed}. Top up at your station's desk first."),
                    balance=yuan(balance), needed=yuan(fen)))
            cursor.execute(_TAKE_BALANCE, [fen, user.pk, fen])
            taken = cursor.fetchone()
    return taken[0]


def _account_for_update(user):
    account = Account.objects.select_for_update().filter(user=user).first()
    if account is None:  # the person's first order or top-up
        Account.objects.get_or_create(user=user)
        account = Account.objects.select_for_update().get(user=user)
    return account


def _as_id(value):
    """A row id from a form or URL, or None when it can't be one (a forged value is a refusal, not a 500)."""
    if isinstance(value, bool):
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _as_key(value):
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise LunchError(_("This form has expired. Please reload the page and try again.")) from None


def _earlier_order(user, key):
    return Order.objects.filter(user=user, idempotency_key=key).order_by("pk").first()


PLACE_ATTEMPTS = 5


class _BudgetJustSpent(Exception):
    """The month's budget went to someone else between the quote and the charge: the order is priced again."""


def _offer_and_point(offer_id, point_id, offer=None):
    """The offer (meal and merchant along) and its active pickup point `point_id`, read without a lock.

    `offer`, when given, is the caller's fresh read of the same offer with its `active_offer_points`
    (selectors.offer_for_order), so it isn't read again. What is read here is checked again by the statements
    that charge the budget and count the portions.
    """
    if offer is None or offer.pk != offer_id:
        # order_by("pk"): `.first()` would sort by the model's ordering, which joins the merchant's organisation.
        offer = DailyOffer.objects.select_related("meal", "merchant__organisation").filter(pk=offer_id).order_by("pk").first()
        if offer is None:
            raise LunchError(_("There is no such meal on offer."))
        offer_point = OfferPoint.objects.select_related("point").filter(offer=offer, point_id=point_id).order_by("pk").first()
    else:
        offer_point = next((each for each in offer.active_offer_points if each.point_id == point_id), None)
    if offer_point is None or not offer_point.point.is_active:
        raise LunchError(_("This meal is not delivered to that pickup point."))
    return offer, offer_point


def order_place(*, user, offer_id, point_id, quantity=1, payment=Order.Payment.BALANCE, key=None, now=None, offer=None):
    """Place one order. Idempotent on `key` (the form's one-time key): a double submit returns the first order.

    `offer` may pass the offer as the caller just read it (see `_offer_and_point`).
    """
    now = now or timezone.now()
    key = _as_key(key) if key is not None else uuid.uuid4()
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= settings.LUNCH_MAX_QUANTITY:
        raise LunchError(format_lazy(_("Order between 1 and {n} meals."), n=settings.LUNCH_MAX_QUANTITY))
    if payment not in Order.Payment.values:
        raise LunchError(_("Choose how to pay."))
    offer_id, point_id = _as_id(offer_id), _as_id(point_id)
    if offer_id is None:
        raise LunchError(_("There is no such meal on offer."))
    offer, offer_point = _offer_and_point(offer_id, point_id, offer)
    try:
        # Sold out or closed already: said without a transaction, so a rush for the last portions queues for nothing.
        _refuse_if_unorderable(offer, offer_point, quantity, payment, now=now)
        return _place_with_retries(user, offer, offer_point, quantity, payment, key, now)
    except LunchError:
        # A double submit whose first submit took the last portion, or the balance: the first submit's order.
        earlier = _earlier_order(user, key)
        if earlier is None:
            raise
        return earlier


def _place_with_retries(user, offer, offer_point, quantity, payment, key, now):
    for _attempt in range(PLACE_ATTEMPTS):
        try:
            return _place(user, offer, offer_point, quantity, payment, key, now)
        except _BudgetJustSpent:
            continue  # priced again: the month row now shows the budget spent
        except IntegrityError as exc:
            if violates(exc, "order_idempotent", "lunch_order.idempotency_key"):
                # A double submit: its order met the first submit's (waiting for it to commit), and is the first's.
                return _earlier_order(user, key)
            if _subsidy_taken_meanwhile(exc):
                continue  # priced again: the person's order that took the day's subsidy is there to see now
            # Two orders at one point drew the same pickup code (one in a million): draw again.
            if not violates(exc, "order_code_unique_per_point_and_day", "lunch_order.pickup_code"):
                raise
    raise LunchError(_("Please try again in a moment."))


def _subsidy_taken_meanwhile(exc):
    """Whether the IntegrityError `exc` says another order of the person took the day's subsidised meal after this one
    was priced: their orders of two meals at once, each priced before either was written (see the module's docstring)."""
    return violates(exc, "order_one_subsidy_per_day", "lunch_order.subsidised_on")


def _place(user, offer, offer_point, quantity, payment, key, now):
    with transaction.atomic(durable=True):
        point = offer_point.point
        price = quote(user=user, offer=offer, point=point, quantity=quantity)
        if payment == Order.Payment.AT_PICKUP and no_shows_of(user, now=now) >= settings.LUNCH_NO_SHOW_LIMIT:
            raise LunchError(format_lazy(
                _("You left {n} orders uncollected in the last {days} days, so for now please pay from your balance."),
                n=settings.LUNCH_NO_SHOW_LIMIT, days=settings.LUNCH_NO_SHOW_WINDOW_DAYS))
        # The order first, then the account, as order_cancel takes them. The order's unique constraints line up the
        # person's double submits and subsidised meals of the day (see _place_with_retries); its INSERT may wait for
        # a cancellation of their subsidised order of that day, which locks that order, then the account — so this
        # holds no account lock while it waits. The code is unique per point and day
        # (order_code_unique_per_point_and_day); a clash rolls back and draws again.
        order = Order.objects.create(
            offer=offer, point=point, pickup_day=offer.date, pickup_code=new_pickup_code(), user=user, quantity=quantity,
            list_price_fen=price.list_fen, discount_fen=price.discount_fen, subsidy_fen=price.subsidy_fen,
            self_paid_fen=price.self_paid_fen, policy=price.policy, subsidised_on=offer.date if price.subsidy_fen else None,
            payment=payment, idempotency_key=key,
        )
        if payment == Order.Payment.BALANCE and price.self_paid_fen:
            account_id = _take_balance(user, price.self_paid_fen)
            LedgerEntry.objects.create(account_id=account_id, kind=LedgerEntry.Kind.ORDER, amount_fen=-price.self_paid_fen, order=order)
        audit_log(action="lunch.order.placed", actor=user, target=order)
        notify(
            recipient=user, kind="lunch.order.placed",
            title=format_lazy(_("Lunch ordered: {meal}, pickup code {code}"), meal=offer.meal.name, code=order.pickup_code),
            body=format_lazy(_("{date} {opens}–{closes} at {point}. {price}"), date=f"{offer.date:%Y-%m-%d}",
                             opens=f"{point.window_opens:%H:%M}", closes=f"{point.window_closes:%H:%M}", point=point.name,
                             price=price.breakdown()),
            url=reverse("lunch:order", args=[order.pk]),
        )
        # Last, just before the commit, the rows others compete for: the street's budget, then the portions. If the
        # budget went meanwhile, the order is priced again; if the portions went (or the offer closed), everything
        # above rolls back and the person is told why.
        if price.subsidy_fen and not charge_budget(price.policy, offer.date, price.subsidy_fen):
            raise _BudgetJustSpent
        if not _take_portions(offer, offer_point, quantity):
            offer.refresh_from_db()
            offer_point.refresh_from_db()
            _refuse_if_unorderable(offer, offer_point, quantity, payment, now=now)
            raise SoldOut(SOLD_OUT)  # a cancellation just gave some back: try again
    return order


def _refuse_if_unorderable(offer, offer_point, quantity, payment, *, now):
    refusal = offer_refusal(offer, now=now)
    if refusal:
        raise LunchError(refusal)
    if payment == Order.Payment.AT_PICKUP and not offer.merchant.allows_pay_at_pickup:
        raise LunchError(_("This merchant takes payment from your balance only."))
    left = offer.quota - offer.sold
    if offer_point.quota is not None:
        left = min(left, offer_point.quota - offer_point.sold)
    if quantity > left:
        if left <= 0:
            raise SoldOut(SOLD_OUT)
        raise LunchError(format_lazy(_("Only {n} left."), n=left))


def _take_portions(offer, offer_point, quantity):
    """Count `quantity` meals sold at the offer and its point, if they are there and the offer still takes orders.

    Each is one conditional UPDATE: the database checks and adds in one step under the row's lock, which is held
    from here to the commit only, so orders of one meal queue for a moment instead of for a whole order. The
    constraints offer_not_oversold and offer_point_not_oversold stand behind it. False: nothing was counted.
    """
    if not rows_changed(_TAKE_OFFER_PORTIONS, [quantity, offer.pk, quantity]):
        return False
    return bool(rows_changed(_TAKE_POINT_PORTIONS, [quantity, offer_point.pk, quantity]))


def _post(account, kind, amount_fen, *, order=None, actor=None, note=""):
    """One ledger entry and the balance that follows from it; the account row is locked by the caller.

    The balance moves in the database (F()), so `account_never_negative` judges the real sum; the row is locked,
    so the balance in hand moved by the same amount is the one in the database.
    """
    entry = LedgerEntry.objects.create(account=account, kind=kind, amount_fen=amount_fen, order=order, recorded_by=actor, note=note)
    Account.objects.filter(pk=account.pk).update(balance_fen=F("balance_fen") + amount_fen)
    account.balance_fen += amount_fen
    return entry


def order_cancel(*, order_id, user, now=None):
    """Cancel before the cut-off: portions, the day's subsidy and the balance all come back."""
    now = now or timezone.now()
    order_id = _as_id(order_id)
    if order_id is None or not getattr(user, "is_authenticated", False):
        raise LunchError(_("There is no such order of yours."))
    with transaction.atomic(durable=True):
        order = Order.objects.select_for_update().filter(pk=order_id, user=user).first()
        if order is None:
            raise LunchError(_("There is no such order of yours."))
        if order.status != Order.Status.PLACED:
            raise LunchError(_("This order can no longer be cancelled."))
        # The same order of rows as order_place: the order, the account, then (last) the budget row, the offer, the point.
        account = _account_for_update(user)
        # The cut-off is read without a lock: a manifest sent since then is refused below, in the offer's own row.
        cutoff_at = DailyOffer.objects.filter(pk=order.offer_id).values_list("cutoff_at", flat=True).get()
        if now >= cutoff_at:
            raise LunchError(format_lazy(_("Orders can be cancelled until {time}; the merchant is cooking now."),
                                         time=f"{cutoff_at.astimezone(SHANGHAI):%H:%M}"))
        order.status, order.cancelled_at = Order.Status.CANCELLED, now
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        if order.payment == Order.Payment.BALANCE and order.self_paid_fen:
            _post(account, LedgerEntry.Kind.REFUND, order.self_paid_fen, order=order)
        audit_log(action="lunch.order.cancelled", actor=user, target=order)
        if order.subsidy_fen:
            _refund_budget(order.policy_id, order.pickup_day, order.subsidy_fen)
        # The portions go back last, like order_place takes them; not once the merchant has its list.
        if not DailyOffer.objects.filter(pk=order.offer_id, manifest_sent_at__isnull=True).update(sold=F("sold") - order.quantity):
            raise LunchError(_("This order can no longer be cancelled."))
        OfferPoint.objects.filter(offer_id=order.offer_id, point_id=order.point_id).update(sold=F("sold") - order.quantity)
    return order


# ---------------------------------------------------------------------------
# Balances


def may_top_up(actor):
    """Station or merchant staff holding the permission record money received."""
    return actor.is_active and actor.has_perm("lunch.add_ledgerentry") and (
        actor.is_superuser or actor.staff_assignments.filter(
            role__in=[StaffAssignment.Role.STATION_STAFF, StaffAssignment.Role.MERCHANT_STAFF]).exists())


def top_up(*, user, amount_fen, actor, note="", tell=True):
    """Money received at the desk becomes balance: one ledger entry, recorded by whom.

    `tell=False` records without telling the person (the demo's history, imports of past top-ups).
    """
    if not may_top_up(actor):
        raise PermissionDenied
    if not user.is_active:
        raise LunchError(_("This account is closed; money can't be added to it."))
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= settings.LUNCH_MAX_TOP_UP_FEN:
        raise LunchError(format_lazy(_("A top-up is between ¥0.01 and ¥{max}."), max=yuan(settings.LUNCH_MAX_TOP_UP_FEN)))
    with transaction.atomic():
        account = _account_for_update(user)
        entry = _post(account, LedgerEntry.Kind.TOP_UP, amount_fen, actor=actor, note=str(note)[:200])
        audit_log(action="lunch.balance.topped_up", actor=actor, target=account, data={"amount_fen": amount_fen})
        if tell:
            notify(recipient=user, kind="lunch.balance.topped_up",
                   title=format_lazy(_("¥{amount} added to your lunch balance"), amount=yuan(amount_fen)),
                   body=format_lazy(_("Your balance is now ¥{balance}."), balance=yuan(account.balance_fen)),
                   url=reverse("lunch:mine"))
    return entry


# ---------------------------------------------------------------------------
# Delivery and pickup


def _check_handler(actor, offer, point):
    """Merchant staff of the offer's merchant, or staff governing the pickup point's station or street.

    Not `in_scope(actor, offer)`: an offer is in a station's scope when it serves any of its points, and
    staff of one point must not hand over (or announce) the meals of another.
    """
    scope = scopes.scope_of(actor)
    if scope.superuser or offer.merchant.organisation_id in scope.merchants or scopes.in_scope(actor, point):
        return
    raise PermissionDenied


def mark_delivered(*, offer_point_id, actor, now=None):
    """The merchant's meals for one point have arrived: the people who ordered there are told."""
    now = now or timezone.now()
    offer_point_id = _as_id(offer_point_id)
    with transaction.atomic():
        offer_point = (OfferPoint.objects.select_for_update(of=("self",)).select_related("offer__meal", "offer__merchant", "point")
                       .filter(pk=offer_point_id).first()) if offer_point_id else None
        if offer_point is None:
            raise LunchError(_("There is no such delivery."))
        _check_handler(actor, offer_point.offer, offer_point.point)
        if offer_point.delivered_at is not None:
            return offer_point
        offer_point.delivered_at = now
        offer_point.save(update_fields=["delivered_at"])
        waiting = Order.objects.filter(offer_id=offer_point.offer_id, point_id=offer_point.point_id,
                                       status=Order.Status.PLACED).select_related("user")
        for order in waiting:
            notify(recipient=order.user, kind="lunch.order.arrived",
                   title=format_lazy(_("Your lunch has arrived: {meal}"), meal=offer_point.offer.meal.name),
                   body=format_lazy(_("Collect it at {point} until {closes} with code {code}."), point=offer_point.point.name,
                                    closes=f"{offer_point.point.window_closes:%H:%M}", code=order.pickup_code),
                   url=reverse("lunch:order", args=[order.pk]))
        audit_log(action="lunch.offer.delivered", actor=actor, target=offer_point.offer)
    return offer_point


def pick_up(*, code, point, actor, now=None):
    """Hand over the order with this code at this point today."""
    now = now or timezone.now()
    code = "".join(ch for ch in str(code) if ch.isdigit())
    if len(code) != 6:
        raise LunchError(_("A pickup code has 6 digits."))
    today = local_now(now).date()
    if scopes.scope_of(actor).is_empty:  # before looking the code up: nobody else learns which codes exist
        raise PermissionDenied
    with transaction.atomic():
        # of=("self",): only the order is handed over; the offer row is the portions' lock and stays free for orders.
        order = (Order.objects.select_for_update(of=("self",)).select_related("offer__meal", "offer__merchant", "point", "user")
                 .filter(pickup_code=code, point=point, pickup_day=today).first())
        if order is None:
            raise LunchError(_("No order with that code at this point today."))
        _check_handler(actor, order.offer, point)
        if order.status == Order.Status.PICKED_UP:
            raise LunchError(format_lazy(_("Already handed over at {time}."),
                                         time=f"{timezone.localtime(order.picked_up_at):%H:%M}"))
        if order.status == Order.Status.CANCELLED:
            raise LunchError(_("This order was cancelled."))
        order.status, order.picked_up_at, order.picked_up_by = Order.Status.PICKED_UP, now, actor
        order.save(update_fields=["status", "picked_up_at", "picked_up_by", "updated_at"])
    return order


def mark_uncollected(*, now=None):
    """After a point's window, orders still waiting are marked not collected. Safe to run twice."""
    now = local_now(now)
    marked = 0
    candidates = Order.objects.filter(status=Order.Status.PLACED, offer__date__lte=now.date()).select_related("offer", "point")
    for order in candidates:
        window_end = datetime.combine(order.offer.date, order.point.window_closes, tzinfo=SHANGHAI)
        if window_end > now:
            continue
        updated = Order.objects.filter(pk=order.pk, status=Order.Status.PLACED).update(status=Order.Status.NOT_COLLECTED, updated_at=now)
        marked += updated
    return marked


# ---------------------------------------------------------------------------
# Manifests


def manifest_rows(offer_ids):
    """(point, code, name, meal, quantity, payment, to collect) for the orders of these offers, by point and code."""
    orders = (Order.objects.filter(offer_id__in=offer_ids, status__in=Order.LIVE)
              .select_related("point", "offer__meal", "user").order_by("point__name", "point_id", "pickup_code"))
    return [(o.point.name, o.pickup_code, o.user.display_name or o.user.email.split("@")[0], o.offer.meal.name, o.quantity,
             o.get_payment_display(), yuan(o.self_paid_fen) if o.payment == Order.Payment.AT_PICKUP else "0.00") for o in orders]


def manifest_csv(offer_ids):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["取餐点 pickup point", "取餐码 code", "姓名 name", "套餐 meal", "份数 quantity", "付款 payment", "现场收款 to collect"])
    writer.writerows([safe_cell(cell) if isinstance(cell, str) else cell for cell in row] for row in manifest_rows(offer_ids))
    return out.getvalue()


def send_manifests(*, now=None):
    """At each cut-off, each merchant's staff get the day's manifest: counts per point and a CSV of codes. Safe to run twice."""
    now = now or timezone.now()
    sent = 0
    # order_by(): the model's ordering would add the meal to the DISTINCT and repeat a merchant's day once per meal.
    # Only today's and later days' manifests: after an outage a kitchen has no use for last week's.
    due = (DailyOffer.objects.filter(cutoff_at__lte=now, manifest_sent_at__isnull=True, date__gte=local_now(now).date())
           .order_by("date", "merchant_id").values_list("merchant_id", "date").distinct())
    for merchant_id, day in list(due):
        with transaction.atomic():
            # Wait for (not skip) offers an order is still being placed on, so that order is on the list; a second
            # run waiting here finds manifest_sent_at set once the first commits, and sends nothing.
            offers = list(DailyOffer.objects.select_for_update().filter(
                merchant_id=merchant_id, date=day, cutoff_at__lte=now, manifest_sent_at__isnull=True).order_by("pk"))
            if not offers:
                continue
            ids = [o.pk for o in offers]
            per_point = {}
            for point_name, _code, _name, _meal, quantity, _pay, _due in manifest_rows(ids):
                per_point[point_name] = per_point.get(point_name, 0) + quantity
            summary = "\n".join(f"{name}: {n}" for name, n in sorted(per_point.items())) or str(_("No orders."))
            merchant = Merchant.objects.select_related("organisation").get(pk=merchant_id)
            staff = merchant.organisation.staff_assignments.filter(role=StaffAssignment.Role.MERCHANT_STAFF).select_related("user")
            attachment = (f"manifest-{day:%Y%m%d}-{merchant.pk}.csv", manifest_csv(ids))
            for assignment in staff:
                notify(recipient=assignment.user, kind="lunch.manifest",
                       title=format_lazy(_("Lunch manifest for {date}: {count} meals"), date=f"{day:%Y-%m-%d}", count=sum(per_point.values())),
                       body=summary, url=reverse("lunch:manifest") + f"?date={day:%Y-%m-%d}", attachment=attachment)
            DailyOffer.objects.filter(pk__in=ids).update(manifest_sent_at=now)
            sent += 1
    return sent


# ---------------------------------------------------------------------------
# Merchants' licences, reminders, feedback


def check_licences(*, now=None):
    """Suspend merchants whose licence has expired; warn their staff and the street 30 days before. Safe to run twice."""
    today = local_now(now).date()
    suspended = warned = 0
    for merchant in Merchant.objects.filter(status=Merchant.Status.ACTIVE, licence_expires_on__lt=today).select_related("organisation"):
        Merchant.objects.filter(pk=merchant.pk, status=Merchant.Status.ACTIVE).update(
            status=Merchant.Status.SUSPENDED, status_reason=str(_("Food business licence expired.")), updated_at=timezone.now())
        audit_log(action="lunch.merchant.suspended", target=merchant, data={"licence_expires_on": str(merchant.licence_expires_on)})
        suspended += 1
    warn_days = timedelta(days=settings.LUNCH_LICENCE_WARN_DAYS)
    for merchant in Merchant.objects.filter(status=Merchant.Status.ACTIVE, licence_expires_on__gte=today,
                                            licence_expires_on__lte=today + warn_days).select_related("organisation"):
        # A warning sent before this licence's warning period began was about the licence it replaced.
        sent = merchant.licence_warning_sent_on
        if sent is not None and sent >= merchant.licence_expires_on - warn_days:
            continue
        with transaction.atomic():
            if not Merchant.objects.filter(pk=merchant.pk, licence_warning_sent_on=sent).update(licence_warning_sent_on=today):
                continue  # another run warned first
            people = {a.user for a in StaffAssignment.objects.filter(
                Q(role=StaffAssignment.Role.MERCHANT_STAFF, merchant=merchant.organisation)
                | Q(role=StaffAssignment.Role.STREET_ADMIN, street_id=merchant.organisation.street_id)).select_related("user")}
            for person in people:
                notify(recipient=person, kind="lunch.merchant.licence_expiring",
                       title=format_lazy(_("Food business licence of {merchant} expires on {date}"), merchant=merchant.name,
                                         date=f"{merchant.licence_expires_on:%Y-%m-%d}"),
                       body=_("Renew it in time: on expiry the merchant is suspended and its meals are hidden."))
            warned += 1
    return {"suspended": suspended, "warned": warned}


def remind_low_balances(*, now=None):
    """The evening before a workday: people who usually order and can't pay tomorrow's cheapest meal get a gentle note, once."""
    now = local_now(now)
    tomorrow = now.date() + timedelta(days=1)
    # What anyone pays for tomorrow's cheapest meal after the merchant's discount (a subsidy may lower it further).
    prices = [list_fen - min(discount, list_fen) for list_fen, discount in DailyOffer.objects.filter(
        date=tomorrow, is_open=True, merchant__status=Merchant.Status.ACTIVE).values_list("meal__list_price_fen", "discount_fen")]
    if not prices:  # no offers tomorrow: not a workday for lunch
        return 0
    cheapest = min(prices)
    since = now.date() - timedelta(days=14)
    usual = (Order.objects.filter(offer__date__gte=since, payment=Order.Payment.BALANCE).exclude(status=Order.Status.CANCELLED)
             .values("user").annotate(n=Count("pk")).filter(n__gte=settings.LUNCH_USUAL_ORDERS).values("user"))
    accounts = Account.objects.filter(user__in=usual, low_balance_notices=True, balance_fen__lt=cheapest).exclude(
        low_balance_notice_on=now.date()).select_related("user")
    reminded = 0
    for account in accounts:
        if not Account.objects.filter(pk=account.pk).exclude(low_balance_notice_on=now.date()).update(low_balance_notice_on=now.date()):
            continue
        notify(recipient=account.user, kind="lunch.balance.low",
               title=format_lazy(_("Your lunch balance is ¥{balance}"), balance=yuan(account.balance_fen)),
               body=_("Tomorrow's meals start at a little more than that. You can top up at your station's desk. "
                      "(You can turn these reminders off on My lunch.)"),
               url=reverse("lunch:mine"))
        reminded += 1
    return reminded


def feedback_leave(*, order_id, user, stars, comment=""):
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise LunchError(_("Choose from 1 to 5 stars."))
    order_id = _as_id(order_id)
    if order_id is None or not getattr(user, "is_authenticated", False):
        raise LunchError(_("There is no such order of yours."))
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id, user=user).first()
        if order is None:
            raise LunchError(_("There is no such order of yours."))
        if order.status != Order.Status.PICKED_UP:
            raise LunchError(_("You can rate a meal once you have collected it."))
        try:
            with transaction.atomic():
                return Feedback.objects.create(order=order, stars=stars, comment=str(comment).strip()[:300])
        except IntegrityError:
            raise LunchError(_("You have rated this meal already. Thank you!")) from None
