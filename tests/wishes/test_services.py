"""The rules of micro-wishes, one service at a time, and the whole life of one wish.

The assertions read the rule messages' English wording; the Chinese comes from the same msgids.
"""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from portal.models import AuditEntry, Membership, Notification, Organisation, StaffAssignment
from stations.hours import SHANGHAI, local_now
from tests.factories import MembershipFactory, OrganisationFactory, StationFactory, UserFactory, make_staff
from tests.wishes.factories import (
    EXIF_MAKE,
    BeneficiaryFactory,
    claimed,
    jpeg_with_exif,
    party_member,
    reported,
    staff_of,
    wish,
)
from wishes import services
from wishes.models import Campaign, Claim, ClaimPhoto, HonourBoardOptOut, ServiceVisit, Wish, WishEvent, mask_phone
from wishes.services import WishError

pytestmark = pytest.mark.django_db

S, C = Wish.Status, Claim.Status
STATION_PHONE = "021-62510000"
STATION_ADDRESS = "武夷路100号党群服务站"
# The beneficiary's private details: none of them may reach a claimer.
CANARY_NAME, CANARY_PHONE, CANARY_ADDRESS, CANARY_BIRTH_YEAR = "胡秀兰", "13912345678", "武夷路333弄7号402室", 1951


@pytest.fixture(autouse=True)
def _read_messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def station():
    return StationFactory(name="武夷居民区党群服务站", phone=STATION_PHONE, address=STATION_ADDRESS)


@pytest.fixture
def staff(station):
    return staff_of(station)


@pytest.fixture
def canary(station):
    """A beneficiary whose private details are easy to look for."""
    return BeneficiaryFactory(station=station, full_name=CANARY_NAME, phone=CANARY_PHONE, address=CANARY_ADDRESS,
                              birth_year=CANARY_BIRTH_YEAR)


def member(**kwargs):
    """A verified party member who reads English, so their notifications can be read here."""
    return party_member(language="en", **kwargs)


def refused(call, *words):
    """Run `call`, expect a WishError whose English message has every one of `words`; returns the message."""
    with pytest.raises(WishError) as caught:
        call()
    message = str(caught.value.message)
    for word in words:
        assert word in message, message
    return message


def history(made):
    return list(WishEvent.objects.filter(wish=made).values_list("actor", "from_status", "to_status", "note"))


def notes(recipient, kind=None):
    rows = Notification.objects.filter(recipient=recipient)
    return list(rows.filter(kind=kind) if kind else rows)


def status_of(obj):
    obj.refresh_from_db()
    return obj.status


# --- create


@pytest.mark.parametrize(
    ("full_name", "gender", "age", "alias"),
    [
        ("胡秀兰", "f", 75, "胡阿姨"),
        ("胡秀兰", "f", 85, "胡奶奶"),
        ("王建国", "m", 70, "王老伯"),
        ("王建国", "m", 45, "王师傅"),
        ("王建国", "m", None, "王老伯"),
        ("欧阳娜", "f", 60, "欧阳阿姨"),
    ],
)
def test_the_alias_is_made_from_the_surname_and_a_form_of_address(station, staff, full_name, gender, age, alias):
    birth_year = local_now().year - age if age is not None else None
    person = BeneficiaryFactory(station=station, full_name=full_name, gender=gender, birth_year=birth_year)
    made = services.wish_create(beneficiary=person, station=station, title="一台电风扇", category=Wish.Category.GOODS, actor=staff)
    assert made.alias == alias
    assert full_name not in made.alias
    assert (made.status, history(made)) == (S.DRAFT, [(staff.pk, "", S.DRAFT, "")])
    assert AuditEntry.objects.filter(action="wishes.wish.created", object_id=str(made.pk), actor=staff).exists()


def test_an_alias_staff_typed_is_kept(station, staff, canary):
    made = services.wish_create(beneficiary=canary, station=station, title="一台电风扇", category=Wish.Category.GOODS,
                                actor=staff, alias="武夷胡阿姨")
    assert made.alias == "武夷胡阿姨"


def test_a_micro_wish_is_worth_at_most_the_cap(settings, station, staff, canary):
    def create(value):
        return services.wish_create(beneficiary=canary, station=station, title="电子高压锅", category=Wish.Category.GOODS,
                                    actor=staff, estimated_value=value)

    assert settings.WISHES_MAX_VALUE == 500
    assert create(Decimal("500")).estimated_value == Decimal("500")
    refused(lambda: create(Decimal("500.01")), "at most ¥500")
    refused(lambda: create(-1), "negative")
    settings.WISHES_MAX_VALUE = 300
    refused(lambda: create(301), "at most ¥300")
    assert Wish.objects.count() == 1


def test_the_cap_is_checked_again_on_publishing(settings, station, staff, canary):
    made = wish(beneficiary=canary, status=S.DRAFT, estimated_value=400, actor=staff)
    settings.WISHES_MAX_VALUE = 300
    refused(lambda: services.wish_publish(wish=made, actor=staff), "at most ¥300")
    assert status_of(made) == S.DRAFT


def test_only_a_service_repeats(station, staff, canary):
    def create(category):
        return services.wish_create(beneficiary=canary, station=station, title="每月修脚", category=category, actor=staff,
                                    recurrence=Wish.Recurrence.MONTHLY, people_served=8)

    refused(lambda: create(Wish.Category.GOODS), "Only a service can repeat")
    refused(lambda: create(Wish.Category.COMPANIONSHIP), "Only a service can repeat")
    assert not Wish.objects.exists()
    assert create(Wish.Category.SERVICE).is_recurring


