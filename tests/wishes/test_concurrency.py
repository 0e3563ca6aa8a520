"""Racing claims on PostgreSQL: one claimer per wish, and at most WISHES_MAX_OPEN_CLAIMS open claims per person.

The controls switch a guard off and show the race does happen, so we know these tests can see it:
without the person lock one person holds more than the limit; without the wish lock the constraint
`claim_one_live_per_wish` still keeps one claimer (and the losers get the same friendly refusal); with
the lock and the constraint both gone, a wish is claimed twice.
"""

from collections import Counter
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from portal.models import Notification, Organisation
from tests.concurrency import run_concurrently, slow_down, without_select_for_update
from tests.factories import OrganisationFactory
from tests.wishes.factories import party_member, staff_of, wish
from wishes import services
from wishes.models import Claim, Wish, WishEvent
from wishes.services import WishError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLAIMERS = 50
CHECK_TO_WRITE_SECONDS = 0.05  # see slow_claim_write


def report(name, outcome, wishes):
    """One line per run, shown with `pytest -s`: what the threads did and how long it took."""
    claims = Counter(Claim.objects.filter(wish__in=wishes).values_list("status", flat=True))
    messages = Counter(str(e.message)[:40] for e in outcome.refusals)
    print(
        f"\n{name}: {len(outcome)} threads in {outcome.seconds:.2f}s; claims {dict(claims)}; "
        f"refusals {len(outcome.refusals)} {dict(messages)}; errors {Counter(type(e).__name__ for e in outcome.errors)}"
    )


def english(message):
    with translation.override("en"):
        return str(message)


@pytest.fixture
def slow_claim_write(monkeypatch):
    """Widen the window a missing lock would let through: pause between the checks and writing the claim."""
    slow_down(monkeypatch, Claim.objects, "create", CHECK_TO_WRITE_SECONDS)


@pytest.fixture
def constraint_refusals(monkeypatch):
    """Count the claims the database constraint refused (each an IntegrityError the service turned into a refusal)."""
    real = Claim.objects.create
    refused = []

    def create(**kwargs):
        try:
            return real(**kwargs)
        except IntegrityError:
            refused.append(kwargs["claimer"].pk)
            raise

    monkeypatch.setattr(Claim.objects, "create", create)
    return refused


def claimers(count):
    branch = OrganisationFactory(kind=Organisation.Kind.PARTY)
    return [party_member(organisation=branch) for _ in range(count)]


def claims_for(made, people):
    return [partial(services.wish_claim, wish_id=made.pk, user=person) for person in people]


def assert_claimed_once(made, outcome):
    made.refresh_from_db()
    assert made.status == Wish.Status.CLAIMED
    (claim,) = Claim.objects.filter(wish=made)
    assert claim == outcome.results[0]
    assert list(WishEvent.objects.filter(wish=made, to_status=Wish.Status.CLAIMED).values_list("actor", flat=True)) == [claim.claimer_id]
    assert Notification.objects.filter(kind="wishes.claim.created").get().recipient_id == claim.claimer_id


# --- the real thing


@pytest.mark.parametrize("window", ["as-is", "widened"])
def test_fifty_members_claiming_one_wish_at_once_one_gets_it_and_the_others_are_thanked(request, window):
    if window == "widened":
        request.getfixturevalue("slow_claim_write")  # the same window the controls show the race in
    made = wish()
    staff = staff_of(made.station)

    outcome = run_concurrently(claims_for(made, claimers(CLAIMERS)), refusals=WishError)
    report(f"{CLAIMERS} claimers, one wish, window {window}", outcome, [made])

    assert outcome.errors == []
    assert len(outcome.results) == 1
    assert len(outcome.refusals) == CLAIMERS - 1
    assert {english(e.message) for e in outcome.refusals} == {english(services.JUST_CLAIMED)}
    assert "just claimed" in english(services.JUST_CLAIMED)
    assert_claimed_once(made, outcome)
    assert Notification.objects.filter(recipient=staff, kind="wishes.claim.created.staff").count() == 1


@pytest.mark.parametrize("window", ["as-is", "widened"])
def test_one_member_claiming_ten_wishes_at_once_holds_three(settings, request, window):
    if window == "widened":
        request.getfixturevalue("slow_claim_write")
    settings.WISHES_MAX_OPEN_CLAIMS = 3
    wishes = [wish() for _ in range(10)]
    (person,) = claimers(1)

    outcome = run_concurrently([partial(services.wish_claim, wish_id=w.pk, user=person) for w in wishes], refusals=WishError)
    report(f"one member, 10 wishes, window {window}", outcome, wishes)

    assert outcome.errors == []
    assert len(outcome.results) == 3
    assert len(outcome.refusals) == 7
    assert all("3 open claims" in english(e.message) for e in outcome.refusals)
    assert Claim.objects.filter(claimer=person, status__in=Claim.OPEN).count() == 3
    assert Wish.objects.filter(status=Wish.Status.CLAIMED).count() == 3


