"""Property tests of lunch prices: whatever the list price, quantity, discount and subsidy, the street's sum adds up.

list price × quantity = merchant discount + subsidy + self-paid, self-paid ≥ 0, the subsidy covers at most one meal's
remainder after the discount. First for `split_price` alone (thousands of cases, no database), then for orders placed
through `order_place` (the database's constraints `order_price_adds_up` and the ledger see every one).
"""

import re

from django.conf import settings
from django.db.models import Sum
from django.utils import translation
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from lunch import services
from lunch.models import Account, LedgerEntry, Merchant, Order, yuan
from tests.lunch.factories import desk_staff, merchant, morning, offer, office_worker, point, policy

MAX_LIST_FEN = 100_000  # ¥1,000 a meal: the model's validator
MAX_SUBSIDY_FEN = 20_000

list_prices = st.integers(min_value=1, max_value=MAX_LIST_FEN)
quantities = st.integers(min_value=1, max_value=settings.LUNCH_MAX_QUANTITY)
subsidies = st.integers(min_value=0, max_value=MAX_SUBSIDY_FEN)


@st.composite
def prices(draw):
    """(list price per meal, quantity, discount per meal ≤ list price, subsidy per meal)."""
    list_fen = draw(list_prices)
    return list_fen, draw(quantities), draw(st.integers(min_value=0, max_value=list_fen)), draw(subsidies)


def assert_adds_up(list_fen, quantity, discount_per_meal, subsidy_per_meal, discount, subsidy, self_paid):
    total = list_fen * quantity
    assert discount + subsidy + self_paid == total
    assert discount + subsidy <= total
    assert self_paid >= 0 and discount >= 0 and subsidy >= 0
    assert discount == discount_per_meal * quantity  # every meal discounted
    assert subsidy <= list_fen - discount_per_meal  # one meal's remainder at most
    assert subsidy <= subsidy_per_meal
    # The subsidy takes all it may: the policy's amount, or the whole of one meal's remainder.
    assert subsidy == min(subsidy_per_meal, list_fen - discount_per_meal)
    assert all(isinstance(n, int) for n in (discount, subsidy, self_paid))  # fen, never floats


@given(prices())
@example((1, 1, 0, 0))
@example((1, 1, 1, MAX_SUBSIDY_FEN))
@example((MAX_LIST_FEN, settings.LUNCH_MAX_QUANTITY, 0, MAX_SUBSIDY_FEN))
@example((2800, 1, 300, 1000))
def test_split_price_never_gives_more_than_the_meal_costs(case):
    list_fen, quantity, discount_per_meal, subsidy_per_meal = case
    discount, subsidy = services.split_price(list_fen=list_fen, quantity=quantity, discount_per_meal_fen=discount_per_meal,
                                             subsidy_per_meal_fen=subsidy_per_meal)
    assert_adds_up(list_fen, quantity, discount_per_meal, subsidy_per_meal, discount, subsidy, list_fen * quantity - discount - subsidy)


@given(list_prices, quantities, st.integers(min_value=0, max_value=3 * MAX_LIST_FEN), subsidies)
def test_a_discount_above_the_list_price_is_capped_at_the_price(list_fen, quantity, discount_per_meal, subsidy_per_meal):
    discount, subsidy = services.split_price(list_fen=list_fen, quantity=quantity, discount_per_meal_fen=discount_per_meal,
                                             subsidy_per_meal_fen=subsidy_per_meal)
    assert discount <= list_fen * quantity
    assert list_fen * quantity - discount - subsidy >= 0


def _fen(text):
    whole, cents = text.split(".")
    return int(whole) * 100 + int(cents) if not whole.startswith("-") else -(int(whole[1:]) * 100 + int(cents))


