"""`seed_demo`'s white-collar lunch: the article's four merchants, lunch points at the 长寿路 stations, the street's
subsidies, a week of offers, balances and orders in every status — consistent, quiet and idempotent."""

import re
from datetime import time, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from lunch import services
from lunch.models import Account, DailyOffer, Feedback, LedgerEntry, Meal, Merchant, OfferPoint, Order, PickupPoint, SubsidyPolicy, SubsidySpend
from portal.demo import lunch_data, lunch_seed
from portal.models import Membership, Notification, Organisation, Residence, StaffAssignment, User
from stations.hours import SHANGHAI, local_now
from stations.models import Station
from tests.portal.seed_helpers import row_counts, seed_demo, summary

pytestmark = pytest.mark.django_db

STREET = "长寿路街道"
LUNCH_MODELS = (
    "lunch.Merchant",
    "lunch.Meal",
    "lunch.PickupPoint",
    "lunch.SubsidyPolicy",
    "lunch.Account",
    "lunch.LedgerEntry",
    "lunch.DailyOffer",
    "lunch.OfferPoint",
    "lunch.Order",
    "lunch.SubsidySpend",
    "lunch.Feedback",
)


@pytest.fixture
def seeded():
    return seed_demo()


def assert_books_balance():
    """Every balance is the sum of its ledger; every counter the sum of the live orders behind it."""
    for account in Account.objects.annotate(total=Sum("entries__amount_fen")):
        assert account.balance_fen == (account.total or 0) >= 0, account
    live = Q(orders__status__in=Order.LIVE)
    for offer in DailyOffer.objects.annotate(live=Sum("orders__quantity", filter=live)):
        assert offer.sold == (offer.live or 0) <= offer.quota, offer
    for offer_point in OfferPoint.objects.all():
        live_here = Order.objects.filter(offer=offer_point.offer_id, point=offer_point.point_id, status__in=Order.LIVE)
        assert offer_point.sold == (live_here.aggregate(n=Sum("quantity"))["n"] or 0), offer_point
    for spend in SubsidySpend.objects.all():
        orders = Order.objects.filter(
            policy=spend.policy, status__in=Order.LIVE, subsidised_on__year=spend.month.year, subsidised_on__month=spend.month.month
        )
        assert (spend.spent_fen, spend.meals) == (orders.aggregate(s=Sum("subsidy_fen"))["s"] or 0, orders.count()), spend
        assert spend.spent_fen <= spend.budget_fen
    for order in Order.objects.prefetch_related("entries"):
        kinds = sorted((e.kind, e.amount_fen) for e in order.entries.all())
        if order.payment == Order.Payment.AT_PICKUP or not order.self_paid_fen:
            assert kinds == []
        elif order.status == Order.Status.CANCELLED:
            assert kinds == [("order", -order.self_paid_fen), ("refund", order.self_paid_fen)]
        else:
            assert kinds == [("order", -order.self_paid_fen)]
    twice = Order.objects.filter(status__in=Order.LIVE).values("user", "offer__date").annotate(n=Count("pk")).filter(n__gt=1)
    assert not twice.exists(), list(twice)


def test_the_four_merchants_of_the_article_with_their_menus_at_25_to_28_yuan(seeded):
    today = local_now().date()
    merchants = {m.name: m for m in Merchant.objects.select_related("organisation__street")}
    assert set(merchants) == {"红子鸡美食总汇", "顺风大酒店", "澳门陈光记", "盒马鲜生"}
    for merchant in merchants.values():
        assert (merchant.organisation.street.name, merchant.organisation.kind) == (STREET, Organisation.Kind.MERCHANT)
        assert merchant.status == Merchant.Status.ACTIVE and merchant.licence_expires_on >= today, merchant
        assert re.fullmatch(r"JY[123]310107\d{7}", merchant.licence_number), merchant.licence_number
        assert merchant.last_inspected_on < today and merchant.contact_name and merchant.contact_phone
        meals = list(merchant.meals.all())
        assert 3 <= len(meals) <= 5, merchant
        assert all(2500 <= meal.list_price_fen <= 2800 and meal.description for meal in meals), merchant
    names = set(Meal.objects.values_list("name", flat=True))
    assert {"白切鸡套餐", "本帮红烧肉套餐", "烧鹅饭", "轻食鸡胸沙拉"} <= names
    assert Meal.objects.exclude(allergens="").count() > Meal.objects.count() // 2
    assert 1 <= sum(m.allows_pay_at_pickup for m in merchants.values()) <= 2
    # One licence runs out within the warning period (none has expired): the sweep warns about it and suspends no one.
    expiring = [m.name for m in merchants.values() if m.licence_expires_on <= today + timedelta(days=settings.LUNCH_LICENCE_WARN_DAYS)]
    assert expiring == ["顺风大酒店"]
    assert services.check_licences() == {"suspended": 0, "warned": 1}


