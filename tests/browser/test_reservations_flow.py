"""Issue #5: a company contact reserves the multifunction room for Thursday 14:00–15:30 on a phone, station staff
approve it in admin, the contact sees it approved; a second person sees that slot as taken.

Every page goes through visit/submit/check_page (axe, console errors). The pages are read in English
(the language cookie), so the words asserted don't change when the lead translates them; elements are
found by URLs, form field names, classes derived from states and ids derived from primary keys.
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from portal.models import Notification
from reservations.models import Reservation
from reservations.services import TAKEN
from stations.hours import SHANGHAI, local_now
from tests.browser.helpers import check_page, log_in, log_out, logout_button, submit, visit
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganisationFactory, StationFactory, UserFactory, make_staff
from tests.reservations.factories import meeting_room

# The live server runs in another thread and sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = reverse("admin:reservations_reservation_changelist")
MINE = reverse("reservations:mine")
# Django admin's own filter sidebar lists its links 20px apart, under axe's 24px target size; that stylesheet is
# Django's, not ours, so the admin pages are checked without it (everything else on them still is).
ADMIN_AXE = {"exclude": [["#changelist-filter"]]}


def in_english(page, live_server):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])


def english(text):
    with translation.override("en"):
        return str(text)


def next_thursday():
    """The first Thursday at least a day ahead in Shanghai (so 14:00 on it is never in the past)."""
    today = local_now().date()
    return today + timedelta(days=(3 - today.weekday()) % 7 or 7)


def multifunction_room():
    room = meeting_room(capacity=30, station=StationFactory(name="梧桐·SPACE"))
    room.name = "多功能厅"
    room.save(update_fields=["name"])
    return room


def room_week_url(room, day):
    monday = day - timedelta(days=day.weekday())
    return f"{reverse('reservations:room', args=[room.pk])}?week={monday.isoformat()}"


def slot_url(room, day, start):
    """The request form for a slot, as the week grid links it."""
    return f"{reverse('reservations:request', args=[room.pk])}?date={day.isoformat()}&start={start}"


def grid_day(page, day):
    return page.locator("ol.room-week > li.room-day").filter(has=page.locator(f"h2 time[datetime='{day.isoformat()}']"))


def request_form(page):
    return page.locator("main form[method=post]").filter(has=page.locator("[name=purpose]"))


def reservation_item(page, reservation):
    """The reservation's card on My reservations, found by its calendar link (only its own has that URL)."""
    calendar = reverse("reservations:calendar", args=[reservation.pk])
    return page.locator("li.reservation-item").filter(has=page.locator(f"a[href='{calendar}']"))


@pytest.fixture
def scene():
    room = multifunction_room()
    staff = make_staff("station_staff", station=room.station, user=UserFactory(email="staff@example.cn", display_name="站点小李"))
    contact = UserFactory(email="hr@qiye.example.cn", display_name="企业联络人陈女士")
    company = OrganisationFactory(name="梧桐科技有限公司")
    MembershipFactory(user=contact, organisation=company, verified=True)
    neighbour = UserFactory(email="ayi@example.cn", display_name="王阿姨")
    return {"room": room, "staff": staff, "contact": contact, "company": company, "neighbour": neighbour}


