"""The public and member pages of micro-wishes through the test client: the wall and its filters and counters,
the fulfilled view, a wish's page and its claim, My wishes (report, visits, honour-board choice), the honour
board, privacy canaries, junk input and query counts.

Pages are read in English (the language cookie), so the assertions don't depend on the translations.
"""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from portal.models import Membership, Organisation
from stations.hours import local_now
from tests.factories import NeighbourhoodFactory, OrganisationFactory, StationFactory, StreetFactory, UserFactory
from tests.wishes.factories import BeneficiaryFactory, party_member, staff_of, wish
from wishes import services
from wishes.models import Campaign, Claim, ClaimPhoto, HonourBoardOptOut, ServiceVisit, Wish

pytestmark = pytest.mark.django_db

WALL = reverse("wishes:wall")
FULFILLED = reverse("wishes:fulfilled")
HONOUR = reverse("wishes:honour")
MINE = reverse("wishes:mine")

# Privacy canaries: none of these may ever appear on a page that is not the admin.
CANARY_NAME = "胡秀兰金丝雀"
CANARY_ADDRESS = "武夷路金丝雀弄88号"
CANARY_PHONE = "13912345678"
CANARY_BIRTH_YEAR = 1937
CANARIES = (CANARY_NAME, CANARY_ADDRESS, CANARY_PHONE, "金丝雀")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def station():
    return StationFactory(name="武夷路党群服务站", phone="021-62520000", address="武夷路100号")


@pytest.fixture
def staff(station):
    return staff_of(station)


def text(response):
    return response.content.decode()


def flashes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def titles(response):
    return [w.title for w in response.context["page"].object_list]


def canary_beneficiary(station):
    return BeneficiaryFactory(station=station, full_name=CANARY_NAME, address=CANARY_ADDRESS, phone=CANARY_PHONE,
                              birth_year=CANARY_BIRTH_YEAR, neighbourhood=NeighbourhoodFactory(street=station.street, name="武夷居民区"))


def assert_private(response):
    html = text(response)
    for canary in CANARIES:
        assert canary not in html, canary
    assert str(CANARY_BIRTH_YEAR) not in html


def claimed(made, member, organisation=None, **kwargs):
    return services.wish_claim(wish_id=made.pk, user=member, organisation=organisation, **kwargs)


def fulfil(made, member, staff, *, organisation=None, photos=(), now=None):
    claim = claimed(made, member, organisation)
    services.claim_report(claim_id=claim.pk, user=member, note="送到了", photos=photos)
    return services.claim_confirm(claim=claim, actor=staff, now=now)