# --- the controls: without a guard, the race happens


def test_control_without_the_person_lock_one_member_holds_more_than_three(settings, monkeypatch, slow_claim_write):
    without_select_for_update(monkeypatch, get_user_model())
    settings.WISHES_MAX_OPEN_CLAIMS = 3
    wishes = [wish() for _ in range(10)]
    (person,) = claimers(1)

    outcome = run_concurrently([partial(services.wish_claim, wish_id=w.pk, user=person) for w in wishes], refusals=WishError)
    report("control, no person lock: one member, 10 wishes", outcome, wishes)

    assert outcome.errors == []
    held = Claim.objects.filter(claimer=person, status__in=Claim.OPEN).count()
    assert held > 3, "the race did not show: this test could not see a missing person lock"


def test_control_without_the_wish_lock_the_constraint_alone_keeps_one_claimer(monkeypatch, slow_claim_write, constraint_refusals):
    without_select_for_update(monkeypatch, Wish)
    made = wish()

    outcome = run_concurrently(claims_for(made, claimers(20)), refusals=WishError)
    report(f"control, no wish lock: 20 claimers, one wish ({len(constraint_refusals)} stopped by the constraint)", outcome, [made])

    assert constraint_refusals, "the race did not show: every claimer saw the wish already claimed"
    assert outcome.errors == []  # no IntegrityError escapes: the constraint's refusal reads like the lock's
    assert len(outcome.results) == 1 and len(outcome.refusals) == 19
    assert {english(e.message) for e in outcome.refusals} == {english(services.JUST_CLAIMED)}
    assert_claimed_once(made, outcome)


def test_control_without_the_wish_lock_and_the_constraint_a_wish_is_claimed_twice(monkeypatch, slow_claim_write):
    """Shows the race is real and that these tests can see it: with both guards off, one wish gets several claimers."""
    (constraint,) = [c for c in Claim._meta.constraints if c.name == "claim_one_live_per_wish"]
    with connection.schema_editor() as editor:
        editor.remove_constraint(Claim, constraint)
    try:
        without_select_for_update(monkeypatch, Wish)
        made = wish()
        outcome = run_concurrently(claims_for(made, claimers(20)), refusals=WishError)
        report("control, no wish lock, no constraint: 20 claimers, one wish", outcome, [made])
        assert outcome.errors == []
        assert Claim.objects.filter(wish=made, status__in=Claim.LIVE).count() > 1
    finally:
        with transaction.atomic():
            Notification.objects.all().delete()
            Claim.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(Claim, constraint)


# --- staff and claimers acting on the same wishes at once


PAIRS = 15


def test_staff_withdrawing_wishes_while_their_claimers_report_them_never_deadlock(monkeypatch):
    """Every service locks person → wish → claim in that order. A report that locked its claim before the wish
    would deadlock with a withdrawal holding the wish and waiting for the claim; the pause in the staff scope
    check (between the two locks of a withdrawal) makes that interleaving near certain if the order were wrong.
    """
    made = [wish() for _ in range(PAIRS)]
    staff = [staff_of(w.station) for w in made]
    claims = [services.wish_claim(wish_id=w.pk, user=person) for w, person in zip(made, claimers(PAIRS), strict=True)]
    slow_down(monkeypatch, services.scopes, "in_scope", CHECK_TO_WRITE_SECONDS)

    calls = [partial(services.wish_withdraw, wish=w, actor=s, reason="胡阿姨搬家了") for w, s in zip(made, staff, strict=True)]
    calls += [partial(services.claim_report, claim_id=c.pk, user=c.claimer, note="已送到") for c in claims]
    outcome = run_concurrently(calls, refusals=WishError)
    report(f"{PAIRS} withdrawals racing {PAIRS} reports", outcome, made)

    assert outcome.errors == []  # no "deadlock detected"
    # Whoever came first, each wish ends withdrawn and its claim released; a report that came second is refused.
    assert set(Wish.objects.filter(pk__in=[w.pk for w in made]).values_list("status", flat=True)) == {Wish.Status.WITHDRAWN}
    assert set(Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("status", flat=True)) == {Claim.Status.RELEASED}
    assert all("not waiting for a report" in english(e.message) for e in outcome.refusals)
    assert Notification.objects.filter(kind="wishes.claim.released").count() == PAIRS
