"""The rules of white-collar lunch, one service at a time: prices, eligibility, the scarce things, handover, beat's jobs.

Times are passed as `now=` in UTC, the way the server's clock gives them; the rules are judged in Shanghai time.
The assertions read the rule messages' English wording; the Chinese comes from the same msgids. After every flow
that moves money the person's balance equals the sum of their ledger.
"""

import csv
import dataclasses
import io
import uuid
from datetime import UTC, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone, translation

from lunch import services
from lunch.models import Account, DailyOffer, Feedback, LedgerEntry, Merchant, OfferPoint, Order, SubsidyPolicy, SubsidySpend
from lunch.services import LunchError
from portal.models import AuditEntry, Notification, Organisation, StaffAssignment
from stations.hours import local_now
from tests.factories import (
    BuildingFactory,
    MembershipFactory,
    NeighbourhoodFactory,
    OrganisationFactory,
    StreetFactory,
    UserFactory,
    make_staff,
)
from tests.lunch.factories import (
    balance_of,
    desk_staff,
    elderly_resident,
    ledger_sum,
    merchant,
    merchant_staff,
    morning,
    offer,
    office_worker,
    order,
    point,
    policy,
    shanghai,
    top_up,
)

pytestmark = pytest.mark.django_db

S, P = Order.Status, Order.Payment


@pytest.fixture(autouse=True)
def _read_messages_in_english():
    with translation.override("en"):
        yield


def refused(call, *words):
    """Run `call`, expect a LunchError whose English message has every one of `words`; returns the message."""
    with pytest.raises(LunchError) as caught:
        call()
    message = str(caught.value.message)
    for word in words:
        assert word in message, message
    return message


def assert_ledger_adds_up(*people):
    for person in people:
        assert balance_of(person) == ledger_sum(person), person


def utc(day, hour, minute=0, second=0):
    return shanghai(day, hour, minute, second).astimezone(UTC)


@pytest.fixture
def street():
    return StreetFactory(name="长寿路街道")


@pytest.fixture
def seller(street):
    return merchant(street=street)


@pytest.fixture
def lunch_point(street):
    return point(street=street)


@pytest.fixture
def today_offer(seller, lunch_point):
    """¥28.00 with ¥3.00 off, 30 portions, ordered until 10:30 (tomorrow, so the cut-off lies ahead of the real clock)."""
    return offer(seller=seller, points=[lunch_point])


@pytest.fixture
def subsidy(street):
    return policy(street=street, subsidy_fen=1000)


@pytest.fixture
def worker(street, subsidy):
    """An eligible office worker with ¥100.00 on the balance."""
    return office_worker(street=street, balance_fen=10_000, language="en")


def snapshot(*people, offers=()):
    """Everything an order may change: orders, ledger, balances, portions, subsidy spend."""
    return (
        Order.objects.count(), LedgerEntry.objects.count(), [balance_of(p) for p in people],
        [DailyOffer.objects.get(pk=o.pk).sold for o in offers], [op.sold for op in OfferPoint.objects.order_by("pk")],
        list(SubsidySpend.objects.values_list("spent_fen", "meals")),
    )


# ---------------------------------------------------------------------------
# Prices


def test_split_price_discounts_every_meal_and_subsidises_one():
    assert services.split_price(list_fen=2800, quantity=1, discount_per_meal_fen=300, subsidy_per_meal_fen=1000) == (300, 1000)
    assert services.split_price(list_fen=2800, quantity=3, discount_per_meal_fen=300, subsidy_per_meal_fen=1000) == (900, 1000)
    # Neither makes a meal cost less than nothing.
    assert services.split_price(list_fen=800, quantity=2, discount_per_meal_fen=1000, subsidy_per_meal_fen=1000) == (1600, 0)
    assert services.split_price(list_fen=1500, quantity=2, discount_per_meal_fen=700, subsidy_per_meal_fen=1000) == (1400, 800)


def test_the_price_is_explained_the_way_the_street_does(worker, today_offer, lunch_point):
    price = services.quote(user=worker, offer=today_offer, point=lunch_point)
    assert (price.total_fen, price.discount_fen, price.subsidy_fen, price.self_paid_fen) == (2800, 300, 1000, 1500)
    assert str(price.breakdown()) == "List price 28.00 − merchant discount 3.00 − subsidy 10.00 = you pay 15.00"


def test_an_order_freezes_its_price_and_pays_the_rest_from_the_balance(worker, today_offer, subsidy):
    placed = order(worker, today_offer, quantity=2)

    assert (placed.list_price_fen, placed.quantity, placed.discount_fen, placed.subsidy_fen, placed.self_paid_fen) == (2800, 2, 600, 1000, 4000)
    assert placed.list_price_fen * placed.quantity == placed.discount_fen + placed.subsidy_fen + placed.self_paid_fen
    assert placed.policy == subsidy and placed.subsidised_on == today_offer.date
    assert placed.status == S.PLACED and len(placed.pickup_code) == 6 and placed.pickup_code.isdigit()
    assert balance_of(worker) == 10_000 - 4000
    (debit,) = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ORDER)
    assert (debit.order, debit.amount_fen) == (placed, -4000)
    assert_ledger_adds_up(worker)
    today_offer.refresh_from_db()
    assert today_offer.sold == 2 and OfferPoint.objects.get(offer=today_offer).sold == 2
    assert SubsidySpend.objects.get().spent_fen == 1000
    # Changing the menu price later does not change what was ordered.
    today_offer.meal.list_price_fen = 3500
    today_offer.meal.save()
    placed.refresh_from_db()
    assert placed.list_price_fen == 2800 and placed.self_paid_fen == 4000
    assert AuditEntry.objects.filter(action="lunch.order.placed", actor=worker).count() == 1


def test_the_confirmation_is_a_notification_with_the_code_and_the_breakdown(worker, today_offer, lunch_point):
    placed = order(worker, today_offer)
    (note,) = Notification.objects.filter(recipient=worker, kind="lunch.order.placed")
    assert placed.pickup_code in note.title and today_offer.meal.name in note.title
    assert "11:30–13:00" in note.body and lunch_point.name in note.body
    assert "List price 28.00 − merchant discount 3.00 − subsidy 10.00 = you pay 15.00" in note.body
    assert note.url == f"/me/lunch/orders/{placed.pk}/"


# ---------------------------------------------------------------------------
# Who gets the subsidy


def test_a_verified_office_worker_of_the_streets_enterprise_is_subsidised(worker, today_offer, lunch_point, subsidy):
    assert services.policies_for(worker, lunch_point, today_offer.date) == [subsidy]
    price = services.quote(user=worker, offer=today_offer, point=lunch_point)
    assert price.subsidy_fen == 1000 and price.policy == subsidy and price.no_subsidy_reason == ""


