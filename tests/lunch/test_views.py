"""The lunch pages through the test client: the day's meals and their prices, ordering (double submits, bad
input), one order, cancelling, feedback, My lunch and its reminders, the merchant's manifest and the handover desk.

Pages are read in English (the language cookie), so the assertions don't depend on the translations.
"""

import re
import uuid
from datetime import timedelta

import pytest
import qrcode
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lunch import services
from lunch.models import Account, DailyOffer, Feedback, LedgerEntry, Merchant, OfferPoint, Order, SubsidySpend, yuan
from lunch.templatetags.lunch_extras import pickup_qr
from portal.models import Notification, StaffAssignment
from stations.hours import local_now
from tests.concurrency import run_concurrently, slow_down
from tests.factories import StationFactory, StreetFactory, UserFactory, make_staff
from tests.lunch import factories as lf

pytestmark = pytest.mark.django_db

TODAY = reverse("lunch:today")
MINE = reverse("lunch:mine")
MANIFEST = reverse("lunch:manifest")
HANDOVER = reverse("lunch:handover")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text(response):
    return response.content.decode()


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def street():
    return StreetFactory()


@pytest.fixture
def station(street):
    return StationFactory(street=street)


@pytest.fixture
def lunch_point(street, station):
    return lf.point(street=street, station=station)


@pytest.fixture
def seller(street):
    return lf.merchant(street=street, allows_pay_at_pickup=True)


@pytest.fixture
def offer(seller, lunch_point):
    return lf.offer(seller=seller, points=[lunch_point], meal_name="红烧肉套餐")


@pytest.fixture
def policy(street):
    return lf.policy(street=street, subsidy_fen=1000)


@pytest.fixture
def worker(client, street, policy):
    user = lf.office_worker(street=street, balance_fen=5000)
    client.force_login(user)
    return user


def order_url(offer):
    return reverse("lunch:order_form", args=[offer.pk])


def post_order(client, offer, where, **fields):
    data = {"point": where.pk, "quantity": 1, "payment": "balance", "key": str(uuid.uuid4()), "confirm": "1", **fields}
    return client.post(order_url(offer), data)


def place(user, offer, point, **kwargs):
    return services.order_place(user=user, offer_id=offer.pk, point_id=point.pk, **kwargs)


def balance(user):
    return Account.objects.get(user=user).balance_fen


def nothing_changed(offer, user, orders=0, balance_fen=5000):
    offer.refresh_from_db()
    assert offer.sold == sum(o.quantity for o in Order.objects.filter(offer=offer).exclude(status=Order.Status.CANCELLED))
    assert Order.objects.filter(user=user).count() == orders
    assert balance(user) == balance_fen


# ---------------------------------------------------------------------------
# /lunch/


def test_the_day_shows_the_persons_own_price_with_its_breakdown(client, worker, offer, lunch_point):
    response = client.get(TODAY, {"date": offer.date.isoformat()})
    assert response.status_code == 200
    page = text(response)
    assert "红烧肉套餐" in page and "红子鸡美食总汇" in page and lunch_point.name in page
    expected = services.quote(user=worker, offer=offer, point=lunch_point)
    assert expected.self_paid_fen == 1500
    [(point, [card])] = response.context["groups"]
    assert (card.price.discount_fen, card.price.subsidy_fen, card.price.self_paid_fen) == (
        expected.discount_fen, expected.subsidy_fen, expected.self_paid_fen)
    assert "¥15.00" in page and "¥28.00" in page and "− ¥3.00" in page and "− ¥10.00" in page
    assert "30 portions left" in page
    assert "Orders close on" in page and "10:30" in page
    assert order_url(offer) in page


def test_anonymous_visitors_see_the_list_price_less_the_discount_and_a_note_on_the_subsidy(client, offer, policy):
    response = client.get(TODAY, {"date": offer.date.isoformat()})
    page = text(response)
    assert response.status_code == 200
    assert "¥25.00" in page and "Government subsidy" not in page
    assert "Verified office workers of the street" in page
    assert "Log in to see your price" in page


def test_an_unsubsidised_person_sees_why(client, offer, street):
    user = lf.office_worker(street=StreetFactory())
    client.force_login(user)
    page = text(client.get(TODAY, {"date": offer.date.isoformat()}))
    assert "¥25.00" in page
    assert "The lunch subsidy is for verified office workers" in page


def test_today_shows_the_time_left_until_the_cut_off(client, worker, seller, lunch_point):
    now = local_now()
    if now.hour >= 22:
        pytest.skip("needs a cut-off later today")
    cutoff = now + timedelta(hours=1, minutes=20, seconds=30)
    lf.offer(seller=seller, points=[lunch_point], day=now.date(), cutoff=(cutoff.hour, cutoff.minute, cutoff.second))
    page = text(client.get(TODAY))
    assert f"Orders close at {cutoff:%H:%M} — 1 h 20 min left" in page