@given(prices())
def test_the_breakdown_people_read_adds_up_too(case):
    list_fen, quantity, discount_per_meal, subsidy_per_meal = case
    discount, subsidy = services.split_price(list_fen=list_fen, quantity=quantity, discount_per_meal_fen=discount_per_meal,
                                             subsidy_per_meal_fen=subsidy_per_meal)
    price = services.Price(list_fen, quantity, discount, subsidy)
    with translation.override("en"):
        text = str(price.breakdown())
    total, minus_discount, minus_subsidy, paid = (_fen(n) for n in re.findall(r"-?\d+\.\d\d", text))
    assert (total, minus_discount, minus_subsidy, paid) == (list_fen * quantity, discount, subsidy, price.self_paid_fen)
    assert total - minus_discount - minus_subsidy == paid >= 0


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_yuan_shows_every_fen(fen):
    assert _fen(yuan(fen)) == fen


class TestOrdersPlacedThroughTheService(TestCase):
    """Each example builds its own street, merchant, offer and policy, places one order and rolls back."""

    @hypothesis_settings(max_examples=30, deadline=None)
    @given(prices(), st.sampled_from(Order.Payment.values), st.integers(min_value=0, max_value=2))
    @example((2800, 1, 300, 1000), Order.Payment.BALANCE, 0)
    @example((MAX_LIST_FEN, settings.LUNCH_MAX_QUANTITY, 0, MAX_SUBSIDY_FEN), Order.Payment.BALANCE, 0)
    @example((1500, 2, 1500, 1000), Order.Payment.BALANCE, 0)  # free after the discount: nothing to subsidise or pay
    @example((2800, 3, 300, 1000), Order.Payment.AT_PICKUP, 2)  # the day's subsidy already used by earlier orders
    def test_every_order_adds_up_and_so_does_the_ledger(self, case, payment, earlier_orders):
        list_fen, quantity, discount_per_meal, subsidy_per_meal = case
        seller = merchant(allows_pay_at_pickup=True)
        street = seller.organisation.street
        at = point(street=street)
        made = offer(seller=seller, points=[at], quota=50, price_fen=list_fen, discount_fen=discount_per_meal)
        policy(street=street, subsidy_fen=subsidy_per_meal)
        person = office_worker(street=street)
        desk = desk_staff(street)
        needed = list_fen * quantity * (earlier_orders + 1)
        while needed > 0:  # top-ups come ¥1,000 at most at a time
            services.top_up(user=person, amount_fen=min(needed, settings.LUNCH_MAX_TOP_UP_FEN), actor=desk)
            needed -= settings.LUNCH_MAX_TOP_UP_FEN
        for _ in range(earlier_orders):
            services.order_place(user=person, offer_id=made.pk, point_id=at.pk, quantity=quantity, now=morning(made))

        placed = services.order_place(user=person, offer_id=made.pk, point_id=at.pk, quantity=quantity, payment=payment, now=morning(made))

        placed.refresh_from_db()
        assert_adds_up(list_fen, quantity, discount_per_meal, subsidy_per_meal if not earlier_orders else 0,
                       placed.discount_fen, placed.subsidy_fen, placed.self_paid_fen)
        assert placed.list_price_fen == list_fen and placed.quantity == quantity
        assert (placed.subsidy_fen > 0) == (placed.subsidised_on is not None) == (placed.policy_id is not None)
        # The person's orders that day took at most one subsidy between them.
        assert Order.objects.filter(user=person, subsidy_fen__gt=0).count() <= 1
        account = Account.objects.get(user=person)
        assert account.balance_fen >= 0
        assert account.balance_fen == LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount_fen"))["s"]
        paid_from_balance = -(LedgerEntry.objects.filter(order=placed).aggregate(s=Sum("amount_fen"))["s"] or 0)
        assert paid_from_balance == (placed.self_paid_fen if payment == Order.Payment.BALANCE else 0)
        made.refresh_from_db()
        assert made.sold == quantity * (earlier_orders + 1) <= made.quota
        assert Merchant.objects.count() == 1  # the example's rows were rolled back after the previous one