def _no_subsidy(person, made, at):
    price = services.quote(user=person, offer=made, point=at)
    assert price.subsidy_fen == 0 and price.policy is None
    assert price.self_paid_fen == 2500  # the merchant's discount still applies
    return str(price.no_subsidy_reason)


def test_unverified_other_street_and_plain_residents_pay_the_unsubsidised_price_and_are_told_why(street, today_offer, lunch_point, subsidy):
    unverified = office_worker(street=street, verified=False)
    elsewhere = office_worker(street=StreetFactory())
    resident = elderly_resident(street=street)  # a resident, but this street has no elderly policy
    closed_down = office_worker(street=street)
    Organisation.objects.filter(memberships__user=closed_down).update(is_active=False)
    for person in (unverified, elsewhere, resident, closed_down):
        assert "verified office workers" in _no_subsidy(person, today_offer, lunch_point)
    # And the order goes through at that price.
    top_up(unverified, 5000, street=street)
    placed = order(unverified, today_offer)
    assert (placed.subsidy_fen, placed.self_paid_fen, placed.policy, placed.subsidised_on) == (0, 2500, None, None)
    assert_ledger_adds_up(unverified)


def test_an_enterprise_registered_in_another_street_but_housed_in_this_streets_building_counts(street, today_offer, lunch_point, subsidy):
    person = UserFactory()
    enterprise = OrganisationFactory(kind=Organisation.Kind.ENTERPRISE, street=StreetFactory(), building=BuildingFactory(street=street))
    MembershipFactory(user=person, organisation=enterprise, verified=True)
    assert services.quote(user=person, offer=today_offer, point=lunch_point).subsidy_fen == 1000


def test_a_member_of_a_party_organisation_is_not_an_office_worker(street, today_offer, lunch_point, subsidy):
    person = UserFactory()
    MembershipFactory(user=person, organisation=OrganisationFactory(kind=Organisation.Kind.PARTY, street=street), verified=True)
    assert "verified office workers" in _no_subsidy(person, today_offer, lunch_point)


def test_the_elderly_policy_covers_verified_residents_of_its_listed_neighbourhoods(street, today_offer, lunch_point):
    listed, other = NeighbourhoodFactory(street=street), NeighbourhoodFactory(street=street)
    elderly = policy(street=street, subsidy_fen=1200, audience=SubsidyPolicy.Audience.ELDERLY)
    elderly.neighbourhoods.add(listed)

    resident = elderly_resident(street=street, neighbourhood=listed)
    price = services.quote(user=resident, offer=today_offer, point=lunch_point)
    assert (price.subsidy_fen, price.policy) == (1200, elderly)

    assert _no_subsidy(elderly_resident(street=street, neighbourhood=listed, verified=False), today_offer, lunch_point)
    assert _no_subsidy(elderly_resident(street=street, neighbourhood=other), today_offer, lunch_point)
    # The elderly policy is not an office workers' policy.
    assert _no_subsidy(office_worker(street=street), today_offer, lunch_point)


def test_a_policy_counts_only_while_it_is_valid(street, worker, today_offer, lunch_point, subsidy):
    SubsidyPolicy.objects.filter(pk=subsidy.pk).update(valid_until=today_offer.date - timedelta(days=1))
    assert _no_subsidy(worker, today_offer, lunch_point)
    SubsidyPolicy.objects.filter(pk=subsidy.pk).update(valid_from=today_offer.date + timedelta(days=1), valid_until=None)
    assert _no_subsidy(worker, today_offer, lunch_point)


def test_anonymous_visitors_see_the_unsubsidised_price(today_offer, lunch_point, subsidy):
    from django.contrib.auth.models import AnonymousUser

    assert _no_subsidy(AnonymousUser(), today_offer, lunch_point)


# ---------------------------------------------------------------------------
# One subsidised meal per person per day


def test_the_second_order_of_the_day_is_unsubsidised_and_cancelling_the_first_frees_the_subsidy(worker, seller, lunch_point):
    first_meal, second_meal = offer(seller=seller, points=[lunch_point]), offer(seller=seller, points=[lunch_point])
    first = order(worker, first_meal)
    assert first.subsidy_fen == 1000

    reason = str(services.quote(user=worker, offer=second_meal, point=lunch_point).no_subsidy_reason)
    assert "one a day" in reason
    second = order(worker, second_meal)
    assert (second.subsidy_fen, second.self_paid_fen, second.subsidised_on) == (0, 2500, None)

    services.order_cancel(order_id=first.pk, user=worker, now=morning(first_meal))
    third_meal = offer(seller=seller, points=[lunch_point])
    third = order(worker, third_meal)
    assert third.subsidy_fen == 1000 and third.subsidised_on == third_meal.date
    assert_ledger_adds_up(worker)


def test_the_subsidy_is_per_day_not_per_person(worker, seller, lunch_point):
    tomorrow = order(worker, offer(seller=seller, points=[lunch_point]))
    later = order(worker, offer(seller=seller, points=[lunch_point], day=timezone.localdate() + timedelta(days=2)))
    assert tomorrow.subsidy_fen == later.subsidy_fen == 1000


# ---------------------------------------------------------------------------
# The monthly budget


def test_when_the_months_budget_is_spent_orders_are_unsubsidised_and_a_cancel_gives_the_subsidy_back(street, today_offer, lunch_point):
    small = policy(street=street, subsidy_fen=1000, budget_fen=1500)  # room for one subsidy
    first, second, third = (office_worker(street=street, balance_fen=5000) for _ in range(3))

    placed = order(first, today_offer)
    spend = SubsidySpend.objects.get()
    assert (spend.policy, spend.month, spend.spent_fen, spend.meals, spend.budget_fen) == (
        small, today_offer.date.replace(day=1), 1000, 1, 1500)

    assert "budget is spent" in str(services.quote(user=second, offer=today_offer, point=lunch_point).no_subsidy_reason)
    unsubsidised = order(second, today_offer)
    assert (unsubsidised.subsidy_fen, unsubsidised.self_paid_fen) == (0, 2500)
    assert SubsidySpend.objects.get().spent_fen == 1000

    services.order_cancel(order_id=placed.pk, user=first, now=morning(today_offer))
    assert SubsidySpend.objects.values_list("spent_fen", "meals").get() == (0, 0)
    assert order(third, today_offer).subsidy_fen == 1000
    assert_ledger_adds_up(first, second, third)


