"""Lunch for tests: a merchant with a meal, a lunch point, today's offer with its cut-off, a street subsidy, office workers."""

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Sum
from django.utils import timezone

from lunch import services
from lunch.models import Account, DailyOffer, LedgerEntry, Meal, Merchant, OfferPoint, PickupPoint, SubsidyPolicy
from portal.models import Organisation, StaffAssignment
from stations.hours import SHANGHAI
from tests.factories import (
    BuildingFactory,
    MembershipFactory,
    NeighbourhoodFactory,
    OrganisationFactory,
    ResidenceFactory,
    StationFactory,
    StreetFactory,
    UserFactory,
    make_staff,
)


def merchant(*, street=None, allows_pay_at_pickup=False, licence_days=365, **fields):
    street = street or StreetFactory()
    organisation = OrganisationFactory(kind=Organisation.Kind.MERCHANT, street=street, name=fields.pop("name", None) or "红子鸡美食总汇")
    return Merchant.objects.create(
        organisation=organisation, licence_number="JY13101050012345", food_safety_rating=Merchant.Rating.A,
        licence_expires_on=timezone.localdate() + timedelta(days=licence_days), contact_name="王经理", contact_phone="13800000000",
        allows_pay_at_pickup=allows_pay_at_pickup, **fields,
    )


def point(*, street, station=None, name="长寿路白领午餐点"):
    station = station or StationFactory(street=street)
    return PickupPoint.objects.create(name=name, street=street, station=station, window_opens=time(11, 30), window_closes=time(13, 0))


def shanghai(day, hour, minute=0, second=0):
    return datetime.combine(day, time(hour, minute, second), tzinfo=SHANGHAI)


def offer(*, seller=None, points=(), day=None, quota=30, price_fen=2800, discount_fen=300, cutoff=(10, 30), point_quota=None,
          meal_name=None):
    """An open offer for `day` (default: tomorrow, so the cut-off lies ahead whatever the time of the test run)."""
    seller = seller or merchant()
    day = day or timezone.localdate() + timedelta(days=1)
    meal = Meal.objects.create(merchant=seller, name=meal_name or f"招牌套餐{Meal.objects.count() + 1}", list_price_fen=price_fen)
    made = DailyOffer.objects.create(date=day, merchant=seller, meal=meal, quota=quota, discount_fen=discount_fen,
                                     cutoff_at=shanghai(day, *cutoff))
    for each in points or [point(street=seller.organisation.street)]:
        OfferPoint.objects.create(offer=made, point=each, quota=point_quota)
    return made


def policy(*, street, subsidy_fen=1000, budget_fen=1_000_000, audience=SubsidyPolicy.Audience.OFFICE_WORKERS):
    return SubsidyPolicy.objects.create(street=street, name="长寿白领午餐补贴", audience=audience, subsidy_fen=subsidy_fen,
                                        monthly_budget_fen=budget_fen, valid_from=date(2020, 1, 1))


def office_worker(*, street, verified=True, balance_fen=0, **user_fields):
    """A person working for an enterprise in a building of `street` (verified by staff), with a lunch balance."""
    user = UserFactory(**user_fields)
    enterprise = OrganisationFactory(kind=Organisation.Kind.ENTERPRISE, street=street, building=BuildingFactory(street=street))
    MembershipFactory(user=user, organisation=enterprise, verified=verified)
    if balance_fen:
        top_up(user, balance_fen, street=street)
    return user


def desk_staff(street):
    """Station staff of a station in `street`, who may record top-ups."""
    return make_staff(StaffAssignment.Role.STATION_STAFF, station=StationFactory(street=street))


def top_up(user, amount_fen, *, street=None, actor=None):
    actor = actor or desk_staff(street or StreetFactory())
    return services.top_up(user=user, amount_fen=amount_fen, actor=actor, note="现金")


def merchant_staff(seller, *, language="en"):
    """A member of `seller`'s staff: hands meals over, records money received, gets the manifest.

    Their notifications are written in `language` (English by default, so tests can read them).
    """
    return make_staff(StaffAssignment.Role.MERCHANT_STAFF, merchant=seller.organisation, user=UserFactory(language=language))


def elderly_resident(*, street, neighbourhood=None, verified=True, **user_fields):
    """A person living in a neighbourhood of `street` (the residence verified by staff, unless told otherwise)."""
    user = UserFactory(**user_fields)
    neighbourhood = neighbourhood or NeighbourhoodFactory(street=street)
    ResidenceFactory(user=user, neighbourhood=neighbourhood, verified_at=timezone.now() if verified else None)
    return user


def morning(made, hour=9):
    """A time before the offer's cut-off on its own day, as the server (UTC) would see it."""
    return shanghai(made.date, hour).astimezone(UTC)


def order(person, made, *, at=None, when=None, **kwargs):
    """`person` orders `made` for the offer's first pickup point (or `at`), in the morning of its day (or `when`)."""
    at = at or made.points.order_by("pk").first()
    return services.order_place(user=person, offer_id=made.pk, point_id=at.pk, now=when or morning(made), **kwargs)


def balance_of(user):
    return Account.objects.filter(user=user).values_list("balance_fen", flat=True).first() or 0


def ledger_sum(user):
    return LedgerEntry.objects.filter(account__user=user).aggregate(total=Sum("amount_fen"))["total"] or 0
