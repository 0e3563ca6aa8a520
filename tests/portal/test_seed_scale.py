"""`manage.py seed_scale` (issue #8): exact counts, the invariants the services would have kept, refusal, determinism, pages.

Tiny sizes, the ones the benchmark's CI smoke uses; on SQLite by default, on PostgreSQL (COPY) with DATABASE_URL.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Booking, Event
from lunch.models import Account, DailyOffer, LedgerEntry, OfferPoint, Order, SubsidyPolicy, SubsidySpend
from portal import scale
from portal.models import District, Membership, Organisation, Street, User
from reservations.models import Reservation
from stations.hours import SHANGHAI, local_now
from stations.models import FunctionArea, Station
from tests.portal.seed_helpers import seed_demo
from wishes.models import Claim, Wish

pytestmark = pytest.mark.django_db

TINY = {"stations": 40, "events": 200, "bookings": 1000, "wishes": 100, "lunch_orders": 300, "users": 200}
LIVE_BOOKING = ("confirmed", "waitlisted", "attended", "no_show")


def seed_scale(**options):
    out = StringIO()
    call_command("seed_scale", stdout=out, **{**TINY, **options})
    return out.getvalue()


def scale_users():
    return User.objects.filter(email__endswith=f"@{scale.EMAIL_DOMAIN}")


@pytest.fixture
def seeded():
    return seed_scale()


def test_tiny_sizes_give_exactly_the_counts_asked_for(seeded):
    assert Station.objects.count() == TINY["stations"]
    assert Event.objects.count() == TINY["events"]
    assert Booking.objects.count() == TINY["bookings"]
    assert Wish.objects.count() == TINY["wishes"]
    assert Order.objects.count() == TINY["lunch_orders"]
    assert User.objects.count() == scale_users().count() == TINY["users"]
    assert District.objects.count() == 16
    assert Street.objects.count() == 215
    # Progress per table with its count and seconds, and the total.
    assert "events.Booking" in seeded and "1,000 rows" in seeded
    assert "Total:" in seeded


def test_the_city_is_shanghai_with_real_district_names_and_places_inside_it(seeded):
    assert set(District.objects.values_list("name", flat=True)) == {d[0] for d in scale.DISTRICTS}
    assert {"黄浦区", "浦东新区", "崇明区"} <= set(District.objects.values_list("name", flat=True))
    assert Street.objects.filter(name="长寿路街道", district__name="普陀区").exists()
    for lat, lng in Station.objects.values_list("latitude", "longitude"):
        assert 30.6 < lat < 31.9 and 120.8 < lng < 122.2
    names = list(Station.objects.values_list("name", flat=True))
    assert all(name.endswith(("党群服务站", "党群服务中心", "白领驿站")) for name in names), names
    assert Station.objects.values("slug").distinct().count() == TINY["stations"]


def test_no_event_is_over_capacity_and_the_seat_counters_match_the_bookings(seeded):
    held = dict(Booking.objects.filter(status__in=Booking.HOLDING_SEATS).values("event").annotate(s=Sum("seats")).values_list("event", "s"))
    assert Event.objects.filter(confirmed_seats__gt=F("capacity")).count() == 0
    for pk, confirmed_seats in Event.objects.values_list("pk", "confirmed_seats"):
        assert confirmed_seats == held.get(pk, 0), pk
    assert Event.objects.filter(confirmed_seats__gt=0).exists()


def test_one_active_booking_per_person_and_event(seeded):
    doubles = (Booking.objects.filter(status__in=LIVE_BOOKING).values("event", "user").annotate(n=Count("pk")).filter(n__gt=1))
    assert not doubles.exists()
    assert Booking.objects.values("code").distinct().count() == Booking.objects.count()


def test_a_waiting_list_only_where_no_waiting_request_fits_the_seats_left(seeded):
    # Seats taken when the waiting list formed: no-shows gave theirs back only after the event, too late for anyone waiting.
    taken = dict(Booking.objects.filter(status__in=("confirmed", "attended", "no_show")).values("event").annotate(s=Sum("seats"))
                 .values_list("event", "s"))
    for booking in Booking.objects.filter(status="waitlisted").select_related("event"):
        assert booking.seats > booking.event.capacity - taken[booking.event_id]
        if booking.event.starts_at > timezone.now():
            assert booking.seats > booking.event.capacity - booking.event.confirmed_seats
    # Cancelled events hold nobody; drafts have no bookings; only past events have check-ins and no-shows.
    assert not Booking.objects.filter(event__status="cancelled").exclude(status="cancelled").exists()
    assert not Booking.objects.filter(event__status="draft").exists()
    today_start = datetime.combine(local_now().date(), time.min, tzinfo=SHANGHAI)
    assert not Booking.objects.filter(status__in=("attended", "no_show"), event__starts_at__gte=today_start).exists()
    assert not Booking.objects.filter(created_at__gte=F("event__starts_at")).exists()


def test_events_lie_before_and_after_today_with_upcoming_ones_to_list(seeded):
    now = timezone.now()
    assert Event.objects.filter(starts_at__lt=now).exists()
    upcoming = Event.objects.filter(status="published", private_for=None, starts_at__gte=now)
    assert upcoming.count() >= 10
    assert not Event.objects.filter(ends_at__lte=F("starts_at")).exists()
    # An activity delivered to an enterprise is booked by its verified members only.
    for booking in Booking.objects.filter(event__private_for__isnull=False).select_related("event"):
        assert Membership.objects.filter(user=booking.user_id, organisation=booking.event.private_for_id, verified_at__isnull=False).exists()


def test_each_claimed_wish_has_one_live_claim_that_matches_its_status(seeded):
    live = {"claimed": "active", "reported": "reported", "fulfilled": "confirmed"}
    claims = defaultdict(list)
    for wish_id, status in Claim.objects.filter(status__in=Claim.LIVE).values_list("wish", "status"):
        claims[wish_id].append(status)
    statuses = set()
    for wish in Wish.objects.all():
        statuses.add(wish.status)
        if wish.status in live:
            assert claims[wish.pk] == [live[wish.status]], wish.pk
        else:
            assert claims[wish.pk] == [], wish.pk
    assert statuses == set(Wish.Status.values)  # every status, at this size too
    assert Wish.objects.filter(status="published", expires_on__gte=local_now().date()).count() == Wish.objects.filter(status="published").count()


def test_claimers_are_verified_party_members_within_the_open_claims_limit(seeded, settings):
    for claim in Claim.objects.all():
        assert Membership.objects.filter(user=claim.claimer_id, verified_at__isnull=False, organisation__kind=Organisation.Kind.PARTY).exists()
        if claim.organisation_id:
            assert Membership.objects.filter(user=claim.claimer_id, organisation=claim.organisation_id, verified_at__isnull=False,
                                             role__in=("representative", "manager")).exists()
    most = Claim.objects.filter(status__in=Claim.OPEN).values("claimer").annotate(n=Count("pk")).order_by("-n").first()
    assert most is None or most["n"] <= settings.WISHES_MAX_OPEN_CLAIMS


def test_lunch_orders_never_exceed_an_offers_portions_and_counters_match(seeded):
    sold = dict(Order.objects.filter(status__in=Order.LIVE).values("offer").annotate(q=Sum("quantity")).values_list("offer", "q"))
    for pk, quota, offer_sold in DailyOffer.objects.values_list("pk", "quota", "sold"):
        assert offer_sold == sold.get(pk, 0) <= quota
    live = Order.objects.filter(status__in=Order.LIVE).values("offer", "point").annotate(q=Sum("quantity"))
    at_point = {(o, p): q for o, p, q in live.values_list("offer", "point", "q")}
    for offer, point, quota, point_sold in OfferPoint.objects.values_list("offer", "point", "quota", "sold"):
        assert point_sold == at_point.get((offer, point), 0)
        assert quota is None or point_sold <= quota
    # Today and the next workdays have offers, so /lunch/ has something to show.
    assert DailyOffer.objects.filter(date__gte=local_now().date()).exists()


def test_every_orders_price_adds_up_and_one_subsidised_meal_a_day(seeded):
    for order in Order.objects.all():
        assert order.list_price_fen * order.quantity == order.discount_fen + order.subsidy_fen + order.self_paid_fen
        assert 2500 <= order.list_price_fen <= 2800
        assert order.self_paid_fen >= 0
        assert (order.subsidised_on is not None) == (order.subsidy_fen > 0) == (order.policy_id is not None)
        assert order.pickup_day == order.offer.date
    per_day = Order.objects.filter(status__in=Order.LIVE).values("user", "pickup_day").annotate(n=Count("pk")).filter(n__gt=1)
    assert not per_day.exists()
    assert Order.objects.filter(subsidy_fen__gt=0).exists()


def test_the_months_subsidy_spend_is_the_sum_of_its_orders_within_budget(seeded):
    for spend in SubsidySpend.objects.select_related("policy"):
        orders = Order.objects.filter(policy=spend.policy, status__in=Order.LIVE, subsidised_on__year=spend.month.year,
                                      subsidised_on__month=spend.month.month)
        assert spend.spent_fen == (orders.aggregate(s=Sum("subsidy_fen"))["s"] or 0) <= spend.budget_fen
        assert spend.meals == orders.count()
        assert spend.budget_fen == spend.policy.monthly_budget_fen
    assert SubsidyPolicy.objects.exists()


def test_balances_are_the_sum_of_their_ledger_and_never_went_below_zero(seeded):
    for account in Account.objects.all():
        running = 0
        for amount in account.entries.order_by("created_at", "pk").values_list("amount_fen", flat=True):
            running += amount
            assert running >= 0, account.pk
        assert running == account.balance_fen
    # Each order paid from the balance has its debit; each such cancelled order its refund.
    paid = Order.objects.filter(payment="balance", self_paid_fen__gt=0)
    assert LedgerEntry.objects.filter(kind="order").count() == paid.count()
    assert LedgerEntry.objects.filter(kind="refund").count() == paid.filter(status="cancelled").count()
    for entry in LedgerEntry.objects.filter(kind="order").select_related("order"):
        assert entry.amount_fen == -entry.order.self_paid_fen


def test_every_scale_account_signs_in_with_the_shared_password(seeded):
    user = scale_users().order_by("pk").last()
    assert user.email == scale.scale_email(TINY["users"])
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == TINY["users"]
    assert len(set(scale_users().values_list("password", flat=True))) == 1  # hashed once
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": scale.PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portal:home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_verified_office_workers_party_members_and_residents(seeded):
    verified = Membership.objects.filter(verified_at__isnull=False, verified_by__isnull=False)
    assert verified.filter(organisation__kind="enterprise", organisation__building__isnull=False).exists()
    assert verified.filter(organisation__kind="party").exists()
    assert User.objects.filter(residences__verified_at__isnull=False).exists()
    assert Membership.objects.filter(verified_at__isnull=True).exists()  # some still wait for the station


def test_no_room_holds_two_live_reservations_at_once(seeded):
    live = list(Reservation.objects.filter(status__in=Reservation.HOLDING).values_list("area", "starts_at", "ends_at"))
    for n, (area, start, end) in enumerate(live):
        for other_area, other_start, other_end in live[n + 1:]:
            assert not (area == other_area and start < other_end and other_start < end)


def test_it_refuses_to_mix_with_the_demo_data_unless_allowed():
    seed_demo()
    stations = Station.objects.count()
    with pytest.raises(CommandError, match="demo accounts"):
        seed_scale()
    assert not scale_users().exists()

    seed_scale(allow_demo=True)

    assert Station.objects.count() == stations + TINY["stations"]
    assert scale_users().count() == TINY["users"]
    assert Booking.objects.filter(user__email__endswith=f"@{scale.EMAIL_DOMAIN}").count() == TINY["bookings"]


def test_a_second_run_is_refused_unless_allowed_and_then_adds_a_second_city():
    seed_scale()
    with pytest.raises(CommandError, match="already present"):
        seed_scale()
    assert Station.objects.count() == TINY["stations"]

    output = seed_scale(allow_demo=True)

    assert Station.objects.count() == 2 * TINY["stations"]
    assert Booking.objects.count() == 2 * TINY["bookings"]
    assert scale.scale_email(2 * TINY["users"]) in output
    assert District.objects.count() == 16 and Street.objects.count() == 215  # the places are shared, not repeated


def test_sizes_the_people_cant_hold_are_refused_with_a_reason():
    with pytest.raises(CommandError, match="bookings"):
        seed_scale(events=2, bookings=5000)
    assert not Station.objects.exists()  # one transaction: nothing half-written


def _snapshot():
    return {
        "stations": list(Station.objects.order_by("pk").values_list("pk", "name", "slug", "latitude", "longitude", "address")),
        "users": list(scale_users().order_by("pk").values_list("pk", "email", "display_name", "phone")),
        "events": list(Event.objects.order_by("pk").values_list("pk", "title", "starts_at", "capacity", "confirmed_seats", "status")),
        "bookings": list(Booking.objects.order_by("pk").values_list("event", "user", "status", "seats", "code", "created_at")),
        "wishes": list(Wish.objects.order_by("pk").values_list("title", "alias", "status", "published_at", "station")),
        "claims": list(Claim.objects.order_by("pk").values_list("wish", "claimer", "status", "deadline")),
        "orders": list(Order.objects.order_by("pk").values_list("user", "offer", "quantity", "self_paid_fen", "subsidy_fen", "status",
                                                                "pickup_code", "idempotency_key", "created_at")),
        "ledger": list(LedgerEntry.objects.order_by("pk").values_list("account", "kind", "amount_fen", "created_at")),
    }


def _seeded_snapshot(**options):
    """Seed, read, and roll back to where we were (a savepoint), so the next run starts from the same database."""
    savepoint = transaction.savepoint()
    seed_scale(**options)
    snapshot = _snapshot()
    transaction.savepoint_rollback(savepoint)
    return snapshot


def test_the_same_seed_writes_the_same_rows_and_another_seed_others():
    first = _seeded_snapshot(seed=7)
    assert not Station.objects.exists()
    again = _seeded_snapshot(seed=7)
    other = _seeded_snapshot(seed=8)
    for table in first:
        assert first[table] == again[table], table
    assert first["stations"] != other["stations"]
    assert first["bookings"] != other["bookings"]


def test_the_public_pages_answer_after_seeding(seeded):
    now = timezone.now()
    client = Client()
    station = Station.objects.order_by("pk").first()
    event = Event.objects.filter(status="published", private_for=None, starts_at__gte=now).order_by("starts_at").first()
    wish = Wish.objects.filter(status__in=Wish.PUBLIC).order_by("pk").first()
    room = FunctionArea.objects.filter(reservable__isnull=False).order_by("pk").first()
    assert event and wish and room
    for url in ("/", "/stations/", "/events/", "/wishes/", "/lunch/", "/stations.geojson", station.get_absolute_url(),
                event.get_absolute_url(), reverse("wishes:detail", args=[wish.pk]), f"/reservations/rooms/{room.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/stations.geojson").json()["features"]


def test_staff_hold_their_roles_with_the_groups_that_go_with_them(seeded):
    from portal import roles
    from portal.models import StaffAssignment

    for assignment in StaffAssignment.objects.select_related("user"):
        assert assignment.user.is_staff
        assert assignment.user.groups.filter(name=roles.group_name(assignment.role)).exists()
    assert StaffAssignment.objects.filter(Q(role="station_staff") | Q(role="street_admin")).exists()


def test_nobody_is_restricted_by_no_shows_and_nobody_booked_a_cancelled_event_after_it_was_cancelled(seeded):
    from events.checkin import no_show_restriction

    for user_id in Booking.objects.filter(status="no_show").values_list("user", flat=True).distinct():
        assert no_show_restriction(User(pk=user_id)) is None
    for event in Event.objects.filter(status="cancelled"):
        assert not event.bookings.filter(created_at__gt=event.updated_at).exists()
        assert event.confirmed_seats == 0


def test_the_services_carry_on_where_the_seed_left_off(seeded):
    """The ids chosen in bulk leave the sequences behind them: a booking made through the service gets a fresh one."""
    from events.services import booking_create

    event = (Event.objects.filter(status="published", private_for=None, starts_at__gte=timezone.now() + timedelta(days=1),
                                  booking_opens_at=None, booking_closes_at=None, capacity__gt=F("confirmed_seats"))
             .order_by("starts_at").first())
    user = scale_users().exclude(bookings__event=event).order_by("pk").first()
    booking = booking_create(event=event, user=user)
    event.refresh_from_db()
    assert booking.status == "confirmed"
    assert event.confirmed_seats == Booking.objects.filter(event=event, status__in=Booking.HOLDING_SEATS).aggregate(s=Sum("seats"))["s"]
    assert booking.pk > Booking.objects.exclude(pk=booking.pk).order_by("-pk").values_list("pk", flat=True).first()
    assert Station.objects.create(name="新站", slug="new-station", kind="centre", street=Street.objects.first(), address="某路1号").pk


def test_every_cached_public_page_moves_on_after_seeding(settings, django_capture_on_commit_callbacks):
    """COPY goes past the page cache's watch on INSERT statements, so the seed moves every topic on itself."""
    from django.core.cache import caches

    from portal import page_cache

    settings.PAGE_CACHE_ENABLED = True
    page_cache.pause.end()
    page_cache.watch_open_connections()
    try:
        before = page_cache.generations(page_cache.TOPICS)
        with django_capture_on_commit_callbacks(execute=True):
            seed_scale()
        after = page_cache.generations(page_cache.TOPICS)
        assert all(old != new for old, new in zip(before, after, strict=True)), (before, after)
    finally:
        caches[page_cache.CACHE_ALIAS].clear()