def test_staff_of_another_station_cant_write_wishes_for_this_one(station, canary):
    stranger = staff_of(StationFactory())
    with pytest.raises(PermissionDenied):
        services.wish_create(beneficiary=canary, station=station, title="一台电风扇", category=Wish.Category.GOODS, actor=stranger)
    with pytest.raises(PermissionDenied):  # nor put one of theirs on someone else's behalf
        services.wish_create(beneficiary=canary, station=StaffAssignment.objects.get(user=stranger).station, title="一台电风扇",
                             category=Wish.Category.GOODS, actor=stranger)
    assert not Wish.objects.exists()


# --- submit, publish


def test_a_draft_goes_for_review_once(staff, canary):
    made = wish(beneficiary=canary, status=S.DRAFT, actor=staff)
    assert services.wish_submit(wish=made, actor=staff).status == S.REVIEW
    refused(lambda: services.wish_submit(wish=made, actor=staff), "Only a draft")
    assert [row[1:3] for row in history(made)] == [("", S.DRAFT), (S.DRAFT, S.REVIEW)]


def test_publishing_needs_the_beneficiarys_consent(station, staff):
    person = BeneficiaryFactory(station=station, consent_on=None)
    made = wish(beneficiary=person, status=S.DRAFT, actor=staff)
    refused(lambda: services.wish_publish(wish=made, actor=staff), "consent")
    made.refresh_from_db()
    assert (made.status, made.published_at, made.expires_on) == (S.DRAFT, None, None)
    assert len(history(made)) == 1


@pytest.mark.parametrize("start", [S.DRAFT, S.REVIEW])
def test_publishing_sets_the_time_and_the_expiry(settings, staff, canary, start):
    settings.WISHES_PUBLISHED_DAYS = 30
    now = datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)
    made = services.wish_publish(wish=wish(beneficiary=canary, status=start, actor=staff), actor=staff, now=now)
    made.refresh_from_db()
    assert (made.status, made.published_at, made.expires_on) == (S.PUBLISHED, now, datetime(2026, 7, 1).date())
    assert history(made)[-1] == (staff.pk, start, S.PUBLISHED, "")


def test_a_campaign_keeps_its_wishes_up_until_it_ends_never_shorter_than_the_default(settings, station, staff, canary):
    settings.WISHES_PUBLISHED_DAYS = 30
    now = datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)
    long_drive = Campaign.objects.create(name="七一微心愿", street=station.street, starts_on=now.date(),
                                         ends_on=datetime(2026, 8, 15).date())
    short_drive = Campaign.objects.create(name="端午微心愿", street=station.street, starts_on=now.date(),
                                          ends_on=datetime(2026, 6, 10).date())
    long_one = services.wish_publish(wish=wish(beneficiary=canary, status=S.DRAFT, campaign=long_drive, actor=staff), actor=staff, now=now)
    short_one = services.wish_publish(wish=wish(beneficiary=canary, status=S.DRAFT, campaign=short_drive, actor=staff), actor=staff, now=now)
    assert long_one.expires_on == datetime(2026, 8, 15).date()
    assert short_one.expires_on == datetime(2026, 7, 1).date()


