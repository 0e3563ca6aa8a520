"""The staff side of lunch: scoped lists, offers that never lose an order, the desk's top-ups, and the reports.

The reports are checked on a small dataset built through the services, in a past month (orders are placed with
`now=` in the morning of their day), whose figures are worked out by hand below.
"""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lunch import services
from lunch.admin import DailyOfferAdmin, _Refused
from lunch.models import Account, DailyOffer, Feedback, LedgerEntry, Meal, Merchant, OfferPoint, Order
from portal.models import AuditEntry, StaffAssignment
from tests.factories import StationFactory, StreetFactory, UserFactory, make_staff
from tests.lunch.factories import (
    balance_of,
    merchant,
    merchant_staff,
    offer,
    office_worker,
    order,
    point,
    policy,
    shanghai,
    top_up,
)
from tests.stations.admin_forms import change_form_data
from tests.wishes.factories import EXIF_MAKE, jpeg_with_exif

pytestmark = pytest.mark.django_db

D1, D2 = date(2025, 3, 10), date(2025, 3, 11)  # a Monday and a Tuesday of a month that is over
TOP_UP = reverse("admin:lunch_account_top_up")
LOOKUP = reverse("admin:lunch_account_lookup")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def report_url(kind, **query):
    url = reverse("admin:lunch_order_report", args=[kind])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def listed(client, model_name, **query):
    response = client.get(reverse(f"admin:lunch_{model_name}_changelist"), query)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def superuser():
    return get_user_model().objects.create_superuser(email="root@example.cn", password="x" * 12)


# ---------------------------------------------------------------------------
# A month of lunches in two streets


@pytest.fixture
def month():
    """Street A: merchants "A 红子鸡" (pays at pickup too) and "B 顺风" at one lunch point; street B: one of its own.

    On D1 the first merchant's set meal (28.00, discount 3.00) is ordered by w1 (balance, picked up), w2 (two meals,
    balance, not collected), w3 (at pickup, picked up), w4 (not verified: no subsidy; at pickup, not collected) and
    w5 (cancelled); the second's (25.00, no discount) by w7 (balance, picked up). On D2 w6 orders the first merchant's
    26.00 meal from balance and is still "placed" (the day is past, nobody marked it). Subsidy: 10.00, one meal a day.
    """
    street = StreetFactory(name="长寿路街道")
    lunch_point = point(street=street)
    subsidy = policy(street=street)
    first = merchant(street=street, name="A 红子鸡", allows_pay_at_pickup=True)
    second = merchant(street=street, name="B 顺风")
    o1 = offer(seller=first, points=[lunch_point], day=D1, price_fen=2800, discount_fen=300, meal_name="红烧肉套餐")
    o7 = offer(seller=second, points=[lunch_point], day=D1, price_fen=2500, discount_fen=0, meal_name="鱼香肉丝套餐")
    o6 = offer(seller=first, points=[lunch_point], day=D2, price_fen=2600, discount_fen=0, meal_name="宫保鸡丁套餐")
    people = {name: office_worker(street=street, balance_fen=20000) for name in ("w1", "w2", "w3", "w5", "w6", "w7")}
    people["w4"] = office_worker(street=street, verified=False)
    pickup = Order.Payment.AT_PICKUP
    orders = {
        "w1": order(people["w1"], o1), "w2": order(people["w2"], o1, quantity=2), "w3": order(people["w3"], o1, payment=pickup),
        "w4": order(people["w4"], o1, payment=pickup), "w5": order(people["w5"], o1), "w7": order(people["w7"], o7),
    }
    services.order_cancel(order_id=orders["w5"].pk, user=people["w5"], now=shanghai(D1, 9, 30))
    handler = make_staff(StaffAssignment.Role.STATION_STAFF, station=lunch_point.station)
    for name in ("w1", "w3", "w7"):
        services.pick_up(code=orders[name].pickup_code, point=lunch_point, actor=handler, now=shanghai(D1, 12))
    services.mark_uncollected(now=shanghai(D1, 14))
    orders["w6"] = order(people["w6"], o6)
    services.feedback_leave(order_id=orders["w1"].pk, user=people["w1"], stars=5, comment="很好吃")
    services.feedback_leave(order_id=orders["w7"].pk, user=people["w7"], stars=3, comment="有点咸")

    other_street = StreetFactory(name="曹家渡街道")
    other_point = point(street=other_street, name="曹家渡午餐点")
    policy(street=other_street)
    other_merchant = merchant(street=other_street, name="C 澳门陈光记")
    other_offer = offer(seller=other_merchant, points=[other_point], day=D1, price_fen=2700, discount_fen=200)
    other_worker = office_worker(street=other_street, balance_fen=20000)
    other_order = order(other_worker, other_offer)
    services.pick_up(code=other_order.pickup_code, point=other_point,
                     actor=make_staff(StaffAssignment.Role.STATION_STAFF, station=other_point.station), now=shanghai(D1, 12))
    services.feedback_leave(order_id=other_order.pk, user=other_worker, stars=1, comment="太慢了")

    return {
        "street": street, "point": lunch_point, "policy": subsidy, "first": first, "second": second, "offers": (o1, o7, o6),
        "people": people, "orders": orders, "handler": handler, "other_street": other_street, "other_point": other_point,
        "other_merchant": other_merchant, "other_order": other_order,
        "street_admin": make_staff(StaffAssignment.Role.STREET_ADMIN, street=street),
        "first_staff": merchant_staff(first),
    }