def png(name="photo.png", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# ---------------------------------------------------------------------------
# The wall


def test_the_wall_shows_public_wishes_only_as_cards_without_private_details(client, station, staff):
    beneficiary = canary_beneficiary(station)
    expired = wish(beneficiary=beneficiary, actor=staff, title="过期的心愿")
    services.expire_wishes(now=timezone.now() + timedelta(days=settings.WISHES_PUBLISHED_DAYS + 2))
    published = wish(beneficiary=beneficiary, actor=staff, title="一台血糖测量仪", story="胡阿姨有糖尿病")
    taken = wish(beneficiary=beneficiary, actor=staff, title="一台电风扇")
    claimed(taken, party_member())
    wish(beneficiary=beneficiary, actor=staff, title="草稿心愿", status=Wish.Status.DRAFT)
    wish(beneficiary=beneficiary, actor=staff, title="待审心愿", status=Wish.Status.REVIEW)
    withdrawn = wish(beneficiary=beneficiary, actor=staff, title="撤回的心愿")
    services.wish_withdraw(wish=withdrawn, actor=staff, reason="搬家了")
    assert Wish.objects.get(pk=expired.pk).status == Wish.Status.EXPIRED

    response = client.get(WALL)
    assert response.status_code == 200
    assert sorted(titles(response)) == sorted([published.title, taken.title])
    html = text(response)
    assert "胡奶奶" in html and "武夷居民区" in html and "武夷路党群服务站" in html
    assert "Waiting to be claimed" in html and "Claimed" in html and "Goods" in html
    assert "Claimed by" in html and "a party member" in html
    for hidden in ("过期的心愿", "草稿心愿", "待审心愿", "撤回的心愿"):
        assert hidden not in html
    assert_private(response)


def test_a_public_photo_is_shown_and_a_private_one_is_not(client, station, staff):
    shown = wish(station=station, actor=staff, title="有照片")
    hidden = wish(station=station, actor=staff, title="照片保密")
    for made, public in ((shown, True), (hidden, False)):
        made.photo.save(f"w{made.pk}.png", png(), save=False)
        made.photo_is_public = public
        made.save(update_fields=["photo", "photo_is_public"])

    html = text(client.get(WALL))
    assert shown.photo.url in html
    assert hidden.photo.url not in html
    assert hidden.photo.url not in text(client.get(reverse("wishes:detail", args=[hidden.pk])))
    assert shown.photo.url in text(client.get(reverse("wishes:detail", args=[shown.pk])))


def test_filters_by_station_street_category_status_and_campaign(client, station, staff):
    other_station = StationFactory(street=StreetFactory(name="华阳路街道"))
    campaign = Campaign.objects.create(name="七一心愿树", street=station.street, starts_on=local_now().date(),
                                       ends_on=local_now().date() + timedelta(days=30))
    meter = wish(station=station, actor=staff, title="血糖仪", campaign=campaign)
    foot_care = wish(station=station, actor=staff, title="足部护理", category=Wish.Category.SERVICE,
                     recurrence=Wish.Recurrence.MONTHLY, people_served=8)
    fan = wish(station=other_station, title="电风扇")
    claimed(fan, party_member())

    def shown(query):
        response = client.get(f"{WALL}?{query}")
        assert response.status_code == 200
        return sorted(titles(response))

    assert shown(f"station={station.pk}") == sorted([meter.title, foot_care.title])
    assert shown(f"street={other_station.street.pk}") == [fan.title]
    assert shown("category=service") == [foot_care.title]
    assert shown("status=claimed") == [fan.title]
    assert shown("status=published") == sorted([meter.title, foot_care.title])
    assert shown(f"campaign={campaign.pk}") == [meter.title]
    assert shown(f"station={station.pk}&category=goods") == [meter.title]


def test_a_status_that_is_not_public_is_left_out_and_explained(client, station, staff):
    wish(station=station, actor=staff, title="草稿心愿", status=Wish.Status.DRAFT)
    public = wish(station=station, actor=staff, title="公开心愿")
    response = client.get(f"{WALL}?status=draft")
    assert response.status_code == 200
    assert titles(response) == [public.title]
    assert "could not be used" in text(response)
    assert "草稿心愿" not in text(response)


def test_counters_count_collected_claimed_and_fulfilled_for_the_current_filter(client, station, staff):
    other = StationFactory()
    wish(station=station, actor=staff, title="等待1")
    wish(station=station, actor=staff, title="等待2")
    claimed(wish(station=station, actor=staff, title="认领"), party_member())
    reported = claimed(wish(station=station, actor=staff, title="已报告"), party_member())
    services.claim_report(claim_id=reported.pk, user=reported.claimer, note="送到了")
    fulfil(wish(station=station, actor=staff, title="已实现"), party_member(), staff)
    wish(station=station, actor=staff, title="草稿", status=Wish.Status.DRAFT)
    wish(station=other, title="别处")

    counters = client.get(f"{WALL}?station={station.pk}").context["counters"]
    assert counters == {"collected": 5, "claimed": 3, "fulfilled": 1}
    assert client.get(WALL).context["counters"] == {"collected": 6, "claimed": 3, "fulfilled": 1}
    # The status filter narrows the list, not the counters: "claimed" would only repeat it.
    response = client.get(f"{WALL}?station={station.pk}&status=published")
    assert len(titles(response)) == 2
    assert response.context["counters"] == {"collected": 5, "claimed": 3, "fulfilled": 1}


def test_the_wall_is_paginated_and_keeps_its_filters(client, station, staff):
    for n in range(22):
        wish(station=station, actor=staff, title=f"心愿{n}")
    first = client.get(f"{WALL}?category=goods&bogus=1")
    assert len(titles(first)) == 20
    html = text(first)
    pagination = html[html.index('class="pagination"'):]
    assert "category=goods&amp;page=2" in pagination and "bogus" not in pagination
    assert len(titles(client.get(f"{WALL}?category=goods&page=2"))) == 2


@pytest.mark.parametrize("query", [
    "page=abc", "page=-1", "page=99999999999999999999", "station=abc", "station=99999999999999999999", "street=-5",
    "category=<script>", "campaign=x", "status=withdrawn", "status=" + "x" * 5000, "station=1&station=2",
    "q=%00", "street=%F0%9F%98%80",
])
def test_junk_on_the_wall_and_the_fulfilled_view_never_fails(client, station, staff, query):
    wish(station=station, actor=staff)
    for url in (WALL, FULFILLED):
        response = client.get(f"{url}?{query}", follow=True)
        assert response.status_code == 200, (url, query)


# ---------------------------------------------------------------------------
# The fulfilled view


def test_the_fulfilled_view_shows_only_approved_stories_and_photos(client, station, staff):
    beneficiary = canary_beneficiary(station)
    organisation = OrganisationFactory(kind=Organisation.Kind.PARTY, name="武夷路第一党支部")
    representative = party_member(role=Membership.Role.REPRESENTATIVE, organisation=organisation)
    story = wish(beneficiary=beneficiary, actor=staff, title="电子高压锅")
    claim = fulfil(story, representative, staff, organisation=organisation, photos=[png("a.png"), png("b.png")])
    public_photo, private_photo = ClaimPhoto.objects.filter(claim=claim).order_by("pk")
    services.claim_photo_publish(photo=public_photo, actor=staff, public=True)
    services.wish_record_thanks(wish=story, actor=staff, note="谢谢党支部的同志们，饭菜香了", public=True)
    quiet = wish(beneficiary=beneficiary, actor=staff, title="一台电风扇")
    fulfil(quiet, party_member(), staff)
    services.wish_record_thanks(wish=quiet, actor=staff, note="不愿公开的感谢", public=False)
    wish(beneficiary=beneficiary, actor=staff, title="还在等待")

    response = client.get(FULFILLED)
    assert response.status_code == 200
    assert sorted(titles(response)) == sorted(["电子高压锅", "一台电风扇"])
    html = text(response)
    assert "谢谢党支部的同志们" in html
    assert "不愿公开的感谢" not in html
    assert "还在等待" not in html
    assert "武夷路第一党支部" in html
    public_photo.refresh_from_db()
    private_photo.refresh_from_db()
    assert public_photo.thumbnail.url in html
    assert private_photo.thumbnail.url not in html and private_photo.image.url not in html
    assert representative.display_name not in html
    assert_private(response)
    # The wish's own page shows the approved thanks too, and only those.
    assert "谢谢党支部的同志们" in text(client.get(reverse("wishes:detail", args=[story.pk])))
    assert "不愿公开的感谢" not in text(client.get(reverse("wishes:detail", args=[quiet.pk])))


# ---------------------------------------------------------------------------
# A wish's page


def test_the_wish_page_shows_the_public_facts_and_the_story(client, station, staff):
    made = wish(beneficiary=canary_beneficiary(station), actor=staff, title="一台血糖测量仪",
                story="阿姨独居，需要每天测血糖。")
    response = client.get(reverse("wishes:detail", args=[made.pk]))
    assert response.status_code == 200
    html = text(response)
    assert "一台血糖测量仪" in html and "阿姨独居" in html and "胡奶奶" in html and "武夷居民区" in html
    assert "Why it matters" in html and "Waiting to be claimed" in html
    assert "Log in to claim" in html
    assert_private(response)


@pytest.mark.parametrize("status", [Wish.Status.DRAFT, Wish.Status.REVIEW])
def test_a_wish_not_yet_published_has_no_page(client, station, staff, status):
    made = wish(station=station, actor=staff, status=status)
    assert client.get(reverse("wishes:detail", args=[made.pk])).status_code == 404


def test_withdrawn_and_expired_wishes_and_unknown_ids_have_no_page(client, station, staff):
    withdrawn = wish(station=station, actor=staff)
    services.wish_withdraw(wish=withdrawn, actor=staff, reason="需求已满足")
    expired = wish(station=station, actor=staff)
    services.expire_wishes(now=timezone.now() + timedelta(days=settings.WISHES_PUBLISHED_DAYS + 2))
    for wish_id in (withdrawn.pk, expired.pk, 999999, 99999999999999999999):
        assert client.get(reverse("wishes:detail", args=[wish_id])).status_code == 404
    client.force_login(party_member())
    assert client.get(reverse("wishes:claim", args=[withdrawn.pk])).status_code == 404
    assert client.post(reverse("wishes:claim", args=[expired.pk])).status_code == 404
    assert not Claim.objects.exists()


def test_staff_see_no_more_than_the_public_on_the_wish_page(client, station, staff):
    made = wish(beneficiary=canary_beneficiary(station), actor=staff)
    client.force_login(staff)
    assert_private(client.get(reverse("wishes:detail", args=[made.pk])))


def test_an_unverified_member_is_told_why_and_how_to_get_verified(client, station, staff):
    made = wish(station=station, actor=staff)
    client.force_login(party_member(verified=False))
    response = client.get(reverse("wishes:detail", args=[made.pk]))
    html = text(response)
    assert response.context["state"] == "unverified"
    assert "whose membership station staff have verified" in html
    assert reverse("portal:profile") in html
    assert reverse("wishes:claim", args=[made.pk]) not in html
    # Going to the pledge page anyway leads back with the reason.
    response = client.get(reverse("wishes:claim", args=[made.pk]))
    assert response.status_code == 302 and response.url == reverse("wishes:detail", args=[made.pk])
    assert any("verified" in m for m in flashes(response))


def test_a_person_without_any_membership_is_refused_by_the_service_too(client, station, staff):
    made = wish(station=station, actor=staff)
    client.force_login(UserFactory())
    response = client.post(reverse("wishes:claim", args=[made.pk]))
    assert response.status_code == 302 and response.url == reverse("wishes:detail", args=[made.pk])
    assert any("verified" in m for m in flashes(response))
    assert not Claim.objects.exists()


def test_the_claim_page_needs_a_login(client, station, staff):
    made = wish(station=station, actor=staff)
    response = client.get(reverse("wishes:claim", args=[made.pk]))
    assert response.status_code == 302 and reverse("account_login") in response.url
    for url in (MINE, reverse("wishes:report", args=[1])):
        assert reverse("account_login") in client.get(url).url
    for url in (reverse("wishes:visit", args=[1]), reverse("wishes:honour_choice")):
        assert reverse("account_login") in client.post(url).url


# ---------------------------------------------------------------------------
# Claiming


def test_a_verified_member_claims_a_wish_after_confirming_the_pledge(client, station, staff):
    made = wish(beneficiary=canary_beneficiary(station), actor=staff, title="一台血糖测量仪")
    member = party_member()
    client.force_login(member)
    detail = client.get(reverse("wishes:detail", args=[made.pk]))
    assert detail.context["state"] == "claim"
    assert reverse("wishes:claim", args=[made.pk]) in text(detail)

    pledge = client.get(reverse("wishes:claim", args=[made.pk]))
    assert pledge.status_code == 200
    html = text(pledge)
    assert f"I pledge to fulfil this wish within {settings.WISHES_CLAIM_DAYS} days, arranging delivery through 武夷路党群服务站" in html
    assert "on_behalf" not in html and "months" not in html  # nothing to choose for a member of no organisation's staff
    assert_private(pledge)
    assert not Claim.objects.exists()

    response = client.post(reverse("wishes:claim", args=[made.pk]))
    assert response.status_code == 302 and response.url == MINE
    claim = Claim.objects.get()
    assert (claim.wish_id, claim.claimer_id, claim.organisation_id) == (made.pk, member.pk, None)
    assert Wish.objects.get(pk=made.pk).status == Wish.Status.CLAIMED
    assert any("Thank you for claiming" in m for m in flashes(response))

    again = client.get(reverse("wishes:detail", args=[made.pk]))
    assert again.context["state"] == "mine"
    # Others see that it is claimed, by "a party member": individuals are never named.
    client.force_login(party_member())
    other = client.get(reverse("wishes:detail", args=[made.pk]))
    assert other.context["state"] == "taken"
    assert "Claimed by a party member." in text(other)
    assert member.display_name not in text(other)


def test_the_claimer_of_a_fulfilled_wish_is_thanked_on_its_page(client, station, staff):
    made = wish(station=station, actor=staff)
    member = party_member()
    fulfil(made, member, staff)
    client.force_login(member)
    response = client.get(reverse("wishes:detail", args=[made.pk]))
    assert response.context["state"] == "mine"
    assert "You fulfilled this wish. Thank you!" in text(response)


def test_the_second_claimer_is_told_someone_has_just_claimed_it(client, station, staff):
    made = wish(station=station, actor=staff)
    first, second = party_member(), party_member()
    client.force_login(second)
    pledge = client.get(reverse("wishes:claim", args=[made.pk]))  # both opened the pledge page…
    assert pledge.status_code == 200
    claimed(made, first)  # …the first one confirmed a moment earlier
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("wishes:claim", args=[made.pk]))
    assert response.status_code == 302 and response.url == reverse("wishes:detail", args=[made.pk])
    assert any("Someone has just claimed this wish" in m for m in flashes(response))
    assert list(Claim.objects.values_list("claimer_id", flat=True)) == [first.pk]
    # Told from the wish the page read: no transaction, no lock — a rush for one wish doesn't queue for nothing —
    # and nothing else read: the session, the person, the wish.
    assert not any("FOR UPDATE" in q["sql"] or q["sql"].startswith("SAVEPOINT") for q in queries.captured_queries)
    assert len(queries) == 3, "\n".join(q["sql"][:100] for q in queries.captured_queries)


