"""The micro-wishes admin: scoped to the staff's stations, contacts masked without the permission, statuses through the services."""

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from portal.models import AuditEntry, Membership, Notification, Organisation
from tests.factories import NeighbourhoodFactory, OrganisationFactory, StationFactory, StreetFactory, make_staff
from tests.stations.admin_forms import add_inline_row, change_form_data
from tests.wishes.factories import BeneficiaryFactory, party_member, staff_of, wish
from wishes import services
from wishes.admin import WishAdminForm
from wishes.models import Beneficiary, Campaign, CampaignTarget, Claim, ClaimPhoto, Wish, WishEvent, mask_address, mask_phone

pytestmark = pytest.mark.django_db

WISHES = reverse("admin:wishes_wish_changelist")
BENEFICIARIES = reverse("admin:wishes_beneficiary_changelist")
ADD_BENEFICIARY = reverse("admin:wishes_beneficiary_add")
CLAIMS = reverse("admin:wishes_claim_changelist")
EXPORT = reverse("admin:wishes_wish_export")
EXPORT_COLUMNS = ["id", "alias", "title", "category", "value", "status", "station", "neighbourhood", "campaign", "beneficiary",
                  "phone", "address", "hardship", "claimer", "organisation", "deadline", "fulfilled_at"]
PHONE, ADDRESS = "13812345678", "武夷路100弄5号601室"


def wish_url(made):
    return reverse("admin:wishes_wish_change", args=[made.pk])


def beneficiary_url(person):
    return reverse("admin:wishes_beneficiary_change", args=[person.pk])


def claim_url(claim):
    return reverse("admin:wishes_claim_change", args=[claim.pk])


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def new_wish_rows(page):
    """The prefix of the formset for new wishes on a beneficiary's page."""
    prefixes = [i.formset.prefix for i in page.context["inline_admin_formsets"] if type(i.opts).__name__ == "NewWishInline"]
    assert len(prefixes) == 1
    return prefixes[0]


def grant_contact(user):
    user.user_permissions.add(Permission.objects.get(codename="view_beneficiary_contact", content_type__app_label="wishes"))


def claimed(made, member=None, **kwargs):
    return services.wish_claim(wish_id=made.pk, user=member or party_member(), **kwargs)


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="JPEG")
    return SimpleUploadedFile("done.jpg", out.getvalue(), content_type="image/jpeg")


def reported(made, *, photos=0):
    claim = claimed(made)
    services.claim_report(claim_id=claim.pk, user=claim.claimer, note="血糖仪已送到胡阿姨家", photos=[jpeg() for _ in range(photos)])
    claim.refresh_from_db()
    return claim


@pytest.fixture
def world():
    """Two stations of one street, one station elsewhere; a beneficiary and a published wish at each."""
    street = StreetFactory(name="湖南街道")
    mine, neighbour, elsewhere = StationFactory(street=street), StationFactory(street=street), StationFactory()
    hu = BeneficiaryFactory(station=mine, full_name="胡秀兰", phone=PHONE, address=ADDRESS)
    return SimpleNamespace(
        street=street, mine=mine, neighbour=neighbour, elsewhere=elsewhere, hu=hu,
        my_wish=wish(beneficiary=hu, title="一台血糖测量仪"),
        neighbour_wish=wish(station=neighbour, title="一台电风扇"),
        far_wish=wish(station=elsewhere, title="一个电子高压锅"),
        staff=staff_of(mine),
    )


@pytest.fixture
def staff_client(client, world):
    return login(client, world.staff)


# --- who sees what


def test_station_staff_see_their_own_stations_beneficiaries_and_wishes_only(staff_client, world):
    page = staff_client.get(WISHES)
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [world.my_wish]
    html = page.content.decode()
    assert "一台血糖测量仪" in html
    assert "一台电风扇" not in html and "一个电子高压锅" not in html

    people = staff_client.get(BENEFICIARIES)
    assert list(people.context["cl"].queryset) == [world.hu]
    assert world.neighbour_wish.beneficiary.full_name not in people.content.decode()

    assert staff_client.get(wish_url(world.my_wish)).status_code == 200
    assert staff_client.get(wish_url(world.neighbour_wish)).status_code == 302
    assert staff_client.get(beneficiary_url(world.far_wish.beneficiary)).status_code == 302


