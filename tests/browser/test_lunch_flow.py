"""Issue #7: an office worker on a phone sees the day's set meal at 红子鸡美食总汇 with their price and its breakdown
(list 28.00 − merchant discount 3.00 − subsidy 10.00 = 15.00), orders it, gets the pickup code and its QR code, pays
15.00 from a 50.00 balance, cancels before the cut-off and has the 15.00 back. A double submit of the order form
places one order. Merchant staff see the manifest per pickup point, download it as CSV and mark one point delivered,
whose people are told their lunch has arrived. An anonymous visitor sees the price before the subsidy.

Every page goes through visit/submit/check_page (axe, console errors). The pages are read in English (the language
cookie), so the words asserted don't change when the lead translates them; elements are found by URLs, form field
names, data attributes, roles and ids derived from primary keys.

The offer is for today with its cut-off at 23:59 Shanghai time, so the whole flow happens "before the cut-off" on the
day itself. A run after 23:00 in Shanghai would come too close to it, so then the offer is for tomorrow (cut-off
10:30) and the worker opens tomorrow's tab.
"""

import csv
import io
import re
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from lunch import services
from lunch.models import LedgerEntry, OfferPoint, Order
from portal.models import Notification
from stations.hours import local_now
from tests.browser.helpers import check_page, log_in, logout_button, submit, visit
from tests.factories import DEFAULT_PASSWORD, StationFactory, StreetFactory
from tests.lunch import factories as lf

# The live server runs in another thread and sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

TODAY = reverse("lunch:today")
MINE = reverse("lunch:mine")
MANIFEST = reverse("lunch:manifest")
MERCHANT = "红子鸡美食总汇"
MEAL = "白切鸡套餐"


def in_english(page, live_server):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])


def english(text):
    with translation.override("en"):
        return str(text)


def offer_day():
    """(day, cut-off): today until 23:59 while that is more than an hour away in Shanghai, else tomorrow until 10:30."""
    now = local_now()
    if now.hour < 23:
        return now.date(), (23, 59)
    return now.date() + timedelta(days=1), (10, 30)


def order_form_url(offer):
    return reverse("lunch:order_form", args=[offer.pk])


def order_url(order):
    return reverse("lunch:order", args=[order.pk])


def offer_card(page, offer, point):
    """The offer's card under the point, found by its order link (each card links its own offer and point)."""
    link = f"{order_form_url(offer)}?point={point.pk}"
    return page.locator(f"section.lunch-point[aria-labelledby='point-{point.pk}'] li.offer-card").filter(has=page.locator(f"a[href='{link}']"))


def breakdown(locator):
    """The figures of a price breakdown (list price, discount, subsidy, you pay), as shown."""
    return [re.sub(r"[^\d.]", "", text) for text in locator.locator("dl.price-breakdown dd").all_inner_texts()]


def order_form(page, offer):
    return page.locator(f"main form[data-order-form][action='{order_form_url(offer)}']")


def balance_figure(page):
    return page.locator("section[aria-labelledby='balance-heading'] .balance-figure")


def ledger_sum(user):
    return sum(LedgerEntry.objects.filter(account__user=user).values_list("amount_fen", flat=True))


@pytest.fixture
def scene():
    day, cutoff = offer_day()
    street = StreetFactory(name="长寿路街道")
    station = StationFactory(street=street, name="长寿路党群服务站")
    lunch_point = lf.point(street=street, station=station, name="长寿路白领午餐点")
    seller = lf.merchant(street=street, name=MERCHANT)
    offer = lf.offer(seller=seller, points=[lunch_point], day=day, cutoff=cutoff, price_fen=2800, discount_fen=300, meal_name=MEAL)
    policy = lf.policy(street=street, subsidy_fen=1000)
    worker = lf.office_worker(street=street, balance_fen=5000, email="xiaowang@qiye.example.cn", display_name="白领小王")
    return {
        "day": day,
        "cutoff": cutoff,
        "street": street,
        "point": lunch_point,
        "merchant": seller,
        "offer": offer,
        "policy": policy,
        "worker": worker,
    }


