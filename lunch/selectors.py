"""Reads for the lunch pages: the day's offers by pickup point with each person's price, My lunch, the merchant's
manifest and the handover desk.

Every page reads a fixed number of rows sets whatever the number of offers: the offers with their points in two
queries, and the person's price through a `PriceBook` that reads the facts behind a subsidy (policies, the
person's memberships and residences, today's subsidised order, the month's spend) once per page instead of once
per offer as `services.quote` does. Both price with the one rule `services.price_of`; the tests in
tests/lunch/test_selectors.py hold their answers together.
"""

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q, Sum

from lunch.models import (
    Account,
    DailyOffer,
    Feedback,
    LedgerEntry,
    Meal,
    Merchant,
    OfferPoint,
    Order,
    PickupPoint,
    SubsidyPolicy,
    SubsidySpend,
)
from lunch.services import Price, month_start, offer_refusal, price_of
from portal import scopes
from portal.db import FixedRead, is_row_id
from portal.models import Membership, Organisation, Residence, StaffAssignment

DAYS_AHEAD = 4  # date tabs on /lunch/: today and the next days that have offers
LEDGER_SHOWN = 50
PAST_ORDERS_SHOWN = 30


# ---------------------------------------------------------------------------
# Offers


def visible_offers():
    """Offers a visitor may see: their merchant is active and licensed on the offer's day (what offer_refusal checks)."""
    return DailyOffer.objects.filter(merchant__status=Merchant.Status.ACTIVE, merchant__licence_expires_on__gte=F("date"))


def offer_days(today, *, ahead=DAYS_AHEAD):
    """Today, then the next `ahead` days that have visible offers."""
    later = (visible_offers().filter(date__gt=today).order_by("date").values_list("date", flat=True).distinct()[:ahead])
    return [today, *later]


def parse_day(value):
    """A YYYY-MM-DD date, or None for anything else."""
    value = (value or "").strip()
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _active_offer_points(point_ids=None):
    queryset = OfferPoint.objects.filter(point__is_active=True).select_related("point").order_by("point__name", "point_id")
    if point_ids is not None:
        queryset = queryset.filter(point_id__in=point_ids)
    return queryset


def offers_on(day, *, point_ids=None):
    """The day's visible offers (serving `point_ids` when given), with meal, merchant and active offer points: two queries."""
    offers = visible_offers().filter(date=day)
    if point_ids is not None:
        offers = offers.filter(Exists(OfferPoint.objects.filter(offer=OuterRef("pk"), point_id__in=point_ids, point__is_active=True)))
    return list(
        offers.select_related("meal", "merchant__organisation")
        # The day's page names each point's station.
        .prefetch_related(Prefetch("offer_points", queryset=_active_offer_points(point_ids).select_related("point__station")))
        .order_by("cutoff_at", "merchant__organisation__name", "meal__name", "pk")
    )


# The order page's read, on the path of every order (see portal.db.FixedRead, which says why it is SQL): the visible offer
# with its meal, its merchant and the merchant's organisation, and each active pickup point it serves by name — what
# visible_offers().select_related("meal", "merchant__organisation") and _active_offer_points() read, in one statement
# (tests/lunch/test_selectors.py holds the two together). The points without their stations: the order page doesn't name them.
_OFFER_FOR_ORDER = FixedRead(
    "lunch_offer_for_order",
    """SELECT {offer}, {meal}, {merchant}, {organisation}, {offer_point}, {point}
    FROM lunch_dailyoffer offer
    JOIN lunch_meal meal ON meal.id = offer.meal_id
    JOIN lunch_merchant merchant ON merchant.id = offer.merchant_id
    JOIN portal_organisation organisation ON organisation.id = merchant.organisation_id
    LEFT JOIN (lunch_offerpoint offer_point JOIN lunch_pickuppoint point ON point.id = offer_point.point_id AND point.is_active)
        ON offer_point.offer_id = offer.id
    WHERE offer.id = %s AND merchant.status = %s AND merchant.licence_expires_on >= offer.date
    ORDER BY point.name, point.id""",
    offer=DailyOffer, meal=Meal, merchant=Merchant, organisation=Organisation, offer_point=OfferPoint, point=PickupPoint,
)


def offer_for_order(offer_id):
    """One visible offer, with its meal and merchant, and its active pickup points (OfferPoint, point along) by name as
    `active_offer_points`: one query. DailyOffer.DoesNotExist when there is no such visible offer."""
    rows = _OFFER_FOR_ORDER.rows([offer_id, Merchant.Status.ACTIVE]) if is_row_id(offer_id) else []
    if not rows:
        raise DailyOffer.DoesNotExist(f"No visible offer {offer_id}")
    offer, meal, merchant, organisation, _offer_point, _point = rows[0]
    merchant.organisation = organisation
    offer.meal, offer.merchant = meal, merchant
    offer.active_offer_points = []
    for *_offer_columns, offer_point, point in rows:
        if offer_point is not None:
            offer_point.offer, offer_point.point = offer, point
            offer.active_offer_points.append(offer_point)
    return offer