# ---------------------------------------------------------------------------
# Scope per role


def test_merchant_staff_see_only_their_merchants_offers_orders_and_feedback(client, month):
    client.force_login(month["first_staff"])
    assert {o.merchant_id for o in listed(client, "dailyoffer")} == {month["first"].pk}
    assert {o.offer.merchant_id for o in listed(client, "order")} == {month["first"].pk}
    assert [f.comment for f in listed(client, "feedback")] == ["很好吃"]
    assert [m.pk for m in listed(client, "merchant")] == [month["first"].pk]
    # Another merchant's order is not theirs to open.
    other = month["orders"]["w7"]
    assert client.get(reverse("admin:lunch_order_change", args=[other.pk])).status_code == 302


def test_station_staff_see_the_orders_and_comments_of_their_points_only(client, month):
    client.force_login(month["handler"])
    assert {o.pk for o in listed(client, "order")} == {o.pk for o in month["orders"].values()}
    assert {f.comment for f in listed(client, "feedback")} == {"有点咸", "很好吃"}
    stranger = make_staff(StaffAssignment.Role.STATION_STAFF, station=StationFactory(street=month["street"]))
    client.force_login(stranger)
    assert listed(client, "order") == []
    assert listed(client, "feedback") == []


def test_street_admins_see_their_streets_policies_spend_and_merchants(client, month):
    client.force_login(month["street_admin"])
    assert [p.pk for p in listed(client, "subsidypolicy")] == [month["policy"].pk]
    assert {s.policy_id for s in listed(client, "subsidyspend")} == {month["policy"].pk}
    assert {m.pk for m in listed(client, "merchant")} == {month["first"].pk, month["second"].pk}
    assert month["other_order"].pk not in {o.pk for o in listed(client, "order")}


def test_the_merchant_list_shows_the_average_rating_and_flags_licences_about_to_expire(client, month):
    soon = merchant(street=month["street"], name="D 盒马鲜生", licence_days=10)
    client.force_login(month["street_admin"])
    page = client.get(reverse("admin:lunch_merchant_changelist")).content.decode()
    assert "★ 5.0 (1)" in page and "★ 3.0 (1)" in page
    assert "10 days left" in page
    assert f"{soon.licence_expires_on:%Y-%m-%d} · 10 days left" in page
    expiring = listed(client, "merchant", licence="expiring")
    assert [m.pk for m in expiring] == [soon.pk]


# ---------------------------------------------------------------------------
# Merchants: suspending and reactivating, audited


def test_suspending_needs_a_reason_and_is_audited_and_reactivating_too(client, month):
    first = month["first"]
    url = reverse("admin:lunch_merchant_changelist")
    client.force_login(month["street_admin"])
    client.post(url, {"action": "suspend_selected", "_selected_action": [first.pk], "reason": ""})
    first.refresh_from_db()
    assert first.status == Merchant.Status.ACTIVE

    client.post(url, {"action": "suspend_selected", "_selected_action": [first.pk], "reason": "食品安全抽检不合格"})
    first.refresh_from_db()
    assert (first.status, first.status_reason) == (Merchant.Status.SUSPENDED, "食品安全抽检不合格")
    entry = AuditEntry.objects.get(action="lunch.merchant.suspended")
    assert entry.actor == month["street_admin"] and entry.data["reason"] == "食品安全抽检不合格"

    client.post(url, {"action": "reactivate_selected", "_selected_action": [first.pk], "reason": ""})
    first.refresh_from_db()
    assert (first.status, first.status_reason) == (Merchant.Status.ACTIVE, "")
    assert AuditEntry.objects.filter(action="lunch.merchant.reactivated", actor=month["street_admin"]).count() == 1