def test_an_office_worker_orders_lunch_sees_the_code_and_cancels_for_a_refund(page, live_server, scene):
    offer, lunch_point, worker, day = scene["offer"], scene["point"], scene["worker"], scene["day"]
    in_english(page, live_server)

    # The worker, on a phone, opens the lunch page; on the day of the offer, and at the lunch point near the office.
    log_in(page, worker.email, DEFAULT_PASSWORD)
    visit(page, TODAY)
    day_tab = page.locator(f"nav.lunch-days a[href='?date={day.isoformat()}']")
    if day != local_now().date():
        with page.expect_navigation():
            day_tab.click()
        check_page(page)
    expect(day_tab).to_have_attribute("aria-current", "page")
    chooser = page.locator(f"main form.point-chooser[action='{TODAY}']")
    chooser.locator("select[name=point]").select_option(str(lunch_point.pk))
    submit(page, chooser.locator("[type=submit]"))
    assert parse_qs(urlsplit(page.url).query) == {"date": [day.isoformat()], "point": [str(lunch_point.pk)]}

    # The meal's card: their price, the breakdown, the portions left and when orders close.
    card = offer_card(page, offer, lunch_point)
    expect(card).to_have_count(1)
    expect(card).to_have_class(re.compile(r"\boffer-open\b"))
    expect(card.locator("h3")).to_have_text(MEAL)
    expect(card).to_contain_text(MERCHANT)
    expect(card.locator(".offer-price-figure")).to_have_text("¥15.00")
    assert breakdown(card) == ["28.00", "3.00", "10.00", "15.00"]
    expect(card.locator(".offer-facts")).to_contain_text("30 portions left")
    expect(card.locator(".offer-facts")).to_contain_text("{:02d}:{:02d}".format(*scene["cutoff"]))

    # The order page shows the same breakdown before anything is confirmed.
    with page.expect_navigation():
        card.locator(f"a[href^='{order_form_url(offer)}']").click()
    check_page(page)
    assert urlsplit(page.url).path == order_form_url(offer)
    form = order_form(page, offer)
    expect(form.locator(f"input[type=radio][name=point][value='{lunch_point.pk}']")).to_be_checked()
    expect(form.locator("select[name=quantity]")).to_have_value("1")
    expect(form.locator("input[type=radio][name=payment][value=balance]")).to_be_checked()
    price_box = form.locator("[data-order-price-box]")
    assert breakdown(price_box) == ["28.00", "3.00", "10.00", "15.00"]
    expect(price_box.locator(".price-state-subsidised")).to_contain_text(scene["policy"].name)
    assert not Order.objects.exists()

    # Confirm: the order's page shows the pickup code and its QR code.
    submit(page, form.locator("button[type=submit][name=confirm]"))
    order = Order.objects.get(user=worker)
    assert urlsplit(page.url).path == order_url(order)
    assert (order.status, order.point, order.quantity, order.payment) == (Order.Status.PLACED, lunch_point, 1, Order.Payment.BALANCE)
    assert (order.list_price_fen, order.discount_fen, order.subsidy_fen, order.self_paid_fen) == (2800, 300, 1000, 1500)
    assert re.fullmatch(r"\d{6}", order.pickup_code)
    expect(page.locator(".messages .message-success")).to_contain_text(order.pickup_code)
    pickup = page.locator("section.pickup-panel[aria-labelledby='code-heading']")
    expect(pickup.locator(".pickup-code")).to_have_text(order.pickup_code)
    qr = pickup.locator("svg.pickup-qr[role=img]")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("aria-label", re.compile(order.pickup_code))
    assert breakdown(page.locator("section[aria-labelledby='price-heading']")) == ["28.00", "3.00", "10.00", "15.00"]

    # My lunch: 15.00 went from the balance; the order waits to be collected, with its code.
    visit(page, MINE)
    expect(balance_figure(page)).to_have_text("¥35.00")
    item = page.locator("section[aria-labelledby='upcoming-heading'] li.order-item").filter(has=page.locator(f"a[href='{order_url(order)}']"))
    expect(item).to_have_count(1)
    expect(item.locator(".order-item-code strong")).to_have_text(order.pickup_code)
    expect(page.locator("li.ledger-entry.ledger-order .ledger-amount")).to_have_text("−¥15.00")

    # They can't come after all: they cancel from the order's page, before the cut-off.
    with page.expect_navigation():
        item.locator(f"a[href='{order_url(order)}']").click()
    check_page(page)
    cancel = page.locator(f"main form[action='{reverse('lunch:cancel', args=[order.pk])}']")
    expect(cancel).to_be_hidden()  # cancelling takes a second, deliberate tap
    page.locator("main details.confirm-step > summary").click()
    check_page(page)
    submit(page, cancel.locator("[type=submit]"))
    assert urlsplit(page.url).path == order_url(order)
    expect(page.locator(".messages .message-success")).to_contain_text("15.00")
    expect(page.locator("main [data-status] .tag").first).to_have_text(english(Order.Status.CANCELLED.label))
    expect(page.locator("main [data-status]")).to_have_attribute("data-status", Order.Status.CANCELLED)
    expect(page.locator(".pickup-code")).to_have_count(0)
    expect(page.locator(f"main form[action='{reverse('lunch:cancel', args=[order.pk])}']")).to_have_count(0)
    order.refresh_from_db()
    offer.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.cancelled_at is not None
    assert offer.sold == 0

    # The balance is whole again, and every fen of it is in the ledger.
    visit(page, MINE)
    expect(balance_figure(page)).to_have_text("¥50.00")
    expect(page.locator("section[aria-labelledby='upcoming-heading'] li.order-item")).to_have_count(0)
    expect(page.locator("li.ledger-entry.ledger-refund .ledger-amount")).to_have_text("+¥15.00")
    assert lf.balance_of(worker) == ledger_sum(worker) == 5000

    # The day's subsidy is theirs again: the card shows 15.00 once more.
    visit(page, f"{TODAY}?date={day.isoformat()}&point={lunch_point.pk}")
    assert breakdown(offer_card(page, offer, lunch_point)) == ["28.00", "3.00", "10.00", "15.00"]


