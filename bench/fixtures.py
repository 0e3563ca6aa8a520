"""What the write benchmarks need in the database, made with the ORM and the product's services — and removed again.

Everything lives under its own district (BENCH_DISTRICT) and its people have @bench.station.cn addresses, so
`cleanup()` can take it all out again (a reused city-scale database stays as seed_scale left it). The station is
not public (is_active=False), so nothing here shows on the station pages even while it exists.

Runs inside Django (bench/dbtasks.py sets it up); the runner only sees the JSON these functions return.
"""

import math
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from events.models import Booking, Event
from lunch import services as lunch_services
from lunch.models import Account, DailyOffer, LedgerEntry, Meal, Merchant, OfferPoint, Order, PickupPoint, SubsidyPolicy
from portal.models import AuditEntry, District, Membership, Neighbourhood, Organisation, Street
from stations.hours import SHANGHAI, local_now
from stations.models import Station
from wishes.models import Beneficiary, Claim, Wish

BENCH_DISTRICT = "基准测试区（bench）"
BENCH_STREET = "基准测试街道"
EMAIL_DOMAIN = "bench.station.cn"
DESK_EMAIL = f"bench-desk@{EMAIL_DOMAIN}"
# Sessions made here expire at this odd instant: cleanup() finds them by it (session data can't be searched).
SESSION_MARKER = datetime(2099, 12, 31, 23, 59, 59, 123000, tzinfo=UTC)
TOP_UP_FEN = 10_000  # ¥100: two subsidised meals (¥15 each) and plenty to spare
MEAL_PRICE_FEN, MEAL_DISCOUNT_FEN, SUBSIDY_FEN = 2800, 300, 1000


def _bench_users():
    return get_user_model().objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")


def cleanup():
    """Remove every row made by setup(), in an order the PROTECT foreign keys accept. Safe when there is nothing."""
    users = _bench_users()
    district = District.objects.filter(name=BENCH_DISTRICT).first()
    removed = {}
    with transaction.atomic():
        removed["sessions"] = Session.objects.filter(expire_date=SESSION_MARKER).delete()[0]
        removed["ledger"] = LedgerEntry.objects.filter(account__user__in=users).delete()[0]
        removed["orders"] = Order.objects.filter(user__in=users).delete()[0]
        Account.objects.filter(user__in=users).delete()
        removed["claims"] = Claim.objects.filter(claimer__in=users).delete()[0]
        if district is not None:
            streets = Street.objects.filter(district=district)
            stations = Station.objects.filter(street__in=streets)
            Order.objects.filter(offer__merchant__organisation__street__in=streets).delete()
            DailyOffer.objects.filter(merchant__organisation__street__in=streets).delete()
            Merchant.objects.filter(organisation__street__in=streets).delete()
            SubsidyPolicy.objects.filter(street__in=streets).delete()
            PickupPoint.objects.filter(street__in=streets).delete()
            Claim.objects.filter(wish__station__in=stations).delete()
            removed["wishes"] = Wish.objects.filter(station__in=stations).delete()[0]
            Beneficiary.objects.filter(station__in=stations).delete()
            removed["events"] = Event.objects.filter(station__in=stations).delete()[0]
            stations.delete()
            Organisation.objects.filter(street__in=streets).delete()
            Neighbourhood.objects.filter(street__in=streets).delete()
            streets.delete()
            district.delete()
        AuditEntry.objects.filter(actor__in=users).delete()
        removed["users"] = users.delete()[0]
    return removed


def _local_midnight_plus(days, hour=0, minute=0):
    day = local_now().date() + timedelta(days=days)
    return day, datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _sessions(users):
    """A logged-in session for each user, made server-side as django.contrib.auth.login would store it."""
    store_class = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    backend = settings.AUTHENTICATION_BACKENDS[0]
    keys = []
    for user in users:
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.set_expiry(SESSION_MARKER)
        store.create()
        keys.append(store.session_key)
    return keys


