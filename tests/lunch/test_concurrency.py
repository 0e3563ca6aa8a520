"""Racing lunch orders on PostgreSQL: portions, a balance, the day's subsidy, the month's budget and double submits.

Each guard in `lunch.services` is backed by a constraint in `lunch.models`: a conditional UPDATE each for the person's
balance, the month's budget and the portions (the balance's right after the order is written, the budget's and the
portions' as the order's last statements), and for the person's one subsidised meal a day and their double submits
the order's own unique constraints (an order that meets the person's subsidised order of the day is priced again).
The controls switch the guard off (a check of what was read earlier instead of the conditional statement; the clash
taken as an error instead of pricing again), then the constraint too, and show the race does happen, so we know
these tests can see it: without the guard the constraint alone still holds (the losers fail with its
IntegrityError); without both, more is sold, spent or subsidised than there is.
"""

import time
import uuid
from collections import Counter
from contextlib import contextmanager
from functools import partial

import pytest
from django.db import IntegrityError, connection
from django.db.models import F, Sum
from django.utils import translation

from lunch import services
from lunch.models import Account, DailyOffer, LedgerEntry, OfferPoint, Order, SubsidySpend
from lunch.services import LunchError
from tests.concurrency import run_concurrently, slow_down
from tests.factories import StreetFactory, UserFactory
from tests.lunch.factories import balance_of, desk_staff, ledger_sum, merchant, morning, offer, office_worker, point, policy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PEOPLE = 100
PORTIONS = 30
CHECK_TO_WRITE_SECONDS = 0.05  # see slow_order_write
CONNECTIONS_WAIT_SECONDS = 300


def english(message):
    with translation.override("en"):
        return str(message)


def report(name, outcome, **figures):
    """One line per run, shown with `pytest -s`: what the threads did and how long it took."""
    messages = Counter(english(e.message)[:40] for e in outcome.refusals)
    errors = Counter(f"{type(e).__name__}: {_constraint_of(e)}" for e in outcome.errors)
    extra = "; ".join(f"{k} {v}" for k, v in figures.items())
    print(f"\n{name}: {len(outcome)} threads in {outcome.seconds:.2f}s; placed {len(outcome.results)}; "
          f"refusals {len(outcome.refusals)} {dict(messages)}; errors {dict(errors)}; {extra}")


def _constraint_of(error):
    cause = getattr(error, "__cause__", None)
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", None) or str(error).split("\n")[0][:60]


def violated(outcome, constraint):
    """The errors that are the named constraint saying no."""
    return [e for e in outcome.errors if isinstance(e, IntegrityError) and _constraint_of(e) == constraint]


@pytest.fixture
def slow_order_write(monkeypatch):
    """Widen the window a missing lock would let through: pause between the checks and writing the order."""
    slow_down(monkeypatch, Order.objects, "create", CHECK_TO_WRITE_SECONDS)


@contextmanager
def constraint_dropped(model, name, *, repair):
    """Run without one of `model`'s constraints; afterwards `repair()` the rows it would refuse and put it back."""
    (constraint,) = [c for c in model._meta.constraints if c.name == name]
    with connection.schema_editor() as editor:
        editor.remove_constraint(model, constraint)
    try:
        yield
    finally:
        repair()
        with connection.schema_editor() as editor:
            editor.add_constraint(model, constraint)


def run(calls, **kwargs):
    """The calls in threads, once PostgreSQL has a connection free for each (the default max_connections is 100).

    The test's own connection is idle while the threads run, so it is closed: 100 threads then fit in 100 connections.
    On a server other test runs share, wait a while for them to finish rather than fail half the threads.
    """
    deadline = time.monotonic() + CONNECTIONS_WAIT_SECONDS
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('max_connections')::int + 1 - "
                           "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')")
            (free,) = cursor.fetchone()
        if free >= len(calls) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert free >= len(calls), f"PostgreSQL has {free} connections free, {len(calls)} threads need one each"
    connection.close()
    return run_concurrently(calls, refusals=LunchError, **kwargs)


