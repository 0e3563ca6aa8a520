"""The foundation as a new person meets it: sign up, confirm, log in and out, language, inbox, profile.

Every page on the way goes through `visit`/`submit`, which check it with axe and for console
errors. The portal is Chinese first whatever the browser asks for, so pages are zh-hans until
the person switches.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from portal.models import Notification, User
from portal.notifications import notify
from tests.browser.helpers import check_page, log_in, log_out, logout_button, open_menu, submit, visit
from tests.factories import DEFAULT_PASSWORD, StationFactory, UserFactory

# The live server runs in another thread and sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

ZH = "zh-hans"


def header_link(page, url):
    """A link of the main menu, unfolded first on a phone."""
    open_menu(page)
    return page.locator(f"header a[href='{url}']")


def test_a_new_person_signs_up_confirms_the_address_logs_out_and_in_again(page, live_server):
    email, password = "xiaowang@example.cn", "Hunan-road-2026"
    station = StationFactory(name="梧桐·SPACE")

    visit(page, "/", lang=ZH)
    expect(page.locator("main")).to_contain_text(station.name)
    signup_link = header_link(page, reverse("account_signup"))
    expect(signup_link).to_be_visible()
    with page.expect_navigation():
        signup_link.click()
    check_page(page, lang=ZH)

    form = page.locator(f"main form[action='{reverse('account_signup')}']")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password1]").fill(password)
    form.locator("[name=password2]").fill(password)
    submit(page, form.locator("[type=submit]"), lang=ZH)
    # Not logged in yet: told to confirm the address first.
    assert page.url == live_server.url + reverse("account_email_verification_sent")
    expect(logout_button(page)).to_have_count(0)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [email]
    link = re.search(re.escape(live_server.url) + r"/accounts/confirm-email/[^\s/]+/", message.body)
    assert link, message.body

    visit(page, link.group(0), lang=ZH)
    # allauth signs the key afresh when it renders the page, so the form's key differs from the mail's.
    confirm_prefix = reverse("account_confirm_email", args=["KEY"]).removesuffix("KEY/")
    submit(page, page.locator(f"main form[action^='{confirm_prefix}'] [type=submit]"), lang=ZH)
    open_menu(page)
    expect(logout_button(page)).to_be_visible()
    user = User.objects.get(email=email)
    assert user.emailaddress_set.get(email=email).verified
    assert user.language == ZH  # remembered from the signup page, for notifications

    # Log out through allauth's confirmation page, then log in with the new password.
    visit(page, reverse("account_logout"), lang=ZH)
    submit(page, page.locator(f"main form[action='{reverse('account_logout')}'] [type=submit]"), lang=ZH)
    expect(logout_button(page)).to_have_count(0)
    expect(header_link(page, reverse("account_login"))).to_be_visible()

    log_in(page, email, password, lang=ZH)
    assert page.url == live_server.url + reverse("portal:home")


def test_wrong_password_is_refused_on_the_login_page(page):
    user = UserFactory()

    visit(page, reverse("account_login"), lang=ZH)
    form = page.locator(f"main form[action^='{reverse('account_login')}']")
    form.locator("[name=login]").fill(user.email)
    form.locator("[name=password]").fill("not-the-password")
    submit(page, form.locator("[type=submit]"), lang=ZH)

    assert page.url.endswith(reverse("account_login"))
    expect(logout_button(page)).to_have_count(0)
    expect(page.locator("main [role=alert], main .errorlist").first).to_be_visible()


def test_the_header_switches_to_english_and_back(page):
    user = UserFactory()
    log_in(page, user.email, DEFAULT_PASSWORD, lang=ZH)
    visit(page, reverse("portal:profile"), lang=ZH)

    submit(page, page.locator("header button[name=language][value=en]"), lang="en")
    # Back on the page the person was on, now in English, and remembered for their notifications.
    assert page.url.endswith(reverse("portal:profile"))
    expect(page.locator("header button[name=language][value=en]")).to_have_attribute("aria-pressed", "true")
    user.refresh_from_db()
    assert user.language == "en"
    visit(page, reverse("portal:home"), lang="en")  # the choice holds on the next page

    submit(page, page.locator("header button[name=language][value=zh-hans]"), lang=ZH)
    user.refresh_from_db()
    assert user.language == ZH

    # The header's log-out button works from any page.
    log_out(page, lang=ZH)
    expect(logout_button(page)).to_have_count(0)


def test_a_notification_shows_in_the_header_and_the_inbox_until_it_is_read(page):
    user = UserFactory()
    log_in(page, user.email, DEFAULT_PASSWORD, lang=ZH)
    inbox_link = header_link(page, reverse("portal:inbox"))
    expect(inbox_link).not_to_contain_text(re.compile(r"\d"))

    notification = notify(recipient=user, kind="portal.test", title="梧桐·SPACE 午间沙龙报名成功", body="周三 12:00，请准时到场。", url="/me/")

    visit(page, reverse("portal:home"), lang=ZH)
    expect(inbox_link).to_contain_text("1")

    open_menu(page)
    with page.expect_navigation():
        inbox_link.click()
    check_page(page, lang=ZH)
    assert page.url.endswith(reverse("portal:inbox"))
    item = page.locator("main article, main li").filter(has_text="梧桐·SPACE 午间沙龙报名成功").first
    expect(item).to_be_visible()
    expect(item).to_contain_text("周三 12:00，请准时到场。")

    read_url = reverse("portal:inbox_read", args=[notification.pk])
    submit(page, page.locator(f"main form[action='{read_url}'] [type=submit]"), lang=ZH)

    expect(inbox_link).not_to_contain_text(re.compile(r"\d"))
    expect(page.locator(f"main form[action='{read_url}']")).to_have_count(0)
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0


def test_the_profile_saves_a_name_and_mobile_and_refuses_a_bad_number(page):
    user = UserFactory(display_name="")
    log_in(page, user.email, DEFAULT_PASSWORD, lang=ZH)
    visit(page, reverse("portal:profile"), lang=ZH)

    details = page.locator("main form").filter(has=page.locator("[name=display_name]"))
    details.locator("[name=display_name]").fill("王先生")
    details.locator("[name=phone]").fill("13812345678")
    submit(page, details.locator("[type=submit]"), lang=ZH)

    user.refresh_from_db()
    assert (user.display_name, user.phone) == ("王先生", "13812345678")
    expect(details.locator("[name=display_name]")).to_have_value("王先生")
    expect(details.locator("[name=phone]")).to_have_value("13812345678")

    details.locator("[name=display_name]").fill("李女士")
    details.locator("[name=phone]").fill("12345")
    submit(page, details.locator("[type=submit]"), lang=ZH)  # the error page is checked with axe too

    phone = details.locator("[name=phone]")
    expect(phone).to_have_attribute("aria-invalid", "true")
    # The error is shown and tied to the field, so a screen reader reads it with the field.
    described_by = (phone.get_attribute("aria-describedby") or "").split()
    assert any(i.endswith("_error") for i in described_by), described_by
    for element_id in described_by:
        expect(page.locator(f"[id='{element_id}']")).to_be_visible()
    user.refresh_from_db()
    assert (user.display_name, user.phone) == ("王先生", "13812345678")


def test_a_browser_that_asks_for_english_still_gets_chinese(page):
    page.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})

    visit(page, reverse("portal:home"), lang=ZH)
    expect(page.locator("header button[name=language][value=zh-hans]")).to_have_attribute("aria-pressed", "true")


def test_a_missing_page_is_a_helpful_404(page):
    visit(page, "/no-such-page/", status=404, lang=ZH)
    expect(page.locator(f"main a[href='{reverse('portal:home')}']")).to_be_visible()


def test_the_login_page_on_a_desktop_screen(desktop_page):
    visit(desktop_page, reverse("account_login"), lang=ZH)
    expect(desktop_page.locator("main [name=login]")).to_be_visible()
    expect(desktop_page.locator("main [name=password]")).to_be_visible()


def test_on_a_phone_the_menu_folds_behind_its_button_and_shows_the_unread_count(page):
    user = UserFactory()
    notify(recipient=user, kind="portal.test", title="报名成功", body="", url="/me/")
    log_in(page, user.email, DEFAULT_PASSWORD, lang=ZH)
    toggle = page.locator("#nav-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_contain_text("1")  # the unread count stays in sight while the menu is folded
    expect(page.locator("#site-nav")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(header_link(page, reverse("portal:inbox"))).to_be_visible()
    check_page(page, lang=ZH)


def test_on_a_desktop_the_menu_is_always_open(desktop_page):
    visit(desktop_page, reverse("portal:home"), lang=ZH)
    expect(desktop_page.locator("#nav-toggle")).to_be_hidden()
    expect(desktop_page.locator("#site-nav")).to_be_visible()