def test_a_member_holding_the_most_open_claims_is_told_why(client, station, staff, settings):
    settings.WISHES_MAX_OPEN_CLAIMS = 2
    member = party_member()
    for _ in range(2):
        claimed(wish(station=station, actor=staff), member)
    next_one = wish(station=station, actor=staff)
    client.force_login(member)
    detail = client.get(reverse("wishes:detail", args=[next_one.pk]))
    assert detail.context["state"] == "refused"
    assert "You already hold 2 open claims" in text(detail)
    assert reverse("wishes:claim", args=[next_one.pk]) not in text(detail)
    response = client.post(reverse("wishes:claim", args=[next_one.pk]))
    assert any("You already hold 2 open claims" in m for m in flashes(response))
    assert Claim.objects.filter(claimer=member).count() == 2
    assert Wish.objects.get(pk=next_one.pk).status == Wish.Status.PUBLISHED


def test_a_representative_claims_on_behalf_of_their_party_organisation(client, station, staff):
    made = wish(station=station, actor=staff)
    branch = OrganisationFactory(kind=Organisation.Kind.PARTY, name="华阳路第三党支部")
    representative = party_member(role=Membership.Role.REPRESENTATIVE, organisation=branch)
    client.force_login(representative)
    pledge = text(client.get(reverse("wishes:claim", args=[made.pk])))
    assert "For myself, as a party member" in pledge and "On behalf of 华阳路第三党支部" in pledge

    response = client.post(reverse("wishes:claim", args=[made.pk]), {"on_behalf": str(branch.pk)})
    assert response.status_code == 302
    assert Claim.objects.get().organisation == branch
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # logging out clears the cookies
    assert "Claimed by 华阳路第三党支部." in text(client.get(reverse("wishes:detail", args=[made.pk])))
    assert "华阳路第三党支部" in text(client.get(WALL))