def test_lunch_points_at_the_building_stations_of_changshou_road_and_a_delivery_building(seeded):
    points = list(PickupPoint.objects.select_related("street", "station", "building__street"))
    building_stations = set(Station.objects.filter(street__name=STREET, kind="building").values_list("slug", flat=True))
    assert {p.station.slug for p in points if p.station} == building_stations
    assert "changshou-xinhui" in building_stations  # where the street tried it first
    delivery = [p for p in points if p.station is None]
    assert 1 <= len(delivery) <= 2 and all(p.building.street.name == STREET for p in delivery)
    for point in points:
        assert point.street.name == STREET and point.is_active
        assert (point.window_opens, point.window_closes) == (time(11, 30), time(13, 0))


def test_the_street_subsidises_office_workers_and_elderly_residents_of_two_neighbourhoods(seeded):
    today = local_now().date()
    workers = SubsidyPolicy.objects.get(street__name=STREET, audience=SubsidyPolicy.Audience.OFFICE_WORKERS)
    assert (workers.subsidy_fen, workers.monthly_budget_fen) == (1000, 20_000_000)
    assert workers.valid_from == today.replace(month=1, day=1) and workers.valid_until is None
    elderly = SubsidyPolicy.objects.get(street__name=STREET, audience=SubsidyPolicy.Audience.ELDERLY)
    neighbourhoods = list(elderly.neighbourhoods.select_related("street"))
    assert elderly.subsidy_fen == 800 and 1 <= len(neighbourhoods) <= 2
    assert all(n.street.name == STREET for n in neighbourhoods)

    point = PickupPoint.objects.get(station__slug="changshou-pinggao")
    assert services.policies_for(User.objects.get(email="worker@demo.station.cn"), point, today) == [workers]
    assert services.policies_for(User.objects.get(email="gu.meihua@demo.station.cn"), point, today) == [elderly]
    assert services.policies_for(User.objects.get(email="resident@demo.station.cn"), point, today) == []


def test_offers_for_today_and_the_next_four_workdays_two_or_three_meals_per_merchant(seeded):
    today, now = local_now().date(), timezone.now()
    days = lunch_seed.lunch_days(today)
    coming = sorted(day for day in days.values() if day >= today)
    assert len(coming) == 4 + (today.weekday() < 5)
    assert all(day.weekday() < 5 for day in days.values())
    assert set(DailyOffer.objects.values_list("date", flat=True)) == set(days.values())
    per_day = DailyOffer.objects.values("date", "merchant").annotate(n=Count("pk"))
    assert len(per_day) == len(days) * Merchant.objects.count()
    assert all(2 <= row["n"] <= 3 for row in per_day)
    for offer in DailyOffer.objects.select_related("meal").prefetch_related("offer_points"):
        cutoff = offer.cutoff_at.astimezone(SHANGHAI)
        assert (cutoff.date(), cutoff.time()) == (offer.date, time(10, 30))
        assert lunch_data.QUOTA_MIN <= offer.quota <= lunch_data.QUOTA_MAX and 200 <= offer.discount_fen <= 300
        assert offer.meal.merchant_id == offer.merchant_id and offer.is_open
        assert 2 <= len(offer.offer_points.all()) <= 4
        if offer.date < today:  # the cut-off, the manifest and the delivery lie behind
            assert offer.manifest_sent_at == offer.cutoff_at and all(p.delivered_at for p in offer.offer_points.all())
        else:
            assert offer.manifest_sent_at is None and not any(p.delivered_at for p in offer.offer_points.all())
    # The days after today are open for orders.
    later = DailyOffer.objects.filter(date__gt=today).select_related("merchant")
    assert later.exists() and all(services.offer_refusal(o, now=now) is None for o in later)


def test_orders_in_every_status_with_prices_that_add_up(seeded):
    today = local_now().date()
    orders = list(Order.objects.select_related("offer__meal", "policy", "picked_up_by"))
    assert {o.status for o in orders} == set(Order.Status.values)
    for order in orders:
        assert order.list_price_fen == order.offer.meal.list_price_fen
        assert order.discount_fen == order.offer.discount_fen * order.quantity
        assert order.total_fen == order.discount_fen + order.subsidy_fen + order.self_paid_fen
        if order.subsidy_fen:
            assert order.subsidy_fen == order.policy.subsidy_fen and order.subsidised_on == order.offer.date
        assert OfferPoint.objects.filter(offer=order.offer, point=order.point).exists()
        assert order.created_at < order.offer.cutoff_at
        if order.offer.date < today:
            assert order.status != Order.Status.PLACED, order
        if order.offer.date > today:
            assert order.status in (Order.Status.PLACED, Order.Status.CANCELLED), order
        if order.status == Order.Status.PICKED_UP:
            assert order.picked_up_by is not None and order.picked_up_at.astimezone(SHANGHAI).date() == order.offer.date
        if order.status == Order.Status.CANCELLED:
            assert order.cancelled_at < order.offer.cutoff_at
    assert Order.objects.filter(payment=Order.Payment.AT_PICKUP, offer__merchant__allows_pay_at_pickup=True).exists()
    assert not Order.objects.filter(payment=Order.Payment.AT_PICKUP, offer__merchant__allows_pay_at_pickup=False).exists()
    assert Order.objects.filter(quantity__gt=1, subsidy_fen__gt=0).exists()  # the subsidy covers one of them
    assert Order.objects.filter(policy__audience=SubsidyPolicy.Audience.ELDERLY).exists()
    assert Order.objects.values("user").distinct().count() >= 5
    assert Feedback.objects.count() >= 3
    assert not Feedback.objects.exclude(order__status=Order.Status.PICKED_UP).exists()