def test_sold_out_and_closed_offers_say_so_and_offer_no_button(client, worker, seller, lunch_point):
    sold_out = lf.offer(seller=seller, points=[lunch_point], quota=1, meal_name="卖完了")
    closed = lf.offer(seller=seller, points=[lunch_point], meal_name="不卖了")
    type(closed).objects.filter(pk=closed.pk).update(is_open=False)
    place(lf.office_worker(street=seller.organisation.street, balance_fen=5000), sold_out, lunch_point)
    page = text(client.get(TODAY, {"date": sold_out.date.isoformat()}))
    assert "Sold out" in page and "This meal is not open for orders." in page
    assert order_url(sold_out) not in page and order_url(closed) not in page


def test_suspended_and_unlicensed_merchants_are_hidden_and_cannot_be_ordered_from(client, worker, street, lunch_point):
    suspended = lf.offer(seller=lf.merchant(street=street, name="停业商户", status=Merchant.Status.SUSPENDED), points=[lunch_point],
                         meal_name="停业套餐")
    expired = lf.offer(seller=lf.merchant(street=street, name="过期商户", licence_days=0), points=[lunch_point], meal_name="过期套餐")
    page = text(client.get(TODAY, {"date": suspended.date.isoformat()}))
    assert "停业套餐" not in page and "过期套餐" not in page
    for hidden in (suspended, expired):
        assert client.get(order_url(hidden)).status_code == 404
        assert post_order(client, hidden, lunch_point).status_code == 404
    assert not Order.objects.exists()


def test_date_tabs_and_a_bad_date_falls_back_to_today(client, worker, seller, lunch_point):
    today = timezone.localdate()
    for n in (1, 3, 6):
        lf.offer(seller=seller, points=[lunch_point], day=today + timedelta(days=n))
    response = client.get(TODAY, {"date": "2025-13-45"})
    assert response.context["day"] == today
    assert response.context["days"] == [today] + [today + timedelta(days=n) for n in (1, 3, 6)]
    for junk in ("yesterday", "", "9" * 400, (today - timedelta(days=1)).isoformat(), "0001-01-01"):
        response = client.get(TODAY, {"date": junk, "point": junk})
        assert response.status_code == 200 and response.context["day"] == today
    assert client.get(TODAY, {"date": (today + timedelta(days=3)).isoformat()}).context["day"] == today + timedelta(days=3)


def test_the_point_chooser_defaults_to_the_workplace_street_and_remembers_a_choice(client, worker, street, seller, lunch_point):
    far_street = StreetFactory()
    far_point = lf.point(street=far_street, name="远处午餐点")
    lf.offer(seller=seller, points=[lunch_point, far_point], meal_name="两地套餐")
    day = {"date": tomorrow().isoformat()}

    response = client.get(TODAY, day)
    assert response.context["choice"] == "near"
    assert [point for point, _cards in response.context["groups"]] == [lunch_point]

    response = client.get(TODAY, {**day, "point": far_point.pk})
    assert [point for point, _cards in response.context["groups"]] == [far_point]
    assert response.cookies["lunch_point"].value == str(far_point.pk)
    # The cookie is remembered by the client: the next visit shows the chosen point.
    assert [point for point, _cards in client.get(TODAY, day).context["groups"]] == [far_point]

    response = client.get(TODAY, {**day, "point": "all"})
    assert {point for point, _cards in response.context["groups"]} == {lunch_point, far_point}


def test_someone_without_a_workplace_sees_every_point(client, seller, lunch_point):
    other = lf.point(street=StreetFactory(), name="别处")
    lf.offer(seller=seller, points=[lunch_point, other])
    client.force_login(UserFactory())
    response = client.get(TODAY, {"date": tomorrow().isoformat()})
    assert response.context["choice"] == "all"
    assert {point for point, _cards in response.context["groups"]} == {lunch_point, other}


def make_offers(n, street, points, batch):
    merchants = [lf.merchant(street=street, name=f"商户{batch}-{i}") for i in range(3)]
    return [lf.offer(seller=merchants[i % 3], points=points, meal_name=f"套餐{batch}-{i}") for i in range(n)]


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("logged_in", [True, False])
def test_lunch_page_runs_the_same_queries_for_3_and_30_offers(client, street, policy, logged_in):
    points = [lf.point(street=street, name=f"午餐点{i}") for i in range(3)]
    if logged_in:
        user = lf.office_worker(street=street, balance_fen=5000)
        client.force_login(user)
    offers = make_offers(3, street, points, 1)
    if logged_in:
        place(user, offers[0], points[0])  # a subsidised order that day, and a rating of the merchant
    params = {"date": tomorrow().isoformat()}
    few = count_queries(client, TODAY, params)
    make_offers(27, street, points, 2)
    assert len(client.get(TODAY, params).context["groups"][0][1]) == 30
    many = count_queries(client, TODAY, params)
    assert few == many
    assert many <= (16 if logged_in else 8)