@pytest.mark.parametrize("junk", [{"on_behalf": "999999"}, {"on_behalf": "abc"}, {"on_behalf": "x" * 10000},
                                  {"on_behalf": ""}])
def test_a_forged_organisation_is_refused_without_an_error(client, station, staff, junk):
    made = wish(station=station, actor=staff)
    other_branch = OrganisationFactory(kind=Organisation.Kind.PARTY)
    branch = OrganisationFactory(kind=Organisation.Kind.PARTY)
    representative = party_member(role=Membership.Role.REPRESENTATIVE, organisation=branch)
    junk = {"on_behalf": str(other_branch.pk)} if junk["on_behalf"] == "999999" else junk
    client.force_login(representative)
    response = client.post(reverse("wishes:claim", args=[made.pk]), junk)
    assert response.status_code == 200
    assert response.context["form"].errors["on_behalf"] == ["Choose who is claiming: yourself or one of your organisations."]
    assert not Claim.objects.exists()


def test_a_member_who_is_no_representative_sends_an_organisation_and_nothing_happens(client, station, staff):
    made = wish(station=station, actor=staff)
    member = party_member()
    organisation = member.memberships.get().organisation
    client.force_login(member)
    response = client.post(reverse("wishes:claim", args=[made.pk]), {"on_behalf": str(organisation.pk)})
    # The field isn't offered, so the value is ignored: the member claims for themselves.
    assert response.status_code == 302
    assert Claim.objects.get().organisation is None