def paying_people(count, street, balance_fen):
    """People who are not eligible for a subsidy (no verified workplace), each with a balance."""
    desk = desk_staff(street)
    people = UserFactory.create_batch(count)
    for person in people:
        services.top_up(user=person, amount_fen=balance_fen, actor=desk)
    return people


def orders_for(made, people, **kwargs):
    at = made.points.get()
    return [partial(services.order_place, user=p, offer_id=made.pk, point_id=at.pk, now=morning(made), **kwargs) for p in people]


def orders_of_each(people, meals, at):
    """Each person orders their own meal."""
    return [partial(services.order_place, user=p, offer_id=m.pk, point_id=at.pk, now=morning(m)) for p, m in zip(people, meals, strict=True)]


def assert_every_ledger_adds_up(people):
    for person in people:
        assert balance_of(person) == ledger_sum(person) >= 0


@pytest.fixture
def street():
    return StreetFactory()


@pytest.fixture
def lunch_point(street):
    return point(street=street)


@pytest.fixture
def seller(street):
    return merchant(street=street)


# ---------------------------------------------------------------------------
# Portions


@pytest.mark.parametrize("window", ["as-is", "widened"])
def test_a_hundred_orders_for_thirty_portions_place_exactly_thirty(request, street, seller, lunch_point, window):
    if window == "widened":
        request.getfixturevalue("slow_order_write")  # the same window the controls show the race in
    made = offer(seller=seller, points=[lunch_point], quota=PORTIONS)
    people = paying_people(PEOPLE, street, 5000)

    outcome = run(orders_for(made, people))
    made.refresh_from_db()
    report(f"{PEOPLE} orders for {PORTIONS} portions, window {window}", outcome, sold=made.sold)

    assert outcome.errors == []
    assert len(outcome.results) == PORTIONS
    assert len(outcome.refusals) == PEOPLE - PORTIONS
    assert {english(e.message) for e in outcome.refusals} == {"Sold out. Please choose another meal."}
    assert made.sold == PORTIONS == Order.objects.filter(offer=made, status=Order.Status.PLACED).count()
    assert OfferPoint.objects.get(offer=made).sold == PORTIONS
    assert len({o.pickup_code for o in outcome.results}) == PORTIONS
    assert_every_ledger_adds_up(people)
    assert sorted(balance_of(p) for p in people) == [2500] * PORTIONS + [5000] * (PEOPLE - PORTIONS)


def test_group_orders_racing_never_pass_the_quota_and_are_told_how_many_are_left(street, seller, lunch_point):
    made = offer(seller=seller, points=[lunch_point], quota=PORTIONS)
    people = paying_people(40, street, 20_000)
    calls = [partial(services.order_place, user=p, offer_id=made.pk, point_id=lunch_point.pk, quantity=1 + i % 5, now=morning(made))
             for i, p in enumerate(people)]

    outcome = run(calls)
    made.refresh_from_db()
    report("40 group orders of 1-5 for 30 portions", outcome, sold=made.sold)

    assert outcome.errors == []
    assert made.sold == sum(o.quantity for o in outcome.results) <= PORTIONS
    assert all(english(e.message).startswith(("Sold out", "Only ")) for e in outcome.refusals)
    # Portions only ever got scarcer, so each refused group is still larger than what is left.
    refused_sizes = [1 + i % 5 for i, o in enumerate(outcome) if o.exception is not None]
    assert refused_sizes and PORTIONS - made.sold < min(refused_sizes)
    assert_every_ledger_adds_up(people)


# ---------------------------------------------------------------------------
# One person's balance, subsidy and double submits


def fifteen_yuan_offers(seller, at, count):
    """Different meals, so the portion rows don't line the orders up: the balance's conditional UPDATE must."""
    return [offer(seller=seller, points=[at], price_fen=1500, discount_fen=0) for _ in range(count)]