def test_only_a_draft_a_reviewed_or_an_expired_wish_is_published(staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    published_at = made.published_at
    refused(lambda: services.wish_publish(wish=made, actor=staff), "Only a draft, a wish waiting for review or an expired wish")
    services.wish_withdraw(wish=made, actor=staff, reason="已搬去女儿家")
    refused(lambda: services.wish_publish(wish=made, actor=staff), "Only a draft, a wish waiting for review or an expired wish")
    made.refresh_from_db()
    assert (made.status, made.published_at) == (S.WITHDRAWN, published_at)


def test_an_expired_wish_can_go_back_on_the_wall_for_a_fresh_period(staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    Wish.objects.filter(pk=made.pk).update(expires_on=made.expires_on.replace(year=made.expires_on.year - 1))
    assert services.expire_wishes() == 1
    again = services.wish_publish(wish=made, actor=staff)
    assert again.status == S.PUBLISHED and again.expires_on > made.expires_on.replace(year=made.expires_on.year - 1)
    assert services.expire_wishes() == 0


def test_consent_is_recorded_once_by_staff_in_scope(staff, canary):
    canary.consent_on = None
    canary.save()
    with pytest.raises(PermissionDenied):
        services.beneficiary_consent_record(beneficiary=canary, actor=UserFactory())
    assert services.beneficiary_consent_record(beneficiary=canary, actor=staff) is True
    assert services.beneficiary_consent_record(beneficiary=canary, actor=staff) is False
    canary.refresh_from_db()
    assert canary.consent_on is not None and canary.consent_recorded_by == staff


@pytest.mark.parametrize(("phone", "masked"), [("13812345678", "138****5678"), ("62881234", "62****34"), ("12345", "****"), ("", "")])
def test_phone_numbers_are_masked_so_they_cannot_be_dialled(phone, masked):
    assert mask_phone(phone) == masked


# --- withdraw


def test_withdrawing_needs_a_reason(staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    for reason in ("", "   "):
        refused(lambda reason=reason: services.wish_withdraw(wish=made, actor=staff, reason=reason), "why")
    assert status_of(made) == S.PUBLISHED


def test_withdrawing_a_claimed_wish_releases_the_claim_and_tells_the_claimer(django_capture_on_commit_callbacks, staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    claimer = member()
    claim = claimed(made, user=claimer)
    with django_capture_on_commit_callbacks(execute=True):
        services.wish_withdraw(wish=made, actor=staff, reason="胡阿姨的女儿已经买了")
    claim.refresh_from_db()
    assert (status_of(made), claim.status, claim.released_note) == (S.WITHDRAWN, C.RELEASED, "胡阿姨的女儿已经买了")
    (told,) = notes(claimer, "wishes.claim.released")
    assert made.title in told.title and told.body == "胡阿姨的女儿已经买了"
    refused(lambda: services.wish_withdraw(wish=made, actor=staff, reason="again"), "can't be withdrawn")
    assert history(made)[-1] == (staff.pk, S.CLAIMED, S.WITHDRAWN, "胡阿姨的女儿已经买了")


def test_a_fulfilled_wish_cant_be_withdrawn(staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    services.claim_confirm(claim=reported(made), actor=staff)
    refused(lambda: services.wish_withdraw(wish=made, actor=staff, reason="搞错了"), "can't be withdrawn")
    assert status_of(made) == S.FULFILLED
    assert Claim.objects.get(wish=made).status == C.CONFIRMED


# --- claim: who may


@pytest.mark.parametrize(
    "who",
    ["unverified party member", "verified enterprise member", "no membership", "party organisation closed"],
)
def test_only_verified_party_members_claim_and_the_others_learn_how_to_get_verified(staff, canary, who):
    made = wish(beneficiary=canary, actor=staff)
    person = UserFactory()
    if who == "unverified party member":
        MembershipFactory(user=person, organisation=OrganisationFactory(kind=Organisation.Kind.PARTY))
    elif who == "verified enterprise member":
        MembershipFactory(user=person, organisation=OrganisationFactory(kind=Organisation.Kind.ENTERPRISE), verified=True)
    elif who == "party organisation closed":
        MembershipFactory(user=person, organisation=OrganisationFactory(kind=Organisation.Kind.PARTY, is_active=False), verified=True)
    refused(lambda: services.wish_claim(wish_id=made.pk, user=person), "verified", "ask your station to verify")
    assert status_of(made) == S.PUBLISHED
    assert not Claim.objects.exists()
    assert not Notification.objects.exists()


def test_someone_not_logged_in_is_asked_to_log_in(staff, canary):
    from django.contrib.auth.models import AnonymousUser

    made = wish(beneficiary=canary, actor=staff)
    assert "Log in" in str(services.claim_refusal(AnonymousUser(), made))


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (S.DRAFT, "no such wish"),
        (S.REVIEW, "no such wish"),
        (S.CLAIMED, "just claimed"),
        (S.WITHDRAWN, "no longer waiting"),
        (S.EXPIRED, "no longer waiting"),
        (S.FULFILLED, "no longer waiting"),
    ],
)
def test_only_a_published_wish_is_claimed(staff, canary, status, words):
    made = wish(beneficiary=canary, status=S.DRAFT if status == S.DRAFT else S.REVIEW if status == S.REVIEW else S.PUBLISHED, actor=staff)
    if status == S.CLAIMED:
        claimed(made)
    elif status == S.WITHDRAWN:
        services.wish_withdraw(wish=made, actor=staff, reason="已解决")
    elif status == S.EXPIRED:
        Wish.objects.filter(pk=made.pk).update(expires_on=local_now().date() - timedelta(days=1))
        assert services.expire_wishes() == 1
    elif status == S.FULFILLED:
        services.claim_confirm(claim=reported(made), actor=staff)
    claims_before = Claim.objects.count()
    person = member()
    refused(lambda: services.wish_claim(wish_id=made.pk, user=person), words)
    assert status_of(made) == status
    assert Claim.objects.count() == claims_before
    assert not Claim.objects.filter(claimer=person).exists()


@pytest.mark.parametrize("forged", [987654, "abc", None])
def test_a_forged_wish_id_is_refused_clearly(forged):
    refused(lambda: services.wish_claim(wish_id=forged, user=member()), "no such wish")
    assert not Claim.objects.exists()


@pytest.mark.parametrize("role", [Membership.Role.REPRESENTATIVE, Membership.Role.MANAGER])
def test_a_representative_claims_for_their_party_organisation(staff, canary, role):
    branch = OrganisationFactory(kind=Organisation.Kind.PARTY, name="周家桥街道机关党支部")
    made = wish(beneficiary=canary, actor=staff)
    representative = member(role=role, organisation=branch)
    claim = services.wish_claim(wish_id=made.pk, user=representative, organisation=branch)
    assert (claim.claimer, claim.organisation) == (representative, branch)
    assert history(made)[-1] == (representative.pk, S.PUBLISHED, S.CLAIMED, f"Claimed by {branch.name}")


def test_an_ordinary_member_cant_claim_for_the_organisation(staff, canary):
    branch = OrganisationFactory(kind=Organisation.Kind.PARTY)
    made = wish(beneficiary=canary, actor=staff)
    ordinary = member(organisation=branch)
    refused(lambda: services.wish_claim(wish_id=made.pk, user=ordinary, organisation=branch), "representative")
    # Nor an unverified representative, nor a representative of another organisation.
    hopeful = member()
    MembershipFactory(user=hopeful, organisation=branch, role=Membership.Role.REPRESENTATIVE)
    refused(lambda: services.wish_claim(wish_id=made.pk, user=hopeful, organisation=branch), "representative")
    elsewhere = member(role=Membership.Role.REPRESENTATIVE)
    refused(lambda: services.wish_claim(wish_id=made.pk, user=elsewhere, organisation=branch), "representative")
    assert status_of(made) == S.PUBLISHED and not Claim.objects.exists()
    # Claiming for themselves is fine.
    assert services.wish_claim(wish_id=made.pk, user=ordinary).organisation is None


def test_a_person_holds_at_most_three_open_claims_reported_ones_included(staff, canary):
    person = member()
    wishes = [wish(beneficiary=canary, actor=staff) for _ in range(5)]
    first = claimed(wishes[0], user=person)
    claimed(wishes[1], user=person)
    claimed(wishes[2], user=person)
    refused(lambda: services.wish_claim(wish_id=wishes[3].pk, user=person), "3 open claims")
    services.claim_report(claim_id=first.pk, user=person, note="已送到")
    refused(lambda: services.wish_claim(wish_id=wishes[3].pk, user=person), "3 open claims")  # reported is still open
    assert status_of(wishes[3]) == S.PUBLISHED
    services.claim_confirm(claim=first, actor=staff)
    assert claimed(wishes[3], user=person).status == C.ACTIVE  # a fulfilled one frees a place
    assert Claim.objects.filter(claimer=person, status__in=Claim.OPEN).count() == 3


def test_the_open_claims_limit_is_a_setting(settings, staff, canary):
    settings.WISHES_MAX_OPEN_CLAIMS = 1
    person = member()
    claimed(wish(beneficiary=canary, actor=staff), user=person)
    refused(lambda: claimed(wish(beneficiary=canary, actor=staff), user=person), "1 open claims")


def test_a_claim_has_a_deadline_from_the_setting(settings, staff, canary):
    settings.WISHES_CLAIM_DAYS = 10
    now = timezone.now()
    claim = claimed(wish(beneficiary=canary, actor=staff), now=now)
    assert (claim.deadline, claim.commitment_until, claim.status) == (now + timedelta(days=10), None, C.ACTIVE)


def test_a_repeating_service_is_claimed_for_a_period(settings, station, staff, canary):
    settings.WISHES_SERVICE_MONTHS = 6
    foot_care = wish(beneficiary=canary, actor=staff, title="每月上门修脚", category=Wish.Category.SERVICE,
                     recurrence=Wish.Recurrence.MONTHLY, people_served=8)
    now = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
    refused(lambda: claimed(foot_care, commitment_months=25, now=now), "between 1 and 24 months")
    claim = claimed(foot_care, now=now)
    assert claim.commitment_until == datetime(2026, 12, 1).date()  # six months (183 days)
    # The claimer is held to the end of the period, not WISHES_CLAIM_DAYS: no reminder or release mid-way.
    assert claim.deadline == now + timedelta(days=183)
    three_months = claimed(wish(beneficiary=canary, actor=staff, title="陪聊", category=Wish.Category.SERVICE,
                                recurrence=Wish.Recurrence.WEEKLY), commitment_months=3, now=now)
    assert three_months.commitment_until == datetime(2026, 8, 31).date()


def test_the_claimer_is_told_the_stations_contact_never_the_beneficiarys(django_capture_on_commit_callbacks, mailoutbox, station, canary):
    staff = staff_of(station)
    street_admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=station.street)
    elsewhere = staff_of(StationFactory(street=station.street))
    made = wish(beneficiary=canary, actor=staff, title="一台血糖测量仪")
    claimer = member(display_name="李明")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        claim = services.wish_claim(wish_id=made.pk, user=claimer)
    assert callbacks, "delivery must wait for the commit"

    (told,) = notes(claimer)
    assert told.kind == "wishes.claim.created"
    assert "一台血糖测量仪" in told.title
    for contact in (station.name, STATION_PHONE, STATION_ADDRESS, f"{timezone.localtime(claim.deadline):%Y-%m-%d}"):
        assert contact in told.body
    assert told.url == reverse("wishes:mine")
    (email,) = [m for m in mailoutbox if claimer.email in m.to]
    for private in (CANARY_NAME, CANARY_PHONE, CANARY_ADDRESS, str(CANARY_BIRTH_YEAR), canary.neighbourhood.name):
        assert private not in f"{told.title} {told.body} {told.url}"
        assert private not in f"{email.subject} {email.body}"

    for person in (staff, street_admin):
        (heads_up,) = notes(person)
        assert heads_up.kind == "wishes.claim.created.staff"
        assert made.alias in heads_up.title and "李明" in heads_up.body
        assert heads_up.url == reverse("admin:wishes_claim_change", args=[claim.pk])
    assert notes(elsewhere) == []


# --- report


def test_only_the_claimer_reports_and_a_note_is_needed(staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    claim = claimed(made)
    for someone in (member(), staff):
        refused(lambda someone=someone: services.claim_report(claim_id=claim.pk, user=someone, note="已送到"), "no such claim of yours")
    refused(lambda: services.claim_report(claim_id=987654, user=claim.claimer, note="已送到"), "no such claim of yours")
    refused(lambda: services.claim_report(claim_id=claim.pk, user=claim.claimer, note="  "), "how the wish was fulfilled")
    claim.refresh_from_db()
    assert (claim.status, claim.report_note, status_of(made)) == (C.ACTIVE, "", S.CLAIMED)


def test_a_report_keeps_the_photos_re_encoded_without_exif_and_tells_the_station(django_capture_on_commit_callbacks, staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    claim = claimed(made)
    upload = jpeg_with_exif()
    assert EXIF_MAKE.encode() in upload.read()
    upload.seek(0)
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_report(claim_id=claim.pk, user=claim.claimer, note="血糖仪已送到，社工陪同。", photos=[upload])
    claim.refresh_from_db()
    assert (claim.status, claim.report_note, status_of(made)) == (C.REPORTED, "血糖仪已送到，社工陪同。", S.REPORTED)
    assert claim.reported_at is not None
    (photo,) = ClaimPhoto.objects.filter(claim=claim)
    assert not photo.is_public
    for stored in (photo.image, photo.thumbnail):
        with stored.open("rb") as f:
            data = f.read()
        assert EXIF_MAKE.encode() not in data and b"Exif" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert dict(image.getexif()) == {}
            assert max(image.size) <= 1600
    assert "photo" not in photo.image.name and photo.image.name.endswith(".jpg")  # the uploaded name doesn't travel
    (told,) = notes(staff, "wishes.claim.reported")
    assert made.alias in told.title
    refused(lambda: services.claim_report(claim_id=claim.pk, user=claim.claimer, note="再报一次"), "not waiting for a report")


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("wish.jpg", b"this is not a photo", content_type="image/jpeg"),
        SimpleUploadedFile("wish.pdf", b"%PDF-1.4 fake", content_type="application/pdf"),
    ],
    ids=["text as jpg", "pdf"],
)
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_changes(settings, staff, canary, upload):
    made = wish(beneficiary=canary, actor=staff)
    claim = claimed(made)
    refused(lambda: services.claim_report(claim_id=claim.pk, user=claim.claimer, note="已送到", photos=[jpeg_with_exif(), upload]),
            "not a photo")
    claim.refresh_from_db()
    assert (claim.status, claim.report_note, status_of(made)) == (C.ACTIVE, "", S.CLAIMED)
    assert not ClaimPhoto.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_at_most_six_photos(staff, canary):
    claim = claimed(wish(beneficiary=canary, actor=staff))
    refused(lambda: services.claim_report(claim_id=claim.pk, user=claim.claimer, note="已送到",
                                          photos=[jpeg_with_exif(size=(40, 30)) for _ in range(7)]), "At most 6 photos")
    assert status_of(claim) == C.ACTIVE


# --- confirm, send back, release, reassign


def test_the_station_confirms_a_report_and_the_claimer_hears_of_it(django_capture_on_commit_callbacks, staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    active = claimed(made, user=member())
    refused(lambda: services.claim_confirm(claim=active, actor=staff), "Only a reported fulfilment")
    claim = services.claim_report(claim_id=active.pk, user=active.claimer, note="已送到")
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_confirm(claim=claim, actor=staff)
    claim.refresh_from_db()
    assert (claim.status, claim.confirmed_by, status_of(made)) == (C.CONFIRMED, staff, S.FULFILLED)
    assert claim.confirmed_at is not None
    (told,) = notes(claim.claimer, "wishes.claim.confirmed")
    assert made.title in told.title
    refused(lambda: services.claim_confirm(claim=claim, actor=staff), "Only a reported fulfilment")


def test_a_report_sent_back_needs_a_reason_and_gives_the_claimer_at_least_a_week(staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    start = timezone.now()
    claim = claimed(made, now=start)
    services.claim_report(claim_id=claim.pk, user=claim.claimer, note="已送到")
    Claim.objects.filter(pk=claim.pk).update(reminded_at=start, reminders_sent=1)
    refused(lambda: services.claim_send_back(claim=claim, actor=staff, reason=" "), "why the report is sent back")
    assert status_of(claim) == C.REPORTED

    later = start + timedelta(days=12)  # two days before the deadline
    services.claim_send_back(claim=claim, actor=staff, reason="胡阿姨说还没收到", now=later)
    claim.refresh_from_db()
    assert (claim.status, claim.sent_back_note, status_of(made)) == (C.ACTIVE, "胡阿姨说还没收到", S.CLAIMED)
    assert claim.deadline == later + timedelta(days=7)
    assert (claim.reminded_at, claim.reminders_sent) == (None, 0)  # a new deadline earns its reminders again
    (told,) = notes(claim.claimer, "wishes.claim.sent_back")
    assert told.body == "胡阿姨说还没收到"
    refused(lambda: services.claim_send_back(claim=claim, actor=staff, reason="again"), "Only a reported fulfilment")

    # A deadline still far away stays as it was.
    services.claim_report(claim_id=claim.pk, user=claim.claimer, note="这次真的送到了")
    services.claim_send_back(claim=claim, actor=staff, reason="照片看不清", now=later)
    claim.refresh_from_db()
    assert claim.deadline == later + timedelta(days=7)
    assert claim.report_note == "这次真的送到了" and claim.sent_back_note == "照片看不清"


def test_a_released_claim_puts_the_wish_back_on_the_wall(django_capture_on_commit_callbacks, settings, staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    Wish.objects.filter(pk=made.pk).update(expires_on=local_now().date() - timedelta(days=3))  # its first days are over
    claim = claimed(made)
    refused(lambda: services.claim_release(claim=claim, actor=staff, reason=""), "why the claim is released")
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_release(claim=claim, actor=staff, reason="李明出差三个月")
    claim.refresh_from_db()
    made.refresh_from_db()
    assert (claim.status, claim.released_note, made.status) == (C.RELEASED, "李明出差三个月", S.PUBLISHED)
    assert made.expires_on == local_now().date() + timedelta(days=settings.WISHES_CLAIM_DAYS)
    (told,) = notes(claim.claimer, "wishes.claim.released")
    assert told.body == "李明出差三个月"
    refused(lambda: services.claim_release(claim=claim, actor=staff, reason="again"), "Only an open claim")
    assert services.expire_wishes() == 0
    assert claimed(made).status == C.ACTIVE  # someone else takes it


def test_a_claim_is_handed_on_in_one_step_to_someone_who_may_claim(django_capture_on_commit_callbacks, settings, staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    first = member(display_name="李明")
    claim = claimed(made, user=first)
    unverified = UserFactory()
    MembershipFactory(user=unverified, organisation=OrganisationFactory(kind=Organisation.Kind.PARTY))
    busy = member()
    for _ in range(settings.WISHES_MAX_OPEN_CLAIMS):
        claimed(wish(beneficiary=canary, actor=staff), user=busy)

    def hand_to(person, reason="李明出差"):
        return services.claim_reassign(claim=claim, actor=staff, to_user=person, reason=reason)

    refused(lambda: hand_to(member(), reason=" "), "why the claim is handed on")
    refused(lambda: hand_to(unverified), "verified")
    refused(lambda: hand_to(busy), "open claims")
    refused(lambda: hand_to(first), "holds the claim already")
    branch = OrganisationFactory(kind=Organisation.Kind.PARTY)
    refused(lambda: services.claim_reassign(claim=claim, actor=staff, to_user=member(organisation=branch), organisation=branch,
                                            reason="李明出差"), "representative")
    assert status_of(claim) == C.ACTIVE and Claim.objects.filter(wish=made).count() == 1

    second = member(display_name="王芳")
    with django_capture_on_commit_callbacks(execute=True):
        new = hand_to(second)
    claim.refresh_from_db()
    assert (claim.status, new.status, new.claimer, status_of(made)) == (C.RELEASED, C.ACTIVE, second, S.CLAIMED)
    assert Claim.objects.filter(wish=made, status__in=Claim.LIVE).get() == new
    assert notes(first, "wishes.claim.released")[0].body == "李明出差"
    (told,) = notes(second, "wishes.claim.created")
    assert STATION_PHONE in told.body and CANARY_PHONE not in told.body and CANARY_ADDRESS not in told.body
    assert history(made)[-1] == (staff.pk, S.CLAIMED, S.CLAIMED, "Handed on to 王芳: 李明出差")


def test_handing_on_is_one_transaction(monkeypatch, staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    claim = claimed(made)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Claim.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.claim_reassign(claim=claim, actor=staff, to_user=member(), reason="换人")
    assert status_of(claim) == C.ACTIVE  # the release was rolled back with the failed handover
    assert status_of(made) == S.CLAIMED
    assert not Notification.objects.filter(kind="wishes.claim.released").exists()


# --- repeating services


@pytest.fixture
def foot_care(staff, canary):
    made = wish(beneficiary=canary, actor=staff, title="每月上门修脚", category=Wish.Category.SERVICE,
                recurrence=Wish.Recurrence.MONTHLY, people_served=8)
    return claimed(made, user=member())


def test_visits_of_a_repeating_service_are_recorded_one_by_one(staff, foot_care):
    today = local_now().date()
    visit = services.visit_record(claim=foot_care, actor=foot_care.claimer, on=today - timedelta(days=30), people_served=8)
    services.visit_record(claim=foot_care, actor=staff, on=today, people_served=6, note="两位住院")
    assert (visit.people_served, visit.recorded_by) == (8, foot_care.claimer)
    refused(lambda: services.visit_record(claim=foot_care, actor=staff, on=today, people_served=5), "recorded already")
    refused(lambda: services.visit_record(claim=foot_care, actor=staff, on=today + timedelta(days=1), people_served=5), "taken place")
    for people in (0, 9):
        refused(lambda people=people: services.visit_record(claim=foot_care, actor=staff, on=today - timedelta(days=2),
                                                            people_served=people), "Between 1 and 8 people")
    assert list(ServiceVisit.objects.values_list("people_served", flat=True)) == [8, 6]


def test_only_the_claimer_or_the_stations_staff_record_visits(foot_care):
    for stranger in (member(), staff_of(StationFactory())):
        with pytest.raises(PermissionDenied):
            services.visit_record(claim=foot_care, actor=stranger, on=local_now().date(), people_served=3)
    assert not ServiceVisit.objects.exists()


def test_visits_are_for_active_repeating_services_only(staff, canary, foot_care):
    one_off = claimed(wish(beneficiary=canary, actor=staff))
    refused(lambda: services.visit_record(claim=one_off, actor=one_off.claimer, on=local_now().date(), people_served=1),
            "repeating services only")
    services.claim_report(claim_id=foot_care.pk, user=foot_care.claimer, note="半年服务完成")
    refused(lambda: services.visit_record(claim=foot_care, actor=staff, on=local_now().date(), people_served=1), "not active")
    assert not ServiceVisit.objects.exists()


# --- thanks, honour board


def test_a_thank_you_note_is_recorded_for_a_fulfilled_wish_only(staff, canary):
    made = wish(beneficiary=canary, actor=staff)
    refused(lambda: services.wish_record_thanks(wish=made, actor=staff, note="谢谢党员同志", public=True), "once the wish is fulfilled")
    claim = reported(made)
    refused(lambda: services.wish_record_thanks(wish=made, actor=staff, note="谢谢党员同志", public=True), "once the wish is fulfilled")
    services.claim_confirm(claim=claim, actor=staff)
    services.wish_record_thanks(wish=made, actor=staff, note="  谢谢党员同志，血糖仪很好用。 ", public=True)
    made.refresh_from_db()
    assert (made.thanks_note, made.thanks_is_public) == ("谢谢党员同志，血糖仪很好用。", True)
    services.wish_record_thanks(wish=made, actor=staff, note="", public=True)  # nothing to show: never public
    made.refresh_from_db()
    assert (made.thanks_note, made.thanks_is_public) == ("", False)


def test_a_person_may_keep_off_the_honour_board_and_come_back():
    person = member()
    services.honour_board_opt(user=person, show=False)
    services.honour_board_opt(user=person, show=False)
    assert HonourBoardOptOut.objects.filter(user=person).count() == 1
    services.honour_board_opt(user=person, show=True)
    services.honour_board_opt(user=person, show=True)
    assert not HonourBoardOptOut.objects.filter(user=person).exists()


# --- deadlines and expiry (the beat task's services)


def test_a_claimer_is_reminded_three_days_and_one_day_before_the_deadline_and_the_station_is_told_once(
        django_capture_on_commit_callbacks, settings, staff, canary):
    settings.WISHES_CLAIM_DAYS = 14
    settings.WISHES_REMIND_DAYS = (3, 1)
    start = timezone.now()
    due = claimed(wish(beneficiary=canary, actor=staff, title="一台电风扇"), user=member(), now=start)
    far = claimed(wish(beneficiary=canary, actor=staff), user=member(), now=start + timedelta(days=5))
    done = claimed(wish(beneficiary=canary, actor=staff), user=member(), now=start)
    services.claim_report(claim_id=done.pk, user=done.claimer, note="已送到")

    assert services.remind_deadlines(now=start + timedelta(days=10, hours=23)) == 0  # more than 3 days left
    three_days_before = start + timedelta(days=11, hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_deadlines(now=three_days_before) == 1
    assert services.remind_deadlines(now=three_days_before) == 0
    assert services.remind_deadlines(now=three_days_before + timedelta(days=1)) == 0  # still 2 days left
    due.refresh_from_db()
    assert (due.reminded_at, due.reminders_sent) == (three_days_before, 1)
    (told,) = notes(due.claimer, "wishes.claim.reminder")
    assert f"{timezone.localtime(due.deadline):%Y-%m-%d}" in told.title and "一台电风扇" in told.title
    (heads_up,) = notes(staff, "wishes.claim.reminder.staff")
    assert due.wish.alias in heads_up.title

    one_day_before = start + timedelta(days=13, hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_deadlines(now=one_day_before) == 1
    assert services.remind_deadlines(now=one_day_before + timedelta(hours=6)) == 0
    due.refresh_from_db()
    assert (due.reminded_at, due.reminders_sent) == (one_day_before, 2)
    assert len(notes(due.claimer, "wishes.claim.reminder")) == 2
    assert len(notes(staff, "wishes.claim.reminder.staff")) == 1  # the station heard once, three days before
    assert notes(far.claimer, "wishes.claim.reminder") == [] and notes(done.claimer, "wishes.claim.reminder") == []


def test_a_sweep_that_comes_late_sends_one_reminder_not_the_ones_it_missed(settings, staff, canary):
    settings.WISHES_CLAIM_DAYS = 14
    settings.WISHES_REMIND_DAYS = (3, 1)
    start = timezone.now()
    late = claimed(wish(beneficiary=canary, actor=staff), user=member(), now=start)
    assert services.remind_deadlines(now=start + timedelta(days=13, hours=12)) == 1  # half a day left, none sent yet
    late.refresh_from_db()
    assert late.reminders_sent == 2
    assert len(notes(late.claimer, "wishes.claim.reminder")) == 1
    assert len(notes(staff, "wishes.claim.reminder.staff")) == 1
    assert services.remind_deadlines(now=start + timedelta(days=13, hours=20)) == 0


def test_no_reminders_when_none_are_set(settings, staff, canary):
    settings.WISHES_REMIND_DAYS = ()
    start = timezone.now()
    claimed(wish(beneficiary=canary, actor=staff), user=member(), now=start)
    assert services.remind_deadlines(now=start + timedelta(days=13, hours=12)) == 0
    assert not Notification.objects.filter(kind__startswith="wishes.claim.reminder").exists()


def test_on_the_deadline_an_unfulfilled_claim_is_released_once(django_capture_on_commit_callbacks, staff, canary):
    start = timezone.now()
    made = wish(beneficiary=canary, actor=staff)
    late = claimed(made, user=member(), now=start)
    waiting = claimed(wish(beneficiary=canary, actor=staff), user=member(), now=start)
    services.claim_report(claim_id=waiting.pk, user=waiting.claimer, note="已送到")  # reported in time: the station decides

    assert services.release_overdue_claims(now=start + timedelta(days=13)) == 0
    after = start + timedelta(days=14, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.release_overdue_claims(now=after) == 1
    assert services.release_overdue_claims(now=after) == 0
    assert (status_of(late), status_of(made), status_of(waiting)) == (C.RELEASED, S.PUBLISHED, C.REPORTED)
    assert len(notes(late.claimer, "wishes.claim.released")) == 1
    assert len(notes(staff, "wishes.claim.released.staff")) == 1
    assert history(made)[-1] == (None, S.CLAIMED, S.PUBLISHED, "Not fulfilled by the deadline.")


def test_unclaimed_wishes_expire_once(staff, canary):
    today = local_now().date()
    old = wish(beneficiary=canary, actor=staff)
    Wish.objects.filter(pk=old.pk).update(expires_on=today - timedelta(days=1))
    last_day = wish(beneficiary=canary, actor=staff)
    Wish.objects.filter(pk=last_day.pk).update(expires_on=today)
    taken = wish(beneficiary=canary, actor=staff)
    Wish.objects.filter(pk=taken.pk).update(expires_on=today - timedelta(days=1))
    claimed(taken)
    assert services.expire_wishes() == 1
    assert services.expire_wishes() == 0
    assert (status_of(old), status_of(last_day), status_of(taken)) == (S.EXPIRED, S.PUBLISHED, S.CLAIMED)
    assert history(old)[-1] == (None, S.PUBLISHED, S.EXPIRED, "No one claimed it in time.")


# --- scope


@pytest.mark.parametrize(
    "action",
    ["submit", "publish", "withdraw", "confirm", "send back", "release", "reassign", "thanks", "photo"],
)
def test_staff_of_another_station_may_change_nothing(staff, canary, action):
    stranger = staff_of(StationFactory(street=canary.station.street))
    draft = wish(beneficiary=canary, status=S.DRAFT, actor=staff)
    made = wish(beneficiary=canary, actor=staff)
    claim = reported(made)
    if action == "thanks":
        services.claim_confirm(claim=claim, actor=staff)
    if action == "photo":
        claim = claimed(wish(beneficiary=canary, actor=staff))
        services.claim_report(claim_id=claim.pk, user=claim.claimer, note="已送到", photos=[jpeg_with_exif(size=(40, 30))])
    before = sorted(Wish.objects.values_list("pk", "status", "thanks_note")), sorted(Claim.objects.values_list("pk", "status"))
    events = WishEvent.objects.count()
    calls = {
        "submit": lambda: services.wish_submit(wish=draft, actor=stranger),
        "publish": lambda: services.wish_publish(wish=draft, actor=stranger),
        "withdraw": lambda: services.wish_withdraw(wish=made, actor=stranger, reason="x"),
        "confirm": lambda: services.claim_confirm(claim=claim, actor=stranger),
        "send back": lambda: services.claim_send_back(claim=claim, actor=stranger, reason="x"),
        "release": lambda: services.claim_release(claim=claim, actor=stranger, reason="x"),
        "reassign": lambda: services.claim_reassign(claim=claim, actor=stranger, to_user=member(), reason="x"),
        "thanks": lambda: services.wish_record_thanks(wish=made, actor=stranger, note="谢谢", public=True),
        "photo": lambda: services.claim_photo_publish(photo=ClaimPhoto.objects.get(), actor=stranger, public=True),
    }
    with pytest.raises(PermissionDenied):
        calls[action]()
    after = sorted(Wish.objects.values_list("pk", "status", "thanks_note")), sorted(Claim.objects.values_list("pk", "status"))
    assert after == before
    assert WishEvent.objects.count() == events
    assert not ClaimPhoto.objects.filter(is_public=True).exists()


def test_the_street_administrator_may_act_for_every_station_of_the_street(station, canary):
    street_admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=station.street)
    made = wish(beneficiary=canary, status=S.DRAFT, actor=street_admin)
    assert services.wish_publish(wish=made, actor=street_admin).status == S.PUBLISHED
    other_street_admin = make_staff(StaffAssignment.Role.STREET_ADMIN, street=StationFactory().street)
    with pytest.raises(PermissionDenied):
        services.wish_withdraw(wish=made, actor=other_street_admin, reason="x")


# --- one wish's whole life


def test_the_history_of_a_wish_says_who_moved_it_from_what_to_what_and_why(settings, station, staff, canary):
    reviewer = staff_of(station)
    made = wish(beneficiary=canary, status=S.DRAFT, actor=staff, title="一台血糖测量仪")
    services.wish_submit(wish=made, actor=staff)
    services.wish_publish(wish=made, actor=reviewer)
    first = member(display_name="李明")
    claim = services.wish_claim(wish_id=made.pk, user=first)
    services.claim_release(claim=claim, actor=staff, reason="李明出差")
    branch = OrganisationFactory(kind=Organisation.Kind.PARTY, name="机关党支部")
    second = member(display_name="王芳", role=Membership.Role.REPRESENTATIVE, organisation=branch)
    claim = services.wish_claim(wish_id=made.pk, user=second, organisation=branch)
    services.claim_report(claim_id=claim.pk, user=second, note="已送到")
    services.claim_send_back(claim=claim, actor=reviewer, reason="胡阿姨说还没收到")
    services.claim_report(claim_id=claim.pk, user=second, note="今天上午送到了")
    services.claim_confirm(claim=claim, actor=reviewer)

    assert history(made) == [
        (staff.pk, "", S.DRAFT, ""),
        (staff.pk, S.DRAFT, S.REVIEW, ""),
        (reviewer.pk, S.REVIEW, S.PUBLISHED, ""),
        (first.pk, S.PUBLISHED, S.CLAIMED, "Claimed by 李明"),
        (staff.pk, S.CLAIMED, S.PUBLISHED, "李明出差"),
        (second.pk, S.PUBLISHED, S.CLAIMED, "Claimed by 机关党支部"),
        (second.pk, S.CLAIMED, S.REPORTED, "已送到"),
        (reviewer.pk, S.REPORTED, S.CLAIMED, "胡阿姨说还没收到"),
        (second.pk, S.CLAIMED, S.REPORTED, "今天上午送到了"),
        (reviewer.pk, S.REPORTED, S.FULFILLED, ""),
    ]
    assert all(event.at is not None for event in made.history.all())
    # The audit log tells the same story, with dotted action names.
    actions = list(AuditEntry.objects.filter(object_id=str(made.pk), action__startswith="wishes.wish.").order_by("pk")
                   .values_list("action", flat=True))
    assert actions == ["wishes.wish.created", "wishes.wish.review", "wishes.wish.published", "wishes.wish.claimed",
                       "wishes.wish.published", "wishes.wish.claimed", "wishes.wish.reported", "wishes.wish.claimed",
                       "wishes.wish.reported", "wishes.wish.fulfilled"]
    assert list(Claim.objects.filter(wish=made).order_by("pk").values_list("claimer", "status")) == [
        (first.pk, C.RELEASED), (second.pk, C.CONFIRMED),
    ]
