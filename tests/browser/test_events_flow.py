"""An office worker books the last seat of a lunch salon on a phone in their lunch break, then gives it back;
the person who was waiting gets it.

Every page goes through visit/submit/check_page (axe, console errors). The pages are read in English
(the language cookie), so the words asserted don't change when the lead translates them.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from events.models import Booking, Event
from events.services import booking_create
from tests.browser.helpers import log_in, log_out, submit, visit
from tests.events.factories import EventFactory
from tests.factories import DEFAULT_PASSWORD, StationFactory, UserFactory

# The live server runs in another thread and sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def lunch_salon():
    start = (timezone.localtime() + timedelta(days=2)).replace(hour=12, minute=10, second=0, microsecond=0)
    station = StationFactory(name="梧桐·SPACE")
    return EventFactory(
        title="午间瑜伽：办公室肩颈放松", description="专业老师带领，请穿着舒适的衣服。", station=station,
        category=Event.Category.LUNCH_SALON, starts_at=start, ends_at=start + timedelta(minutes=40), capacity=2,
    )


def in_english(page, live_server):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])


def test_an_office_worker_books_the_last_seat_and_gives_it_back_to_the_person_waiting(page, live_server):
    event = lunch_salon()
    booking_create(event=event, user=UserFactory())  # one seat already taken: one left
    worker = UserFactory(email="xiaowang@example.cn")
    waiter = UserFactory(email="xiaoli@example.cn")
    in_english(page, live_server)

    log_in(page, worker.email, DEFAULT_PASSWORD)
    visit(page, "/events/?time=lunch")
    card_link = page.locator(f"main a[href='/events/{event.pk}/']")
    expect(card_link).to_be_visible()
    with page.expect_navigation():
        card_link.click()
    visit(page, f"/events/{event.pk}/")  # the page itself, checked (axe, console)
    expect(page.locator(".booking-box")).to_contain_text("1 seat left")

    submit(page, page.locator(f"form[action='/events/{event.pk}/book/'] [type=submit]"))
    booking = Booking.objects.get(event=event, user=worker)
    assert booking.status == Booking.Status.CONFIRMED
    event.refresh_from_db()
    assert event.seats_left == 0
    expect(page.locator(".booking-box")).to_contain_text("seat confirmed")
    expect(page.locator(".booking-box .booking-code")).to_have_text(booking.code)

    # Add it to a calendar: the .ics download holds the event at its Shanghai time.
    with page.expect_download() as download_info:
        page.locator(f"a[href='/events/{event.pk}/calendar.ics']").click()
    ics = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert "BEGIN:VCALENDAR" in ics and event.title in ics
    assert "DTSTART;TZID=Asia/Shanghai:" + timezone.localtime(event.starts_at).strftime("%Y%m%dT%H%M%S") in ics

    # The event is full now; someone else joins the waiting list.
    waiting = booking_create(event=event, user=waiter)
    assert waiting.status == Booking.Status.WAITLISTED

    visit(page, "/me/bookings/")
    qr = page.locator(f"svg[role='img'][aria-label='QR code for booking {booking.code}']")
    expect(qr).to_be_visible()
    expect(page.locator(".booking-code", has_text=booking.code)).to_be_visible()
    submit(page, page.locator(f"form[action='/events/bookings/{booking.pk}/cancel/'] [type=submit]"))
    expect(page.locator(".messages")).to_contain_text("Your booking is cancelled")

    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert waiting.status == Booking.Status.CONFIRMED
    expect(page.locator(f"svg[aria-label='QR code for booking {booking.code}']")).to_have_count(0)

    # The person who was waiting finds the seat in their bookings.
    log_out(page)
    log_in(page, waiter.email, DEFAULT_PASSWORD)
    visit(page, "/me/bookings/")
    item = page.locator(".booking-item.booking-confirmed")
    expect(item).to_have_count(1)
    expect(item.locator(".booking-code")).to_have_text(waiting.code)
    expect(item.locator(f"svg[role='img'][aria-label='QR code for booking {waiting.code}']")).to_be_visible()


def test_the_list_week_and_event_pages_on_a_desktop(desktop_page, live_server):
    event = lunch_salon()
    in_english(desktop_page, live_server)
    visit(desktop_page, "/events/")
    expect(desktop_page.locator(f"main a[href='/events/{event.pk}/']")).to_be_visible()
    visit(desktop_page, "/events/?view=week")
    visit(desktop_page, f"/events/?view=week&week={timezone.localtime(event.starts_at).date().isoformat()}")
    expect(desktop_page.locator(f".week a[href='/events/{event.pk}/']")).to_be_visible()
    visit(desktop_page, f"/events/{event.pk}/")
    login = desktop_page.locator(f".booking-box a[href='/accounts/login/?next=%2Fevents%2F{event.pk}%2F']")
    expect(login).to_be_visible()
    visit(desktop_page, "/events/?category=nonsense&date_from=abc")
    expect(desktop_page.locator(".form-errors")).to_be_visible()
    visit(desktop_page, "/")