def test_a_merchant_whose_licence_expired_is_not_reactivated(client, month):
    expired = merchant(street=month["street"], name="E 过期饭店", licence_days=-1, status=Merchant.Status.SUSPENDED)
    client.force_login(month["street_admin"])
    response = client.post(reverse("admin:lunch_merchant_changelist"),
                           {"action": "reactivate_selected", "_selected_action": [expired.pk], "reason": ""}, follow=True)
    expired.refresh_from_db()
    assert expired.status == Merchant.Status.SUSPENDED
    assert "licence has expired" in response.content.decode()


def test_merchant_staff_can_neither_suspend_nor_edit_their_merchant(client, month):
    first = month["first"]
    client.force_login(month["first_staff"])
    client.post(reverse("admin:lunch_merchant_changelist"), {"action": "suspend_selected", "_selected_action": [first.pk], "reason": "x"})
    first.refresh_from_db()
    assert first.status == Merchant.Status.ACTIVE
    page = client.get(reverse("admin:lunch_merchant_change", args=[first.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]


def test_a_renewed_licence_is_warned_about_again_and_the_status_is_not_in_the_form(client, month):
    first = month["first"]
    Merchant.objects.filter(pk=first.pk).update(licence_warning_sent_on=D1)
    url = reverse("admin:lunch_merchant_change", args=[first.pk])
    client.force_login(month["street_admin"])
    page = client.get(url)
    assert "status" not in page.context["adminform"].form.fields
    data = change_form_data(page)
    data["licence_expires_on"] = "2031-06-30"
    response = client.post(url, data)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.licence_expires_on == date(2031, 6, 30)
    assert first.licence_warning_sent_on is None


# ---------------------------------------------------------------------------
# Menus and offers


def test_merchant_staff_add_a_meal_priced_in_yuan_for_their_own_merchant_only(client, month):
    client.force_login(month["first_staff"])
    url = reverse("admin:lunch_meal_add")
    form = client.get(url).context["adminform"].form
    assert list(form.fields["merchant"].queryset) == [month["first"]]
    assert form.initial["merchant"] == month["first"].pk
    response = client.post(url, {"merchant": month["first"].pk, "name": "梅干菜扣肉", "list_price_fen": "26.5", "is_active": "on"})
    assert response.status_code == 302
    assert Meal.objects.get(name="梅干菜扣肉").list_price_fen == 2650
    refused = client.post(url, {"merchant": month["second"].pk, "name": "偷偷加的", "list_price_fen": "20", "is_active": "on"})
    assert refused.status_code == 200 and "merchant" in refused.context["adminform"].form.errors
    assert not Meal.objects.filter(name="偷偷加的").exists()


def test_a_meal_photo_is_kept_re_encoded_without_exif(client, month, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(month["first_staff"])
    response = client.post(reverse("admin:lunch_meal_add"), {
        "merchant": month["first"].pk, "name": "白切鸡套餐", "list_price_fen": "28", "is_active": "on",
        "photo": jpeg_with_exif(name="王师傅手机拍的.jpg"),
    })
    assert response.status_code == 302
    stored = Meal.objects.get(name="白切鸡套餐").photo
    assert "王师傅" not in stored.name
    with stored.open("rb") as saved:
        data = saved.read()
    assert EXIF_MAKE.encode() not in data and data[:2] == b"\xff\xd8"


@pytest.fixture
def tomorrows(month):
    """An offer of the first merchant for tomorrow with 3 portions ordered, and the page its staff edit it on."""
    made = offer(seller=month["first"], points=[month["point"]], quota=30, point_quota=10)
    for _n in range(3):
        order(UserFactory(), made, payment=Order.Payment.AT_PICKUP, when=timezone.now())
    return made


def offer_post_data(page):
    data = change_form_data(page)
    cutoff = page.context["adminform"].form["cutoff_at"].value()
    local = timezone.localtime(cutoff)
    data.pop("cutoff_at", None)
    data.update({"cutoff_at_0": f"{local:%Y-%m-%d}", "cutoff_at_1": f"{local:%H:%M:%S}"})
    return data


def test_an_offers_quota_cannot_go_below_the_portions_ordered(client, month, tomorrows):
    url = reverse("admin:lunch_dailyoffer_change", args=[tomorrows.pk])
    client.force_login(month["first_staff"])
    page = client.get(url)
    assert page.status_code == 200
    data = offer_post_data(page)
    data["quota"] = "2"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "quota" in response.context["adminform"].form.errors
    data["quota"], data["offer_points-0-quota"] = "30", "2"
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["inline_admin_formsets"][0].formset.errors[0]["quota"]
    data["offer_points-0-quota"], data["offer_points-0-DELETE"] = "10", "on"
    response = client.post(url, data)
    assert response.status_code == 200
    tomorrows.refresh_from_db()
    assert (tomorrows.quota, tomorrows.sold) == (30, 3)
    assert OfferPoint.objects.get(offer=tomorrows).quota == 10


def test_saving_an_offer_never_overwrites_the_portions_ordered_meanwhile(client, month, tomorrows):
    url = reverse("admin:lunch_dailyoffer_change", args=[tomorrows.pk])
    client.force_login(month["first_staff"])
    data = offer_post_data(client.get(url))  # the page shows 3 ordered …
    order(UserFactory(), tomorrows, payment=Order.Payment.AT_PICKUP, when=timezone.now())  # … a fourth comes in
    data.update({"quota": "25", "discount_fen": "4", "offer_points-0-quota": "12"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    tomorrows.refresh_from_db()
    assert (tomorrows.quota, tomorrows.sold, tomorrows.discount_fen) == (25, 4, 400)
    assert OfferPoint.objects.filter(offer=tomorrows).values_list("quota", "sold").get() == (12, 4)
    # Orders froze this meal and day: they are read-only now.
    assert "meal" not in client.get(url).context["adminform"].form.fields


def test_under_the_lock_a_quota_below_the_portions_ordered_is_refused(month, tomorrows, rf):
    request = rf.post("/")
    request.user = month["first_staff"]
    model_admin = DailyOfferAdmin(DailyOffer, None)
    stale = DailyOffer.objects.get(pk=tomorrows.pk)
    stale.quota = 2  # the form saw fewer orders than there are now
    with pytest.raises(_Refused):
        model_admin.save_model(request, stale, form=None, change=True)
    tomorrows.refresh_from_db()
    assert tomorrows.quota == 30


def test_merchant_staff_create_an_offer_for_their_streets_points(client, month):
    client.force_login(month["first_staff"])
    url = reverse("admin:lunch_dailyoffer_add")
    page = client.get(url)
    inline_form = page.context["inline_admin_formsets"][0].formset.forms[0]
    assert list(inline_form.fields["point"].queryset) == [month["point"]]
    day = timezone.localdate() + timezone.timedelta(days=2)
    meal = Meal.objects.create(merchant=month["first"], name="今日特价", list_price_fen=2600)
    data = {
        "date": f"{day:%Y-%m-%d}", "merchant": month["first"].pk, "meal": meal.pk, "quota": "40", "discount_fen": "2.50",
        "cutoff_at_0": f"{day:%Y-%m-%d}", "cutoff_at_1": "10:30:00", "is_open": "on",
        "offer_points-TOTAL_FORMS": "1", "offer_points-INITIAL_FORMS": "0", "offer_points-MIN_NUM_FORMS": "0",
        "offer_points-MAX_NUM_FORMS": "1000", "offer_points-0-point": month["other_point"].pk, "offer_points-0-quota": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and not DailyOffer.objects.filter(meal=meal).exists()
    data["offer_points-0-point"] = month["point"].pk
    assert client.post(url, data).status_code == 302
    made = DailyOffer.objects.get(meal=meal)
    assert (made.discount_fen, made.quota, made.sold) == (250, 40, 0)
    assert timezone.localtime(made.cutoff_at).strftime("%H:%M") == "10:30"
    assert list(made.points.all()) == [month["point"]]


def test_an_offer_needs_a_point_and_its_own_merchants_meal(client, month):
    client.force_login(month["first_staff"])
    day = timezone.localdate() + timezone.timedelta(days=2)
    others = Meal.objects.create(merchant=month["second"], name="别家的菜", list_price_fen=2600)
    data = {
        "date": f"{day:%Y-%m-%d}", "merchant": month["first"].pk, "meal": others.pk, "quota": "40", "discount_fen": "0",
        "cutoff_at_0": f"{day:%Y-%m-%d}", "cutoff_at_1": "10:30:00", "is_open": "on",
        "offer_points-TOTAL_FORMS": "0", "offer_points-INITIAL_FORMS": "0", "offer_points-MIN_NUM_FORMS": "0",
        "offer_points-MAX_NUM_FORMS": "1000",
    }
    response = client.post(reverse("admin:lunch_dailyoffer_add"), data)
    assert response.status_code == 200
    assert "meal" in response.context["adminform"].form.errors
    assert "Choose at least one pickup point." in response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert DailyOffer.objects.filter(date=day).count() == 0


def test_the_offer_list_shows_ordered_of_portions_and_the_cut_off_in_shanghai_time(client, month, tomorrows):
    client.force_login(month["first_staff"])
    page = client.get(reverse("admin:lunch_dailyoffer_changelist")).content.decode()
    assert "3 / 30" in page
    assert "10:30" in page


# ---------------------------------------------------------------------------
# Orders, ledger and feedback are read-only; orders and ledger entries are never deleted


def test_orders_ledger_and_feedback_are_never_added_changed_or_deleted(client, month):
    client.force_login(superuser())
    the_order = month["orders"]["w1"]
    entry = LedgerEntry.objects.filter(order=the_order).first()
    feedback = Feedback.objects.get(order=the_order)
    for name, pk in (("order", the_order.pk), ("ledgerentry", entry.pk), ("feedback", feedback.pk)):
        assert client.get(reverse(f"admin:lunch_{name}_delete", args=[pk])).status_code == 403
        page = client.get(reverse(f"admin:lunch_{name}_change", args=[pk]))
        assert page.status_code == 200 and not page.context["has_change_permission"]
        assert client.get(reverse(f"admin:lunch_{name}_add")).status_code == 403
    assert Order.objects.filter(pk=the_order.pk).exists()


def make_orders(n, street, *, batch):
    """`n` subsidised orders, handed over, rated and with a top-up each, spread over fresh merchants and points,
    so every relation a lunch list shows varies with the number of rows."""
    policy(street=street)
    sellers = [merchant(street=street, name=f"{batch}商户{i}", allows_pay_at_pickup=True) for i in range(min(n, 4))]
    points = [point(street=street, name=f"{batch}点{i}") for i in range(min(n, 3))]
    for i in range(n):
        made = offer(seller=sellers[i % len(sellers)], points=[points[i % len(points)]], meal_name=f"{batch}套餐{i}")
        person = office_worker(street=street)
        placed = order(person, made, payment=Order.Payment.AT_PICKUP, when=timezone.now())
        top_up(person, 100, street=street)
        Order.objects.filter(pk=placed.pk).update(status=Order.Status.PICKED_UP)
        services.feedback_leave(order_id=placed.pk, user=person, stars=1 + i % 5, comment=f"评价{i}")


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["street", "superuser"])
def test_the_order_list_runs_the_same_queries_for_3_and_20_orders(client, role):
    street = StreetFactory()
    user = make_staff(StaffAssignment.Role.STREET_ADMIN, street=street) if role == "street" else superuser()
    client.force_login(user)
    url = reverse("admin:lunch_order_changelist")
    make_orders(3, street, batch="甲")
    few = count_queries(client, url)
    make_orders(17, street, batch="乙")
    assert Order.objects.count() == 20
    many = count_queries(client, url)
    assert few == many, (few, many)
    assert many <= 16


@pytest.mark.parametrize("name", ["merchant", "meal", "pickuppoint", "dailyoffer", "order", "feedback", "subsidypolicy",
                                  "subsidyspend", "account", "ledgerentry"])
def test_every_lunch_list_runs_the_same_queries_for_few_and_many_rows(client, name):
    street = StreetFactory()
    client.force_login(superuser())
    url = reverse(f"admin:lunch_{name}_changelist")
    make_orders(3, street, batch="甲")
    few = count_queries(client, url)
    make_orders(17, street, batch="乙")
    assert count_queries(client, url) == few


@pytest.mark.parametrize("kind", ["meals", "subsidy", "settlement"])
def test_the_reports_run_the_same_queries_for_few_and_many_orders(client, kind):
    street = StreetFactory()
    client.force_login(make_staff(StaffAssignment.Role.STREET_ADMIN, street=street))
    today = timezone.localdate()
    period = ({"start": f"{today:%Y-%m-01}", "end": f"{today + timezone.timedelta(days=3):%Y-%m-%d}"} if kind == "meals"
              else {"start": f"{today:%Y-%m}", "end": f"{today + timezone.timedelta(days=3):%Y-%m}"})
    url = report_url(kind, **period)
    make_orders(2, street, batch="甲")
    few = count_queries(client, url)
    make_orders(8, street, batch="乙")
    assert count_queries(client, url) == few
    assert client.get(url).context["report"].rows


# ---------------------------------------------------------------------------
# Top-ups at the desk


@pytest.fixture
def desk():
    street = StreetFactory()
    return make_staff(StaffAssignment.Role.STATION_STAFF, station=StationFactory(street=street))


def test_desk_staff_record_a_top_up_and_see_the_new_balance(client, desk):
    person = UserFactory(email="li.lei@example.cn")
    top_up(person, 500)
    client.force_login(desk)
    response = client.post(TOP_UP, {"person": " LI.Lei@Example.cn ", "amount": "12.5", "note": "现金"}, follow=True)
    assert response.redirect_chain == [(TOP_UP, 302)]
    assert "Their balance is now ¥17.50" in response.content.decode()
    entry = LedgerEntry.objects.filter(account__user=person).order_by("-pk").first()
    assert (entry.kind, entry.amount_fen, entry.recorded_by, entry.note) == (LedgerEntry.Kind.TOP_UP, 1250, desk, "现金")
    assert balance_of(person) == 1750
    assert AuditEntry.objects.filter(action="lunch.balance.topped_up", actor=desk).exists()


@pytest.mark.parametrize("typed", ["13912345678", "139 1234 5678", "+86 139-1234-5678", "8613912345678"])
def test_a_person_is_found_by_their_mobile_number_as_people_type_it(client, desk, typed):
    person = UserFactory(phone="13912345678")
    client.force_login(desk)
    assert client.post(TOP_UP, {"person": typed, "amount": "¥1,000"}).status_code == 302
    assert balance_of(person) == 100_000


@pytest.mark.parametrize("amount", ["0", "0.00", "-5", "1000.01", "1e9", "0.001", "12.345", "12,5", "abc", "NaN", "Infinity", ""])
def test_bad_amounts_are_refused_and_nothing_is_recorded(client, desk, amount):
    person = UserFactory(email="han.meimei@example.cn")
    client.force_login(desk)
    response = client.post(TOP_UP, {"person": person.email, "amount": amount})
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert not LedgerEntry.objects.exists() and not Account.objects.exists()


def test_the_ceiling_follows_the_setting(client, desk, settings):
    settings.LUNCH_MAX_TOP_UP_FEN = 5000
    person = UserFactory()
    client.force_login(desk)
    assert client.post(TOP_UP, {"person": person.email, "amount": "50.01"}).status_code == 200
    assert client.post(TOP_UP, {"person": person.email, "amount": "50"}).status_code == 302
    assert balance_of(person) == 5000


@pytest.mark.parametrize("typed", ["nobody@example.cn", "1391234", "12345678901", "someone", "person@example"])
def test_an_unknown_person_is_refused_and_nothing_is_recorded(client, desk, typed):
    UserFactory(email="someone@example.cn", phone="13912345678")
    client.force_login(desk)
    response = client.post(TOP_UP, {"person": typed, "amount": "20"})
    assert response.status_code == 200 and "person" in response.context["form"].errors
    assert not LedgerEntry.objects.exists()


def test_an_inactive_person_is_not_topped_up(client, desk):
    person = UserFactory(is_active=False)
    client.force_login(desk)
    assert client.post(TOP_UP, {"person": person.email, "amount": "20"}).status_code == 200
    assert not LedgerEntry.objects.exists()


def test_only_staff_who_record_money_may_top_up(client, month):
    person = UserFactory()
    for who, expected in ((month["street_admin"], 403), (UserFactory(), 302), (month["first_staff"], 200), (superuser(), 200)):
        client.force_login(who)
        assert client.get(TOP_UP).status_code == expected
        response = client.post(TOP_UP, {"person": person.email, "amount": "20"})
        assert response.status_code == (302 if expected == 200 else expected)
    # Merchant staff and the superuser each recorded one; the street administrator and the resident nothing.
    assert balance_of(person) == 4000
    client.logout()
    assert client.get(TOP_UP).status_code == 302  # to the admin login


def test_desk_staff_look_up_one_persons_balance_and_ledger_but_not_the_list(client, month):
    worker = month["people"]["w1"]
    client.force_login(month["handler"])
    response = client.post(LOOKUP, {"person": worker.email})
    assert response.status_code == 200
    assert response.context["balance"] == "185.00"  # 200.00 − 15.00
    kinds = [entry.kind for entry, _amount in response.context["entries"]]
    assert kinds == [LedgerEntry.Kind.ORDER, LedgerEntry.Kind.TOP_UP]
    page = response.content.decode()
    assert "红烧肉套餐" in page and month["orders"]["w1"].pickup_code not in page
    assert AuditEntry.objects.filter(action="lunch.balance.looked_up", actor=month["handler"]).count() == 1
    assert client.get(reverse("admin:lunch_account_changelist")).status_code == 403
    assert client.get(reverse("admin:lunch_ledgerentry_changelist")).status_code == 403
    assert client.post(LOOKUP, {"person": "nobody@example.cn"}).context.get("person") is None
    client.force_login(month["street_admin"])
    assert client.post(LOOKUP, {"person": worker.email}).status_code == 403


def test_superusers_list_every_account(client, month):
    client.force_login(superuser())
    accounts = listed(client, "account")
    assert {a.user_id for a in accounts} >= {p.pk for p in month["people"].values() if balance_of(p)}


# ---------------------------------------------------------------------------
# Reports


def rows(client, kind, **query):
    response = client.get(report_url(kind, **query))
    assert response.status_code == 200
    return response.context["report"].rows


def test_the_settlement_adds_up_per_merchant(client, month):
    client.force_login(month["street_admin"])
    first, second = rows(client, "settlement", start="2025-03", end="2025-03")
    # w1, w2 (2 meals), w3, w4 (unsubsidised) on D1 and w6 (placed, past its cut-off) on D2; w5 cancelled.
    assert first == {
        "month": date(2025, 3, 1), "merchant": "A 红子鸡", "orders": 5, "meals": 6, "subsidised": 4,
        "list_total": 2800 + 5600 + 2800 + 2800 + 2600, "discount": 300 + 600 + 300 + 300, "subsidy": 4 * 1000,
        "from_balance": 1500 + 4000 + 1600, "at_pickup": 1500, "at_pickup_open": 2500,
    }
    assert first["list_total"] == sum(first[k] for k in ("discount", "subsidy", "from_balance", "at_pickup", "at_pickup_open"))
    assert second == {
        "month": date(2025, 3, 1), "merchant": "B 顺风", "orders": 1, "meals": 1, "subsidised": 1, "list_total": 2500,
        "discount": 0, "subsidy": 1000, "from_balance": 1500, "at_pickup": 0, "at_pickup_open": 0,
    }
    page = client.get(report_url("settlement", start="2025-03", end="2025-03")).content.decode()
    assert "166.00" in page and "191.00" in page  # the first merchant at list price, and the total


def test_a_placed_order_counts_once_its_cut_off_has_passed(month):
    from lunch import reports

    orders = Order.objects.filter(offer__merchant=month["first"])
    before = reports.settlement(orders, first_month=date(2025, 3, 1), last_month=date(2025, 3, 1), now=shanghai(D2, 10, 29))
    after = reports.settlement(orders, first_month=date(2025, 3, 1), last_month=date(2025, 3, 1), now=shanghai(D2, 10, 30))
    assert (before.rows[0]["orders"], after.rows[0]["orders"]) == (4, 5)


def test_meals_per_day_per_merchant_and_point(client, month):
    client.force_login(month["street_admin"])
    got = [(r["date"], r["merchant"], r["orders"], r["meals"], r["picked_up"], r["not_collected"], r["waiting"])
           for r in rows(client, "meals", start="2025-03-01", end="2025-03-31")]
    assert got == [
        (D1, "A 红子鸡", 4, 5, 2, 3, 0),
        (D1, "B 顺风", 1, 1, 1, 0, 0),
        (D2, "A 红子鸡", 1, 1, 0, 0, 1),
    ]
    assert {r["point"] for r in rows(client, "meals", start="2025-03-01", end="2025-03-31")} == {month["point"].name}


def test_subsidy_against_budget_per_policy_and_month(client, month):
    client.force_login(month["street_admin"])
    (row,) = rows(client, "subsidy", start="2025-01", end="2025-06")
    assert row["month"] == date(2025, 3, 1) and row["policy"] == month["policy"].name
    assert (row["budget"], row["spent"], row["left"], row["meals"]) == (1_000_000, 5000, 995_000, 5)
    assert (row["order_subsidy"], row["order_meals"]) == (5000, 5)
    assert row["used"] == Decimal("0.5")


def test_reports_are_scoped_per_role(client, month):
    client.force_login(month["first_staff"])
    assert {r["merchant"] for r in rows(client, "settlement", start="2025-03", end="2025-03")} == {"A 红子鸡"}
    assert client.get(report_url("subsidy")).status_code == 403
    client.force_login(make_staff(StaffAssignment.Role.STATION_STAFF, station=month["other_point"].station))
    assert {r["merchant"] for r in rows(client, "meals", start="2025-03-01", end="2025-03-31")} == {"C 澳门陈光记"}
    assert client.get(report_url("subsidy")).status_code == 403
    index = client.get(reverse("admin:lunch_order_reports"))
    assert [kind for kind, _title in index.context["reports"]] == ["meals", "settlement"]
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:lunch_order_reports")).status_code == 403
    assert client.get(report_url("nonsense")).status_code == 404


def test_bad_report_periods_fall_back_and_say_so(client, month):
    client.force_login(month["street_admin"])
    response = client.get(report_url("settlement", start="2025-13", end="soon"))
    assert response.status_code == 200 and response.context["form"].errors
    response = client.get(report_url("meals", start="1900-01-01", end="2025-03-31"))
    assert response.status_code == 200
    assert (response.context["end"] - response.context["start"]).days == 365


def test_reports_export_as_csv_and_xlsx(client, month):
    client.force_login(month["street_admin"])
    response = client.get(report_url("settlement", start="2025-03", end="2025-03", format="csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="lunch-settlement-20250301-20250301.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["month", "merchant", "orders"]
    assert lines[1][:4] == ["2025-03", "A 红子鸡", "5", "6"] and lines[1][5] == "166.00"
    assert lines[-1][1] == "Total" and lines[-1][5] == "191.00"

    response = client.get(report_url("settlement", start="2025-03", end="2025-03", format="xlsx"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][:2] == ("month", "merchant")
    assert values[1][1] == "A 红子鸡" and values[1][5] == 166  # a number Excel can add up
    assert values[-1][5] == 191


def test_exported_names_are_never_formulas(client, month):
    Merchant.objects.get(pk=month["second"].pk).organisation.__class__.objects.filter(
        pk=month["second"].organisation_id).update(name='=HYPERLINK("http://evil.example","x")')
    client.force_login(month["street_admin"])
    response = client.get(report_url("meals", start="2025-03-01", end="2025-03-31", format="csv"))
    cells = [row[1] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells
    assert not any(cell.startswith("=") for cell in cells)


def test_the_order_list_links_the_reports_and_the_desk(client, month):
    client.force_login(month["handler"])
    page = client.get(reverse("admin:lunch_order_changelist")).content.decode()
    assert reverse("admin:lunch_order_reports") in page and TOP_UP in page and LOOKUP in page
    app = client.get(reverse("admin:app_list", args=["lunch"])).content.decode()
    assert reverse("admin:lunch_order_reports") in app and TOP_UP in app
    client.force_login(month["street_admin"])
    page = client.get(reverse("admin:lunch_order_changelist")).content.decode()
    assert reverse("admin:lunch_order_reports") in page and TOP_UP not in page


def test_every_add_page_opens_for_whoever_may_add(client, month):
    pages = {
        "merchant": month["street_admin"], "subsidypolicy": month["street_admin"], "pickuppoint": month["handler"],
        "meal": month["first_staff"], "dailyoffer": month["first_staff"],
    }
    for name, who in pages.items():
        client.force_login(who)
        assert client.get(reverse(f"admin:lunch_{name}_add")).status_code == 200, name
    client.force_login(superuser())
    for name in pages:
        assert client.get(reverse(f"admin:lunch_{name}_add")).status_code == 200, name
    for kind in ("meals", "subsidy", "settlement"):
        assert client.get(report_url(kind)).status_code == 200, kind


def test_station_staff_add_a_lunch_point_at_their_station(client, month):
    station = month["point"].station
    client.force_login(month["handler"])
    response = client.post(reverse("admin:lunch_pickuppoint_add"), {
        "name": "二号午餐点", "station": station.pk, "address": "一楼大堂", "window_opens": "11:30", "window_closes": "13:00",
        "is_active": "on",
    })
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    added = month["point"].__class__.objects.get(name="二号午餐点")
    assert (added.street_id, added.station_id) == (station.street_id, station.pk)
    refused = client.post(reverse("admin:lunch_pickuppoint_add"), {
        "name": "别人的点", "station": month["other_point"].station_id, "window_opens": "11:30", "window_closes": "13:00",
    })
    assert refused.status_code == 200 and "station" in refused.context["adminform"].form.errors


def test_street_admins_keep_subsidy_policies_in_yuan(client, month):
    client.force_login(month["street_admin"])
    response = client.post(reverse("admin:lunch_subsidypolicy_add"), {
        "street": month["street"].pk, "name": "敬老午餐补贴", "audience": "workers", "subsidy_fen": "8", "monthly_budget_fen": "20000",
        "valid_from": "2030-01-01",
    })
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    added = month["policy"].__class__.objects.get(name="敬老午餐补贴")
    assert (added.subsidy_fen, added.monthly_budget_fen) == (800, 2_000_000)
    refused = client.post(reverse("admin:lunch_subsidypolicy_add"), {
        "street": month["other_street"].pk, "name": "别的街道", "audience": "workers", "subsidy_fen": "8", "monthly_budget_fen": "1",
        "valid_from": "2030-01-01",
    })
    assert refused.status_code == 200 and "street" in refused.context["adminform"].form.errors