def test_street_admins_see_every_station_of_their_street(client, world):
    login(client, make_staff("street_admin", street=world.street))
    page = client.get(WISHES)
    assert set(page.context["cl"].queryset) == {world.my_wish, world.neighbour_wish}
    assert "一个电子高压锅" not in page.content.decode()
    people = client.get(BENEFICIARIES)
    assert set(people.context["cl"].queryset) == {world.hu, world.neighbour_wish.beneficiary}
    assert client.get(wish_url(world.far_wish)).status_code == 302


# --- contacts: masked unless the permission is held


def test_the_beneficiary_list_masks_phones_and_addresses_without_the_permission(staff_client, world):
    html = staff_client.get(BENEFICIARIES).content.decode()
    assert mask_phone(PHONE) == "138****5678"
    assert mask_phone(PHONE) in html and mask_address(ADDRESS) in html
    assert PHONE not in html and ADDRESS not in html


def test_the_beneficiary_list_shows_them_in_full_with_the_permission(client, world):
    grant_contact(world.staff)
    html = login(client, world.staff).get(BENEFICIARIES).content.decode()
    assert PHONE in html and ADDRESS in html


def test_searching_by_phone_finds_nothing(staff_client, world):
    assert list(staff_client.get(BENEFICIARIES, {"q": "5678"}).context["cl"].queryset) == []
    assert list(staff_client.get(BENEFICIARIES, {"q": "胡秀兰"}).context["cl"].queryset) == [world.hu]


