"""lunch.selectors: the bulk price book gives the very prices services.quote gives, in a fixed number of queries;
the offers a visitor may see; the points staff may hand lunches over at."""

import random
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lunch import selectors, services
from lunch.models import DailyOffer, Merchant, SubsidyPolicy, SubsidySpend
from portal.models import StaffAssignment
from tests.factories import NeighbourhoodFactory, ResidenceFactory, StationFactory, StreetFactory, UserFactory, make_staff
from tests.lunch import factories as lf

pytestmark = pytest.mark.django_db


def as_tuple(price):
    return (price.list_fen, price.quantity, price.discount_fen, price.subsidy_fen, price.self_paid_fen,
            price.policy.pk if price.policy else None, str(price.no_subsidy_reason))


def assert_same_prices(user, offers, quantities=(1, 2, 5)):
    """Every offer × point × quantity: the book and services.quote agree, reason included."""
    checked = 0
    for offer in offers:
        book = selectors.PriceBook(user, offer.date)
        for offer_point in offer.offer_points.select_related("point"):
            for quantity in quantities:
                expected = services.quote(user=user, offer=offer, point=offer_point.point, quantity=quantity)
                assert as_tuple(book.quote(offer=offer, point=offer_point.point, quantity=quantity)) == as_tuple(expected)
                checked += 1
    assert checked


@pytest.fixture
def street():
    return StreetFactory()


@pytest.fixture
def seller(street):
    return lf.merchant(street=street)


@pytest.fixture
def lunch_point(street):
    return lf.point(street=street)


def test_eligible_worker_gets_the_subsidy_in_both(street, seller, lunch_point):
    lf.policy(street=street, subsidy_fen=1000)
    worker = lf.office_worker(street=street)
    offer = lf.offer(seller=seller, points=[lunch_point])
    price = selectors.PriceBook(worker, offer.date).quote(offer=offer, point=lunch_point)
    assert (price.discount_fen, price.subsidy_fen, price.self_paid_fen) == (300, 1000, 1500)
    assert_same_prices(worker, [offer])


def closed_enterprise_worker(street):
    worker = lf.office_worker(street=street)
    worker.memberships.get().organisation.__class__.objects.filter(memberships__user=worker).update(is_active=False)
    return worker


@pytest.mark.parametrize("who", ["anonymous", "unverified", "other street", "nobody", "closed enterprise"])
def test_people_without_a_subsidy_get_the_same_reason_in_both(who, street, seller, lunch_point):
    lf.policy(street=street)
    user = {
        "anonymous": lambda: AnonymousUser(),
        "unverified": lambda: lf.office_worker(street=street, verified=False),
        "other street": lambda: lf.office_worker(street=StreetFactory()),
        "nobody": lambda: UserFactory(),
        "closed enterprise": lambda: closed_enterprise_worker(street),
    }[who]()
    offer = lf.offer(seller=seller, points=[lunch_point])
    price = selectors.PriceBook(user, offer.date).quote(offer=offer, point=lunch_point)
    assert price.subsidy_fen == 0 and price.no_subsidy_reason == services.NOT_ELIGIBLE
    assert_same_prices(user, [offer])


def test_subsidy_used_that_day_in_both(street, seller, lunch_point):
    lf.policy(street=street)
    worker = lf.office_worker(street=street, balance_fen=10_000)
    first = lf.offer(seller=seller, points=[lunch_point])
    second = lf.offer(seller=seller, points=[lunch_point])
    services.order_place(user=worker, offer_id=first.pk, point_id=lunch_point.pk)
    price = selectors.PriceBook(worker, second.date).quote(offer=second, point=lunch_point)
    assert price.subsidy_fen == 0 and price.no_subsidy_reason == services.USED_TODAY
    assert_same_prices(worker, [first, second])