def test_a_double_submit_of_the_order_form_places_one_order(page, live_server, scene):
    offer, worker = scene["offer"], scene["worker"]
    in_english(page, live_server)
    log_in(page, worker.email, DEFAULT_PASSWORD)
    visit(page, order_form_url(offer))
    form = order_form(page, offer)
    expect(form.locator("input[name=key]")).to_have_value(re.compile(r"^[0-9a-f-]{36}$"))

    # The confirm button sent twice with the same form (the same one-time key), as a double tap does. On PostgreSQL
    # both posts are in flight together; SQLite's in-memory test database is one connection the live server's
    # threads share, so there they go one after the other (the second still finds the first order by its key).
    both_at_once = connection.vendor == "postgresql"
    answers = page.evaluate(
        """async ([together]) => {
            const form = document.querySelector("form[data-order-form]");
            const post = () => {
                const data = new FormData(form);
                data.set("confirm", "1");
                return fetch(form.action, {method: "POST", body: data, credentials: "same-origin"})
                    .then((response) => ({status: response.status, path: new URL(response.url).pathname}));
            };
            if (together) return Promise.all([post(), post()]);
            const first = await post();
            return [first, await post()];
        }""",
        [both_at_once],
    )
    order = Order.objects.get(user=worker)
    assert answers == [{"status": 200, "path": order_url(order)}] * 2
    offer.refresh_from_db()
    assert offer.sold == 1
    assert lf.balance_of(worker) == ledger_sum(worker) == 3500
    assert LedgerEntry.objects.filter(account__user=worker, kind=LedgerEntry.Kind.ORDER).count() == 1
    assert Notification.objects.filter(recipient=worker, kind="lunch.order.placed").count() == 1

    # The person sees that one order, once, with its code.
    visit(page, MINE)
    expect(balance_figure(page)).to_have_text("¥35.00")
    expect(page.locator("section[aria-labelledby='upcoming-heading'] li.order-item")).to_have_count(1)
    visit(page, order_url(order))
    expect(page.locator(".pickup-code")).to_have_text(order.pickup_code)