def test_a_repeating_service_asks_for_the_months_of_commitment(client, station, staff):
    made = wish(station=station, actor=staff, title="每月足部护理", category=Wish.Category.SERVICE,
                recurrence=Wish.Recurrence.MONTHLY, people_served=8)
    client.force_login(party_member())
    pledge = client.get(reverse("wishes:claim", args=[made.pk]))
    assert pledge.context["form"]["months"].value() == settings.WISHES_SERVICE_MONTHS
    for months in ("0", "25", "abc", "1e9"):
        response = client.post(reverse("wishes:claim", args=[made.pk]), {"months": months})
        assert response.status_code == 200 and response.context["form"].errors, months
    assert not Claim.objects.exists()
    response = client.post(reverse("wishes:claim", args=[made.pk]), {"months": "3"})
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.commitment_until == (local_now() + timedelta(days=round(30.44 * 3))).date()


def test_other_methods_on_the_claim_page_are_not_allowed(client, station, staff):
    made = wish(station=station, actor=staff)
    client.force_login(party_member())
    assert client.put(reverse("wishes:claim", args=[made.pk])).status_code == 405
    assert client.post(reverse("wishes:visit", args=[1])).status_code == 404
    assert client.get(reverse("wishes:visit", args=[1])).status_code == 405


# ---------------------------------------------------------------------------
# My wishes


def test_my_wishes_shows_the_station_contact_and_never_the_beneficiary(client, station, staff):
    made = wish(beneficiary=canary_beneficiary(station), actor=staff, title="一台血糖测量仪")
    member = party_member()
    claim = claimed(made, member)
    client.force_login(member)
    response = client.get(MINE)
    assert response.status_code == 200
    html = text(response)
    assert "一台血糖测量仪" in html and "胡奶奶" in html
    assert "武夷路党群服务站" in html and "021-62520000" in html and "武夷路100号" in html
    assert 'href="tel:02162520000"' in html
    assert reverse("wishes:report", args=[claim.pk]) in html
    assert timezone.localtime(claim.deadline).strftime("%Y") in html
    assert_private(response)


def test_my_wishes_shows_a_sent_back_note_and_the_history(client, station, staff):
    member = party_member()
    sent_back = claimed(wish(station=station, actor=staff, title="退回的"), member)
    services.claim_report(claim_id=sent_back.pk, user=member, note="送到了")
    services.claim_send_back(claim=sent_back, actor=staff, reason="阿姨说还没收到")
    fulfil(wish(station=station, actor=staff, title="已完成的"), member, staff)
    released = claimed(wish(station=station, actor=staff, title="被释放的"), member)
    services.claim_release(claim=released, actor=staff, reason="超过期限")
    client.force_login(member)
    response = client.get(MINE)
    html = text(response)
    assert "阿姨说还没收到" in html
    assert [c.wish.title for c in response.context["current"]] == ["退回的"]
    assert sorted(c.wish.title for c in response.context["past"]) == ["已完成的", "被释放的"]
    assert "Confirmed by the station" in html and "超过期限" in html


def test_my_wishes_shows_only_my_claims(client, station, staff):
    mine, theirs = party_member(), party_member()
    claimed(wish(station=station, actor=staff, title="我的"), mine)
    claimed(wish(station=station, actor=staff, title="别人的"), theirs)
    client.force_login(mine)
    html = text(client.get(MINE))
    assert "我的" in html and "别人的" not in html


# ---------------------------------------------------------------------------
# Reporting fulfilment