def test_twenty_fifteen_yuan_orders_against_thirty_yuan_place_two(street, seller, lunch_point):
    (person,) = paying_people(1, street, 3000)
    meals = fifteen_yuan_offers(seller, lunch_point, 20)
    calls = [partial(services.order_place, user=person, offer_id=m.pk, point_id=lunch_point.pk, now=morning(m)) for m in meals]

    outcome = run(calls)
    report("20 × ¥15 against ¥30", outcome, balance=balance_of(person), ledger=ledger_sum(person))

    assert outcome.errors == []
    assert len(outcome.results) == 2
    assert len(outcome.refusals) == 18
    assert {english(e.message) for e in outcome.refusals} == {
        "Your balance is ¥0.00; this order needs ¥15.00. Top up at your station's desk first."}
    assert balance_of(person) == 0 == ledger_sum(person)
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ORDER).count() == 2


@pytest.mark.parametrize("window", ["as-is", "widened"])
def test_ten_orders_by_one_eligible_person_at_once_take_one_subsidy(request, street, seller, lunch_point, window):
    """All ten are priced with the subsidy before any is written; the first written keeps it, and each of the others meets
    it at `order_one_subsidy_per_day` and is priced again, without it."""
    if window == "widened":
        request.getfixturevalue("slow_order_write")  # the same window the controls show the race in
    policy(street=street, subsidy_fen=1000)
    person = office_worker(street=street, balance_fen=50_000)
    meals = [offer(seller=seller, points=[lunch_point]) for _ in range(10)]
    calls = [partial(services.order_place, user=person, offer_id=m.pk, point_id=lunch_point.pk, now=morning(m)) for m in meals]

    outcome = run(calls)
    subsidised = [o for o in outcome.results if o.subsidy_fen]
    report(f"10 orders, one person, one day, window {window}", outcome, subsidised=len(subsidised))

    assert outcome.errors == [] and outcome.refusals == []
    assert len(outcome.results) == 10
    assert len(subsidised) == 1
    assert Order.objects.filter(user=person, subsidised_on__isnull=False).count() == 1
    assert SubsidySpend.objects.values_list("spent_fen", "meals").get() == (1000, 1)
    assert balance_of(person) == ledger_sum(person) == 50_000 - 1500 - 9 * 2500


def test_ten_orders_paid_at_pickup_by_one_eligible_person_at_once_take_one_subsidy(street, lunch_point, slow_order_write):
    """Paid at pickup, the orders touch no account row at all: only the order's unique constraint lines them up."""
    policy(street=street, subsidy_fen=1000)
    cash = merchant(street=street, name="澳门陈光记", allows_pay_at_pickup=True)
    person = office_worker(street=street)
    meals = [offer(seller=cash, points=[lunch_point]) for _ in range(10)]
    calls = [partial(services.order_place, user=person, offer_id=m.pk, point_id=lunch_point.pk, payment=Order.Payment.AT_PICKUP,
                     now=morning(m)) for m in meals]

    outcome = run(calls)
    subsidised = [o for o in outcome.results if o.subsidy_fen]
    report("10 orders paid at pickup, one person, one day", outcome, subsidised=len(subsidised))

    assert outcome.errors == [] and outcome.refusals == []
    assert len(outcome.results) == 10
    assert len(subsidised) == 1
    assert Order.objects.filter(user=person, subsidised_on__isnull=False).count() == 1
    assert sorted(o.self_paid_fen for o in outcome.results) == [1500] + [2500] * 9
    assert SubsidySpend.objects.values_list("spent_fen", "meals").get() == (1000, 1)
    assert not Account.objects.filter(user=person).exists() and not LedgerEntry.objects.exists()