def test_a_company_reserves_the_room_staff_approve_and_a_neighbour_sees_the_slot_taken(page, desktop_page, live_server, scene):
    room, contact, company = scene["room"], scene["contact"], scene["company"]
    thursday = next_thursday()
    in_english(page, live_server)
    in_english(desktop_page, live_server)

    # The contact, on a phone, finds the room and its week with next Thursday in it.
    log_in(page, contact.email, DEFAULT_PASSWORD)
    visit(page, reverse("reservations:rooms"))
    expect(page.locator(f"main a[href='{reverse('reservations:room', args=[room.pk])}']")).to_be_visible()
    visit(page, room_week_url(room, thursday))
    slot = grid_day(page, thursday).locator(f"a.slot-free[href='{slot_url(room, thursday, '14:00')}']")
    expect(slot).to_be_visible()
    with page.expect_navigation():
        slot.click()
    check_page(page)

    # The slot is filled in; the contact asks until 15:30, for the company.
    form = request_form(page)
    expect(form.locator("[name=date]")).to_have_value(thursday.isoformat())
    expect(form.locator("[name=start]")).to_have_value("14:00")
    expect(form.locator("[name=end]")).to_have_value("14:30")
    form.locator("[name=end]").select_option("15:30")
    form.locator("[name=purpose]").fill("季度团队建设：新员工见面会")
    form.locator("[name=attendees]").fill("18")
    form.locator("[name=organisation]").select_option(str(company.pk))
    submit(page, form.locator("[type=submit]"))

    assert page.url.endswith(MINE)
    reservation = Reservation.objects.get(area=room, user=contact)
    assert reservation.status == Reservation.Status.PENDING
    assert reservation.organisation == company
    assert reservation.attendees == 18
    starts, ends = reservation.starts_at.astimezone(SHANGHAI), reservation.ends_at.astimezone(SHANGHAI)
    assert (starts.date(), starts.strftime("%H:%M"), ends.strftime("%H:%M")) == (thursday, "14:00", "15:30")
    expect(page.locator(".messages .message-success")).to_be_visible()
    item = reservation_item(page, reservation)
    expect(item).to_have_count(1)
    expect(item).to_have_class(re.compile(r"\breservation-pending\b"))
    expect(item).to_contain_text(english(Reservation.Status.PENDING.label))
    expect(item.locator(f"time[datetime^='{thursday.isoformat()}T14:00']")).to_be_visible()

    # Station staff approve it from the admin's queue, on a desktop.
    log_in(desktop_page, scene["staff"].email, DEFAULT_PASSWORD)
    visit(desktop_page, CHANGELIST, accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    changelist = desktop_page.locator("form#changelist-form")
    changelist.locator(f"input[name=_selected_action][value='{reservation.pk}']").check()
    changelist.locator("select[name=action]").select_option("approve_selected")
    submit(desktop_page, changelist.locator("button[name=index]"), accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    expect(desktop_page.locator("ul.messagelist li.success")).to_have_count(1)
    expect(desktop_page.locator("ul.messagelist li.warning, ul.messagelist li.error")).to_have_count(0)
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.APPROVED
    assert reservation.decided_by == scene["staff"]

    # The contact sees it approved, and the approval in the inbox.
    visit(page, MINE)
    item = reservation_item(page, reservation)
    expect(item).to_have_class(re.compile(r"\breservation-approved\b"))
    expect(item).to_contain_text(english(Reservation.Status.APPROVED.label))
    approval = Notification.objects.get(recipient=contact, kind="reservations.reservation.approved")
    visit(page, reverse("portal:inbox"))
    notification = page.locator(f"article[aria-labelledby='notification-{approval.pk}-title']")
    expect(notification).to_be_visible()
    expect(notification).to_have_class(re.compile(r"\bis-unread\b"))
    expect(notification.locator(f"#notification-{approval.pk}-title")).to_have_text(approval.title)

    # A neighbour sees 14:00–15:30 on Thursday as taken and 15:30 free, and can't take 14:30–15:00.
    log_out(page)
    log_in(page, scene["neighbour"].email, DEFAULT_PASSWORD)
    visit(page, room_week_url(room, thursday))
    day = grid_day(page, thursday)
    for start in ("14:00", "14:30", "15:00"):
        expect(day.locator(f"a[href='{slot_url(room, thursday, start)}']")).to_have_count(0)
        expect(day.locator("span.slot-taken", has_text=start)).to_have_count(1)
    expect(day.locator(f"a.slot-free[href='{slot_url(room, thursday, '15:30')}']")).to_be_visible()
    expect(day.locator(f"a.slot-free[href='{slot_url(room, thursday, '13:30')}']")).to_be_visible()

    visit(page, slot_url(room, thursday, "14:30"))
    form = request_form(page)
    expect(form.locator("[name=end]")).to_have_value("15:00")
    expect(form.locator("[name=organisation]")).to_have_count(0)  # no verified membership: no "on behalf of"
    form.locator("[name=purpose]").fill("太极拳练习")
    submit(page, form.locator("[type=submit]"))
    assert reverse("reservations:request", args=[room.pk]) in page.url
    expect(page.locator(".form-errors[role=alert]")).to_contain_text(english(TAKEN))
    assert not Reservation.objects.filter(user=scene["neighbour"]).exists()
    assert Reservation.objects.filter(area=room).count() == 1


def test_an_anonymous_visitor_sees_the_week_and_logs_in_to_reach_the_request_form(page, live_server):
    room = multifunction_room()
    visitor = UserFactory(email="visitor@example.cn")
    thursday = next_thursday()
    login_url = reverse("account_login")
    request_url = reverse("reservations:request", args=[room.pk])
    in_english(page, live_server)

    # The request form, asked for directly, sends an anonymous visitor to log in.
    visit(page, request_url)
    assert urlsplit(page.url).path == login_url
    assert parse_qs(urlsplit(page.url).query)["next"] == [request_url]

    visit(page, room_week_url(room, thursday))
    expect(logout_button(page)).to_have_count(0)
    slot = grid_day(page, thursday).locator(f"a.slot-free[href='{slot_url(room, thursday, '14:00')}']")
    expect(slot).to_be_visible()

    # Following a free slot asks to log in first, then comes back to the form with the slot filled in.
    with page.expect_navigation():
        slot.click()
    check_page(page)
    assert urlsplit(page.url).path == login_url
    assert parse_qs(urlsplit(page.url).query)["next"] == [slot_url(room, thursday, "14:00")]
    login = page.locator(f"main form[action^='{login_url}']")
    login.locator("[name=login]").fill(visitor.email)
    login.locator("[name=password]").fill(DEFAULT_PASSWORD)
    submit(page, login.locator("[type=submit]"))
    assert urlsplit(page.url).path == request_url
    form = request_form(page)
    expect(form.locator("[name=date]")).to_have_value(thursday.isoformat())
    expect(form.locator("[name=start]")).to_have_value("14:00")
    expect(form.locator("[name=organisation]")).to_have_count(0)
    assert not Reservation.objects.exists()


def test_a_slot_link_fills_in_the_day_in_chinese_too(page, live_server):
    room = multifunction_room()
    visitor = UserFactory(email="visitor@example.cn")
    thursday = next_thursday()
    log_in(page, visitor.email, DEFAULT_PASSWORD, lang="zh-hans")
    visit(page, slot_url(room, thursday, "14:00"), lang="zh-hans")
    form = request_form(page)
    expect(form.locator("[name=start]")).to_have_value("14:00")
    expect(form.locator("[name=date]")).to_have_value(thursday.isoformat(), timeout=1_000)