def setup(*, people, race_seats, lunch_portions, uncontended_bookings, uncontended_lunch, threads, warmup=0):
    """People with sessions, memberships and balances; the race event, offer and wish; the uncontended event and offer;
    and, for `warmup` more people who take part in no measured scenario, an event, an offer and wishes to warm up on.

    Returns what the HTTP side needs: every person's session key and the ids to post to.
    """
    people += warmup
    cleanup()
    now = timezone.now()
    today = local_now(now).date()
    district = District.objects.create(name=BENCH_DISTRICT)
    street = Street.objects.create(district=district, name=BENCH_STREET)
    neighbourhood = Neighbourhood.objects.create(street=street, name="基准测试居民区")
    station = Station.objects.create(
        name="基准测试服务站", slug="bench-only-station", kind=Station.Kind.BUILDING, street=street, address="基准路1号",
        latitude=31.2, longitude=121.4, is_active=False,
    )
    enterprise = Organisation.objects.create(name="基准测试企业", kind=Organisation.Kind.ENTERPRISE, street=street)
    party = Organisation.objects.create(name="基准测试党支部", kind=Organisation.Kind.PARTY, street=street)

    User = get_user_model()
    unusable = make_password(None)  # no password hashing: these people log in through the sessions made below
    users = User.objects.bulk_create([
        User(email=f"bench-{n:05d}@{EMAIL_DOMAIN}", display_name=f"基准{n}", password=unusable) for n in range(1, people + 1)
    ])
    users = list(User.objects.filter(pk__in=[u.pk for u in users]).order_by("pk"))
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=enterprise, verified_at=now) for u in users]
        + [Membership(user=u, organisation=party, verified_at=now) for u in users]
    )
    desk = User.objects.create(email=DESK_EMAIL, display_name="基准前台", password=unusable, is_staff=True, is_superuser=True)
    for user in users:
        lunch_services.top_up(user=user, amount_fen=TOP_UP_FEN, actor=desk, note="bench", tell=False)
    sessions = _sessions(users)

    # Events: one for the race, and one per client thread for uncontended bookings (no two threads share an event row).
    _day, starts = _local_midnight_plus(10, 19, 0)
    common = {"station": station, "category": Event.Category.CULTURE, "status": Event.Status.PUBLISHED, "starts_at": starts,
              "ends_at": starts + timedelta(hours=1)}
    race_event = Event.objects.create(title="基准：抢座", capacity=race_seats, **common)
    per_thread = math.ceil(uncontended_bookings / threads) + 1
    quiet_events = [Event.objects.create(title=f"基准：不争抢 {n}", capacity=per_thread, **common) for n in range(threads)]

    # Lunch: a merchant, a point, a street subsidy for verified office workers; tomorrow's race offer, the day after's big one.
    merchant_org = Organisation.objects.create(name="基准测试餐饮", kind=Organisation.Kind.MERCHANT, street=street)
    merchant = Merchant.objects.create(
        organisation=merchant_org, licence_number="JY0000000000000", licence_expires_on=today + timedelta(days=365),
        food_safety_rating=Merchant.Rating.A, contact_name="基准", contact_phone="13800000000",
    )
    meal = Meal.objects.create(merchant=merchant, name="基准套餐", list_price_fen=MEAL_PRICE_FEN)
    point = PickupPoint.objects.create(name="基准取餐点", street=street, station=station, window_opens=time(11, 30), window_closes=time(13, 0))
    SubsidyPolicy.objects.create(street=street, name="基准补贴", audience=SubsidyPolicy.Audience.OFFICE_WORKERS, subsidy_fen=SUBSIDY_FEN,
                                 monthly_budget_fen=10**12, valid_from=date(2020, 1, 1))
    def lunch_offer(days, dish, quota):
        day, cutoff = _local_midnight_plus(days, 10, 30)
        made = DailyOffer.objects.create(date=day, merchant=merchant, meal=dish, quota=quota, discount_fen=MEAL_DISCOUNT_FEN, cutoff_at=cutoff)
        OfferPoint.objects.create(offer=made, point=point)
        return made

    race_offer = lunch_offer(1, meal, lunch_portions)
    # Warm-up: a day of its own, so a warm-up order takes nobody's subsidy of a measured day.
    warmup_offer = lunch_offer(3, Meal.objects.create(merchant=merchant, name="基准套餐（预热）", list_price_fen=MEAL_PRICE_FEN), max(warmup, 1))
    # Uncontended: one offer (a meal of its own) per client thread, so no two threads wait on one portion row.
    per_thread_lunch = math.ceil(uncontended_lunch / threads) + 1
    quiet_offers = [
        lunch_offer(2, Meal.objects.create(merchant=merchant, name=f"基准套餐 {n}", list_price_fen=MEAL_PRICE_FEN), per_thread_lunch)
        for n in range(threads)
    ]

    # A published wish for the claim race.
    beneficiary = Beneficiary.objects.create(full_name="测试", gender=Beneficiary.Gender.FEMALE, station=station, neighbourhood=neighbourhood,
                                             hardship=Beneficiary.Hardship.OTHER, consent_on=today)
    def published_wish(title):
        return Wish.objects.create(beneficiary=beneficiary, station=station, alias="测阿姨", title=title, category=Wish.Category.GOODS,
                                   status=Wish.Status.PUBLISHED, published_at=now, expires_on=today + timedelta(days=90))

    wish = published_wish("一台血压计")
    # Warm-up wishes: a few claimed, most claims told they were too late — as in the race.
    warmup_wishes = [published_wish(f"预热心愿 {n}") for n in range(max(warmup // 4, 1))]
    warmup_event = Event.objects.create(title="基准：预热", capacity=max(warmup, 1), **common)
    return {
        "cookie_names": [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME],
        "people": [{"id": u.pk, "sessionid": key} for u, key in zip(users, sessions, strict=True)],
        "booking_race": {"event_id": race_event.pk, "seats": race_seats},
        "booking_quiet": {"event_ids": [e.pk for e in quiet_events]},
        "lunch_race": {"offer_id": race_offer.pk, "point_id": point.pk, "portions": lunch_portions},
        "lunch_quiet": {"offer_ids": [o.pk for o in quiet_offers], "point_id": point.pk},
        "wish_race": {"wish_id": wish.pk},
        "warmup": {"people": warmup, "event_id": warmup_event.pk, "offer_id": warmup_offer.pk, "point_id": point.pk,
                   "wish_ids": [w.pk for w in warmup_wishes]},
    }


def verify(spec):
    """What the database holds after the writes: the figures each correctness check compares."""
    race_event = Event.objects.get(pk=spec["booking_race"]["event_id"])
    race_bookings = Booking.objects.filter(event=race_event).values("status").annotate(n=Count("pk"))
    quiet = Booking.objects.filter(event_id__in=spec["booking_quiet"]["event_ids"]).values("status").annotate(n=Count("pk"))
    offer_ids = {"lunch_race": [spec["lunch_race"]["offer_id"]], "lunch_quiet": spec["lunch_quiet"]["offer_ids"]}
    offers = {name: DailyOffer.objects.filter(pk__in=ids).aggregate(quota=Sum("quota"), sold=Sum("sold")) for name, ids in offer_ids.items()}
    orders = {
        name: Order.objects.filter(offer_id__in=ids, status=Order.Status.PLACED).aggregate(n=Count("pk"), meals=Sum("quantity"))
        for name, ids in offer_ids.items()
    }
    users = _bench_users()
    # Every balance is the sum of its ledger, and never below zero.
    accounts = Account.objects.filter(user__in=users).annotate(ledger=Sum("entries__amount_fen"))
    ledger_mismatches = accounts.exclude(balance_fen=F("ledger")).count()
    negative = accounts.filter(balance_fen__lt=0).count()
    wish = Wish.objects.get(pk=spec["wish_race"]["wish_id"])
    live = Claim.objects.filter(wish=wish, status__in=Claim.LIVE).count()
    return {
        "booking_race": {
            "capacity": race_event.capacity,
            "confirmed_seats": race_event.confirmed_seats,
            "by_status": {row["status"]: row["n"] for row in race_bookings},
        },
        "booking_quiet": {"by_status": {row["status"]: row["n"] for row in quiet}},
        **{name: {"quota": offers[name]["quota"], "sold": offers[name]["sold"], "orders": orders[name]["n"], "meals": orders[name]["meals"] or 0}
           for name in offer_ids},
        "accounts": {"ledger_mismatches": ledger_mismatches, "negative": negative},
        "wish_race": {"status": wish.status, "live_claims": live,
                      "claims": Claim.objects.filter(wish=wish).count()},
    }