def portions_left(offer, offer_point):
    left = offer.quota - offer.sold
    if offer_point.quota is not None:
        left = min(left, offer_point.quota - offer_point.sold)
    return max(left, 0)


def merchant_ratings(merchant_ids):
    """{merchant id: (average stars, number of ratings)} in one query."""
    rows = (Feedback.objects.filter(order__offer__merchant_id__in=merchant_ids).values("order__offer__merchant_id")
            .annotate(average=Avg("stars"), count=Count("pk")).order_by())
    return {row["order__offer__merchant_id"]: (round(row["average"], 1), row["count"]) for row in rows}


@dataclass
class OfferCard:
    """One offer as shown at one pickup point."""

    offer: object
    offer_point: object
    price: Price
    left: int
    refusal: str | None
    rating: tuple | None = None

    @property
    def point(self):
        return self.offer_point.point

    @property
    def state(self):
        if self.refusal:
            return "closed"
        return "sold_out" if self.left <= 0 else "open"


def offers_by_point(offers, book, *, now, points_at_most=None):
    """([(point, [OfferCard…])…] by point name, how many more points were left out); each offer under every point it serves.

    With `points_at_most`, only the first points get their cards worked out (a city's "all points" is thousands of cards).
    """
    serving = {}
    for offer in offers:
        for offer_point in offer.offer_points.all():
            serving.setdefault(offer_point.point, []).append((offer, offer_point))
    points = sorted(serving, key=lambda point: (point.name, point.pk))
    left_out = max(0, len(points) - points_at_most) if points_at_most is not None else 0
    points = points[: len(points) - left_out]
    shown = {offer.merchant_id for point in points for offer, _ in serving[point]}
    ratings = merchant_ratings(shown) if shown else {}
    refusals = {}
    groups = []
    for point in points:
        cards = []
        for offer, offer_point in serving[point]:
            if offer.pk not in refusals:
                refusals[offer.pk] = offer_refusal(offer, now=now)
            cards.append(OfferCard(
                offer=offer, offer_point=offer_point, price=book.quote(offer=offer, point=point),
                left=portions_left(offer, offer_point), refusal=refusals[offer.pk], rating=ratings.get(offer.merchant_id),
            ))
        groups.append((point, cards))
    return groups, left_out


def chooser_points():
    """Active pickup points for the point chooser, by street."""
    return list(PickupPoint.objects.filter(is_active=True).select_related("street").order_by("street__name", "name", "pk"))


# ---------------------------------------------------------------------------
# Prices, for many offers at once


class PriceBook:
    """The person's price for every offer of one day, read in a fixed number of queries.

    The same rule as services.quote (`services.price_of`), with each fact it needs read for the whole day at once.
    Reads are lazy and happen once each, so an anonymous visitor costs no query at all.
    """

    def __init__(self, user, day):
        self.user = user
        self.day = day
        self.authenticated = bool(getattr(user, "is_authenticated", False))

    @cached_property
    def _policies_by_street(self):
        if not self.authenticated:
            return {}
        valid = (SubsidyPolicy.objects.filter(valid_from__lte=self.day).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=self.day))
                 .prefetch_related("neighbourhoods").order_by("-subsidy_fen", "pk"))
        by_street = {}
        for policy in valid:
            by_street.setdefault(policy.street_id, []).append(policy)
        return by_street

    @cached_property
    def enterprise_streets(self):
        """Streets where the person is a verified office worker: their enterprise's building's street or its own street."""
        if not self.authenticated:
            return frozenset()
        rows = Membership.objects.filter(
            user=self.user, verified_at__isnull=False, organisation__kind=Organisation.Kind.ENTERPRISE, organisation__is_active=True,
        ).values_list("organisation__building__street_id", "organisation__street_id")
        return frozenset(street for row in rows for street in row if street is not None)

    @cached_property
    def _neighbourhoods(self):
        return frozenset(Residence.objects.filter(user=self.user, verified_at__isnull=False).values_list("neighbourhood_id", flat=True))

    @cached_property
    def _subsidised_that_day(self):
        return Order.objects.filter(user=self.user, subsidised_on=self.day, status__in=Order.LIVE).exists()

    @cached_property
    def _spends(self):
        policy_ids = [p.pk for policies in self._policies_by_street.values() for p in policies]
        return {s.policy_id: s for s in SubsidySpend.objects.filter(policy_id__in=policy_ids, month=month_start(self.day))}

    def _qualifies(self, policy):
        if policy.audience == SubsidyPolicy.Audience.OFFICE_WORKERS:
            return policy.street_id in self.enterprise_streets
        return any(n.pk in self._neighbourhoods for n in policy.neighbourhoods.all())

    def policies_for(self, point):
        return [p for p in self._policies_by_street.get(point.street_id, []) if self._qualifies(p)]

    def quote(self, *, offer, point, quantity=1):
        # As services.quote prices it: this month's spend against the policy's budget as it stands now.
        return price_of(offer, quantity, self.policies_for(point), used_today=lambda: self._subsidised_that_day,
                        spent=lambda policy: self._spent(policy.pk))

    def _spent(self, policy_id):
        spend = self._spends.get(policy_id)
        return spend.spent_fen if spend is not None else 0