def test_a_budget_raised_mid_month_is_the_one_orders_are_judged_by(street, today_offer, lunch_point):
    small = policy(street=street, subsidy_fen=1000, budget_fen=1000)
    first, second = (office_worker(street=street, balance_fen=5000) for _ in range(2))
    order(first, today_offer)
    assert order(second, today_offer).subsidy_fen == 0

    SubsidyPolicy.objects.filter(pk=small.pk).update(monthly_budget_fen=5000)
    small.refresh_from_db()
    assert services.quote(user=office_worker(street=street), offer=today_offer, point=lunch_point).subsidy_fen == 1000
    third = office_worker(street=street, balance_fen=5000)
    assert order(third, today_offer).subsidy_fen == 1000
    assert SubsidySpend.objects.values_list("spent_fen", "budget_fen").get() == (2000, 5000)


def test_a_budget_spent_after_the_quote_is_not_charged_and_the_order_is_priced_again(street, today_offer, monkeypatch):
    small = policy(street=street, subsidy_fen=1000, budget_fen=1000)
    SubsidySpend.objects.create(policy=small, month=today_offer.date.replace(day=1), budget_fen=1000, spent_fen=1000, meals=1)
    worker = office_worker(street=street, balance_fen=5000)
    real_quote, quotes = services.quote, []

    def read_before_the_budget_went(**kwargs):  # the first quote saw the month row before another order spent it
        price = real_quote(**kwargs)
        quotes.append(price)
        return dataclasses.replace(price, subsidy_fen=1000, policy=small, no_subsidy_reason="") if len(quotes) == 1 else price

    monkeypatch.setattr(services, "quote", read_before_the_budget_went)
    placed = order(worker, today_offer)

    assert len(quotes) == 2
    assert (placed.subsidy_fen, placed.self_paid_fen, placed.policy) == (0, 2500, None)
    assert SubsidySpend.objects.values_list("spent_fen", "meals").get() == (1000, 1)
    told = Notification.objects.filter(recipient=worker, kind="lunch.order.placed")
    assert Order.objects.count() == 1 and told.count() == 1  # the first try's notice rolled back with it
    assert "25.00" in told.get().body
    assert_ledger_adds_up(worker)


def test_each_month_has_its_own_budget(street, seller, lunch_point):
    policy(street=street, subsidy_fen=1000, budget_fen=1000)
    first, second = (office_worker(street=street, balance_fen=5000) for _ in range(2))
    this_month = timezone.localdate() + timedelta(days=1)
    next_month = (this_month.replace(day=1) + timedelta(days=32)).replace(day=1)
    order(first, offer(seller=seller, points=[lunch_point], day=this_month))
    assert order(second, offer(seller=seller, points=[lunch_point], day=next_month)).subsidy_fen == 1000
    assert SubsidySpend.objects.count() == 2


# ---------------------------------------------------------------------------
# When orders are taken


def test_the_cut_off_is_exact_in_shanghai_time_whatever_the_servers_clock(worker, seller, lunch_point):
    day = timezone.localdate() + timedelta(days=1)
    made = offer(seller=seller, points=[lunch_point], day=day, cutoff=(10, 30))
    just_before, on_time = utc(day, 10, 29, 59), utc(day, 10, 30, 0)
    assert just_before.tzinfo is UTC and (just_before.hour, just_before.minute) == (2, 29)  # 02:29:59Z is 10:29:59 in Shanghai

    accepted = services.order_place(user=worker, offer_id=made.pk, point_id=lunch_point.pk, now=just_before)
    assert accepted.status == S.PLACED
    other = office_worker(street=seller.organisation.street, balance_fen=5000)
    before = snapshot(other, offers=[made])
    refused(lambda: services.order_place(user=other, offer_id=made.pk, point_id=lunch_point.pk, now=on_time), "closed at 10:30")
    assert snapshot(other, offers=[made]) == before


def test_past_days_closed_offers_and_sent_manifests_take_no_orders(worker, seller, lunch_point):
    yesterday = offer(seller=seller, points=[lunch_point], day=timezone.localdate() - timedelta(days=1))
    refused(lambda: services.order_place(user=worker, offer_id=yesterday.pk, point_id=lunch_point.pk), "closed at 10:30")
    # Even with a cut-off set late by mistake, a past day is past.
    DailyOffer.objects.filter(pk=yesterday.pk).update(cutoff_at=timezone.now() + timedelta(days=3))
    refused(lambda: services.order_place(user=worker, offer_id=yesterday.pk, point_id=lunch_point.pk), "closed")

    closed = offer(seller=seller, points=[lunch_point])
    DailyOffer.objects.filter(pk=closed.pk).update(is_open=False)
    refused(lambda: order(worker, closed), "not open for orders")

    listed = offer(seller=seller, points=[lunch_point])
    DailyOffer.objects.filter(pk=listed.pk).update(manifest_sent_at=timezone.now())
    refused(lambda: order(worker, listed), "closed at 10:30")
    assert Order.objects.count() == 0 and balance_of(worker) == 10_000


def test_a_suspended_merchant_or_one_whose_licence_has_expired_takes_no_orders(worker, seller, today_offer):
    Merchant.objects.filter(pk=seller.pk).update(status=Merchant.Status.SUSPENDED)
    refused(lambda: order(worker, today_offer), "not taking orders")

    Merchant.objects.filter(pk=seller.pk).update(status=Merchant.Status.ACTIVE, licence_expires_on=today_offer.date - timedelta(days=1))
    refused(lambda: order(worker, today_offer), "not taking orders")

    Merchant.objects.filter(pk=seller.pk).update(licence_expires_on=today_offer.date)  # valid through its last day
    assert order(worker, today_offer).status == S.PLACED


# ---------------------------------------------------------------------------
# Portions


def test_sold_out_and_only_n_left(street, seller, lunch_point):
    made = offer(seller=seller, points=[lunch_point], quota=3)
    first, second, third = (office_worker(street=street, balance_fen=10_000) for _ in range(3))
    order(first, made, quantity=2)
    before = snapshot(second, offers=[made])
    refused(lambda: order(second, made, quantity=2), "Only 1 left")
    assert snapshot(second, offers=[made]) == before
    order(second, made)
    refused(lambda: order(third, made), "Sold out")
    made.refresh_from_db()
    assert made.sold == made.quota == 3 and made.left == 0


def test_a_points_own_quota_is_kept_and_the_other_points_still_order(street, seller):
    near, far = point(street=street, name="A座大堂"), point(street=street, name="B座大堂")
    made = offer(seller=seller, points=[near, far], quota=10, point_quota=1)
    first, second = (office_worker(street=street, balance_fen=10_000) for _ in range(2))
    order(first, made, at=near)
    refused(lambda: order(second, made, at=near), "Sold out")
    refused(lambda: order(second, made, at=far, quantity=2), "Only 1 left")
    assert order(second, made, at=far).point == far
    assert sorted(OfferPoint.objects.filter(offer=made).values_list("sold", flat=True)) == [1, 1]


