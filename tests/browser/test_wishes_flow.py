"""Issue #6: a party member claims 胡阿姨's blood-glucose meter from the wish wall on a phone and reports it fulfilled
with a photo; station staff confirm it in admin, approve the photo and record her thanks; anyone then sees the wish
fulfilled, and the member on the honour board until they opt out. Someone not yet verified can't claim.

Privacy comes first: after every step of the member and the visitor, the page holds none of the beneficiary's
full name, address or phone.

Every page goes through visit/submit/check_page (axe, console errors). The pages are read in English (the language
cookie), so the words asserted don't change when the lead translates them; elements are found by URLs, form field
names, ids and classes derived from primary keys and states.
"""

import mimetypes
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from PIL import Image
from playwright.sync_api import expect

from tests.browser.helpers import check_page, log_in, log_out, submit, visit
from tests.factories import DEFAULT_PASSWORD, StationFactory
from tests.wishes.factories import BeneficiaryFactory, party_member, staff_of, wish
from wishes import services
from wishes.models import Claim, ClaimPhoto, HonourBoardOptOut, Wish

# The live server runs in another thread and sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

WALL = reverse("wishes:wall")
FULFILLED = reverse("wishes:fulfilled")
HONOUR_BOARD = reverse("wishes:honour")
MINE = reverse("wishes:mine")
CLAIMS = reverse("admin:wishes_claim_changelist")
# Django admin's own filter sidebar lists its links 20px apart, under axe's 24px target size, and its breadcrumbs
# tell links from text by colour alone (axe flags that once the object's name is long, as a claim's is); those
# stylesheets are Django's, not ours, so the admin pages are checked without them (everything else still is).
ADMIN_AXE = {"exclude": [["#changelist-filter"], [".breadcrumbs"]]}

# The beneficiary's private details: none of them may ever reach a page the member or the public sees.
FULL_NAME = "胡秀琴"
ADDRESS = "武夷路718弄23号602室"
PHONE = "13917182930"
STATION_PHONE = "021-62518890"
# axe-core, injected into each page to check it, is not the page's own text.
_AXE_SCRIPT = re.compile(r"<script[^>]*>\s*/\*! axe v.*?</script>", re.S)


def in_english(page, live_server):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])


def english(text):
    with translation.override("en"):
        return str(text)


def serve_media(page):
    """Answer /media/ from MEDIA_ROOT, as nginx does in production (the live server, DEBUG off, serves static only)."""

    def fulfil(route):
        path = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
        file = (Path(settings.MEDIA_ROOT) / path).resolve()
        if Path(settings.MEDIA_ROOT).resolve() not in file.parents or not file.is_file():
            route.fulfill(status=404, body="")
            return
        route.fulfill(status=200, body=file.read_bytes(), content_type=mimetypes.guess_type(file.name)[0] or "application/octet-stream")

    page.context.route(re.compile(r"/media/"), fulfil)


def assert_private(page):
    """Nothing on the page as it is now gives the beneficiary away."""
    html = _AXE_SCRIPT.sub("", page.content())
    for secret in (FULL_NAME, ADDRESS, PHONE):
        assert secret not in html, f"{page.url} shows the beneficiary's {secret!r}"


def png(tmp_path):
    path = tmp_path / "送血糖仪.png"
    Image.new("RGB", (64, 48), (220, 60, 60)).save(path, format="PNG")
    return path


def loaded(image):
    """An <img> that the browser could actually draw (not a broken link)."""
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    image.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def claim_item(page, claim):
    return page.locator(f"li.my-claim#claim-{claim.pk}")


@pytest.fixture
def scene():
    station = StationFactory(name="武夷路党群服务站", phone=STATION_PHONE)
    beneficiary = BeneficiaryFactory(full_name=FULL_NAME, address=ADDRESS, phone=PHONE, station=station, birth_year=1948)
    meter = wish(
        beneficiary=beneficiary,
        station=station,
        title="一台血糖测量仪",
        category=Wish.Category.GOODS,
        story="胡阿姨患糖尿病多年，独居，需要每天测血糖。",
    )
    # Another wish at the same station, of another kind: the category filter leaves it out.
    foot_care = wish(station=station, title="每月上门修脚", category=Wish.Category.SERVICE)
    member = party_member(email="xiaozhang@example.cn", display_name="党员小张")
    staff = staff_of(station)
    return {"station": station, "wish": meter, "other": foot_care, "member": member, "staff": staff}