def test_report_with_a_photo(client, station, staff):
    made = wish(beneficiary=canary_beneficiary(station), actor=staff)
    member = party_member()
    claim = claimed(made, member)
    client.force_login(member)
    page = client.get(reverse("wishes:report", args=[claim.pk]))
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in text(page) and "multiple" in text(page)
    assert_private(page)
    response = client.post(reverse("wishes:report", args=[claim.pk]), {"note": "血糖仪已送到服务站，由社工转交", "photos": [png()]})
    assert response.status_code == 302 and response.url == MINE
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REPORTED and claim.report_note == "血糖仪已送到服务站，由社工转交"
    photo = ClaimPhoto.objects.get(claim=claim)
    assert photo.image.name.endswith(".jpg") and not photo.is_public
    assert Wish.objects.get(pk=made.pk).status == Wish.Status.REPORTED
    # Reported: no second report.
    again = client.get(reverse("wishes:report", args=[claim.pk]))
    assert again.status_code == 302 and any("not waiting for a report" in m for m in flashes(again))


def test_report_with_several_photos_at_once(client, station, staff):
    member = party_member()
    claim = claimed(wish(station=station, actor=staff), member)
    client.force_login(member)
    response = client.post(reverse("wishes:report", args=[claim.pk]),
                           {"note": "送到了", "photos": [png("1.png"), png("2.png"), png("3.png")]})
    assert response.status_code == 302
    assert ClaimPhoto.objects.filter(claim=claim).count() == 3


def test_a_report_with_a_file_that_is_no_photo_is_refused_and_changes_nothing(client, station, staff):
    member = party_member()
    claim = claimed(wish(station=station, actor=staff), member)
    client.force_login(member)
    fake = SimpleUploadedFile("photo.png", b"%PDF-1.4 not a photo at all", content_type="image/png")
    response = client.post(reverse("wishes:report", args=[claim.pk]), {"note": "送到了", "photos": [png(), fake]})
    assert response.status_code == 200
    assert "not a photo we can use" in text(response)
    assert response.context["form"].errors
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE and claim.report_note == ""
    assert not ClaimPhoto.objects.exists()


def test_a_report_needs_a_note_and_at_most_six_photos(client, station, staff):
    member = party_member()
    claim = claimed(wish(station=station, actor=staff), member)
    client.force_login(member)
    empty = client.post(reverse("wishes:report", args=[claim.pk]), {"note": "   "})
    assert empty.status_code == 200 and empty.context["form"].errors["note"]
    many = client.post(reverse("wishes:report", args=[claim.pk]), {"note": "送到了", "photos": [png(f"{n}.png") for n in range(7)]})
    assert many.status_code == 200 and "At most 6 photos" in text(many)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE
    assert not ClaimPhoto.objects.exists()


def test_someone_elses_claim_cannot_be_reported(client, station, staff):
    owner, intruder = party_member(), party_member()
    claim = claimed(wish(station=station, actor=staff), owner)
    client.force_login(intruder)
    assert client.get(reverse("wishes:report", args=[claim.pk])).status_code == 404
    assert client.post(reverse("wishes:report", args=[claim.pk]), {"note": "冒充"}).status_code == 404
    assert client.post(reverse("wishes:visit", args=[claim.pk]), {"on": "2026-01-01", "people_served": "1"}).status_code == 404
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE


# ---------------------------------------------------------------------------
# Visits of a repeating service


def recurring(station, staff):
    return wish(station=station, actor=staff, title="每月足部护理", category=Wish.Category.SERVICE,
                recurrence=Wish.Recurrence.MONTHLY, people_served=8)


def test_the_claimer_of_a_repeating_service_records_a_visit(client, station, staff):
    member = party_member()
    claim = claimed(recurring(station, staff), member)
    client.force_login(member)
    page = text(client.get(MINE))
    assert reverse("wishes:visit", args=[claim.pk]) in page and "Record a visit" in page
    today = local_now().date()
    response = client.post(reverse("wishes:visit", args=[claim.pk]),
                           {"on": today.isoformat(), "people_served": "7", "note": "一位阿姨住院了"})
    assert response.status_code == 302 and response.url == f"{MINE}#claim-{claim.pk}"
    visit = ServiceVisit.objects.get()
    assert (visit.on, visit.people_served, visit.note, visit.recorded_by_id) == (today, 7, "一位阿姨住院了", member.pk)
    assert "7 people served" in text(client.get(MINE))

    twice = client.post(reverse("wishes:visit", args=[claim.pk]), {"on": today.isoformat(), "people_served": "8"})
    assert any("recorded already" in m for m in flashes(twice))
    assert ServiceVisit.objects.count() == 1