def default_point_ids(book, points):
    """The points in the streets of the person's verified enterprises, or None when there are none (show all)."""
    streets = book.enterprise_streets
    ids = [p.pk for p in points if p.street_id in streets]
    return ids or None


# ---------------------------------------------------------------------------
# A person's lunch


def account_of(user):
    """The person's account, or an unsaved empty one (no balance yet, reminders on)."""
    return Account.objects.filter(user=user).first() or Account(user=user)


def ledger_of(account, *, limit=LEDGER_SHOWN):
    if account.pk is None:
        return []
    return list(LedgerEntry.objects.filter(account=account).select_related("order__offer__meal", "recorded_by")[:limit])


def _orders_of(user):
    return Order.objects.filter(user=user).select_related("offer__meal", "offer__merchant__organisation", "point")


def orders_of(user, *, today):
    """(upcoming, past): orders still to collect (today or later), and the latest others."""
    upcoming = list(_orders_of(user).filter(offer__date__gte=today, status=Order.Status.PLACED).order_by("offer__date", "offer__cutoff_at", "pk"))
    past = list(_orders_of(user).exclude(pk__in=[o.pk for o in upcoming]).order_by("-offer__date", "-created_at", "-pk")[:PAST_ORDERS_SHOWN])
    return upcoming, past


def order_of(user, order_id):
    """The person's own order for its page; Order.DoesNotExist for anyone else's."""
    return (Order.objects.select_related("offer__meal", "offer__merchant__organisation", "point__station", "policy", "feedback")
            .get(pk=order_id, user=user))


def delivered_at(order):
    return OfferPoint.objects.filter(offer_id=order.offer_id, point_id=order.point_id).values_list("delivered_at", flat=True).first()


# ---------------------------------------------------------------------------
# Merchant staff: the manifest


def merchants_of(user):
    """Merchants whose staff the person is (every merchant for a superuser)."""
    merchants = Merchant.objects.select_related("organisation").order_by("organisation__name", "pk")
    if getattr(user, "is_superuser", False):
        return list(merchants)
    return list(merchants.filter(organisation__staff_assignments__user=user,
                                 organisation__staff_assignments__role=StaffAssignment.Role.MERCHANT_STAFF).distinct())


@dataclass
class ManifestPoint:
    point: object
    offer_points: list  # [(offer_point, offer)] for the merchant's meals at this point
    rows: list  # services.manifest_rows tuples

    @property
    def meals(self):
        return sum(row[4] for row in self.rows)


def manifest_offers(merchant, day):
    """The merchant's offers of the day with all their points (delivered or not): two queries."""
    return list(
        DailyOffer.objects.filter(merchant=merchant, date=day).select_related("meal")
        .prefetch_related(Prefetch("offer_points", queryset=OfferPoint.objects.select_related("point").order_by("point__name", "point_id")))
        .order_by("meal__name", "pk")
    )


def manifest_by_point(offers, rows):
    """Group the manifest rows (services.manifest_rows: point name first) under the points the offers serve."""
    points = {}
    for offer in offers:
        for offer_point in offer.offer_points.all():
            entry = points.setdefault(offer_point.point.pk, ManifestPoint(offer_point.point, [], []))
            entry.offer_points.append((offer_point, offer))
    by_name = {}
    for entry in points.values():
        by_name.setdefault(entry.point.name, entry)  # manifest_rows names points; two points of one name share a list
    for row in rows:
        if row[0] in by_name:
            by_name[row[0]].rows.append(row)
    return sorted(points.values(), key=lambda e: (e.point.name, e.point.pk))


def offer_point_for_staff(offer_point_id):
    return OfferPoint.objects.select_related("offer__merchant", "point").filter(pk=offer_point_id).first()


# ---------------------------------------------------------------------------
# Handover desk


def handover_points(user, today):
    """Pickup points the person may hand lunches over at: their stations' and streets' points, and the points their
    merchant's offers serve today."""
    if getattr(user, "is_superuser", False):
        return list(PickupPoint.objects.filter(is_active=True).order_by("name", "pk"))
    scope = scopes.scope_of(user)
    if scope.is_empty:
        return []
    q = scopes.scope_q(user, PickupPoint)
    if scope.merchants:
        q |= Q(pk__in=OfferPoint.objects.filter(offer__date=today, offer__merchant__organisation_id__in=sorted(scope.merchants)).values("point_id"))
    return list(PickupPoint.objects.filter(q, is_active=True).order_by("name", "pk"))


def handover_counts(point, today):
    """Meals to hand over at the point today, and how many have been."""
    totals = Order.objects.filter(point=point, offer__date=today, status__in=Order.LIVE).aggregate(
        total=Sum("quantity"), picked=Sum("quantity", filter=Q(status=Order.Status.PICKED_UP)))
    return {"total": totals["total"] or 0, "picked": totals["picked"] or 0}


def handed_over(order_id, point_ids):
    return (Order.objects.select_related("offer__meal", "offer__merchant__organisation", "point", "user")
            .filter(pk=order_id, point_id__in=point_ids).first())