def test_a_member_claims_and_fulfils_a_wish_staff_confirm_it_and_the_public_sees_it(page, desktop_page, live_server, scene, tmp_path):
    meter, member, staff = scene["wish"], scene["member"], scene["staff"]
    detail_url = reverse("wishes:detail", args=[meter.pk])
    claim_url = reverse("wishes:claim", args=[meter.pk])
    for p in (page, desktop_page):
        in_english(p, live_server)
        serve_media(p)

    # The member, on a phone, finds the goods on the wall.
    log_in(page, member.email, DEFAULT_PASSWORD)
    visit(page, WALL)
    assert_private(page)
    expect(page.locator(f"main a[href='{reverse('wishes:detail', args=[scene['other'].pk])}']")).to_be_visible()
    search = page.locator(f"main form[action='{WALL}'][role=search]")
    search.locator("select[name=category]").select_option(Wish.Category.GOODS)
    submit(page, search.locator("[type=submit]"))
    assert "category=goods" in page.url
    assert_private(page)
    expect(page.locator(f"main a[href='{reverse('wishes:detail', args=[scene['other'].pk])}']")).to_have_count(0)
    card = page.locator("li.wish-card").filter(has=page.locator(f"a[href='{detail_url}']"))
    expect(card).to_have_count(1)
    expect(card.locator(".wish-status")).to_have_class(re.compile(r"\bwish-status-published\b"))

    # The wish's page offers the claim.
    with page.expect_navigation():
        card.locator(f"a[href='{detail_url}']").click()
    check_page(page)
    assert page.url.endswith(detail_url)
    assert_private(page)
    claim_link = page.locator(f".claim-box a[href='{claim_url}']")
    expect(claim_link).to_be_visible()

    # Claim, then confirm the pledge.
    with page.expect_navigation():
        claim_link.click()
    check_page(page)
    assert page.url.endswith(claim_url)
    assert_private(page)
    assert not Claim.objects.filter(wish=meter).exists()  # the pledge is not made yet
    submit(page, page.locator(f"main form[action='{claim_url}'] [type=submit]"))
    assert page.url.endswith(MINE)
    assert_private(page)
    claim = Claim.objects.get(wish=meter)
    assert (claim.claimer, claim.organisation, claim.status) == (member, None, Claim.Status.ACTIVE)
    meter.refresh_from_db()
    assert meter.status == Wish.Status.CLAIMED
    expect(page.locator(".messages .message-success")).to_be_visible()

    # My wishes: the station's phone to arrange the delivery, never the person's.
    item = claim_item(page, claim)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(english(Claim.Status.ACTIVE.label))
    call = item.locator(".next-step a.call-button[href='tel:02162518890']")
    expect(call).to_be_visible()
    expect(call.locator(".phone-number")).to_have_text(STATION_PHONE)

    # The member reports it fulfilled, with a note and a photo.
    report_url = reverse("wishes:report", args=[claim.pk])
    with page.expect_navigation():
        item.locator(f"a[href='{report_url}']").click()
    check_page(page)
    assert_private(page)
    form = page.locator(f"main form[action='{report_url}']")
    form.locator("[name=note]").fill("血糖仪已由服务站转交，社工陪同教会了使用方法。")
    form.locator("input[type=file][name=photos]").set_input_files(png(tmp_path))
    submit(page, form.locator("[type=submit]"))
    assert page.url.endswith(MINE)
    assert_private(page)
    expect(page.locator(".messages .message-success")).to_be_visible()
    claim.refresh_from_db()
    meter.refresh_from_db()
    assert claim.status == Claim.Status.REPORTED and claim.reported_at is not None
    assert claim.report_note == "血糖仪已由服务站转交，社工陪同教会了使用方法。"
    assert meter.status == Wish.Status.REPORTED
    photo = ClaimPhoto.objects.get(claim=claim)
    assert not photo.is_public
    item = claim_item(page, claim)
    expect(item).to_contain_text(english(Claim.Status.REPORTED.label))
    expect(item.locator(f"a[href='{report_url}']")).to_have_count(0)
    loaded(item.locator(f".my-report img[src='{photo.thumbnail.url}']"))

    # Station staff, on a desktop: no thank-you note before the wish is fulfilled.
    log_in(desktop_page, staff.email, DEFAULT_PASSWORD)
    wish_admin = reverse("admin:wishes_wish_change", args=[meter.pk])
    visit(desktop_page, wish_admin, accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    expect(desktop_page.locator("[name=thanks_note]")).to_have_count(0)
    assert FULL_NAME in desktop_page.content()  # staff know who it is: the privacy check above can see the name

    # They confirm the fulfilment from the claims' list.
    visit(desktop_page, CLAIMS, accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    changelist = desktop_page.locator("form#changelist-form")
    changelist.locator(f"input[name=_selected_action][value='{claim.pk}']").check()
    changelist.locator("select[name=action]").select_option("confirm_selected")
    submit(desktop_page, changelist.locator("button[name=index]"), accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    expect(desktop_page.locator("ul.messagelist li.success")).to_have_count(1)
    expect(desktop_page.locator("ul.messagelist li.warning, ul.messagelist li.error")).to_have_count(0)
    claim.refresh_from_db()
    meter.refresh_from_db()
    assert claim.status == Claim.Status.CONFIRMED
    assert claim.confirmed_by == staff and claim.confirmed_at is not None
    assert meter.status == Wish.Status.FULFILLED

    # On the claim's page they let the photo be shown publicly.
    visit(desktop_page, reverse("admin:wishes_claim_change", args=[claim.pk]), accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    desktop_page.locator("[name='photos-0-is_public']").check()
    submit(desktop_page, desktop_page.locator("form#claim_form [name=_save]"), accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    expect(desktop_page.locator("ul.messagelist li.error")).to_have_count(0)
    photo.refresh_from_db()
    assert photo.is_public

    # On the wish's page they write down her thanks, to be shown publicly.
    thanks = "谢谢党员同志！以后测血糖方便多了。"
    visit(desktop_page, wish_admin, accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    desktop_page.locator("[name=thanks_note]").fill(thanks)
    desktop_page.locator("[name=thanks_is_public]").check()
    submit(desktop_page, desktop_page.locator("form#wish_form [name=_save]"), accessibility=False)
    check_page(desktop_page, context=ADMIN_AXE)
    expect(desktop_page.locator("ul.messagelist li.error")).to_have_count(0)
    meter.refresh_from_db()
    assert (meter.thanks_note, meter.thanks_is_public, meter.status) == (thanks, True, Wish.Status.FULFILLED)

    # Anyone sees the wish fulfilled, with the thanks and the photo.
    log_out(page)
    visit(page, FULFILLED)
    assert_private(page)
    story = page.locator("li.wish-story").filter(has=page.locator(f"a[href='{detail_url}']"))
    expect(story).to_have_count(1)
    expect(story.locator(".wish-status")).to_have_class(re.compile(r"\bwish-status-fulfilled\b"))
    expect(story.locator("figure.wish-thanks blockquote")).to_have_text(thanks)
    loaded(story.locator(f".wish-photos a[href='{photo.image.url}'] img[src='{photo.thumbnail.url}']"))
    visit(page, detail_url)
    assert_private(page)
    expect(page.locator("figure.wish-thanks blockquote")).to_have_text(thanks)
    expect(page.locator(f".claim-box a[href='{claim_url}']")).to_have_count(0)

    # The honour board names the member this month, until they ask not to be named.
    members = page.locator("section[aria-labelledby='members-heading'] tbody th[scope=row]")
    visit(page, HONOUR_BOARD)
    assert_private(page)
    expect(members.filter(has_text=member.display_name)).to_have_count(1)

    log_in(page, member.email, DEFAULT_PASSWORD)
    visit(page, MINE)
    assert_private(page)
    expect(claim_item(page, claim)).to_have_count(0)  # done: it moved to the history
    expect(page.locator(f".claim-history a[href='{detail_url}']")).to_be_visible()
    choice = page.locator(f"main form[action='{reverse('wishes:honour_choice')}']")
    expect(choice.locator("[name=show]")).to_have_value("0")
    submit(page, choice.locator("[type=submit]"))
    assert HonourBoardOptOut.objects.filter(user=member).exists()
    expect(choice.locator("[name=show]")).to_have_value("1")
    visit(page, HONOUR_BOARD)
    expect(members.filter(has_text=member.display_name)).to_have_count(0)


def test_someone_not_yet_verified_is_told_why_they_cant_claim_and_a_forged_claim_changes_nothing(page, live_server):
    meter = wish(station=StationFactory(phone=STATION_PHONE))
    person = party_member(verified=False, email="newcomer@example.cn")
    detail_url = reverse("wishes:detail", args=[meter.pk])
    claim_url = reverse("wishes:claim", args=[meter.pk])
    refusal = english(services.claim_refusal(person, meter))
    in_english(page, live_server)

    log_in(page, person.email, DEFAULT_PASSWORD)
    visit(page, detail_url)
    box = page.locator(".claim-box")
    expect(box.locator(".alert")).to_have_text(refusal)
    expect(box.locator(f"a[href='{reverse('portal:profile')}']")).to_be_visible()
    expect(page.locator(f"a[href='{claim_url}'], form[action='{claim_url}']")).to_have_count(0)

    # The pledge page, asked for directly, sends them back with the reason.
    visit(page, claim_url)
    assert page.url.endswith(detail_url)
    expect(page.locator(".messages .message-error")).to_have_text(refusal)

    # A claim posted by hand (with a valid CSRF token) is refused the same way, and nothing changes.
    page.evaluate(
        """([action, token]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            form.id = "forged-claim";
            form.innerHTML = `<input type="hidden" name="csrfmiddlewaretoken" value="${token}"><button type="submit">Claim</button>`;
            document.querySelector("main").append(form);
        }""",
        [claim_url, page.locator("header form[action='/accounts/logout/'] [name=csrfmiddlewaretoken]").input_value()],
    )
    submit(page, page.locator("#forged-claim [type=submit]"))
    assert page.url.endswith(detail_url)
    expect(page.locator(".messages .message-error")).to_have_text(refusal)
    assert not Claim.objects.exists()
    meter.refresh_from_db()
    assert meter.status == Wish.Status.PUBLISHED