def test_the_change_form_never_shows_the_stored_contact_without_the_permission(staff_client, world):
    page = staff_client.get(beneficiary_url(world.hu))
    html = page.content.decode()
    assert PHONE not in html and ADDRESS not in html
    assert mask_phone(PHONE) in html and mask_address(ADDRESS) in html

    # Saved with the boxes left empty: what is stored stays.
    data = change_form_data(page)
    assert data.get("phone") == "" and data.get("address") == ""  # the boxes come empty
    data.update(phone="", address="", notes="行动不便")
    response = staff_client.post(beneficiary_url(world.hu), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    world.hu.refresh_from_db()
    assert (world.hu.phone, world.hu.address, world.hu.notes) == (PHONE, ADDRESS, "行动不便")

    # A new number typed in replaces the old one, and is masked from then on.
    data.update(phone="13900001111")
    staff_client.post(beneficiary_url(world.hu), data)
    world.hu.refresh_from_db()
    assert world.hu.phone == "13900001111" and world.hu.address == ADDRESS
    assert "13900001111" not in staff_client.get(beneficiary_url(world.hu)).content.decode()


def test_the_change_form_shows_the_contact_with_the_permission(client, world):
    grant_contact(world.staff)
    html = login(client, world.staff).get(beneficiary_url(world.hu)).content.decode()
    assert f'value="{PHONE}"' in html and ADDRESS in html


# --- quick entry: a beneficiary and their wishes in one go


def test_a_new_beneficiary_is_entered_with_wishes_made_through_the_service(staff_client, world):
    page = staff_client.get(ADD_BENEFICIARY)
    assert page.context["adminform"].form.initial["station"] == world.mine.pk  # their only station
    neighbourhood = NeighbourhoodFactory(street=world.street, name="武夷居民区")
    data = change_form_data(page)
    data.update(full_name="王建国", gender="m", birth_year="1948", hardship=Beneficiary.Hardship.ELDERLY_ALONE,
                station=world.mine.pk, neighbourhood=neighbourhood.pk, phone="13700002222", address="武夷路200号")
    prefix = new_wish_rows(page)
    add_inline_row(data, prefix, {"title": "一台电风扇", "category": "goods", "estimated_value": "150", "people_served": "1"})
    add_inline_row(data, prefix, {"title": "每月理发", "category": "service", "recurrence": "monthly", "estimated_value": "0",
                                       "people_served": "1", "alias": "王爷爷"})
    response = staff_client.post(ADD_BENEFICIARY, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    person = Beneficiary.objects.get(full_name="王建国")
    made = {w.title: w for w in person.wishes.all()}
    assert set(made) == {"一台电风扇", "每月理发"}
    assert all(w.status == Wish.Status.DRAFT and w.station == world.mine for w in made.values())
    assert made["一台电风扇"].alias == "王老伯"  # the service's default
    assert made["每月理发"].alias == "王爷爷" and made["每月理发"].recurrence == "monthly"
    assert WishEvent.objects.filter(wish__beneficiary=person, to_status=Wish.Status.DRAFT, actor=world.staff).count() == 2
    # Entered by the worker, shown masked to them afterwards.
    assert "13700002222" not in staff_client.get(beneficiary_url(person)).content.decode()


def test_a_wish_against_the_rules_is_refused_on_the_form_and_nothing_is_saved(staff_client, world):
    page = staff_client.get(beneficiary_url(world.hu))
    data = change_form_data(page)
    prefix = new_wish_rows(page)
    add_inline_row(data, prefix, {"title": "一台冰箱", "category": "goods", "estimated_value": "3000", "people_served": "1"})
    response = staff_client.post(beneficiary_url(world.hu), data)
    assert response.status_code == 200
    assert "at most" in response.content.decode()
    assert not Wish.objects.filter(title="一台冰箱").exists()


def test_record_consent_action(staff_client, world):
    person = BeneficiaryFactory(station=world.mine, consent_on=None)
    staff_client.post(BENEFICIARIES, {"action": "record_consent", "_selected_action": [person.pk, world.hu.pk]})
    person.refresh_from_db()
    assert person.consent_on == timezone.localdate() and person.consent_recorded_by == world.staff
    assert AuditEntry.objects.filter(action="wishes.beneficiary.consent", object_id=str(person.pk)).exists()
    assert not AuditEntry.objects.filter(action="wishes.beneficiary.consent", object_id=str(world.hu.pk)).exists()


# --- statuses through list actions


def test_bulk_publish_reports_the_wish_without_consent_and_publishes_the_others(staff_client, world):
    drafts = [wish(status=Wish.Status.DRAFT, station=world.mine, title=f"心愿{i}") for i in range(3)]
    no_consent = wish(status=Wish.Status.DRAFT, beneficiary=BeneficiaryFactory(station=world.mine, consent_on=None), title="没有同意的心愿")
    response = staff_client.post(WISHES, {"action": "publish", "_selected_action": [w.pk for w in [*drafts, no_consent]]}, follow=True)
    for made in drafts:
        made.refresh_from_db()
        assert made.status == Wish.Status.PUBLISHED and made.published_at is not None
    no_consent.refresh_from_db()
    assert no_consent.status == Wish.Status.DRAFT
    said = messages_of(response)
    assert any("没有同意的心愿" in m and "consent" in m for m in said)
    assert any("3 wishes were published" in m for m in said)


def test_submit_for_review(staff_client, world):
    draft = wish(status=Wish.Status.DRAFT, station=world.mine)
    staff_client.post(WISHES, {"action": "submit_for_review", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Wish.Status.REVIEW


def test_withdrawing_needs_a_reason(staff_client, world):
    made = world.my_wish
    response = staff_client.post(WISHES, {"action": "withdraw", "_selected_action": [made.pk], "reason": "  "}, follow=True)
    made.refresh_from_db()
    assert made.status == Wish.Status.PUBLISHED
    assert any("reason" in m for m in messages_of(response))

    staff_client.post(WISHES, {"action": "withdraw", "_selected_action": [made.pk], "reason": "胡阿姨搬去女儿家了"})
    made.refresh_from_db()
    assert made.status == Wish.Status.WITHDRAWN
    assert made.history.last().note == "胡阿姨搬去女儿家了"


def test_withdrawing_a_claimed_wish_releases_the_claim_and_tells_the_claimer(staff_client, world):
    claim = claimed(world.my_wish)
    staff_client.post(WISHES, {"action": "withdraw", "_selected_action": [world.my_wish.pk], "reason": "需求已由家属解决"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RELEASED
    assert Notification.objects.filter(recipient=claim.claimer, kind="wishes.claim.released").exists()


def test_confirm_a_reported_fulfilment_from_the_wish_list(staff_client, world):
    claim = reported(world.my_wish)
    unclaimed = wish(station=world.mine, title="一个电子高压锅")
    response = staff_client.post(WISHES, {"action": "confirm_fulfilment", "_selected_action": [world.my_wish.pk, unclaimed.pk]},
                                 follow=True)
    world.my_wish.refresh_from_db()
    claim.refresh_from_db()
    assert world.my_wish.status == Wish.Status.FULFILLED
    assert claim.status == Claim.Status.CONFIRMED and claim.confirmed_by == world.staff
    assert any("一个电子高压锅" in m and "No one is fulfilling" in m for m in messages_of(response))
    assert Notification.objects.filter(recipient=claim.claimer, kind="wishes.claim.confirmed").exists()


def test_send_back_a_report_needs_a_reason_and_reopens_the_claim(staff_client, world):
    claim = reported(world.my_wish)
    staff_client.post(WISHES, {"action": "send_back_report", "_selected_action": [world.my_wish.pk], "reason": ""})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REPORTED

    staff_client.post(WISHES, {"action": "send_back_report", "_selected_action": [world.my_wish.pk], "reason": "胡阿姨说还没收到"})
    claim.refresh_from_db()
    world.my_wish.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE and claim.sent_back_note == "胡阿姨说还没收到"
    assert world.my_wish.status == Wish.Status.CLAIMED


def test_release_a_claim_from_the_wish_list(staff_client, world):
    claim = claimed(world.my_wish)
    staff_client.post(WISHES, {"action": "release_claim", "_selected_action": [world.my_wish.pk], "reason": "认领人联系不上"})
    claim.refresh_from_db()
    world.my_wish.refresh_from_db()
    assert claim.status == Claim.Status.RELEASED and world.my_wish.status == Wish.Status.PUBLISHED


def test_actions_skip_wishes_out_of_scope(staff_client, world):
    draft = wish(status=Wish.Status.DRAFT, station=world.neighbour)
    staff_client.post(WISHES, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Wish.Status.DRAFT


# --- the claim's page: decide, approve photos, hand on


def test_confirm_on_the_claim_page_and_approve_a_photo(staff_client, world):
    claim = reported(world.my_wish, photos=2)
    page = staff_client.get(claim_url(claim))
    assert page.status_code == 200
    html = page.content.decode()
    assert "血糖仪已送到胡阿姨家" in html
    assert reverse("admin:wishes_claim_reassign", args=[claim.pk]) in html
    first, second = ClaimPhoto.objects.filter(claim=claim).order_by("pk")
    data = change_form_data(page)
    data["decision"] = "confirm"
    data["photos-0-is_public"] = "on"
    response = staff_client.post(claim_url(claim), data)
    assert response.status_code == 302
    claim.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert claim.status == Claim.Status.CONFIRMED
    assert first.is_public and not second.is_public
    assert AuditEntry.objects.filter(action="wishes.photo.public", object_id=str(first.pk)).exists()


def test_sending_back_on_the_claim_page_needs_a_reason(staff_client, world):
    claim = reported(world.my_wish)
    data = change_form_data(staff_client.get(claim_url(claim)))
    data.update(decision="send_back", reason="")
    response = staff_client.post(claim_url(claim), data)
    assert response.status_code == 200 and "reason" in response.context["adminform"].form.errors
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REPORTED


def test_a_refused_decision_changes_nothing(staff_client, world):
    claim = claimed(world.my_wish)  # nothing reported yet
    data = change_form_data(staff_client.get(claim_url(claim)))
    data["decision"] = "confirm"
    response = staff_client.post(claim_url(claim), data, follow=True)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE
    assert any("Nothing was saved" in m for m in messages_of(response))


def test_claim_list_actions(staff_client, world):
    claim = reported(world.my_wish)
    other = claimed(wish(station=world.mine, title="一台电风扇"))
    staff_client.post(CLAIMS, {"action": "release_selected", "_selected_action": [other.pk], "reason": ""})
    other.refresh_from_db()
    assert other.status == Claim.Status.ACTIVE  # no reason, nothing done
    staff_client.post(CLAIMS, {"action": "release_selected", "_selected_action": [other.pk], "reason": "认领人生病了"})
    response = staff_client.post(CLAIMS, {"action": "confirm_selected", "_selected_action": [claim.pk, other.pk]}, follow=True)
    claim.refresh_from_db()
    other.refresh_from_db()
    assert (claim.status, other.status) == (Claim.Status.CONFIRMED, Claim.Status.RELEASED)
    assert any("一台电风扇" in m for m in messages_of(response))  # a released claim can't be confirmed: said, not a 500


def test_the_station_records_a_visit_of_a_repeating_service(staff_client, world):
    service = wish(station=world.mine, title="每月足部护理", category=Wish.Category.SERVICE, recurrence=Wish.Recurrence.MONTHLY,
                   people_served=8, estimated_value=0)
    claim = claimed(service)
    page = staff_client.get(claim_url(claim))
    data = change_form_data(page)
    prefix = next(i.formset.prefix for i in page.context["inline_admin_formsets"] if type(i.opts).__name__ == "NewVisitInline")
    add_inline_row(data, prefix, {"on": timezone.localdate().isoformat(), "people_served": "8", "note": "华庭居民区活动室"})
    assert staff_client.post(claim_url(claim), data).status_code == 302
    visit = claim.visits.get()
    assert (visit.people_served, visit.recorded_by) == (8, world.staff)

    # More people than the wish serves: the service refuses, nothing is saved, and the page says why.
    data = change_form_data(staff_client.get(claim_url(claim)))
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    add_inline_row(data, prefix, {"on": yesterday, "people_served": "9"})
    response = staff_client.post(claim_url(claim), data, follow=True)
    assert any("Nothing was saved" in m and "8" in m for m in messages_of(response))
    assert claim.visits.count() == 1


def test_reassign_a_claim_to_another_verified_party_member(staff_client, world):
    first = claimed(world.my_wish)
    party = OrganisationFactory(kind=Organisation.Kind.PARTY, name="华庭居民区党支部")
    second = party_member(organisation=party, role=Membership.Role.REPRESENTATIVE, email="li@example.cn")
    url = reverse("admin:wishes_claim_reassign", args=[first.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert party in page.context["form"].fields["organisation"].queryset

    unknown = staff_client.post(url, {"email": "nobody@example.cn", "reason": "原认领人出差"})
    assert unknown.status_code == 200 and "email" in unknown.context["form"].errors

    response = staff_client.post(url, {"email": "LI@example.cn", "organisation": party.pk, "reason": "原认领人出差"})
    new = Claim.objects.get(wish=world.my_wish, status=Claim.Status.ACTIVE)
    assert response.status_code == 302 and response["Location"] == claim_url(new)
    first.refresh_from_db()
    world.my_wish.refresh_from_db()
    assert first.status == Claim.Status.RELEASED
    assert (new.claimer, new.organisation) == (second, party)
    assert world.my_wish.status == Wish.Status.CLAIMED
    assert "原认领人出差" in world.my_wish.history.last().note


def test_reassigning_to_an_unverified_person_is_refused(staff_client, world):
    first = claimed(world.my_wish)
    party_member(verified=False, email="unverified@example.cn")
    url = reverse("admin:wishes_claim_reassign", args=[first.pk])
    response = staff_client.post(url, {"email": "unverified@example.cn", "reason": "原认领人出差"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    first.refresh_from_db()
    assert first.status == Claim.Status.ACTIVE


def test_staff_of_another_station_cannot_reassign(client, world):
    claim = claimed(world.my_wish)
    login(client, staff_of(world.neighbour))
    url = reverse("admin:wishes_claim_reassign", args=[claim.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"email": party_member().email, "reason": "x"}).status_code == 403
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE


def test_claims_are_listed_by_deadline(staff_client, world):
    late = claimed(world.my_wish)
    Claim.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(days=1))
    soon = claimed(wish(station=world.mine, title="一台电风扇"))
    Claim.objects.filter(pk=soon.pk).update(deadline=timezone.now() + timedelta(days=2))
    later = claimed(wish(station=world.mine, title="一个电子高压锅"))
    assert set(staff_client.get(CLAIMS, {"deadline": "overdue"}).context["cl"].queryset) == {late}
    assert set(staff_client.get(CLAIMS, {"deadline": "soon"}).context["cl"].queryset) == {soon}
    assert set(staff_client.get(WISHES, {"deadline": "overdue"}).context["cl"].queryset) == {world.my_wish}
    assert set(staff_client.get(CLAIMS).context["cl"].queryset) == {late, soon, later}


# --- the wish's page: timeline, thanks, content saved by name


def test_a_wish_added_on_its_own_page_is_made_through_the_service(staff_client, world):
    add = reverse("admin:wishes_wish_add")
    data = change_form_data(staff_client.get(add))
    data.update(beneficiary=world.hu.pk, station=world.mine.pk, title="一副老花镜", category="goods", estimated_value="80",
                people_served="1", alias="")
    response = staff_client.post(add, data)
    assert response.status_code == 302
    made = Wish.objects.get(title="一副老花镜")
    assert (made.status, made.alias, made.station) == (Wish.Status.DRAFT, "胡阿姨", world.mine)
    assert made.history.get().actor == world.staff

    data.update(title="一台洗衣机", estimated_value="2000")
    refused = staff_client.post(add, data)
    assert refused.status_code == 200 and refused.context["adminform"].form.errors
    assert not Wish.objects.filter(title="一台洗衣机").exists()


def test_a_wish_photo_is_stored_re_encoded_under_a_random_name(staff_client, world):
    url = wish_url(world.my_wish)
    data = change_form_data(staff_client.get(url))
    upload = jpeg()
    upload.name = "胡秀兰家门口.jpg"
    response = staff_client.post(url, {**data, "photo": upload})
    assert response.status_code == 302
    world.my_wish.refresh_from_db()
    assert world.my_wish.photo.name.startswith("wishes/photos/") and "胡秀兰" not in world.my_wish.photo.name
    with Image.open(world.my_wish.photo.path) as stored:
        assert stored.format == "JPEG" and not stored.getexif()

    not_a_photo = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    refused = staff_client.post(url, {**data, "photo": not_a_photo})
    assert refused.status_code == 200 and "photo" in refused.context["adminform"].form.errors


def test_the_wish_page_shows_its_timeline(staff_client, world):
    member = party_member(display_name="李党员")
    claim = claimed(world.my_wish, member)
    services.claim_release(claim=claim, actor=world.staff, reason="认领人联系不上")
    page = staff_client.get(wish_url(world.my_wish))
    html = page.content.decode()
    timeline = html.split('class="wish-timeline"')[1].split("</table>")[0]
    assert timeline.count("<tr class=") == world.my_wish.history.count() == 4  # created, published, claimed, released
    for text in ("Draft", "Waiting to be claimed", "Claimed", "李党员", "认领人联系不上", str(world.staff)):
        assert text in timeline
    # Nobody edits or deletes history: there is no form for it.
    assert "history-0" not in html


def test_the_wish_page_shows_the_live_claim_and_its_report(staff_client, world):
    claim = reported(world.my_wish, photos=1)
    html = staff_client.get(wish_url(world.my_wish)).content.decode()
    assert "血糖仪已送到胡阿姨家" in html
    assert claim_url(claim) in html
    assert ClaimPhoto.objects.get(claim=claim).thumbnail.url in html


def test_the_thanks_note_is_recorded_once_the_wish_is_fulfilled(staff_client, world):
    page = staff_client.get(wish_url(world.my_wish))
    assert "thanks_note" not in page.context["adminform"].form.fields  # not yet fulfilled
    claim = reported(world.my_wish)
    services.claim_confirm(claim=claim, actor=world.staff)
    page = staff_client.get(wish_url(world.my_wish))
    data = change_form_data(page)
    data.update(thanks_note="谢谢党员同志，血糖仪很好用！", thanks_is_public="on")
    response = staff_client.post(wish_url(world.my_wish), data)
    assert response.status_code == 302
    world.my_wish.refresh_from_db()
    assert world.my_wish.thanks_note == "谢谢党员同志，血糖仪很好用！" and world.my_wish.thanks_is_public
    assert AuditEntry.objects.filter(action="wishes.wish.thanks", object_id=str(world.my_wish.pk)).exists()


def test_saving_the_wish_form_never_overwrites_a_status_changed_meanwhile(staff_client, world, monkeypatch):
    url = wish_url(world.my_wish)
    data = change_form_data(staff_client.get(url))
    data.update(title="一台血糖仪（带试纸）")
    validate = WishAdminForm.clean

    def validate_while_someone_claims(form):
        # Another request claims the wish between the admin loading it and saving it.
        Wish.objects.filter(pk=form.instance.pk).update(status=Wish.Status.CLAIMED)
        return validate(form)

    monkeypatch.setattr(WishAdminForm, "clean", validate_while_someone_claims)
    assert staff_client.post(url, data).status_code == 302
    world.my_wish.refresh_from_db()
    assert world.my_wish.status == Wish.Status.CLAIMED
    assert world.my_wish.title == "一台血糖仪（带试纸）"


def test_what_a_claimer_pledged_to_stays_put(staff_client, world):
    page = staff_client.get(wish_url(world.my_wish))  # opened while the wish waits on the wall
    campaign = Campaign.objects.create(name="七一心愿", street=world.street, starts_on="2030-06-01", ends_on="2030-07-01")
    campaign.stations.add(world.mine)
    data = change_form_data(page)
    data.update(title="一台血糖仪（带试纸）", campaign=campaign.pk)
    claimed(world.my_wish)
    assert staff_client.post(wish_url(world.my_wish), data).status_code == 302
    world.my_wish.refresh_from_db()
    assert world.my_wish.status == Wish.Status.CLAIMED
    assert world.my_wish.campaign == campaign
    assert world.my_wish.title == "一台血糖测量仪"


def test_wishes_and_beneficiaries_with_claims_cannot_be_deleted(staff_client, world):
    draft = wish(status=Wish.Status.DRAFT, beneficiary=BeneficiaryFactory(station=world.mine))
    claimed(world.my_wish)

    def delete_url(obj):
        return reverse(f"admin:wishes_{obj._meta.model_name}_delete", args=[obj.pk])

    assert staff_client.get(delete_url(world.my_wish)).status_code == 403
    assert staff_client.get(delete_url(world.hu)).status_code == 403
    assert staff_client.post(delete_url(draft), {"post": "yes"}).status_code == 302
    assert not Wish.objects.filter(pk=draft.pk).exists()
    actions = staff_client.get(WISHES).context["action_form"].fields["action"].choices
    assert "delete_selected" not in dict(actions)


# --- export for the street office


def export(client):
    data = {"format": "0", "resource": "0"}
    data.update({f"wishresource_{column}": "on" for column in EXPORT_COLUMNS})
    response = client.post(EXPORT, data)
    assert response.status_code == 200, response.content[:500]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_export_masks_phones_and_addresses_without_the_permission(staff_client, world):
    claimed(world.my_wish, party_member(display_name="李党员"))
    header, *rows = export(staff_client)
    assert len(header) == len(EXPORT_COLUMNS)
    assert [r[2] for r in rows] == ["一台血糖测量仪"]  # their own station's only
    row = dict(zip(EXPORT_COLUMNS, rows[0], strict=True))
    assert row["phone"] == "138****5678" and row["address"] == mask_address(ADDRESS)
    # The file leaves the portal: without the permission the name is masked too.
    assert row["beneficiary"] == "胡**" and row["claimer"] == "李党员" and row["status"] == "Claimed"
    assert row["deadline"]
    everything = "".join(",".join(r) for r in rows)
    assert PHONE not in everything and ADDRESS not in everything and "胡秀兰" not in everything


def test_the_export_shows_phones_and_addresses_with_the_permission(client, world):
    grant_contact(world.staff)
    header, *rows = export(login(client, world.staff))
    row = dict(zip(EXPORT_COLUMNS, rows[0], strict=True))
    assert row["phone"] == PHONE and row["address"] == ADDRESS and row["beneficiary"] == "胡秀兰"


# --- campaigns


def test_campaign_targets_show_each_organisations_progress(client, world):
    campaign = Campaign.objects.create(name="七一心愿", street=world.street, starts_on="2030-06-01", ends_on="2030-07-01", target_wishes=20)
    campaign.stations.add(world.mine)
    party = OrganisationFactory(kind=Organisation.Kind.PARTY, street=world.street, name="武夷居民区党支部")
    CampaignTarget.objects.create(campaign=campaign, organisation=party, wishes=5)
    representative = party_member(organisation=party, role=Membership.Role.REPRESENTATIVE)
    for title in ("一台电风扇", "一个电子高压锅"):
        claimed(wish(station=world.mine, campaign=campaign, title=title), representative, organisation=party)
    wish(station=world.mine, campaign=campaign, title="一台收音机")

    login(client, make_staff("street_admin", street=world.street))
    listed = client.get(reverse("admin:wishes_campaign_changelist"))
    change = reverse("admin:wishes_campaign_change", args=[campaign.pk])
    row = listed.content.decode().split(f'href="{change}"')[1].split("</tr>")[0]
    assert '<td class="field-collected">3</td>' in row and '<td class="field-claimed">2</td>' in row
    page = client.get(change)
    assert "2 of 5 claimed, 0 fulfilled" in page.content.decode()


# --- query counts


def _queries(client, url, count, **params):
    """Queries for one list page of `count` wishes (a third of them claimed) at a station, as its staff."""
    station = StationFactory()
    for index in range(count):
        made = wish(station=station, title=f"心愿{index}")
        if index % 3 == 0:
            claimed(made)
    login(client, staff_of(station))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, params)
    assert page.status_code == 200
    if "cl" in page.context:
        assert page.context["cl"].result_count == (count if url != CLAIMS else len(range(0, count, 3)))
    return len(queries)


@pytest.mark.parametrize("url", [WISHES, BENEFICIARIES, CLAIMS], ids=["wishes", "beneficiaries", "claims"])
def test_the_lists_run_a_fixed_number_of_queries(client, url):
    few, many = _queries(client, url, 3), _queries(client, url, 20)
    assert few == many, (few, many)


def test_the_campaign_list_runs_a_fixed_number_of_queries(client):
    def count(n):
        street = StreetFactory()
        station = StationFactory(street=street)
        for index in range(n):
            campaign = Campaign.objects.create(name=f"心愿季{index}", street=street, starts_on="2030-06-01", ends_on="2030-07-01")
            campaign.stations.add(station)
            wish(station=station, campaign=campaign)
        login(client, make_staff("street_admin", street=street))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("admin:wishes_campaign_changelist"))
        assert page.context["cl"].result_count == n
        return len(queries)

    assert count(3) == count(20)


def test_the_export_runs_a_fixed_number_of_queries(client):
    def count(n):
        station = StationFactory()
        for index in range(n):
            made = wish(station=station, title=f"心愿{index}")
            if index % 3 == 0:
                claimed(made)
        login(client, staff_of(station))
        with CaptureQueriesContext(connection) as queries:
            header, *rows = export(client)
        assert len(rows) == n
        return len(queries)

    assert count(3) == count(20)