def test_a_double_submit_five_times_at_once_places_one_order(street, seller, lunch_point):
    made = offer(seller=seller, points=[lunch_point])
    (person,) = paying_people(1, street, 10_000)
    key = uuid.uuid4()

    outcome = run([partial(services.order_place, user=person, offer_id=made.pk, point_id=lunch_point.pk, key=key, now=morning(made))] * 5)
    report("same form key × 5", outcome, orders=Order.objects.count())

    assert outcome.errors == [] and outcome.refusals == []
    assert len({o.pk for o in outcome.results}) == 1
    assert Order.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ORDER).count() == 1
    made.refresh_from_db()
    assert made.sold == 1
    assert balance_of(person) == ledger_sum(person) == 10_000 - 2500


# ---------------------------------------------------------------------------
# The month's budget


def test_twenty_eligible_people_racing_for_a_budget_of_five_subsidies_get_five(street, seller, lunch_point):
    funded = policy(street=street, subsidy_fen=1000, budget_fen=5000)
    people = [office_worker(street=street, balance_fen=5000) for _ in range(20)]
    meals = [offer(seller=seller, points=[lunch_point]) for _ in people]  # one offer each: only the budget row is shared
    calls = orders_of_each(people, meals, lunch_point)

    outcome = run(calls)
    spend = SubsidySpend.objects.get(policy=funded)
    report("20 eligible people, budget for 5", outcome, spent=spend.spent_fen, meals=spend.meals)

    assert outcome.errors == [] and outcome.refusals == []
    assert len(outcome.results) == 20
    assert sum(1 for o in outcome.results if o.subsidy_fen) == 5
    assert spend.spent_fen == Order.objects.aggregate(s=Sum("subsidy_fen"))["s"] == 5000 == spend.budget_fen
    assert spend.meals == 5
    assert_every_ledger_adds_up(people)


# ---------------------------------------------------------------------------
# Cancelling while others order


def test_cancellations_and_orders_racing_hand_every_portion_on_once(street, seller, lunch_point):
    made = offer(seller=seller, points=[lunch_point], quota=10)
    holders = paying_people(10, street, 5000)
    for call in orders_for(made, holders):
        call()
    newcomers = paying_people(20, street, 5000)
    calls = [partial(services.order_cancel, order_id=o.pk, user=o.user, now=morning(made)) for o in Order.objects.filter(offer=made)]
    calls += orders_for(made, newcomers)

    outcome = run(calls)
    made.refresh_from_db()
    report("10 cancel + 20 order, 10 portions", outcome, sold=made.sold)

    assert outcome.errors == []
    live = Order.objects.filter(offer=made, status=Order.Status.PLACED).count()
    assert made.sold == live == OfferPoint.objects.get(offer=made).sold <= 10
    assert Order.objects.filter(offer=made, status=Order.Status.CANCELLED).count() == 10
    assert_every_ledger_adds_up(holders + newcomers)


# ---------------------------------------------------------------------------
# The controls: without the lock the constraint holds; without both, the race oversells


@pytest.fixture
def no_portion_locks(monkeypatch, slow_order_write):
    """order_place as it would be if it judged the portions by the offer it read at the start (the window widened)
    instead of in the conditional UPDATE that holds the offer's row lock while it checks and counts."""

    def count_what_was_read(offer, offer_point, quantity):
        if offer.sold + quantity > offer.quota:
            return False
        DailyOffer.objects.filter(pk=offer.pk).update(sold=F("sold") + quantity)
        OfferPoint.objects.filter(pk=offer_point.pk).update(sold=F("sold") + quantity)
        return True

    monkeypatch.setattr(services, "_take_portions", count_what_was_read)


def test_control_without_the_portion_locks_the_constraint_alone_stops_the_oversell(street, seller, lunch_point, no_portion_locks):
    made = offer(seller=seller, points=[lunch_point], quota=PORTIONS)
    people = paying_people(PEOPLE, street, 5000)

    outcome = run(orders_for(made, people))
    made.refresh_from_db()
    stopped = violated(outcome, "offer_not_oversold")
    report("control, no portion locks", outcome, sold=made.sold, stopped_by_constraint=len(stopped))

    assert stopped, "the race did not show: every order saw the portions it needed"
    assert len(stopped) == len(outcome.errors)  # nothing else went wrong
    assert made.sold == len(outcome.results) == Order.objects.filter(offer=made).count() <= PORTIONS
    assert_every_ledger_adds_up(people)  # the losers' debits rolled back with their orders