def test_the_manifest_runs_the_same_queries_for_few_and_many_orders(client, street, seller):
    points = [lf.point(street=street, name=f"午餐点{i}") for i in range(3)]
    offers = [lf.offer(seller=seller, points=points, meal_name=f"套餐{i}") for i in range(3)]
    staff = make_staff(StaffAssignment.Role.MERCHANT_STAFF, merchant=seller.organisation)
    client.force_login(staff)
    params = {"date": tomorrow().isoformat()}
    place(lf.office_worker(street=street, balance_fen=5000), offers[0], points[0])
    few = count_queries(client, MANIFEST, params)
    for i in range(12):
        place(lf.office_worker(street=street, balance_fen=5000), offers[i % 3], points[i % 3])
    many = count_queries(client, MANIFEST, params)
    assert few == many <= 12


# ---------------------------------------------------------------------------
# Ordering


def test_the_order_page_shows_the_breakdown_before_confirming(client, worker, offer, lunch_point):
    response = client.get(order_url(offer))
    page = text(response)
    assert response.status_code == 200
    assert "− ¥10.00" in page and "¥15.00" in page
    assert "Subsidised by" in page and "This order is not subsidised" not in page
    key = re.search(r'name="key" value="([0-9a-f-]{36})"', page)
    assert key and uuid.UUID(key.group(1))
    assert "Pay the merchant when I collect it" in page


def test_the_order_page_says_clearly_when_and_why_an_order_is_unsubsidised(client, street, offer, lunch_point, policy):
    client.force_login(lf.office_worker(street=StreetFactory(), balance_fen=5000))
    page = text(client.get(order_url(offer)))
    assert "This order is not subsidised." in page
    assert "The lunch subsidy is for verified office workers" in page
    assert "¥25.00" in page


def test_the_preview_follows_the_quantity(client, worker, offer, lunch_point):
    response = client.get(order_url(offer), {"point": lunch_point.pk, "quantity": 3}, headers={"X-Lunch-Preview": "1"})
    expected = services.quote(user=worker, offer=offer, point=lunch_point, quantity=3)
    page = text(response)
    assert "<html" not in page
    assert f"¥{yuan(expected.self_paid_fen)}" in page and "3 × ¥28.00" in page
    assert "The subsidy applies to one meal" in page


def test_ordering_places_the_order_and_takes_the_balance(client, worker, offer, lunch_point):
    response = post_order(client, offer, lunch_point)
    order = Order.objects.get(user=worker)
    assert response.status_code == 302 and response.url == reverse("lunch:order", args=[order.pk])
    assert (order.subsidy_fen, order.self_paid_fen) == (1000, 1500)
    assert balance(worker) == 3500
    assert Notification.objects.filter(recipient=worker, kind="lunch.order.placed").exists()


def test_an_order_reads_the_offer_once_and_a_sold_out_meal_sends_back_to_the_day_without_a_transaction(client, street, worker, offer, lunch_point):
    """What an order costs in SQL statements, and that a refusal of a sold-out meal queues behind no lock.

    Placed: the session and the person, the offer with its points (one statement); then the transaction — the
    price (the policies the person qualifies for, with the month's spend and today's subsidy, in one query), the
    order, the balance taken (checked in the same UPDATE) and its debit, the audit row, the notification and its
    delivery, then the budget and the portions counted — and its COMMIT (here, inside the test's transaction, a
    savepoint and its release). Fifteen: the account is no longer read under a lock before the balance is updated,
    and the offer's points come in the offer's statement; nothing in the transaction reads a row FOR UPDATE. The
    balance shown on the form is not read: the order checks it in the statement that takes it.
    """
    place(lf.office_worker(street=street, balance_fen=5000), offer, lunch_point)  # the month's first
    with CaptureQueriesContext(connection) as placed:
        assert post_order(client, offer, lunch_point).status_code == 302
    statements = [q["sql"].split()[0] for q in placed.captured_queries]
    assert len(placed) == 15, "\n".join(q["sql"][:120] for q in placed.captured_queries)
    assert not any("FOR UPDATE" in q["sql"] for q in placed.captured_queries)
    offer_reads = [q["sql"] for q in placed.captured_queries  # the fixed read: SQL, or on PostgreSQL its prepared statement run
                   if (q["sql"].startswith("SELECT") and "lunch_dailyoffer" in q["sql"]) or "fixed_lunch_offer_for_order" in q["sql"]]
    assert len(offer_reads) == 1

    DailyOffer.objects.filter(pk=offer.pk).update(quota=F("sold"))
    with CaptureQueriesContext(connection) as refused:
        response = post_order(client, offer, lunch_point)
    assert response.status_code == 302 and response.url == f"{TODAY}?date={offer.date.isoformat()}"
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "Sold out. Please choose another meal."
    assert not any("FOR UPDATE" in q["sql"] or q["sql"].startswith("SAVEPOINT") for q in refused.captured_queries)
    assert statements.count("UPDATE") == 4  # the balance, the budget, the offer, the point
    nothing_changed(offer, worker, orders=1, balance_fen=3500)