def test_ledgers_match_balances_and_sold_matches_the_live_orders(seeded):
    assert Account.objects.count() >= 5
    assert_books_balance()
    for entry in LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TOP_UP).select_related("recorded_by"):
        assert services.may_top_up(entry.recorded_by), entry
    # The demo's history tells no one anything.
    assert not Notification.objects.filter(kind__startswith="lunch.").exists()


def test_the_demo_office_worker_can_cancel_and_order_with_the_real_services(seeded):
    worker = User.objects.get(email="worker@demo.station.cn")
    job = Membership.objects.select_related("organisation__building__street").get(user=worker)
    assert job.is_verified and job.organisation.kind == Organisation.Kind.ENTERPRISE
    assert job.organisation.building.street.name == STREET
    desk = LedgerEntry.objects.filter(account__user=worker, kind=LedgerEntry.Kind.TOP_UP).select_related("recorded_by").first()
    assert StaffAssignment.objects.filter(user=desk.recorded_by, role=StaffAssignment.Role.STATION_STAFF, station__street__name=STREET).exists()
    account = Account.objects.get(user=worker)
    assert account.balance_fen > 0

    now = timezone.now()
    upcoming = Order.objects.filter(user=worker, status=Order.Status.PLACED, offer__cutoff_at__gt=now).first()
    assert upcoming is not None and upcoming.subsidy_fen == 1000
    services.order_cancel(order_id=upcoming.pk, user=worker)
    account.refresh_from_db()
    before = account.balance_fen

    # A workday ahead without a lunch yet: the worker's price has the subsidy, and the order is paid from the balance.
    busy = Order.objects.filter(user=worker, status__in=Order.LIVE).values("offer__date")
    offer = (
        DailyOffer.objects.filter(date__gt=local_now().date(), offer_points__point__station__slug="changshou-pinggao")
        .exclude(date__in=busy)
        .order_by("date", "pk")
        .first()
    )
    point = offer.points.get(station__slug="changshou-pinggao")
    order = services.order_place(user=worker, offer_id=offer.pk, point_id=point.pk)
    assert order.subsidy_fen == 1000 and order.self_paid_fen == offer.meal.list_price_fen - offer.discount_fen - 1000
    account.refresh_from_db()
    assert account.balance_fen == before - order.self_paid_fen
    assert_books_balance()


def test_the_elderly_resident_is_verified_in_a_listed_neighbourhood(seeded):
    residence = Residence.objects.select_related("neighbourhood__street").get(user__email="gu.meihua@demo.station.cn")
    assert residence.is_verified and residence.neighbourhood.street.name == STREET
    assert not User.objects.get(email="gu.meihua@demo.station.cn").has_usable_password()
    for spec in lunch_data.ORDERERS:
        if "enterprise" in spec:
            job = Membership.objects.select_related("organisation__building").get(user__email=spec["email"])
            assert job.is_verified and job.organisation.building.street.name == STREET


def test_running_it_again_creates_nothing_and_changes_nothing(seeded):
    counts = row_counts()
    offers = dict(DailyOffer.objects.values_list("pk", "updated_at"))
    orders = dict(Order.objects.values_list("pk", "updated_at"))
    balances = dict(Account.objects.values_list("pk", "balance_fen"))

    rows = summary(seed_demo())

    assert row_counts() == counts
    assert dict(DailyOffer.objects.values_list("pk", "updated_at")) == offers
    assert dict(Order.objects.values_list("pk", "updated_at")) == orders
    assert dict(Account.objects.values_list("pk", "balance_fen")) == balances
    for label in LUNCH_MODELS:
        assert rows[label][1:] == (0, 0), label


def test_a_run_on_a_later_day_adds_that_days_offers_and_keeps_the_books(seeded, monkeypatch):
    first_days = set(DailyOffer.objects.values_list("date", flat=True))
    # The next day whose run has a workday to add: tomorrow, unless tomorrow's lunch days are today's (a run on a
    # Saturday, say, offers the same workdays as a run on the Friday before).
    later = next(timezone.now() + timedelta(days=n) for n in range(1, 8)
                 if set(lunch_seed.lunch_days(local_now(timezone.now() + timedelta(days=n)).date()).values()) - first_days)
    monkeypatch.setattr(lunch_seed, "local_now", lambda now=None: local_now(now or later))
    monkeypatch.setattr(lunch_seed, "timezone", SimpleNamespace(now=lambda: later))

    rows = summary(seed_demo())

    days = set(lunch_seed.lunch_days().values())
    assert set(DailyOffer.objects.values_list("date", flat=True)) == first_days | days
    assert rows["lunch.DailyOffer"][1] == DailyOffer.objects.filter(date__in=days - first_days).count() > 0
    assert rows["lunch.Merchant"][1:] == (0, 0) and rows["lunch.Meal"][1:] == (0, 0)
    assert_books_balance()