def test_merchant_staff_see_the_manifest_download_it_and_mark_a_point_delivered(page, desktop_page, live_server, scene):
    offer, street, lunch_point, day = scene["offer"], scene["street"], scene["point"], scene["day"]
    # A second point the meal is delivered to.
    lobby = lf.point(street=street, station=StationFactory(street=street, name="长寿路第二党群服务站"), name="长寿大厦一楼大堂")
    OfferPoint.objects.create(offer=offer, point=lobby)
    staff = lf.merchant_staff(scene["merchant"])
    workers = [lf.office_worker(street=street, balance_fen=5000, display_name=name) for name in ("白领小李", "白领小赵", "白领小孙")]
    orders = [
        services.order_place(user=person, offer_id=offer.pk, point_id=at.pk, key=uuid.uuid4())
        for person, at in zip(workers, (lunch_point, lunch_point, lobby), strict=True)
    ]
    at_point = sorted(o.pickup_code for o in orders[:2])
    at_lobby = [orders[2].pickup_code]
    for p in (page, desktop_page):
        in_english(p, live_server)

    # Merchant staff, on a desktop, reach the manifest from the lunch page.
    log_in(desktop_page, staff.email, DEFAULT_PASSWORD)
    visit(desktop_page, TODAY)
    expect(desktop_page.locator(f"nav.lunch-staff-links a[href='{MANIFEST}']")).to_be_visible()
    manifest_url = f"{MANIFEST}?date={day.isoformat()}"
    visit(desktop_page, manifest_url)
    expect(desktop_page.locator("main")).to_contain_text(MERCHANT)
    expect(desktop_page.locator(".manifest-total")).to_have_text("3 meals ordered")

    # Counts and codes per pickup point.
    def point_section(each):
        return desktop_page.locator(f"section.manifest-point[aria-labelledby='mp-{each.pk}']")

    expect(point_section(lunch_point).locator(".manifest-count")).to_have_text("2 meals")
    expect(point_section(lobby).locator(".manifest-count")).to_have_text("1 meal")
    assert sorted(point_section(lunch_point).locator("td.manifest-code").all_inner_texts()) == at_point
    assert point_section(lobby).locator("td.manifest-code").all_inner_texts() == at_lobby
    expect(point_section(lunch_point).locator("tbody")).to_contain_text("白领小李")

    # The CSV has the same orders.
    csv_url = f"{manifest_url}&format=csv"
    with desktop_page.expect_download() as downloading:
        desktop_page.locator(f"main a[href='{csv_url}']").click()
    download = downloading.value
    assert download.suggested_filename == f"manifest-{day:%Y%m%d}-{scene['merchant'].pk}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert sorted((row[0], row[1]) for row in rows[1:]) == sorted(
        [(lunch_point.name, code) for code in at_point] + [(lobby.name, code) for code in at_lobby]
    )
    check_page(desktop_page)

    # The meals have reached the first point: staff mark it delivered.
    offer_point = OfferPoint.objects.get(offer=offer, point=lunch_point)
    delivered = f"main form[action='{reverse('lunch:delivered', args=[offer_point.pk])}']"
    submit(desktop_page, desktop_page.locator(delivered).locator("[type=submit]"))
    assert urlsplit(desktop_page.url).path == MANIFEST
    assert parse_qs(urlsplit(desktop_page.url).query)["date"] == [day.isoformat()]
    expect(desktop_page.locator(".messages .message-success")).to_be_visible()
    expect(desktop_page.locator(delivered)).to_have_count(0)
    expect(point_section(lunch_point).locator(".manifest-deliveries .tag-success")).to_be_visible()
    lobby_point = OfferPoint.objects.get(offer=offer, point=lobby)
    expect(desktop_page.locator(f"main form[action='{reverse('lunch:delivered', args=[lobby_point.pk])}']")).to_have_count(1)
    offer_point.refresh_from_db()
    assert offer_point.delivered_at is not None

    # The two who ordered there are told their lunch has arrived; the one at the other point is not (yet).
    arrived = Notification.objects.filter(kind="lunch.order.arrived")
    assert sorted(arrived.values_list("recipient_id", flat=True)) == sorted(w.pk for w in workers[:2])
    assert {n.url for n in arrived} == {order_url(o) for o in orders[:2]}

    # One of them, on a phone, sees it on the order's page.
    log_in(page, workers[0].email, DEFAULT_PASSWORD)
    visit(page, order_url(orders[0]))
    expect(page.locator("main .tag-success")).to_have_count(2)  # placed, and arrived
    expect(page.locator(".pickup-code")).to_have_text(orders[0].pickup_code)