def test_a_meal_sold_out_while_ordering_sends_back_to_the_days_meals_saying_so(client, street, worker, seller, lunch_point):
    last = lf.offer(seller=seller, points=[lunch_point], quota=1, meal_name="最后一份")
    lf.offer(seller=seller, points=[lunch_point], meal_name="还有的套餐")
    form = client.get(order_url(last))  # the form showed one portion left…
    assert form.status_code == 200
    place(lf.office_worker(street=street, balance_fen=5000), last, lunch_point)  # …someone else took it
    page = client.post(order_url(last), {"point": lunch_point.pk, "quantity": 1, "payment": "balance", "key": str(uuid.uuid4())},
                       follow=True)
    shown = text(page)
    assert page.redirect_chain[-1][0].startswith(TODAY) and "Sold out. Please choose another meal." in shown
    assert "还有的套餐" in shown and order_url(last) not in shown
    nothing_changed(last, worker)


def test_a_double_submit_places_one_order(client, worker, offer, lunch_point):
    key = str(uuid.uuid4())
    first = post_order(client, offer, lunch_point, key=key)
    second = post_order(client, offer, lunch_point, key=key)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Order.objects.filter(user=worker).count() == 1
    offer.refresh_from_db()
    assert offer.sold == 1 and balance(worker) == 3500


def test_pay_at_pickup_leaves_the_balance_alone(client, worker, offer, lunch_point):
    post_order(client, offer, lunch_point, payment="pickup", quantity=2)
    order = Order.objects.get(user=worker)
    assert (order.payment, order.quantity, order.self_paid_fen) == ("pickup", 2, 2 * 2800 - 600 - 1000)
    assert balance(worker) == 5000


def test_a_refusal_from_the_service_is_a_form_error_and_changes_nothing(client, street, offer, lunch_point, policy):
    poor = lf.office_worker(street=street, balance_fen=500)
    client.force_login(poor)
    response = post_order(client, offer, lunch_point)
    assert response.status_code == 200
    assert "Your balance is ¥5.00; this order needs ¥15.00" in text(response)
    nothing_changed(offer, poor, balance_fen=500)


def test_pay_at_pickup_is_refused_when_the_merchant_takes_balance_only(client, worker, street, lunch_point):
    strict = lf.offer(seller=lf.merchant(street=street, name="只收余额"), points=[lunch_point])
    response = post_order(client, strict, lunch_point, payment="pickup")
    assert response.status_code == 200 and "Choose how to pay." in text(response)
    nothing_changed(strict, worker)


@pytest.mark.parametrize("fields", [
    {"quantity": "-1"}, {"quantity": "0"}, {"quantity": "abc"}, {"quantity": "99999999999999999999"}, {"quantity": "1.5"},
    {"point": "999999"}, {"point": "abc"}, {"point": ""}, {"payment": "cash"}, {"key": "not-a-uuid"}, {"key": ""},
    {"quantity": str(settings.LUNCH_MAX_QUANTITY + 1)},
])
def test_junk_in_the_order_form_is_a_clear_form_error_never_a_500(client, worker, offer, lunch_point, fields):
    response = post_order(client, offer, lunch_point, **fields)
    assert response.status_code == 200
    assert 'class="errorlist' in text(response)
    nothing_changed(offer, worker)


def test_a_point_the_offer_does_not_serve_is_refused(client, worker, offer, street):
    elsewhere = lf.point(street=street, name="不送这里")
    response = post_order(client, offer, elsewhere)
    assert response.status_code == 200 and "This meal is not delivered to that pickup point" in text(response)
    nothing_changed(offer, worker)


@pytest.mark.parametrize("offer_id", [0, 987654, 99999999999999999999])
def test_forged_offer_ids_are_not_found(client, worker, lunch_point, offer_id):
    url = reverse("lunch:order_form", args=[offer_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"point": lunch_point.pk, "quantity": 1, "payment": "balance", "key": str(uuid.uuid4())}).status_code == 404
    assert not Order.objects.exists()