def test_a_point_the_offer_does_not_serve_or_a_forged_id_is_refused(worker, street, today_offer, lunch_point):
    elsewhere = point(street=street, name="别处")
    refused(lambda: order(worker, today_offer, at=elsewhere), "not delivered to that pickup point")
    for forged in ("abc", None, -1, 0, 10**9):
        refused(lambda forged=forged: services.order_place(user=worker, offer_id=forged, point_id=lunch_point.pk), "no such meal")
        refused(lambda forged=forged: services.order_place(user=worker, offer_id=today_offer.pk, point_id=forged), "not delivered")
    lunch_point.is_active = False
    lunch_point.save()
    refused(lambda: order(worker, today_offer), "not delivered to that pickup point")
    assert Order.objects.count() == 0


@pytest.mark.parametrize("quantity", [0, -1, 6, "2", 1.0, True, None])
def test_a_quantity_outside_one_to_five_is_refused_and_nothing_changes(worker, today_offer, quantity):
    assert settings.LUNCH_MAX_QUANTITY == 5
    before = snapshot(worker, offers=[today_offer])
    refused(lambda: order(worker, today_offer, quantity=quantity), "between 1 and 5 meals")
    assert snapshot(worker, offers=[today_offer]) == before


def test_five_meals_are_fine(worker, today_offer):
    top_up(worker, 5000)
    assert order(worker, today_offer, quantity=5).self_paid_fen == 5 * 2800 - 5 * 300 - 1000


# ---------------------------------------------------------------------------
# Paying


def test_a_balance_too_low_is_a_clear_refusal_and_nothing_changes(street, today_offer):
    person = office_worker(street=street, balance_fen=1000)  # no subsidy policy in this street: ¥25.00 to pay
    before = snapshot(person, offers=[today_offer])
    message = refused(lambda: order(person, today_offer), "Your balance is ¥10.00; this order needs ¥25.00", "Top up")
    assert "station" in message
    assert snapshot(person, offers=[today_offer]) == before
    assert_ledger_adds_up(person)


def test_someone_without_an_account_is_told_their_balance_is_nothing_and_gets_no_account(street, today_offer):
    person = office_worker(street=street)  # never topped up
    before = snapshot(person, offers=[today_offer])
    refused(lambda: order(person, today_offer), "Your balance is ¥0.00; this order needs ¥25.00")
    assert snapshot(person, offers=[today_offer]) == before
    assert not Account.objects.filter(user=person).exists()


def test_a_top_up_landing_between_the_balance_check_and_the_refusal_pays_for_the_order(worker, today_offer):
    """The balance is checked and taken in one UPDATE; when it finds too little, the refusal reads the balance under the
    row's lock first — and takes it after all if a top-up has just made it enough (here the first UPDATE is made to
    find too little, as it would just before the top-up's commit)."""
    first_try = []

    def too_little_the_first_time(execute, sql, params, many, context):
        if sql == services._TAKE_BALANCE and not first_try:
            first_try.append(params)
            params = [params[0], params[1], 10**12]  # asks for more than any balance holds
        return execute(sql, params, many, context)

    with connection.execute_wrapper(too_little_the_first_time):
        placed = order(worker, today_offer)
    assert first_try, "the balance was not taken with services._TAKE_BALANCE"
    assert placed.self_paid_fen == 1500 and balance_of(worker) == 10_000 - 1500
    assert LedgerEntry.objects.filter(order=placed).count() == 1
    assert_ledger_adds_up(worker)


def test_an_order_that_meets_the_persons_subsidised_meal_of_the_day_is_priced_again_without_it(worker, street, seller, lunch_point,
                                                                                               subsidy, monkeypatch):
    """What two orders of one person at once do (tests/lunch/test_concurrency.py): the second was priced before the first
    was written, with the day's subsidy, and meets it at `order_one_subsidy_per_day`. It is priced again, not refused."""
    first = order(worker, offer(seller=seller, points=[lunch_point]))
    real = services.policies_for
    quotes = []

    def priced_before_the_first_was_written(user, at, day):
        policies = real(user, at, day)
        if not quotes:
            for each in policies:
                each.used_today = False
        quotes.append([p.used_today for p in policies])
        return policies

    monkeypatch.setattr(services, "policies_for", priced_before_the_first_was_written)
    second = order(worker, offer(seller=seller, points=[lunch_point]))
    assert quotes == [[False], [True]]  # the stale price, then the price again
    assert (first.subsidy_fen, second.subsidy_fen, second.self_paid_fen, second.subsidised_on) == (1000, 0, 2500, None)
    assert Order.objects.filter(user=worker, subsidised_on__isnull=False).get() == first
    assert SubsidySpend.objects.values_list("spent_fen", "meals").get() == (1000, 1)
    assert balance_of(worker) == 10_000 - 1500 - 2500
    assert_ledger_adds_up(worker)


def test_an_order_the_subsidy_and_discount_pay_in_full_needs_no_balance(street, seller, lunch_point):
    policy(street=street, subsidy_fen=3000)
    person = office_worker(street=street)
    placed = order(person, offer(seller=seller, points=[lunch_point], price_fen=2000, discount_fen=500))
    assert (placed.discount_fen, placed.subsidy_fen, placed.self_paid_fen) == (500, 1500, 0)
    assert LedgerEntry.objects.filter(order=placed).count() == 0
    assert balance_of(person) == 0


def test_pay_at_pickup_only_where_the_merchant_allows_it(street, worker, today_offer, lunch_point):
    before = snapshot(worker, offers=[today_offer])
    refused(lambda: order(worker, today_offer, payment=P.AT_PICKUP), "balance only")
    assert snapshot(worker, offers=[today_offer]) == before
    refused(lambda: order(worker, today_offer, payment="cash"), "how to pay")

    cash = merchant(street=street, name="澳门陈光记", allows_pay_at_pickup=True)
    broke = office_worker(street=street)
    placed = order(broke, offer(seller=cash, points=[lunch_point]), payment=P.AT_PICKUP)
    assert (placed.payment, placed.self_paid_fen, placed.subsidy_fen) == (P.AT_PICKUP, 1500, 1000)
    assert LedgerEntry.objects.filter(order=placed).count() == 0 and balance_of(broke) == 0


def no_show(person, at, *, days_ago):
    """An order `days_ago` that was never collected (as mark_uncollected leaves it)."""
    past = offer(seller=merchant(street=at.street, name=f"过去的商户{days_ago}-{person.pk}"), points=[at],
                 day=timezone.localdate() - timedelta(days=days_ago))
    return Order.objects.create(user=person, offer=past, point=at, list_price_fen=2800, discount_fen=300, subsidy_fen=0,
                                self_paid_fen=2500, payment=P.AT_PICKUP, status=S.NOT_COLLECTED, idempotency_key=uuid.uuid4())