def test_control_without_the_portion_locks_and_the_constraint_more_than_thirty_are_sold(street, seller, lunch_point, no_portion_locks):
    made = offer(seller=seller, points=[lunch_point], quota=PORTIONS)
    people = paying_people(PEOPLE, street, 5000)

    def repair():
        DailyOffer.objects.filter(sold__gt=F("quota")).update(sold=F("quota"))

    with constraint_dropped(DailyOffer, "offer_not_oversold", repair=repair):
        outcome = run(orders_for(made, people))
        made.refresh_from_db()
        report("control, no portion locks, no constraint", outcome, sold=made.sold)
        assert made.sold > PORTIONS, "the race did not show: this test could not see a missing lock"
        assert Order.objects.filter(offer=made).count() == made.sold == len(outcome.results)


@pytest.fixture
def no_balance_guard(monkeypatch):
    """order_place as it would be if it judged the balance by the account it read first (the window widened) instead of
    in the conditional UPDATE that holds the account row's lock while it checks and takes."""

    def take_what_was_read(user, fen):
        account = Account.objects.get(user=user)
        if account.balance_fen < fen:
            raise LunchError("Your balance is too low.")
        time.sleep(CHECK_TO_WRITE_SECONDS)
        Account.objects.filter(pk=account.pk).update(balance_fen=F("balance_fen") - fen)
        return account.pk

    monkeypatch.setattr(services, "_take_balance", take_what_was_read)


def test_control_without_the_balance_guard_the_constraint_alone_keeps_the_balance(street, seller, lunch_point, no_balance_guard):
    (person,) = paying_people(1, street, 3000)
    meals = fifteen_yuan_offers(seller, lunch_point, 20)
    calls = [partial(services.order_place, user=person, offer_id=m.pk, point_id=lunch_point.pk, now=morning(m)) for m in meals]

    outcome = run(calls)
    stopped = violated(outcome, "account_never_negative")
    report("control, no balance guard: 20 × ¥15 against ¥30", outcome, balance=balance_of(person), stopped_by_constraint=len(stopped))

    assert stopped, "the race did not show: every order saw the balance it left"
    assert len(stopped) == len(outcome.errors)
    assert len(outcome.results) == 2
    assert balance_of(person) == ledger_sum(person) == 0


def test_control_without_the_balance_guard_and_the_constraint_the_balance_goes_negative(street, seller, lunch_point, no_balance_guard):
    (person,) = paying_people(1, street, 3000)
    meals = fifteen_yuan_offers(seller, lunch_point, 20)
    calls = [partial(services.order_place, user=person, offer_id=m.pk, point_id=lunch_point.pk, now=morning(m)) for m in meals]

    def repair():
        Account.objects.filter(balance_fen__lt=0).update(balance_fen=0)

    with constraint_dropped(Account, "account_never_negative", repair=repair):
        outcome = run(calls)
        balance = balance_of(person)
        report("control, no balance guard, no constraint", outcome, balance=balance, ledger=ledger_sum(person))
        assert len(outcome.results) > 2, "the race did not show: this test could not see a missing guard"
        assert balance < 0
        assert balance == ledger_sum(person) == 3000 - 1500 * len(outcome.results)  # F(): no update is lost, only the check