def test_budget_spent_falls_back_to_the_next_policy_then_to_no_subsidy(street, seller, lunch_point):
    rich = lf.policy(street=street, subsidy_fen=1200, budget_fen=5000)
    modest = lf.policy(street=street, subsidy_fen=800, budget_fen=5000)
    worker = lf.office_worker(street=street)
    offer = lf.offer(seller=seller, points=[lunch_point])
    month = offer.date.replace(day=1)
    SubsidySpend.objects.create(policy=rich, month=month, budget_fen=5000, spent_fen=4000)  # 1,200 no longer fits
    price = selectors.PriceBook(worker, offer.date).quote(offer=offer, point=lunch_point)
    assert (price.policy, price.subsidy_fen) == (modest, 800)
    assert_same_prices(worker, [offer])

    SubsidySpend.objects.create(policy=modest, month=month, budget_fen=5000, spent_fen=4500)
    price = selectors.PriceBook(worker, offer.date).quote(offer=offer, point=lunch_point)
    assert price.subsidy_fen == 0 and price.no_subsidy_reason == services.BUDGET_SPENT
    assert_same_prices(worker, [offer])


def test_elderly_policy_and_expired_policies_in_both(street, seller, lunch_point):
    home = NeighbourhoodFactory(street=street)
    elderly = lf.policy(street=street, subsidy_fen=600, audience=SubsidyPolicy.Audience.ELDERLY)
    elderly.neighbourhoods.add(home)
    expired = lf.policy(street=street, subsidy_fen=2000)
    SubsidyPolicy.objects.filter(pk=expired.pk).update(valid_until=date(2021, 1, 1))
    resident = UserFactory()
    ResidenceFactory(user=resident, neighbourhood=home, verified_at=timezone.now())
    offer = lf.offer(seller=seller, points=[lunch_point])
    price = selectors.PriceBook(resident, offer.date).quote(offer=offer, point=lunch_point)
    assert (price.policy, price.subsidy_fen) == (elderly, 600)
    assert_same_prices(resident, [offer])


def test_a_discount_as_large_as_the_price_leaves_no_subsidy_in_both(street, seller, lunch_point):
    lf.policy(street=street)
    worker = lf.office_worker(street=street)
    offer = lf.offer(seller=seller, points=[lunch_point], price_fen=1000, discount_fen=1000)
    price = selectors.PriceBook(worker, offer.date).quote(offer=offer, point=lunch_point)
    assert price.self_paid_fen == 0 and price.subsidy_fen == 0 and price.no_subsidy_reason == ""
    assert_same_prices(worker, [offer])


def test_random_prices_policies_and_points_agree(street):
    """Many shapes at once: points in two streets, several policies and budgets, prices around the subsidy."""
    rng = random.Random(7)
    other = StreetFactory()
    points = [lf.point(street=street, name="甲"), lf.point(street=other, name="乙")]
    for each in (street, other):
        for _ in range(2):
            policy = lf.policy(street=each, subsidy_fen=rng.choice([0, 500, 1000, 3000]), budget_fen=rng.choice([0, 900, 100_000]))
            if rng.random() < 0.5:
                SubsidySpend.objects.create(policy=policy, month=(timezone.localdate() + timedelta(days=1)).replace(day=1),
                                            budget_fen=policy.monthly_budget_fen, spent_fen=min(policy.monthly_budget_fen, rng.choice([0, 500])))
    worker = lf.office_worker(street=street)
    seller = lf.merchant(street=street)
    offers = [lf.offer(seller=seller, points=points, price_fen=rng.randint(1, 4000), discount_fen=rng.randint(0, 4500)) for _ in range(8)]
    assert_same_prices(worker, offers)
    assert_same_prices(lf.office_worker(street=other), offers)


def test_the_price_book_reads_a_fixed_number_of_queries(street, seller):
    lf.policy(street=street)
    worker = lf.office_worker(street=street)
    points = [lf.point(street=street, name=f"点{i}") for i in range(3)]
    offers = [lf.offer(seller=seller, points=points) for _ in range(10)]
    offers = selectors.offers_on(offers[0].date)

    def count(some):
        book = selectors.PriceBook(worker, some[0].date)
        with CaptureQueriesContext(connection) as queries:
            for offer in some:
                for offer_point in offer.offer_points.all():
                    book.quote(offer=offer, point=offer_point.point)
        return len(queries)

    assert count(offers[:1]) == count(offers) <= 5
    book = selectors.PriceBook(AnonymousUser(), offers[0].date)
    with CaptureQueriesContext(connection) as queries:
        book.quote(offer=offers[0], point=points[0])
    assert len(queries) == 0