@pytest.mark.parametrize("data", [
    {"on": "2999-01-01", "people_served": "3"},
    {"on": "not a date", "people_served": "3"},
    {"people_served": "3"},
    {"on": "TODAY", "people_served": "9"},
    {"on": "TODAY", "people_served": "0"},
    {"on": "TODAY", "people_served": "99999999999"},
    {"on": "TODAY", "people_served": "3", "note": "x" * 301},
])
def test_a_wrong_visit_is_refused_with_a_message(client, station, staff, data):
    member = party_member()
    claim = claimed(recurring(station, staff), member)
    client.force_login(member)
    data = {k: (local_now().date().isoformat() if v == "TODAY" else v) for k, v in data.items()}
    if data.get("on") == "2999-01-01":
        data["on"] = (local_now().date() + timedelta(days=2)).isoformat()
    response = client.post(reverse("wishes:visit", args=[claim.pk]), data)
    assert response.status_code == 302
    assert flashes(response)
    assert not ServiceVisit.objects.exists()


def test_a_visit_for_a_one_off_wish_is_refused(client, station, staff):
    member = party_member()
    claim = claimed(wish(station=station, actor=staff), member)
    client.force_login(member)
    assert reverse("wishes:visit", args=[claim.pk]) not in text(client.get(MINE))
    response = client.post(reverse("wishes:visit", args=[claim.pk]), {"on": local_now().date().isoformat(), "people_served": "1"})
    assert any("repeating services only" in m for m in flashes(response))
    assert not ServiceVisit.objects.exists()


# ---------------------------------------------------------------------------
# The honour board


def test_the_honour_board_ranks_organisations_and_members_of_the_month(client, station, staff):
    branch_a = OrganisationFactory(kind=Organisation.Kind.PARTY, name="甲党支部")
    branch_b = OrganisationFactory(kind=Organisation.Kind.PARTY, name="乙党支部")
    rep_a = party_member(role=Membership.Role.REPRESENTATIVE, organisation=branch_a, display_name="甲代表")
    rep_b = party_member(role=Membership.Role.REPRESENTATIVE, organisation=branch_b, display_name="乙代表")
    wang = party_member(display_name="王先锋")
    li = party_member(display_name="李先锋")
    shy = party_member(display_name="不愿具名")
    for _ in range(2):
        fulfil(wish(station=station, actor=staff), rep_a, staff, organisation=branch_a)
    fulfil(wish(station=station, actor=staff), rep_b, staff, organisation=branch_b)
    for _ in range(2):
        fulfil(wish(station=station, actor=staff), wang, staff)
    fulfil(wish(station=station, actor=staff), li, staff)
    fulfil(wish(station=station, actor=staff), shy, staff)
    claimed(wish(station=station, actor=staff), li)  # claimed, not fulfilled: doesn't count
    last_month = local_now().replace(day=1) - timedelta(days=1)
    fulfil(wish(station=station, actor=staff), li, staff, now=last_month)
    services.honour_board_opt(user=shy, show=False)

    response = client.get(HONOUR)
    assert response.status_code == 200
    organisations = [(r["place"], r["name"], r["fulfilled"]) for r in response.context["organisations"]]
    members = [(r["place"], r["name"], r["fulfilled"]) for r in response.context["members"]]
    assert organisations == [(1, "甲党支部", 2), (2, "乙党支部", 1)]
    assert members == [(1, "王先锋", 2), (2, "李先锋", 1)]
    html = text(response)
    assert "不愿具名" not in html
    assert "甲代表" not in html  # an organisation's claim counts for the organisation, not its representative

    previous = client.get(f"{HONOUR}?month={last_month:%Y-%m}")
    assert [(r["name"], r["fulfilled"]) for r in previous.context["members"]] == [("李先锋", 1)]
    assert previous.context["organisations"] == []


def test_the_honour_board_by_street(client, station, staff):
    elsewhere = StationFactory(street=StreetFactory(name="华阳路街道"))
    here, there = party_member(display_name="本街道"), party_member(display_name="外街道")
    fulfil(wish(station=station, actor=staff), here, staff)
    fulfil(wish(station=elsewhere), there, staff_of(elsewhere))
    response = client.get(f"{HONOUR}?street={station.street.pk}")
    assert [r["name"] for r in response.context["members"]] == ["本街道"]
    assert [r["name"] for r in client.get(HONOUR).context["members"]] == ["外街道", "本街道"]


def test_a_member_without_a_display_name_is_not_shown_by_e_mail(client, station, staff):
    member = party_member(display_name="")
    fulfil(wish(station=station, actor=staff), member, staff)
    response = client.get(HONOUR)
    assert [r["name"] for r in response.context["members"]] == ["A party member"]
    assert member.email not in text(response)


@pytest.mark.parametrize("query", ["month=2026-13", "month=abc", "month=9999-01", "month=0001-01", "month=" + "9" * 500,
                                   "street=abc", "street=99999999999999999999", "month=2026-07&street=-1", "month=%00"])
def test_junk_on_the_honour_board_shows_this_month(client, query):
    response = client.get(f"{HONOUR}?{query}")
    assert response.status_code == 200
    today = local_now().date()
    assert response.context["month_value"] in (f"{today:%Y-%m}", "2026-07")
    assert response.context["problems"]


