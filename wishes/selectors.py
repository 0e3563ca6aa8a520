"""Reads of wishes for the public wall, a wish's page, My wishes and the monthly honour board.

Privacy first: no read here loads a Beneficiary row. The neighbourhood a card shows is annotated from
the beneficiary's neighbourhood in SQL, so a template can't reach the name, address or phone even by
mistake (and trying would cost a query the query-count tests notice).

Every function fetches what its page shows up front, so a page costs the same number of queries
whether there are 3 wishes or 20,000.
"""

from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext as _

from stations.hours import SHANGHAI
from wishes.models import Campaign, Claim, ClaimPhoto, HonourBoardOptOut, Wish

# Wishes someone has taken on, for the "claimed" counter: being fulfilled, reported, or done.
TAKEN = (Wish.Status.CLAIMED, Wish.Status.REPORTED, Wish.Status.FULFILLED)
HONOUR_BOARD_SIZE = 20  # rows of each ranking shown
MY_PAST_CLAIMS_SHOWN = 50


def public_wishes():
    """The wishes anyone may see: published, claimed, reported or fulfilled — never drafts, withdrawn or expired ones."""
    return Wish.objects.filter(status__in=Wish.PUBLIC)


def _live_claims():
    """The claim that holds a wish (at most one is live), with the organisation it was made for."""
    return Prefetch(
        "claims",
        queryset=Claim.objects.filter(status__in=Claim.LIVE).select_related("organisation").only(
            "pk", "wish_id", "claimer_id", "organisation__name", "status", "deadline", "confirmed_at",
        ),
        to_attr="live_claims",
    )


def with_card_data(queryset, *, live_claim=True):
    """What a wall card shows: station and street, campaign, the neighbourhood's name (and who took the wish on)."""
    qs = queryset.select_related("station__street__district", "campaign").annotate(
        neighbourhood_name=F("beneficiary__neighbourhood__name"),
    )
    return qs.prefetch_related(_live_claims()) if live_claim else qs


def wish_search(*, station=None, street=None, category=None, status=None, campaign=None, queryset=None):
    """Public wishes with the wall's filters, newest first. `street` is the street of the wish's station."""
    qs = queryset if queryset is not None else public_wishes()
    if station is not None:
        qs = qs.filter(station=station)
    if street is not None:
        qs = qs.filter(station__street=street)
    if category:
        qs = qs.filter(category=category)
    if status:
        qs = qs.filter(status=status) if status in Wish.PUBLIC else qs.none()
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.order_by(F("published_at").desc(nulls_last=True), "-pk")


def wall_counters(queryset):
    """Collected / claimed / fulfilled among `queryset` (public wishes), in one query."""
    return queryset.order_by().aggregate(
        collected=Count("pk"),
        claimed=Count("pk", filter=Q(status__in=TAKEN)),
        fulfilled=Count("pk", filter=Q(status=Wish.Status.FULFILLED)),
    )


def campaigns_on_the_wall():
    """Campaigns with at least one public wish, for the wall's campaign picker."""
    return Campaign.objects.filter(Exists(public_wishes().filter(campaign=OuterRef("pk")))).order_by("-starts_on", "name")


def fulfilled_wishes(queryset=None):
    """Fulfilled wishes, the latest first, with the confirmed claim and only the photos staff approved."""
    qs = queryset if queryset is not None else public_wishes()
    confirmed = Claim.objects.filter(wish=OuterRef("pk"), status=Claim.Status.CONFIRMED).order_by("-confirmed_at")
    return (
        with_card_data(qs.filter(status=Wish.Status.FULFILLED), live_claim=False)
        .annotate(fulfilled_at=Subquery(confirmed.values("confirmed_at")[:1]))
        .prefetch_related(
            Prefetch(
                "claims",
                queryset=Claim.objects.filter(status=Claim.Status.CONFIRMED).select_related("organisation").prefetch_related(
                    Prefetch("photos", queryset=ClaimPhoto.objects.filter(is_public=True), to_attr="public_photos"),
                ),
                to_attr="confirmed_claims",
            ),
        )
        .order_by(F("fulfilled_at").desc(nulls_last=True), "-pk")
    )


def wish_for_page(wish_id, *, live_claim=True):
    """One public wish with what its page shows (without its live claim for the claim page, which claims it anew).
    Raises Wish.DoesNotExist for any other (a draft is nobody's business)."""
    return with_card_data(public_wishes(), live_claim=live_claim).get(pk=wish_id)


def claims_of(user):
    """A person's claims, the latest first, with the wish, its station (whose contact arranges the delivery) and visits."""
    return (
        Claim.objects.filter(claimer=user)
        .select_related("wish__station__street__district", "organisation")
        .annotate(neighbourhood_name=F("wish__beneficiary__neighbourhood__name"))
        .prefetch_related("visits", "photos")
        .order_by("-created_at", "-pk")
    )


def is_opted_out(user):
    return HonourBoardOptOut.objects.filter(user=user).exists()


# ---------------------------------------------------------------------------
# The monthly honour board (每月先锋榜)


def month_bounds(year, month):
    """The first moment of the month and of the next one, in Shanghai."""
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def _ranked(rows):
    """Standard competition ranking (1, 2, 2, 4): equal counts share a place."""
    ranked, previous, place = [], None, 0
    for index, row in enumerate(rows, start=1):
        if row["fulfilled"] != previous:
            place, previous = index, row["fulfilled"]
        ranked.append({**row, "place": place})
    return ranked


def honour_board(*, year, month, street=None, size=HONOUR_BOARD_SIZE):
    """Party organisations and individual members ranked by wishes fulfilled (confirmed) in the month.

    A claim made on behalf of an organisation counts for the organisation; one made by a member for
    themselves counts for the member, unless they asked not to be named (HonourBoardOptOut).
    Two queries, whatever the number of claims.
    """
    start, end = month_bounds(year, month)
    confirmed = Claim.objects.filter(status=Claim.Status.CONFIRMED, confirmed_at__gte=start, confirmed_at__lt=end)
    if street is not None:
        confirmed = confirmed.filter(wish__station__street=street)
    organisations = (
        confirmed.filter(organisation__isnull=False)
        .values("organisation_id")
        .annotate(name=F("organisation__name"), fulfilled=Count("pk"))
        .order_by("-fulfilled", "name", "organisation_id")[:size]
    )
    members = (
        confirmed.filter(organisation__isnull=True)
        .exclude(Exists(HonourBoardOptOut.objects.filter(user=OuterRef("claimer_id"))))
        .values("claimer_id")
        .annotate(name=F("claimer__display_name"), fulfilled=Count("pk"))
        .order_by("-fulfilled", "name", "claimer_id")[:size]
    )
    members = [
        # An e-mail address is no public name: someone without a display name is "a party member".
        {**row, "name": row["name"] or _("A party member")}
        for row in members
    ]
    return _ranked(list(organisations)), _ranked(members)