def test_visible_offers_leave_out_suspended_and_unlicensed_merchants(street, lunch_point):
    shown = lf.offer(seller=lf.merchant(street=street, name="顺风大酒店"), points=[lunch_point])
    suspended = lf.offer(seller=lf.merchant(street=street, name="澳门陈光记", status=Merchant.Status.SUSPENDED), points=[lunch_point])
    expired = lf.offer(seller=lf.merchant(street=street, name="盒马鲜生", licence_days=0), points=[lunch_point])  # expires today
    day = shown.date
    assert expired.date > timezone.localdate()
    assert [o.pk for o in selectors.offers_on(day)] == [shown.pk]
    assert not selectors.visible_offers().filter(pk__in=[suspended.pk, expired.pk]).exists()
    assert selectors.offer_days(timezone.localdate()) == [timezone.localdate(), day]


def columns(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_order_pages_offer_read_is_the_querysets_in_one_statement(street, seller, lunch_point):
    """offer_for_order is fixed SQL (portal.db.FixedRead): it must read what the queryset it stands for reads — every
    column of the offer, meal, merchant, organisation, offer points and points, as the ORM converts them (aware times,
    dates, booleans) — the active points only, by name, and nothing at all for an offer a visitor may not see."""
    other = lf.point(street=street, name="A 安远路取餐点")
    closed = lf.point(street=street, name="B 已停用取餐点")
    made = lf.offer(seller=seller, points=[lunch_point, other, closed], point_quota=12)
    made.manifest_sent_at = timezone.now()
    made.save()
    closed.is_active = False
    closed.save()
    lonely = lf.offer(seller=seller, points=[closed])
    with CaptureQueriesContext(connection) as read:
        offer = selectors.offer_for_order(made.pk)
        shown = (offer.meal.name, offer.merchant.organisation.name, [op.point.name for op in offer.active_offer_points])
    assert len(read) == 1
    assert shown == (made.meal.name, seller.organisation.name, ["A 安远路取餐点", lunch_point.name])
    expected = selectors.visible_offers().select_related("meal", "merchant__organisation").get(pk=made.pk)
    assert columns(offer) == columns(expected) and offer.manifest_sent_at.tzinfo is not None
    assert columns(offer.meal) == columns(expected.meal)
    assert columns(offer.merchant) == columns(expected.merchant)
    assert columns(offer.merchant.organisation) == columns(expected.merchant.organisation)
    points = list(selectors._active_offer_points().filter(offer=made))
    assert [columns(op) for op in offer.active_offer_points] == [columns(op) for op in points]
    assert [columns(op.point) for op in offer.active_offer_points] == [columns(op.point) for op in points]
    assert all(op.offer is offer for op in offer.active_offer_points)

    assert selectors.offer_for_order(lonely.pk).active_offer_points == []
    suspended = lf.offer(seller=lf.merchant(street=street, name="澳门陈光记", status=Merchant.Status.SUSPENDED), points=[lunch_point])
    expired = lf.offer(seller=lf.merchant(street=street, name="盒马鲜生", licence_days=0), points=[lunch_point])  # expires today
    for hidden in (suspended.pk, expired.pk, made.pk + 1000):
        with pytest.raises(DailyOffer.DoesNotExist):
            selectors.offer_for_order(hidden)


def test_offer_days_are_today_and_the_next_four_with_offers(street, seller, lunch_point):
    today = timezone.localdate()
    for n in (1, 2, 4, 5, 7, 9):
        lf.offer(seller=seller, points=[lunch_point], day=today + timedelta(days=n))
    assert selectors.offer_days(today) == [today] + [today + timedelta(days=n) for n in (1, 2, 4, 5)]


def test_handover_points_follow_the_staff_scope(street):
    station = StationFactory(street=street)
    mine = lf.point(street=street, station=station, name="本站午餐点")
    elsewhere = lf.point(street=street, name="别处午餐点")
    far = lf.point(street=StreetFactory(), name="远处午餐点")
    seller = lf.merchant(street=street)
    lf.offer(seller=seller, points=[far], day=timezone.localdate())
    today = timezone.localdate()

    desk = make_staff(StaffAssignment.Role.STATION_STAFF, station=station)
    assert selectors.handover_points(desk, today) == [mine]
    cook = make_staff(StaffAssignment.Role.MERCHANT_STAFF, merchant=seller.organisation)
    assert selectors.handover_points(cook, today) == [far]
    admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=street)
    assert set(selectors.handover_points(admin, today)) == {mine, elsewhere}
    assert selectors.handover_points(UserFactory(), today) == []