@pytest.fixture
def no_budget_guard(monkeypatch):
    """order_place as it would be if it charged the budget by the month row it read first (the window widened)
    instead of in the conditional UPDATE that holds the row's lock while it checks and spends."""

    def charge_what_was_read(policy, day, fen):
        spend, _ = SubsidySpend.objects.get_or_create(policy=policy, month=services.month_start(day),
                                                      defaults={"budget_fen": policy.monthly_budget_fen})
        if spend.spent_fen + fen > spend.budget_fen:
            return False
        time.sleep(CHECK_TO_WRITE_SECONDS)
        SubsidySpend.objects.filter(pk=spend.pk).update(spent_fen=F("spent_fen") + fen, meals=F("meals") + 1)
        return True

    monkeypatch.setattr(services, "charge_budget", charge_what_was_read)


def test_control_without_the_budget_guard_the_constraint_alone_keeps_the_budget(street, seller, lunch_point, no_budget_guard):
    funded = policy(street=street, subsidy_fen=1000, budget_fen=5000)
    people = [office_worker(street=street, balance_fen=5000) for _ in range(20)]
    meals = [offer(seller=seller, points=[lunch_point]) for _ in people]
    SubsidySpend.objects.create(policy=funded, month=meals[0].date.replace(day=1), budget_fen=5000)
    calls = orders_of_each(people, meals, lunch_point)

    outcome = run(calls)
    spend = SubsidySpend.objects.get(policy=funded)
    stopped = violated(outcome, "spend_within_budget")
    report("control, no budget guard", outcome, spent=spend.spent_fen, stopped_by_constraint=len(stopped))

    assert stopped, "the race did not show: every order saw the budget it left"
    assert len(stopped) == len(outcome.errors)
    assert spend.spent_fen == Order.objects.aggregate(s=Sum("subsidy_fen"))["s"] <= 5000


@pytest.fixture
def no_repricing(monkeypatch, slow_order_write):
    """order_place as it would be if it took an order's clash with the person's subsidised order of the day as an error
    instead of pricing the order again (the window between the price and the order widened)."""
    monkeypatch.setattr(services, "_subsidy_taken_meanwhile", lambda exc: False)


def ten_orders_of_one_eligible_person(street, seller, lunch_point):
    policy(street=street, subsidy_fen=1000)
    person = office_worker(street=street, balance_fen=50_000)
    meals = [offer(seller=seller, points=[lunch_point]) for _ in range(10)]
    return person, [partial(services.order_place, user=person, offer_id=m.pk, point_id=lunch_point.pk, now=morning(m)) for m in meals]


def test_control_without_the_repricing_the_unique_constraint_alone_keeps_one_subsidy_a_day(street, seller, lunch_point, no_repricing):
    person, calls = ten_orders_of_one_eligible_person(street, seller, lunch_point)

    outcome = run(calls)
    stopped = violated(outcome, "order_one_subsidy_per_day")
    report("control, no repricing: 10 orders, one person, one day", outcome, stopped_by_constraint=len(stopped))

    assert stopped, "the race did not show: every order saw the subsidy already taken"
    assert len(stopped) == len(outcome.errors)
    assert Order.objects.filter(user=person, subsidised_on__isnull=False).count() == 1
    assert Order.objects.filter(user=person).count() == len(outcome.results) == 10 - len(stopped)
    assert balance_of(person) == ledger_sum(person)  # the losers' debits rolled back with their orders


def test_control_without_the_repricing_and_the_constraint_more_than_one_meal_a_day_is_subsidised(street, seller, lunch_point,
                                                                                                  no_repricing):
    person, calls = ten_orders_of_one_eligible_person(street, seller, lunch_point)

    def repair():
        extra = Order.objects.filter(subsidised_on__isnull=False).order_by("pk").values_list("pk", flat=True)[1:]
        Order.objects.filter(pk__in=list(extra)).update(subsidised_on=None)

    with constraint_dropped(Order, "order_one_subsidy_per_day", repair=repair):
        outcome = run(calls)
        subsidised = Order.objects.filter(user=person, subsidised_on__isnull=False).count()
        report("control, no repricing, no constraint", outcome, subsidised=subsidised)
        assert subsidised > 1, "the race did not show: this test could not see a missing guard"
        assert outcome.errors == [] and len(outcome.results) == 10