def test_after_too_many_no_shows_pay_at_pickup_is_blocked_but_the_balance_still_works(street, lunch_point):
    cash = merchant(street=street, name="澳门陈光记", allows_pay_at_pickup=True)
    person = office_worker(street=street, balance_fen=10_000)
    made = offer(seller=cash, points=[lunch_point])
    limit = settings.LUNCH_NO_SHOW_LIMIT
    for days_ago in range(1, limit):
        no_show(person, lunch_point, days_ago=days_ago)
    assert order(person, made, payment=P.AT_PICKUP, when=timezone.now()).payment == P.AT_PICKUP  # one short of the limit
    Order.objects.filter(offer=made).delete()
    DailyOffer.objects.filter(pk=made.pk).update(sold=0)
    OfferPoint.objects.filter(offer=made).update(sold=0)
    no_show(person, lunch_point, days_ago=limit)
    assert services.no_shows_of(person) == limit

    before = snapshot(person, offers=[made])
    message = refused(lambda: order(person, made, payment=P.AT_PICKUP, when=timezone.now()), f"{limit} orders uncollected")
    assert "pay from your balance" in message
    assert snapshot(person, offers=[made]) == before
    assert order(person, made, when=timezone.now()).payment == P.BALANCE


def test_no_shows_older_than_the_window_are_forgiven(street, lunch_point):
    cash = merchant(street=street, name="澳门陈光记", allows_pay_at_pickup=True)
    person = office_worker(street=street)
    for extra in range(settings.LUNCH_NO_SHOW_LIMIT):
        no_show(person, lunch_point, days_ago=settings.LUNCH_NO_SHOW_WINDOW_DAYS + 1 + extra)
    assert services.no_shows_of(person) == 0
    assert order(person, offer(seller=cash, points=[lunch_point]), payment=P.AT_PICKUP).status == S.PLACED


# ---------------------------------------------------------------------------
# Double submits


def test_the_same_form_key_twice_places_one_order_and_debits_once(worker, today_offer):
    key = uuid.uuid4()
    first = order(worker, today_offer, key=key)
    again = order(worker, today_offer, key=str(key))
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ORDER).count() == 1
    today_offer.refresh_from_db()
    assert today_offer.sold == 1
    assert balance_of(worker) == 10_000 - 1500
    assert_ledger_adds_up(worker)
    # The key is the person's: someone else's form with the same key is their own order.
    other = office_worker(street=today_offer.merchant.organisation.street, balance_fen=5000)
    assert order(other, today_offer, key=key).pk != first.pk


def test_a_double_submit_after_the_last_portion_went_returns_the_order_not_sold_out(street, seller, lunch_point):
    made = offer(seller=seller, points=[lunch_point], quota=1)
    person = office_worker(street=street, balance_fen=5000)
    key = uuid.uuid4()
    first = order(person, made, key=key)
    assert order(person, made, key=key).pk == first.pk


def test_a_double_submit_when_the_balance_paid_for_one_order_returns_the_order_not_a_refusal(street, subsidy, seller, lunch_point):
    """The second submit of one form is priced after the first took the balance: it still answers with the first
    order, not "Your balance is ¥0.00" — and the form is not placed twice."""
    made = offer(seller=seller, points=[lunch_point])
    person = office_worker(street=street, balance_fen=1500)  # exactly one subsidised meal: ¥28 − ¥3 − ¥10
    key = uuid.uuid4()
    first = order(person, made, key=key)
    assert balance_of(person) == 0
    assert order(person, made, key=key).pk == first.pk
    assert Order.objects.filter(user=person).count() == 1
    assert_ledger_adds_up(person)


def test_a_double_submit_meets_the_form_key_constraint_and_answers_with_the_first_order(worker, today_offer):
    """Nothing reads "an order with this key?" before placing: the INSERT meets order_idempotent, the attempt rolls
    back whole (no second debit, no portion, no notification) and the first order is the answer."""
    key = uuid.uuid4()
    first = order(worker, today_offer, key=key)
    before = snapshot(worker, offers=[today_offer])
    notices = Notification.objects.count()
    assert order(worker, today_offer, key=key).pk == first.pk
    assert snapshot(worker, offers=[today_offer]) == before
    assert Notification.objects.count() == notices


def test_two_orders_drawing_one_pickup_code_at_a_point_get_two_codes(worker, street, today_offer, monkeypatch):
    other = office_worker(street=street, balance_fen=5000)
    drawn = iter(["123456", "123456", "654321"])
    monkeypatch.setattr(services, "new_pickup_code", lambda: next(drawn))
    first, second = order(other, today_offer), order(worker, today_offer)
    assert (first.pickup_code, second.pickup_code) == ("123456", "654321")
    assert Order.objects.count() == 2 and LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ORDER).count() == 2
    today_offer.refresh_from_db()
    assert today_offer.sold == 2
    assert_ledger_adds_up(worker, other)


def test_a_forged_form_key_is_refused(worker, today_offer):
    refused(lambda: order(worker, today_offer, key="not-a-uuid"), "expired")
    assert Order.objects.count() == 0


# ---------------------------------------------------------------------------
# Cancelling


def test_cancelling_gives_back_the_money_the_portions_and_the_subsidy(worker, today_offer):
    placed = order(worker, today_offer, quantity=2)
    cancelled = services.order_cancel(order_id=placed.pk, user=worker, now=utc(today_offer.date, 10, 29, 59))

    assert cancelled.status == S.CANCELLED and cancelled.cancelled_at == utc(today_offer.date, 10, 29, 59)
    assert balance_of(worker) == 10_000
    refund = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND)
    assert (refund.order_id, refund.amount_fen) == (placed.pk, placed.self_paid_fen)
    assert_ledger_adds_up(worker)
    today_offer.refresh_from_db()
    assert today_offer.sold == 0 and OfferPoint.objects.get(offer=today_offer).sold == 0
    assert SubsidySpend.objects.values_list("spent_fen", "meals").get() == (0, 0)
    assert AuditEntry.objects.filter(action="lunch.order.cancelled", actor=worker).count() == 1
    refused(lambda: services.order_cancel(order_id=placed.pk, user=worker, now=morning(today_offer)), "can no longer be cancelled")
    assert_ledger_adds_up(worker)