def test_an_anonymous_visitor_sees_the_price_before_subsidy_and_logs_in_to_order(page, live_server, scene):
    offer, lunch_point, day = scene["offer"], scene["point"], scene["day"]
    in_english(page, live_server)

    visit(page, f"{TODAY}?date={day.isoformat()}")
    expect(logout_button(page)).to_have_count(0)
    card = offer_card(page, offer, lunch_point)
    expect(card).to_have_count(1)
    expect(card.locator(".offer-price-figure")).to_have_text("¥25.00")
    expect(card.locator(".offer-price-list")).to_contain_text("28.00")
    assert breakdown(card) == ["28.00", "3.00", "25.00"]  # no subsidy line: they are not known to qualify
    note = page.locator("main p.alert").filter(has=page.locator(f"a[href^='{reverse('account_login')}']"))
    expect(note).to_contain_text("subsidy")

    # The order page asks them to log in first.
    url = f"{order_form_url(offer)}?point={lunch_point.pk}"
    with page.expect_navigation():
        card.locator(f"a[href='{url}']").click()
    check_page(page)
    assert urlsplit(page.url).path == reverse("account_login")
    assert parse_qs(urlsplit(page.url).query)["next"] == [url]
    assert not Order.objects.exists()


def test_the_last_portion_taken_while_the_worker_confirms_sends_them_back_to_the_days_meals(page, live_server, scene):
    """The order form showed one portion left; someone else took it before the worker tapped Confirm. The worker
    lands on the day's meals, told it sold out, where another meal can be chosen — not on a form that can't work."""
    offer, lunch_point, worker, day = scene["offer"], scene["point"], scene["worker"], scene["day"]
    last = lf.offer(seller=scene["merchant"], points=[lunch_point], day=day, cutoff=scene["cutoff"], quota=1, meal_name="红烧大排套餐")
    in_english(page, live_server)
    log_in(page, worker.email, DEFAULT_PASSWORD)
    visit(page, f"{order_form_url(last)}?point={lunch_point.pk}")
    form = order_form(page, last)
    expect(form.locator("button[type=submit][name=confirm]")).to_be_enabled()

    colleague = lf.office_worker(street=scene["street"], balance_fen=5000)
    services.order_place(user=colleague, offer_id=last.pk, point_id=lunch_point.pk)  # a moment earlier, elsewhere

    submit(page, form.locator("button[type=submit][name=confirm]"))
    assert urlsplit(page.url).path == TODAY and parse_qs(urlsplit(page.url).query) == {"date": [day.isoformat()]}
    expect(page.locator(".messages .message-warning")).to_have_text("Sold out. Please choose another meal.")
    expect(offer_card(page, offer, lunch_point).locator(f"a[href^='{order_form_url(offer)}']")).to_be_visible()  # still there
    assert not Order.objects.filter(user=worker).exists()
    assert ledger_sum(worker) == 5000