def test_junk_preview_parameters_never_500(client, worker, offer):
    for params in ({"point": "x", "quantity": "-3"}, {"quantity": "9" * 50}, {"payment": "<script>"}, {"point": "1" * 40}):
        assert client.get(order_url(offer), params).status_code == 200


def test_ordering_after_the_cut_off_is_refused(client, worker, seller, lunch_point):
    closed = lf.offer(seller=seller, points=[lunch_point], day=timezone.localdate(), cutoff=(0, 0))
    assert "Orders for this meal closed at 00:00." in text(client.get(order_url(closed)))
    response = post_order(client, closed, lunch_point)
    assert response.status_code == 200 and "Orders for this meal closed at 00:00." in text(response)
    nothing_changed(closed, worker)


def test_the_order_page_needs_a_login(client, offer):
    response = client.get(order_url(offer))
    assert response.status_code == 302 and reverse("account_login") in response.url


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_of_one_form_place_one_order_and_no_500(monkeypatch):
    """The second submit's order meets the first's at the order_idempotent constraint (on PostgreSQL it waits for the
    first to commit, then fails); the page still answers with the one order."""
    street = StreetFactory()
    lf.policy(street=street)
    point = lf.point(street=street)
    offer = lf.offer(seller=lf.merchant(street=street), points=[point])
    worker = lf.office_worker(street=street, balance_fen=5000)
    data = {"point": point.pk, "quantity": 1, "payment": "balance", "key": str(uuid.uuid4()), "confirm": "1"}
    clients = []
    for _ in range(2):
        clients.append(Client(raise_request_exception=True))
        clients[-1].force_login(worker)
    slow_down(monkeypatch, services, "offer_refusal", 0.5)  # both pause just before their transactions: they reach their INSERTs together

    outcomes = run_concurrently([lambda c=c: c.post(order_url(offer), data) for c in clients])
    assert outcomes.errors == []
    assert {r.status_code for r in outcomes.results} == {302}
    assert len({r.url for r in outcomes.results}) == 1
    assert Order.objects.filter(user=worker).count() == 1
    assert Account.objects.get(user=worker).balance_fen == 3500


# ---------------------------------------------------------------------------
# One order, cancelling, feedback


def test_the_order_page_shows_the_code_big_with_its_qr_to_the_owner_only(client, worker, offer, lunch_point):
    order = place(worker, offer, lunch_point)
    page = text(client.get(reverse("lunch:order", args=[order.pk])))
    assert '<p class="pickup-code"' in page and order.pickup_code in page
    assert "<svg" in page and f"QR code for pickup code {order.pickup_code}" in page
    assert "11:30–13:00" in page and lunch_point.name in page
    assert "− ¥10.00" in page and "Cancel this order" in page

    client.force_login(UserFactory())
    assert client.get(reverse("lunch:order", args=[order.pk])).status_code == 404
    assert client.get(reverse("lunch:order", args=[987654])).status_code == 404


def test_cancelling_my_order_refunds_the_balance(client, worker, offer, lunch_point):
    order = place(worker, offer, lunch_point)
    response = client.post(reverse("lunch:cancel", args=[order.pk]), follow=True)
    assert "¥15.00 is back in your balance" in text(response)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and balance(worker) == 5000
    assert LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND, amount_fen=1500).exists()


def test_another_persons_order_cannot_be_cancelled(client, worker, street, offer, lunch_point):
    other = lf.office_worker(street=street, balance_fen=5000)
    order = place(other, offer, lunch_point)
    assert client.post(reverse("lunch:cancel", args=[order.pk])).status_code == 404
    assert client.post(reverse("lunch:cancel", args=[99999999999999999999])).status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED and balance(other) == 3500
    assert client.get(reverse("lunch:cancel", args=[order.pk])).status_code == 405


def test_cancelling_after_the_cut_off_is_refused_and_changes_nothing(client, worker, seller, lunch_point):
    today = timezone.localdate()
    closed = lf.offer(seller=seller, points=[lunch_point], day=today, cutoff=(0, 0))
    order = place(worker, closed, lunch_point, now=closed.cutoff_at - timedelta(minutes=5))
    page = text(client.get(reverse("lunch:order", args=[order.pk])))
    assert "Cancel this order" not in page
    response = client.post(reverse("lunch:cancel", args=[order.pk]), follow=True)
    assert "Orders can be cancelled until 00:00" in text(response)
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED and balance(worker) == 3500