def test_only_the_owner_cancels_and_only_before_the_cut_off(street, worker, today_offer):
    placed = order(worker, today_offer)
    before = snapshot(worker, offers=[today_offer])
    someone = office_worker(street=street)
    refused(lambda: services.order_cancel(order_id=placed.pk, user=someone, now=morning(today_offer)), "no such order of yours")
    for forged in ("abc", None, -3, 10**9):
        refused(lambda forged=forged: services.order_cancel(order_id=forged, user=worker), "no such order of yours")
    refused(lambda: services.order_cancel(order_id=placed.pk, user=worker, now=utc(today_offer.date, 10, 30)), "until 10:30", "cooking")
    assert snapshot(worker, offers=[today_offer]) == before
    placed.refresh_from_db()
    assert placed.status == S.PLACED


def test_cancelling_a_pay_at_pickup_order_moves_no_money(street, lunch_point):
    cash = merchant(street=street, name="澳门陈光记", allows_pay_at_pickup=True)
    person = office_worker(street=street)
    made = offer(seller=cash, points=[lunch_point])
    placed = order(person, made, payment=P.AT_PICKUP)
    services.order_cancel(order_id=placed.pk, user=person, now=morning(made))
    assert LedgerEntry.objects.count() == 0 and balance_of(person) == 0


# ---------------------------------------------------------------------------
# Top-ups


def test_station_and_merchant_staff_record_top_ups(street, seller):
    person = UserFactory(language="en")
    for actor in (desk_staff(street), merchant_staff(seller), UserFactory(is_superuser=True, is_staff=True)):
        entry = services.top_up(user=person, amount_fen=5000, actor=actor, note="现金")
        assert (entry.kind, entry.amount_fen, entry.recorded_by, entry.order) == (LedgerEntry.Kind.TOP_UP, 5000, actor, None)
    assert balance_of(person) == 15_000
    assert_ledger_adds_up(person)
    notes = Notification.objects.filter(recipient=person, kind="lunch.balance.topped_up").order_by("pk")
    assert [n.title for n in notes] == ["¥50.00 added to your lunch balance"] * 3
    assert notes.last().body == "Your balance is now ¥150.00."
    assert AuditEntry.objects.filter(action="lunch.balance.topped_up").count() == 3


def test_a_top_up_by_someone_without_the_permission_is_refused(street, seller):
    person = UserFactory()
    ordinary = office_worker(street=street)
    street_admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=street)  # governs policies, does not handle cash
    inactive = desk_staff(street)
    inactive.is_active = False
    inactive.save()
    for actor in (person, ordinary, street_admin, inactive):
        with pytest.raises(PermissionDenied):
            services.top_up(user=person, amount_fen=5000, actor=actor)
    assert LedgerEntry.objects.count() == 0 and balance_of(person) == 0


@pytest.mark.parametrize("amount", [0, -100, 100_001, "100", 10.5, None, True])
def test_a_top_up_amount_out_of_bounds_is_refused(street, amount):
    person = UserFactory()
    refused(lambda: services.top_up(user=person, amount_fen=amount, actor=desk_staff(street)), "between ¥0.01 and ¥1000.00")
    assert LedgerEntry.objects.count() == 0 and balance_of(person) == 0


def test_the_largest_top_up_is_accepted(street):
    person = UserFactory()
    services.top_up(user=person, amount_fen=settings.LUNCH_MAX_TOP_UP_FEN, actor=desk_staff(street))
    assert balance_of(person) == 100_000


def test_the_balance_is_the_sum_of_the_ledger_after_every_step(street, seller, lunch_point, subsidy):
    person = office_worker(street=street, balance_fen=3000)
    meals = [offer(seller=seller, points=[lunch_point]) for _ in range(3)]
    steps = []

    def step(expected):
        assert balance_of(person) == ledger_sum(person) == expected
        steps.append(expected)

    first = order(person, meals[0])  # subsidised: 15.00
    step(1500)
    refused(lambda: order(person, meals[1]), "needs ¥25.00")  # the day's subsidy is used: 25.00
    step(1500)
    top_up(person, 5000, street=street)
    step(6500)
    order(person, meals[1])
    step(4000)
    services.order_cancel(order_id=first.pk, user=person, now=morning(meals[0]))
    step(5500)
    assert order(person, meals[2]).subsidy_fen == 1000  # the cancelled order's subsidy is free again
    step(4000)
    kinds = list(LedgerEntry.objects.filter(account__user=person).order_by("pk").values_list("kind", "amount_fen"))
    assert kinds == [("topup", 3000), ("order", -1500), ("topup", 5000), ("order", -2500), ("refund", 1500), ("order", -1500)]


# ---------------------------------------------------------------------------
# Delivery and handover


@pytest.fixture
def two_points(street, seller):
    near, far = point(street=street, name="A座大堂"), point(street=street, name="B座大堂")
    return near, far, offer(seller=seller, points=[near, far])


def test_marking_a_point_delivered_tells_the_people_who_ordered_there_only(street, seller, two_points):
    near, far, made = two_points
    there = [office_worker(street=street, balance_fen=5000, language="en") for _ in range(2)]
    elsewhere = office_worker(street=street, balance_fen=5000, language="en")
    changed_mind = office_worker(street=street, balance_fen=5000, language="en")
    codes = {person: order(person, made, at=near).pickup_code for person in there}
    order(elsewhere, made, at=far)
    services.order_cancel(order_id=order(changed_mind, made, at=near).pk, user=changed_mind, now=morning(made))

    offer_point = OfferPoint.objects.get(offer=made, point=near)
    done = services.mark_delivered(offer_point_id=offer_point.pk, actor=merchant_staff(seller), now=utc(made.date, 11, 20))
    assert done.delivered_at == utc(made.date, 11, 20)

    arrived = Notification.objects.filter(kind="lunch.order.arrived")
    assert {n.recipient for n in arrived} == set(there)
    for note in arrived:
        assert note.title == f"Your lunch has arrived: {made.meal.name}"
        assert f"Collect it at A座大堂 until 13:00 with code {codes[note.recipient]}." == note.body
    # Twice is once.
    services.mark_delivered(offer_point_id=offer_point.pk, actor=merchant_staff(seller))
    assert Notification.objects.filter(kind="lunch.order.arrived").count() == 2
    assert AuditEntry.objects.filter(action="lunch.offer.delivered").count() == 1


def test_only_the_merchant_and_the_points_own_staff_mark_delivery(street, seller, two_points):
    near, far, made = two_points
    offer_point = OfferPoint.objects.get(offer=made, point=near)
    other_merchant = merchant(street=street, name="顺风大酒店")
    far_desk = make_staff(StaffAssignment.Role.STATION_STAFF, station=far.station)
    for actor in (merchant_staff(other_merchant), far_desk, UserFactory()):
        with pytest.raises(PermissionDenied):
            services.mark_delivered(offer_point_id=offer_point.pk, actor=actor)
    offer_point.refresh_from_db()
    assert offer_point.delivered_at is None
    near_desk = make_staff(StaffAssignment.Role.STATION_STAFF, station=near.station)
    assert services.mark_delivered(offer_point_id=offer_point.pk, actor=near_desk).delivered_at is not None
    street_admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=street)
    far_point = OfferPoint.objects.get(offer=made, point=far)
    assert services.mark_delivered(offer_point_id=far_point.pk, actor=street_admin).delivered_at is not None
    for forged in ("x", None, 10**9):
        refused(lambda forged=forged: services.mark_delivered(offer_point_id=forged, actor=near_desk), "no such delivery")


