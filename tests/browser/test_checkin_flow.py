"""Station staff at the door of a salon, on a phone: log in, open check-in, type codes, watch the count.

Every page and every state the page reaches goes through visit/submit/check_page (axe, console errors).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from events.checkin import booking_check_in
from events.models import Booking
from tests.browser.conftest import PHONE
from tests.browser.helpers import check_page, log_in, submit, visit
from tests.events.factories import BookingFactory, EventFactory, station_staff
from tests.factories import DEFAULT_PASSWORD, StationFactory, UserFactory

# The live server runs in another thread and sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

ZH = "zh-hans"


@pytest.fixture
def door():
    event = EventFactory(door_open=True, title="午间瑜伽", station=StationFactory(name="梧桐·SPACE"), capacity=10)
    staff = station_staff(event.station, user=UserFactory(email="staff@example.cn", display_name="站点小李"))
    ayi = BookingFactory(event=event, seats=2, user=UserFactory(display_name="王阿姨"))
    other = BookingFactory(event=event, user=UserFactory(display_name="陈先生"))
    return {"event": event, "staff": staff, "ayi": ayi, "other": other}


def count(page, key):
    return page.locator(f"[data-count='{key}']")


def test_staff_checks_people_in_by_typed_code(page, door):
    event, ayi = door["event"], door["ayi"]
    checkin_url = reverse("events_staff:checkin", args=[event.pk])
    log_in(page, door["staff"].email, DEFAULT_PASSWORD, lang=ZH)

    visit(page, checkin_url, lang=ZH)
    code_field = page.locator("form[data-checkin-form] [name=code]")
    expect(code_field).to_be_focused()
    expect(count(page, "checked_in")).to_have_text("0")
    expect(count(page, "confirmed")).to_have_text("3")
    expect(page.locator("[data-camera-start]")).to_be_visible()

    # Typed the way people read it out: lower case, in groups.
    code_field.fill(f"{ayi.code[:5].lower()} {ayi.code[5:].lower()}")
    page.locator("form[data-checkin-form] [type=submit]").click()
    result = page.locator("[data-checkin-result] .message")
    expect(result).to_contain_text("王阿姨")
    expect(result).to_have_class("message message-success")
    expect(count(page, "checked_in")).to_have_text("2")
    expect(page.locator("[data-arrivals] li")).to_have_count(1)
    expect(page.locator("[data-arrivals]")).to_contain_text("王阿姨")
    expect(code_field).to_have_value("")
    expect(code_field).to_be_focused()
    check_page(page)

    # The same code again is flagged, with the time of the first scan.
    code_field.fill(ayi.code)
    code_field.press("Enter")
    expect(result).to_have_class("message message-warning")
    first = Booking.objects.get(pk=ayi.pk).checked_in_at
    expect(result).to_contain_text(timezone.localtime(first).strftime("%H:%M"))
    expect(count(page, "checked_in")).to_have_text("2")
    check_page(page)

    # A colleague checks someone in on another phone: the count catches up by itself.
    booking_check_in(event=event, code=door["other"].code, actor=door["staff"])
    expect(count(page, "checked_in")).to_have_text("3", timeout=8_000)
    expect(page.locator("[data-arrivals] li")).to_have_count(2)
    check_page(page)


def test_check_in_works_without_javascript(browser, live_server, door):
    event, ayi = door["event"], door["ayi"]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, door["staff"].email, DEFAULT_PASSWORD, lang=ZH, accessibility=False)  # axe needs JavaScript
        visit(page, reverse("events_staff:checkin", args=[event.pk]), accessibility=False)
        expect(page.locator("[data-camera-start]")).to_be_hidden()

        form = page.locator("form[data-checkin-form]")
        form.locator("[name=code]").fill(ayi.code)
        submit(page, form.locator("[type=submit]"), accessibility=False)
        expect(page.locator(".messages .message-success")).to_contain_text("王阿姨")
        expect(count(page, "checked_in")).to_have_text("2")

        form.locator("[name=code]").fill("NOPE")
        submit(page, form.locator("[type=submit]"), accessibility=False)
        expect(page.locator(".messages .message-error")).to_be_visible()
        assert Booking.objects.get(pk=ayi.pk).status == Booking.Status.ATTENDED
    finally:
        context.close()


def test_other_stations_staff_are_turned_away(page, door):
    outsider = station_staff(StationFactory(), user=UserFactory(email="elsewhere@example.cn"))
    log_in(page, outsider.email, DEFAULT_PASSWORD, lang=ZH)

    visit(page, reverse("events_staff:checkin", args=[door["event"].pk]), status=403, lang=ZH)


def test_check_in_page_before_the_door_opens(page, door):
    later = EventFactory(station=door["event"].station, starts_at=timezone.now() + timedelta(days=1),
                          ends_at=timezone.now() + timedelta(days=1, hours=1))
    log_in(page, door["staff"].email, DEFAULT_PASSWORD, lang=ZH)

    visit(page, reverse("events_staff:checkin", args=[later.pk]), lang=ZH)
    expect(page.locator("main .alert")).to_be_visible()