def test_feedback_once_picked_up(client, worker, seller, lunch_point, station):
    today = timezone.localdate()
    current = lf.offer(seller=seller, points=[lunch_point], day=today, cutoff=(0, 0))
    order = place(worker, current, lunch_point, now=current.cutoff_at - timedelta(minutes=5))
    url = reverse("lunch:order", args=[order.pk])
    feedback_url = reverse("lunch:feedback", args=[order.pk])
    assert "How was your lunch?" not in text(client.get(url))
    assert "once you have collected it" in text(client.post(feedback_url, {"stars": 5}, follow=True))

    services.pick_up(code=order.pickup_code, point=lunch_point, actor=make_staff(StaffAssignment.Role.STATION_STAFF, station=station))
    assert "How was your lunch?" in text(client.get(url))
    for junk in ({"stars": "9"}, {"stars": "abc"}, {}, {"stars": "-1"}):
        assert "Choose from 1 to 5 stars." in text(client.post(feedback_url, junk, follow=True))
    assert not Feedback.objects.exists()
    client.post(feedback_url, {"stars": "4", "comment": "好吃"})
    assert Feedback.objects.get(order=order).stars == 4
    page = text(client.get(url))
    assert "Your rating" in page and "好吃" in page
    assert "rated this meal already" in text(client.post(feedback_url, {"stars": "1"}, follow=True))


# ---------------------------------------------------------------------------
# My lunch


def test_my_lunch_shows_balance_ledger_and_orders(client, worker, offer, lunch_point, seller):
    order = place(worker, offer, lunch_point)
    cancelled = place(worker, lf.offer(seller=seller, points=[lunch_point], meal_name="退掉的"), lunch_point)
    services.order_cancel(order_id=cancelled.pk, user=worker)
    response = client.get(MINE)
    page = text(response)
    assert "¥35.00" in page  # 50.00 − 15.00 (subsidised) − 25.00 (the day's subsidy is used) + 25.00 refunded
    assert response.context["upcoming"] == [order]
    assert response.context["past"] == [cancelled]
    kinds = [e.kind for e in response.context["entries"]]
    assert sorted(kinds) == ["order", "order", "refund", "topup"]
    assert reverse("lunch:order", args=[order.pk]) in page and reverse("lunch:order", args=[cancelled.pk]) in page
    assert "recorded by" in page and "现金" in page


def test_my_lunch_for_someone_without_an_account(client):
    client.force_login(UserFactory())
    response = client.get(MINE)
    assert response.status_code == 200 and "¥0.00" in text(response)
    assert client.logout() is None and client.get(MINE).status_code == 302


def test_reminders_toggle(client, worker):
    assert Account.objects.get(user=worker).low_balance_notices is True
    client.post(reverse("lunch:reminders"), {"notices": "off"})
    assert Account.objects.get(user=worker).low_balance_notices is False
    assert "Turn low-balance reminders on" in text(client.get(MINE))
    client.post(reverse("lunch:reminders"), {"notices": "on"})
    assert Account.objects.get(user=worker).low_balance_notices is True
    assert client.get(reverse("lunch:reminders")).status_code == 405


def test_reminders_toggle_makes_an_account_when_there_is_none(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("lunch:reminders"), {"notices": "off"})
    assert Account.objects.get(user=user).low_balance_notices is False
    assert Account.objects.get(user=user).balance_fen == 0


# ---------------------------------------------------------------------------
# Merchant staff: the manifest


@pytest.fixture
def cook(seller):
    return make_staff(StaffAssignment.Role.MERCHANT_STAFF, merchant=seller.organisation)


def test_the_manifest_lists_counts_and_codes_per_point(client, cook, offer, lunch_point, street):
    eater = lf.office_worker(street=street, balance_fen=5000, display_name="张三")
    order = place(eater, offer, lunch_point, quantity=2)
    client.force_login(cook)
    response = client.get(MANIFEST, {"date": offer.date.isoformat()})
    page = text(response)
    assert response.status_code == 200
    assert order.pickup_code in page and "张三" in page and "红烧肉套餐" in page
    [entry] = response.context["points"]
    assert entry.point == lunch_point and entry.meals == 2
    assert "Mark delivered" in page