@pytest.fixture
def handed(street, seller, today_offer, lunch_point):
    """An order for today's offer, its merchant's staff, and noon of its day."""
    person = office_worker(street=street, balance_fen=5000)
    return order(person, today_offer), merchant_staff(seller), utc(today_offer.date, 12)


def test_the_code_hands_the_order_over_once(handed, lunch_point):
    placed, staff, noon = handed
    given = services.pick_up(code=f" {placed.pickup_code[:3]} {placed.pickup_code[3:]} ", point=lunch_point, actor=staff, now=noon)
    assert given.pk == placed.pk
    placed.refresh_from_db()
    assert (placed.status, placed.picked_up_at, placed.picked_up_by) == (S.PICKED_UP, noon, staff)
    refused(lambda: services.pick_up(code=placed.pickup_code, point=lunch_point, actor=staff, now=noon), "Already handed over at 12:00")


def test_a_wrong_code_another_point_another_day_or_a_cancelled_order_is_not_handed_over(street, handed, today_offer, lunch_point):
    placed, staff, noon = handed
    wrong = f"{(int(placed.pickup_code) + 1) % 10**6:06d}"
    refused(lambda: services.pick_up(code=wrong, point=lunch_point, actor=staff, now=noon), "No order with that code")
    refused(lambda: services.pick_up(code="12345", point=lunch_point, actor=staff, now=noon), "6 digits")
    refused(lambda: services.pick_up(code=placed.pickup_code, point=point(street=street, name="别处"), actor=staff, now=noon), "No order")
    refused(lambda: services.pick_up(code=placed.pickup_code, point=lunch_point, actor=staff, now=noon + timedelta(days=1)), "No order")
    services.order_cancel(order_id=placed.pk, user=placed.user, now=morning(today_offer))
    refused(lambda: services.pick_up(code=placed.pickup_code, point=lunch_point, actor=staff, now=noon), "was cancelled")
    placed.refresh_from_db()
    assert placed.status == S.CANCELLED and placed.picked_up_at is None


def test_staff_of_another_merchant_or_anyone_else_may_not_hand_over(street, handed, lunch_point):
    placed, _staff, noon = handed
    stranger_merchant = merchant_staff(merchant(street=street, name="盒马鲜生"))
    with pytest.raises(PermissionDenied):
        services.pick_up(code=placed.pickup_code, point=lunch_point, actor=stranger_merchant, now=noon)
    with pytest.raises(PermissionDenied):
        services.pick_up(code=placed.pickup_code, point=lunch_point, actor=placed.user, now=noon)
    placed.refresh_from_db()
    assert placed.status == S.PLACED
    # The point's own station staff may.
    desk = make_staff(StaffAssignment.Role.STATION_STAFF, station=lunch_point.station)
    assert services.pick_up(code=placed.pickup_code, point=lunch_point, actor=desk, now=noon).status == S.PICKED_UP


def test_after_the_window_uncollected_orders_are_marked_once_and_count_as_no_shows(street, handed, today_offer, lunch_point):
    placed, staff, noon = handed
    collected = order(office_worker(street=street, balance_fen=5000), today_offer)
    services.pick_up(code=collected.pickup_code, point=lunch_point, actor=staff, now=noon)

    assert services.mark_uncollected(now=utc(today_offer.date, 12, 59, 59)) == 0
    assert services.mark_uncollected(now=utc(today_offer.date, 13, 0)) == 1
    assert services.mark_uncollected(now=utc(today_offer.date, 13, 15)) == 0
    placed.refresh_from_db()
    collected.refresh_from_db()
    assert (placed.status, collected.status) == (S.NOT_COLLECTED, S.PICKED_UP)
    assert services.no_shows_of(placed.user, now=utc(today_offer.date, 14)) == 1
    assert services.no_shows_of(collected.user, now=utc(today_offer.date, 14)) == 0
    # Uncollected is not cancelled: the money stays spent and the subsidy used.
    assert LedgerEntry.objects.filter(order=placed, kind=LedgerEntry.Kind.REFUND).count() == 0


# ---------------------------------------------------------------------------
# Manifests


def test_each_merchant_gets_one_manifest_a_day_after_the_cut_off_with_a_csv_of_codes(street, seller, two_points):
    near, far, made = two_points
    second_meal = offer(seller=seller, points=[near])
    staff = [merchant_staff(seller) for _ in range(2)]
    other_seller = merchant(street=street, name="顺风大酒店")
    other_staff = merchant_staff(other_seller)
    other_offer = offer(seller=other_seller, points=[near])
    people = [office_worker(street=street, balance_fen=10_000, display_name=f"白领{i}") for i in range(3)]
    placed = [order(people[0], made, at=near), order(people[1], made, at=far, quantity=2), order(people[2], second_meal, at=near)]
    cancelled = order(office_worker(street=street, balance_fen=5000), made, at=near)
    services.order_cancel(order_id=cancelled.pk, user=cancelled.user, now=morning(made))
    order(people[0], other_offer)

    assert services.send_manifests(now=utc(made.date, 10, 29, 59)) == 0
    assert services.send_manifests(now=utc(made.date, 10, 30)) == 2  # one per merchant, however many meals it offers

    manifests = Notification.objects.filter(kind="lunch.manifest")
    assert sorted(n.recipient_id for n in manifests) == sorted([s.pk for s in staff] + [other_staff.pk])
    note = manifests.filter(recipient=staff[0]).get()
    assert note.title == f"Lunch manifest for {made.date:%Y-%m-%d}: 4 meals"
    assert note.body == "A座大堂: 2\nB座大堂: 2"
    assert note.url == f"/lunch/manifest/?date={made.date:%Y-%m-%d}"
    assert note.attachment_name == f"manifest-{made.date:%Y%m%d}-{seller.pk}.csv"
    rows = list(csv.reader(io.StringIO(note.attachment)))
    assert rows[0][1] == "取餐码 code"
    assert sorted(row[1] for row in rows[1:]) == sorted(o.pickup_code for o in placed)
    assert {row[2] for row in rows[1:]} == {"白领0", "白领1", "白领2"}
    assert DailyOffer.objects.filter(merchant=seller, manifest_sent_at__isnull=True).count() == 0

    # Safe twice: nothing more is sent, and orders are closed once the list has gone.
    assert services.send_manifests(now=utc(made.date, 10, 31)) == 0
    assert Notification.objects.filter(kind="lunch.manifest").count() == 3