def test_the_honour_board_choice_on_my_wishes(client):
    member = party_member()
    client.force_login(member)
    assert "Leave my name off the honour board" in text(client.get(MINE))
    response = client.post(reverse("wishes:honour_choice"), {"show": "0"})
    assert response.status_code == 302 and response.url.startswith(MINE)
    assert HonourBoardOptOut.objects.filter(user=member).exists()
    assert "Show my name on the honour board" in text(client.get(MINE))
    client.post(reverse("wishes:honour_choice"), {"show": "0"})  # twice: still one row
    assert HonourBoardOptOut.objects.filter(user=member).count() == 1
    client.post(reverse("wishes:honour_choice"), {"show": "1"})
    assert not HonourBoardOptOut.objects.filter(user=member).exists()
    assert client.get(reverse("wishes:honour_choice")).status_code == 405


# ---------------------------------------------------------------------------
# Navigation


def test_the_menu_and_the_station_page_link_to_the_wishes(client, station, staff):
    wish(station=station, actor=staff)
    home = text(client.get("/"))
    assert WALL in home and MINE not in home
    client.force_login(party_member())
    assert MINE in text(client.get(reverse("portal:profile")))  # the "Mine" page gathers the person's own pages
    station_page = text(client.get(station.get_absolute_url()))
    assert f"{WALL}?station={station.pk}" in station_page


# ---------------------------------------------------------------------------
# Query counts


def build(count, station, staff, members, organisation, representative):
    """`count` public wishes in every public status, some with a campaign, photos and thanks."""
    campaign = Campaign.objects.first() or Campaign.objects.create(
        name="七一心愿树", street=station.street, starts_on=local_now().date(), ends_on=local_now().date() + timedelta(days=30))
    beneficiary = BeneficiaryFactory(station=station)
    made = []
    for n in range(count):
        made.append(wish(beneficiary=beneficiary, actor=staff, title=f"心愿{n}", campaign=campaign if n % 2 else None))
    for n, each in enumerate(made):
        member = members[n % len(members)]
        if n % 3 == 1:
            claimed(each, member)
        elif n % 3 == 2:
            claim = fulfil(each, representative if n % 2 else member, staff, organisation=organisation if n % 2 else None,
                           photos=[png()])
            services.claim_photo_publish(photo=claim.photos.get(), actor=staff, public=True)
            services.wish_record_thanks(wish=each, actor=staff, note="谢谢", public=True)
    return made


def page_queries(client, urls):
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


# Logged in, every page also reads the session, the user and the unread-notification count (3).
# Wall: count, page, live claims, counters + the station, street and campaign pickers (+1 each to validate a chosen one).
# Fulfilled: count, page, confirmed claims, their public photos + pickers. Detail: the wish + its live claim, and for
# someone who could claim, the claim check (memberships, open claims). Claim page: the same + the organisations the
# person may act for. My wishes: claims, visits, photos, opt-out. Honour board: organisations, members, the street
# picker (+1 to validate a chosen street).
MAX_QUERIES = {"wall": 10, "wall, filtered": 13, "fulfilled": 10, "detail": 7, "mine": 7, "honour": 6, "honour, street": 7,
               "claim": 8}


def test_pages_cost_the_same_queries_for_3_wishes_as_for_30(client, station, staff):
    organisation = OrganisationFactory(kind=Organisation.Kind.PARTY)
    representative = party_member(role=Membership.Role.REPRESENTATIVE, organisation=organisation)
    members = [party_member() for _ in range(10)]
    me = members[0]
    client.force_login(me)
    open_wish = wish(station=station, actor=staff, title="可认领")
    claimed(wish(station=station, actor=staff, title="我认领的", category=Wish.Category.SERVICE,
                 recurrence=Wish.Recurrence.MONTHLY, people_served=3), me)
    build(3, station, staff, members, organisation, representative)
    campaign = Campaign.objects.get()
    claimant = party_member()
    urls = {
        "wall": WALL,
        "wall, filtered": f"{WALL}?station={station.pk}&street={station.street.pk}&category=goods&status=claimed&campaign={campaign.pk}",
        "fulfilled": FULFILLED,
        "detail": reverse("wishes:detail", args=[open_wish.pk]),
        "mine": MINE,
        "honour": HONOUR,
        "honour, street": f"{HONOUR}?street={station.street.pk}",
    }
    few = page_queries(client, urls)
    client.force_login(claimant)
    few["claim"] = page_queries(client, {"claim": reverse("wishes:claim", args=[open_wish.pk])})["claim"]
    client.force_login(me)

    build(27, station, staff, members, organisation, representative)
    assert Wish.objects.filter(status__in=Wish.PUBLIC).count() == 32
    many = page_queries(client, urls)
    client.force_login(claimant)
    many["claim"] = page_queries(client, {"claim": reverse("wishes:claim", args=[open_wish.pk])})["claim"]
    print(f"\nqueries per page with 3 / 30 wishes: { {name: (few[name], many[name]) for name in few} }")
    assert many == few
    for name, count in many.items():
        assert count <= MAX_QUERIES[name], (name, count)