def test_the_manifest_csv(client, cook, offer, lunch_point, street):
    eater = lf.office_worker(street=street, balance_fen=5000, display_name="李四")
    order = place(eater, offer, lunch_point, payment="pickup")
    client.force_login(cook)
    response = client.get(MANIFEST, {"date": offer.date.isoformat(), "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'manifest-{offer.date:%Y%m%d}' in response["Content-Disposition"]
    body = response.content.decode("utf-8-sig").splitlines()
    assert body[0].startswith("取餐点 pickup point,取餐码 code")
    assert body[1].split(",") == [lunch_point.name, order.pickup_code, "李四", "红烧肉套餐", "1", "Pay at pickup", yuan(order.self_paid_fen)]


def test_the_manifest_is_for_the_merchants_own_staff(client, offer, lunch_point, street, seller):
    other = lf.merchant(street=street, name="别家")
    stranger = make_staff(StaffAssignment.Role.MERCHANT_STAFF, merchant=other.organisation)
    client.force_login(stranger)
    page = text(client.get(MANIFEST, {"date": offer.date.isoformat()}))
    assert "红烧肉套餐" not in page  # their own (empty) manifest
    assert client.get(MANIFEST, {"merchant": seller.pk}).status_code == 403
    assert client.get(MANIFEST, {"merchant": "junk"}).status_code == 403
    client.force_login(UserFactory())
    assert client.get(MANIFEST).status_code == 403
    client.logout()
    assert client.get(MANIFEST).status_code == 302


def test_the_manifest_with_a_bad_date_shows_today(client, cook):
    client.force_login(cook)
    for junk in ("x", "2025-02-30", "9" * 300):
        response = client.get(MANIFEST, {"date": junk})
        assert response.status_code == 200 and response.context["day"] == timezone.localdate()


def test_mark_delivered_tells_the_people_who_ordered_there(client, cook, offer, lunch_point, street):
    eater = lf.office_worker(street=street, balance_fen=5000)
    place(eater, offer, lunch_point)
    offer_point = OfferPoint.objects.get(offer=offer, point=lunch_point)
    client.force_login(cook)
    response = client.post(reverse("lunch:delivered", args=[offer_point.pk]))
    assert response.status_code == 302 and response.url.startswith(MANIFEST)
    offer_point.refresh_from_db()
    assert offer_point.delivered_at is not None
    assert Notification.objects.filter(recipient=eater, kind="lunch.order.arrived").exists()
    assert "Delivered at" in text(client.get(MANIFEST, {"date": offer.date.isoformat()}))


def test_mark_delivered_by_another_merchant_or_a_forged_id_changes_nothing(client, offer, lunch_point, street):
    offer_point = OfferPoint.objects.get(offer=offer, point=lunch_point)
    stranger = make_staff(StaffAssignment.Role.MERCHANT_STAFF, merchant=lf.merchant(street=street, name="别家").organisation)
    client.force_login(stranger)
    assert client.post(reverse("lunch:delivered", args=[offer_point.pk])).status_code == 403
    assert client.post(reverse("lunch:delivered", args=[987654])).status_code == 404
    assert client.post(reverse("lunch:delivered", args=[99999999999999999999])).status_code == 404
    assert client.get(reverse("lunch:delivered", args=[offer_point.pk])).status_code == 405
    offer_point.refresh_from_db()
    assert offer_point.delivered_at is None


# ---------------------------------------------------------------------------
# Handover desk


@pytest.fixture
def todays(seller, lunch_point):
    return lf.offer(seller=seller, points=[lunch_point], day=timezone.localdate(), cutoff=(0, 0), meal_name="今日套餐")


def order_today(user, offer, point, **kwargs):
    return place(user, offer, point, now=offer.cutoff_at - timedelta(minutes=5), **kwargs)


@pytest.fixture
def desk(station):
    return make_staff(StaffAssignment.Role.STATION_STAFF, station=station)


def test_handover_by_typed_code(client, desk, todays, lunch_point, street):
    eater = lf.office_worker(street=street, balance_fen=5000, display_name="王五")
    order = order_today(eater, todays, lunch_point, payment="pickup", quantity=2)
    client.force_login(desk)
    page = text(client.get(HANDOVER))
    assert f"meals collected at {lunch_point.name} today" in page
    response = client.post(HANDOVER, {"point": lunch_point.pk, "code": f"{order.pickup_code[:3]} {order.pickup_code[3:]}"}, follow=True)
    page = text(response)
    assert "Picked up. Hand the meal over." in page
    assert "今日套餐" in page and "× 2" in page and "王五" in page
    assert f"Collect ¥{yuan(order.self_paid_fen)} now" in page
    order.refresh_from_db()
    assert order.status == Order.Status.PICKED_UP and order.picked_up_by == desk
    assert "Already handed over" in text(client.post(HANDOVER, {"point": lunch_point.pk, "code": order.pickup_code}, follow=True))


def test_handover_answers_json_for_the_scanner(client, desk, todays, lunch_point, street):
    order = order_today(lf.office_worker(street=street, balance_fen=5000), todays, lunch_point)
    client.force_login(desk)
    answer = client.post(HANDOVER, {"point": lunch_point.pk, "code": order.pickup_code}, headers={"Accept": "application/json"}).json()
    assert answer["ok"] is True and "今日套餐" in answer["html"] and "nothing to collect" in answer["html"]
    assert answer["counts"] == {"total": 1, "picked": 1}
    answer = client.post(HANDOVER, {"point": lunch_point.pk, "code": "000000" if order.pickup_code != "000000" else "111111"},
                         headers={"Accept": "application/json"}).json()
    assert answer["ok"] is False and answer["message"] == "No order with that code at this point today."


@pytest.mark.parametrize("data", [
    {"code": "12"}, {"code": ""}, {"code": "abcdef"}, {"point": "junk", "code": "123456"}, {"point": "987654", "code": "123456"}, {},
])
def test_handover_junk_is_a_message_never_a_500(client, desk, todays, lunch_point, data):
    client.force_login(desk)
    response = client.post(HANDOVER, {"point": lunch_point.pk, **data}, follow=True)
    assert response.status_code == 200
    assert 'message-error' in text(response)


def test_handover_at_a_point_that_is_not_theirs_is_refused(client, todays, lunch_point, street):
    order = order_today(lf.office_worker(street=street, balance_fen=5000), todays, lunch_point)
    other_desk = make_staff(StaffAssignment.Role.STATION_STAFF, station=StationFactory(street=street))
    lf.point(street=street, station=other_desk.staff_assignments.get().station, name="他们的点")
    client.force_login(other_desk)
    response = client.post(HANDOVER, {"point": lunch_point.pk, "code": order.pickup_code}, follow=True)
    assert "Choose one of your pickup points." in text(response)
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_merchant_staff_hand_over_at_points_their_offers_serve_today(client, cook, todays, lunch_point, street):
    order = order_today(lf.office_worker(street=street, balance_fen=5000), todays, lunch_point)
    client.force_login(cook)
    client.post(HANDOVER, {"point": lunch_point.pk, "code": order.pickup_code})
    order.refresh_from_db()
    assert order.status == Order.Status.PICKED_UP


def test_another_merchants_staff_cannot_hand_over_an_order_at_a_shared_point(client, todays, lunch_point, street):
    order = order_today(lf.office_worker(street=street, balance_fen=5000), todays, lunch_point)
    rival = lf.merchant(street=street, name="隔壁")
    lf.offer(seller=rival, points=[lunch_point], day=timezone.localdate(), cutoff=(0, 0))
    client.force_login(make_staff(StaffAssignment.Role.MERCHANT_STAFF, merchant=rival.organisation))
    response = client.post(HANDOVER, {"point": lunch_point.pk, "code": order.pickup_code}, follow=True)
    assert "another merchant" in text(response)
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_the_handover_desk_is_for_staff(client, worker):
    assert client.get(HANDOVER).status_code == 403
    client.logout()
    assert client.get(HANDOVER).status_code == 302


def test_spend_is_returned_on_cancel_through_the_view(client, worker, offer, lunch_point, policy):
    order = place(worker, offer, lunch_point)
    spend = SubsidySpend.objects.get(policy=policy)
    assert spend.spent_fen == 1000
    client.post(reverse("lunch:cancel", args=[order.pk]))
    spend.refresh_from_db()
    assert spend.spent_fen == 0


def test_the_pickup_qr_draws_exactly_the_code():
    code = "042917"
    svg = str(pickup_qr(code))
    qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(code)
    qr.make(fit=True)
    dark = {(x + 4, y + 4) for y, row in enumerate(qr.get_matrix()[4:-4]) for x, cell in enumerate(row[4:-4]) if cell}
    drawn = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg)}
    assert drawn == dark
    assert str(pickup_qr("100000")) != svg
    assert svg.startswith("<svg") and 'role="img"' in svg and "<?xml" not in svg


def test_my_lunch_runs_the_same_queries_for_few_and_many_orders(client, worker, seller, lunch_point):
    lf.top_up(worker, 20_000, street=seller.organisation.street)
    place(worker, lf.offer(seller=seller, points=[lunch_point]), lunch_point)
    few = count_queries(client, MINE)
    for n in range(2, 8):
        order = place(worker, lf.offer(seller=seller, points=[lunch_point], day=tomorrow() + timedelta(days=n)), lunch_point)
        if n % 2:
            services.order_cancel(order_id=order.pk, user=worker)
    lf.top_up(worker, 2000, street=seller.organisation.street)
    assert count_queries(client, MINE) == few


def test_the_handover_desk_ignores_a_junk_point_in_the_address(client, desk, lunch_point):
    client.force_login(desk)
    for junk in ("junk", "987654", "9" * 40, ""):
        response = client.get(HANDOVER, {"point": junk})
        assert response.status_code == 200 and response.context["point"] == lunch_point