def test_a_merchant_with_no_orders_still_gets_an_empty_manifest(seller, today_offer):
    staff = merchant_staff(seller)
    assert services.send_manifests(now=utc(today_offer.date, 11)) == 1
    note = Notification.objects.get(recipient=staff, kind="lunch.manifest")
    assert note.title.endswith(": 0 meals") and note.body == "No orders."
    assert list(csv.reader(io.StringIO(note.attachment)))[1:] == []


# ---------------------------------------------------------------------------
# Licences


def test_an_expired_licence_suspends_the_merchant_and_its_meals_are_refused(worker, seller, today_offer):
    Merchant.objects.filter(pk=seller.pk).update(licence_expires_on=local_now().date() - timedelta(days=1))
    assert services.check_licences() == {"suspended": 1, "warned": 0}
    seller.refresh_from_db()
    assert seller.status == Merchant.Status.SUSPENDED and "expired" in seller.status_reason
    assert AuditEntry.objects.filter(action="lunch.merchant.suspended").count() == 1
    refused(lambda: order(worker, today_offer), "not taking orders")
    assert services.check_licences() == {"suspended": 0, "warned": 0}


def test_staff_and_the_street_are_warned_once_thirty_days_before_and_again_for_the_next_licence(street, seller):
    staff = merchant_staff(seller)
    street_admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=street, user=UserFactory(language="en"))
    other_street_admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=StreetFactory())
    today = local_now().date()
    far_off = merchant(street=street, name="盒马鲜生", licence_days=31)
    Merchant.objects.filter(pk=seller.pk).update(licence_expires_on=today + timedelta(days=30))

    assert services.check_licences() == {"suspended": 0, "warned": 1}
    warnings = Notification.objects.filter(kind="lunch.merchant.licence_expiring")
    assert {n.recipient for n in warnings} == {staff, street_admin}
    assert other_street_admin not in {n.recipient for n in warnings}
    assert f"expires on {today + timedelta(days=30):%Y-%m-%d}" in warnings.first().title
    assert services.check_licences() == {"suspended": 0, "warned": 0}
    assert services.check_licences(now=timezone.now() + timedelta(days=10)) == {"suspended": 0, "warned": 1}  # now the far-off one
    Merchant.objects.filter(pk=far_off.pk).update(licence_expires_on=today + timedelta(days=1000))  # renewed in time

    # Renewed for a year: the warning for the new licence comes 30 days before it ends.
    Merchant.objects.filter(pk=seller.pk).update(licence_expires_on=today + timedelta(days=365))
    assert services.check_licences(now=timezone.now() + timedelta(days=300)) == {"suspended": 0, "warned": 0}
    assert services.check_licences(now=timezone.now() + timedelta(days=340)) == {"suspended": 0, "warned": 1}
    assert Notification.objects.filter(kind="lunch.merchant.licence_expiring", recipient=staff).count() == 2


# ---------------------------------------------------------------------------
# Low-balance notes


@pytest.fixture
def regulars(street, seller, lunch_point):
    """Three offers tomorrow (the cheapest ¥25.00 after discount); people who ordered all three, and one who didn't."""
    meals = [offer(seller=seller, points=[lunch_point], price_fen=2800 + 100 * i) for i in range(3)]
    usual, opted_out, well_off = (office_worker(street=street, balance_fen=7500 + extra, language="en") for extra in (1000, 1000, 5000))
    for person in (usual, opted_out, well_off):
        for made in meals:
            order(person, made)
    Account.objects.filter(user=opted_out).update(low_balance_notices=False)
    occasional = office_worker(street=street, balance_fen=3500)
    order(occasional, meals[0])
    return {"usual": usual, "opted_out": opted_out, "well_off": well_off, "occasional": occasional, "meals": meals}


def test_usual_orderers_who_cannot_pay_tomorrows_cheapest_meal_get_one_gentle_note(regulars):
    evening = utc(regulars["meals"][0].date - timedelta(days=1), 19, 30)
    # usual: 85.00 − 25.00 − 26.00 − 27.00 = 7.00; well off: 47.00; occasional: 10.00 but one order.
    assert [balance_of(regulars[k]) for k in ("usual", "opted_out", "well_off", "occasional")] == [700, 700, 4700, 1000]

    assert services.remind_low_balances(now=evening) == 1
    (note,) = Notification.objects.filter(kind="lunch.balance.low")
    assert note.recipient == regulars["usual"]
    assert note.title == "Your lunch balance is ¥7.00" and "turn these reminders off" in note.body
    assert services.remind_low_balances(now=evening + timedelta(hours=1)) == 0
    assert Notification.objects.filter(kind="lunch.balance.low").count() == 1


def test_no_notes_the_evening_before_a_day_without_lunch(regulars):
    evening = utc(regulars["meals"][0].date, 19, 30)  # nothing is offered the day after
    assert services.remind_low_balances(now=evening) == 0


def test_the_cheapest_meal_is_judged_after_the_merchants_discount(regulars):
    DailyOffer.objects.filter(pk__in=[m.pk for m in regulars["meals"]]).update(discount_fen=2200)  # ¥6.00 after discount
    evening = utc(regulars["meals"][0].date - timedelta(days=1), 19, 30)
    assert services.remind_low_balances(now=evening) == 0


# ---------------------------------------------------------------------------
# Feedback


def test_feedback_only_after_pickup_from_one_to_five_stars_once(handed, lunch_point):
    placed, staff, noon = handed
    refused(lambda: services.feedback_leave(order_id=placed.pk, user=placed.user, stars=5), "once you have collected it")
    services.pick_up(code=placed.pickup_code, point=lunch_point, actor=staff, now=noon)
    for stars in (0, 6, -1, "5", 4.5, True, None):
        refused(lambda stars=stars: services.feedback_leave(order_id=placed.pk, user=placed.user, stars=stars), "1 to 5 stars")
    refused(lambda: services.feedback_leave(order_id=placed.pk, user=staff, stars=5), "no such order of yours")
    refused(lambda: services.feedback_leave(order_id="x", user=placed.user, stars=5), "no such order of yours")

    given = services.feedback_leave(order_id=placed.pk, user=placed.user, stars=4, comment="  米饭有点少  ")
    assert (given.stars, given.comment) == (4, "米饭有点少")
    refused(lambda: services.feedback_leave(order_id=placed.pk, user=placed.user, stars=1), "rated this meal already")
    assert Feedback.objects.get().stars == 4
