"""`seed_demo`'s micro-wishes: the wish tree of 周家桥街道, the wishes of the article, every status, no leaks."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from portal.demo import wishes_data
from portal.models import Membership, Notification, Organisation
from tests.portal.seed_helpers import row_counts, seed_demo, summary
from wishes import services
from wishes.models import Beneficiary, Campaign, Claim, Wish, WishEvent

pytestmark = pytest.mark.django_db

WISH_MODELS = (
    "wishes.Campaign",
    "wishes.CampaignTarget",
    "wishes.Beneficiary",
    "wishes.Wish",
    "wishes.WishEvent",
    "wishes.Claim",
    "wishes.ServiceVisit",
)


@pytest.fixture
def seeded():
    return seed_demo()


def test_the_demo_has_wishes_in_every_status_as_the_data_plans(seeded):
    assert Wish.objects.count() == len(wishes_data.WISHES)
    assert set(Wish.objects.values_list("status", flat=True)) == set(Wish.Status.values)
    for spec in wishes_data.WISHES:
        wish = Wish.objects.get(station__slug=spec["station"], title=spec["title"])
        assert wish.status == spec["status"], spec["title"]
        assert wish.estimated_value <= settings.WISHES_MAX_VALUE
    published = Wish.objects.filter(status=Wish.Status.PUBLISHED).count()
    assert all(published > Wish.objects.filter(status=status).count() for status in Wish.Status.values if status != Wish.Status.PUBLISHED)
    assert set(Wish.objects.values_list("category", flat=True)) == set(Wish.Category.values)
    assert Wish.objects.values("station").distinct().count() >= 5


def test_blood_glucose_meter_for_hu_ayi_was_claimed_by_the_hospital_and_fulfilled(seeded):
    wish = Wish.objects.select_related("beneficiary__neighbourhood").get(title="一台血糖测量仪")
    assert (wish.status, wish.alias, wish.beneficiary.neighbourhood.name) == (Wish.Status.FULFILLED, "胡阿姨", "武夷居民区")
    assert wish.beneficiary.hardship == Beneficiary.Hardship.NEEDY_MEMBER
    assert wish.campaign.name == "七一微心愿认领 · 爱心树"
    claim = wish.claims.select_related("organisation", "confirmed_by").get()
    assert claim.status == Claim.Status.CONFIRMED and claim.confirmed_by is not None and claim.report_note
    assert (claim.organisation.name, claim.organisation.kind) == ("长宁妇幼保健院党总支", Organisation.Kind.PARTY)
    assert wish.thanks_is_public and "谢谢党组织" in wish.thanks_note
    steps = list(wish.history.values_list("from_status", "to_status"))
    assert steps == [("", "draft"), ("draft", "published"), ("published", "claimed"), ("claimed", "reported"), ("reported", "fulfilled")]


def test_monthly_foot_care_for_eight_elders_is_claimed_by_raffles_for_six_months_with_two_visits(seeded):
    wish = Wish.objects.select_related("beneficiary__neighbourhood").get(title__contains="扦脚")
    assert wish.beneficiary.neighbourhood.name == "天山华庭居民区"
    assert (wish.category, wish.recurrence, wish.people_served) == (Wish.Category.SERVICE, Wish.Recurrence.MONTHLY, 8)
    assert wish.status == Wish.Status.CLAIMED
    claim = wish.claims.select_related("organisation", "claimer").get()
    assert claim.status == Claim.Status.ACTIVE and claim.organisation.name == "来福士联合党总支"
    assert claim.claimer.email == "member@demo.station.cn"
    committed = claim.commitment_until - timezone.localdate(claim.created_at)
    assert timedelta(days=180) <= committed <= timedelta(days=186)
    visits = list(claim.visits.order_by("on"))
    assert len(visits) == 2 and all(1 <= v.people_served <= 8 for v in visits)
    assert (visits[1].on - visits[0].on).days >= 28
    # Its 14-day deadline is long past, so its reminder counts as sent: the sweep tells no one about it.
    assert services.remind_deadlines() == 0


def test_the_fan_and_the_pressure_cooker_of_the_article_are_there(seeded):
    assert Wish.objects.get(title="一台电风扇").status == Wish.Status.FULFILLED
    cooker = Wish.objects.get(title="一个电子高压锅")
    assert cooker.status == Wish.Status.CLAIMED
    assert cooker.claims.get().claimer.email == "member@demo.station.cn"


def test_a_wish_whose_beneficiary_gave_no_consent_stays_a_draft_and_cannot_be_published(seeded):
    without = Beneficiary.objects.filter(consent_on__isnull=True)
    assert without.count() == 1
    wish = Wish.objects.get(beneficiary__in=without)
    assert wish.status == Wish.Status.DRAFT
    with pytest.raises(services.WishError):
        services.wish_publish(wish=wish, actor=wish.beneficiary.station.staff_assignments.get().user)
    wish.refresh_from_db()
    assert wish.status == Wish.Status.DRAFT
    consented = Beneficiary.objects.exclude(pk__in=without)
    assert not consented.filter(consent_recorded_by__isnull=True).exists()
    assert consented.get(full_name="马秀珍").consent_recorded_by.email == "staff@demo.station.cn"


def test_claims_are_held_by_verified_party_members_one_live_claim_per_claimed_wish(seeded):
    for wish in Wish.objects.filter(status__in=[Wish.Status.CLAIMED, Wish.Status.REPORTED, Wish.Status.FULFILLED]):
        claim = wish.claims.get(status__in=Claim.LIVE)
        assert services.party_memberships(claim.claimer).exists()
        if claim.organisation is not None:
            assert services.acting_organisations(claim.claimer).filter(pk=claim.organisation.pk).exists()
        expected = {
            Wish.Status.CLAIMED: Claim.Status.ACTIVE,
            Wish.Status.REPORTED: Claim.Status.REPORTED,
            Wish.Status.FULFILLED: Claim.Status.CONFIRMED,
        }[wish.status]
        assert claim.status == expected
    assert not Claim.objects.exclude(wish__status__in=[Wish.Status.CLAIMED, Wish.Status.REPORTED, Wish.Status.FULFILLED]).exists()
    now = timezone.now()
    for claim in Claim.objects.filter(status__in=Claim.OPEN, wish__recurrence=""):
        assert claim.reminders_sent == 0 and claim.deadline > now + timedelta(days=max(settings.WISHES_REMIND_DAYS)), claim
    assert Claim.objects.filter(organisation__isnull=True).exists()
    assert (
        Membership.objects.filter(
            user__email__in=[wishes_data.REP_FUYOU, wishes_data.REP_YASHI], role=Membership.Role.REPRESENTATIVE, verified_at__isnull=False
        ).count()
        == 2
    )
    # The demo member can still try claiming a wish from the wall.
    member = Claim.objects.filter(claimer__email="member@demo.station.cn").first().claimer
    assert services.claim_refusal(member) is None


def test_every_wish_has_its_history_in_order_and_the_seed_sent_no_notifications(seeded):
    for wish in Wish.objects.all():
        history = list(wish.history.all())
        assert history[0].from_status == "" and history[-1].to_status == wish.status, wish
        assert [e.at for e in history] == sorted(e.at for e in history)
        assert all(e.at <= timezone.now() for e in history)
    withdrawn = Wish.objects.get(status=Wish.Status.WITHDRAWN)
    assert withdrawn.history.last().note
    expired = Wish.objects.get(status=Wish.Status.EXPIRED)
    assert expired.expires_on < timezone.localdate() and expired.history.last().actor is None
    assert not Notification.objects.filter(kind__startswith="wishes.").exists()


def test_the_campaign_is_under_way_in_zhoujiaqiao_with_targets_for_three_party_organisations(seeded):
    campaign = Campaign.objects.get(name="七一微心愿认领 · 爱心树")
    today = timezone.localdate()
    assert campaign.street.name == "周家桥街道" and campaign.starts_on < today < campaign.ends_on
    assert set(campaign.stations.values_list("slug", flat=True)) == set(wishes_data.ZJQ_STATIONS)
    targets = {t.organisation.name: t.wishes for t in campaign.targets.select_related("organisation")}
    assert set(targets) == {"长宁妇幼保健院党总支", "来福士联合党总支", "龙之梦雅仕大厦联合党支部"}
    assert campaign.target_wishes >= campaign.wishes.count() > 10
    assert not campaign.wishes.exclude(station__slug__in=wishes_data.ZJQ_STATIONS).exists()


def test_no_public_wish_shows_a_beneficiarys_name_address_or_phone(seeded):
    private = [value for b in Beneficiary.objects.all() for value in (b.full_name, b.address, b.phone)]
    public = Wish.objects.filter(status__in=Wish.PUBLIC)
    assert public.count() >= 15
    for wish in public:
        shown = " ".join([wish.alias, wish.title, wish.story, wish.thanks_note if wish.thanks_is_public else ""])
        leaks = [value for value in private if value in shown]
        assert not leaks, (wish.title, leaks)
        assert wish.beneficiary.full_name not in wish.alias


def test_running_it_again_creates_nothing_and_changes_nothing(seeded):
    counts = row_counts()
    stamps = dict(Wish.objects.values_list("pk", "updated_at"))
    events = WishEvent.objects.count()

    rows = summary(seed_demo())

    assert row_counts() == counts
    assert dict(Wish.objects.values_list("pk", "updated_at")) == stamps
    assert WishEvent.objects.count() == events
    for label in WISH_MODELS:
        assert rows[label][1:] == (0, 0), label


def test_a_second_run_puts_back_a_changed_story_and_leaves_the_status_alone(seeded):
    wish = Wish.objects.get(title="一床冬季厚棉被")
    Wish.objects.filter(pk=wish.pk).update(story="改过的", status=Wish.Status.WITHDRAWN)

    rows = summary(seed_demo())

    wish.refresh_from_db()
    assert wish.story.startswith("家里的棉被") and wish.status == Wish.Status.WITHDRAWN
    assert rows["wishes.Wish"][1:] == (0, 1)
