"""The public and member pages of micro-wishes: the wall, the fulfilled wishes, a wish's page and its claim,
My wishes (report, visits, honour-board choice) and the monthly honour board.

State changes go through wishes.services; a WishError becomes a flash message or a form error, so
nothing a visitor sends ends in a 500. No page here ever shows a beneficiary's name, address or phone:
the selectors don't even load them. A claimer arranges the delivery through the station.
"""

from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from portal import page_cache
from portal.filters import MAX_PARAM_LENGTH, list_url, query_string_too_long, redirect_to_understood
from stations.hours import local_now
from wishes import selectors, services
from wishes.filters import FulfilledWishFilter, WishFilter
from wishes.forms import ClaimForm, HonourBoardForm, ReportForm, VisitForm
from wishes.models import Claim, Wish

PAGE_SIZE = 20
MINE = "wishes:mine"


def _login_url(next_url):
    return f"{reverse('account_login')}?{urlencode({'next': next_url})}"


def _pagination_request(query):
    # includes/pagination.html repeats request.GET: give it only what was understood.
    return SimpleNamespace(GET=QueryDict(query))


# ---------------------------------------------------------------------------
# The wall and the fulfilled wishes


@require_safe
@page_cache.public_page("places", "stations", "wishes")
def wall(request):
    filterset = WishFilter(request.GET, queryset=selectors.public_wishes())
    query = filterset.query()
    if query_string_too_long(request):
        return redirect_to_understood(request, "wishes:wall", query)
    page = Paginator(selectors.with_card_data(filterset.qs), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "wishes/wall.html", {
        "filterset": filterset,
        "page": page,
        "counters": selectors.wall_counters(filterset.counted(selectors.public_wishes())),
        "problems": filterset.problems(),
        "query": query,
        "clear_all_url": reverse("wishes:wall"),
        "fulfilled_url": list_url("wishes:fulfilled", filterset.query(exclude=("status",))),
        "main_group": filterset.group(WishFilter.MAIN_FIELDS),
        "more_group": filterset.group(WishFilter.MORE_FIELDS),
        "pagination_request": _pagination_request(query),
    })


@require_safe
@page_cache.public_page("places", "stations", "wishes")
def fulfilled(request):
    filterset = FulfilledWishFilter(request.GET, queryset=selectors.public_wishes())
    query = filterset.query()
    if query_string_too_long(request):
        return redirect_to_understood(request, "wishes:fulfilled", query)
    page = Paginator(selectors.fulfilled_wishes(filterset.qs), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "wishes/fulfilled.html", {
        "filterset": filterset,
        "page": page,
        "problems": filterset.problems(),
        "query": query,
        "clear_all_url": reverse("wishes:fulfilled"),
        "wall_url": list_url("wishes:wall", query),
        "main_group": filterset.group(FulfilledWishFilter.MAIN_FIELDS),
        "more_group": filterset.group(FulfilledWishFilter.MORE_FIELDS),
        "pagination_request": _pagination_request(query),
    })


# ---------------------------------------------------------------------------
# One wish and its claim


def _public_wish_or_404(wish_id, *, live_claim=True):
    try:
        return selectors.wish_for_page(wish_id, live_claim=live_claim)
    except Wish.DoesNotExist:
        raise Http404(_("There is no such wish.")) from None


def _claim_state(wish, claim, user):
    """What the wish page offers, and why someone can't claim: see templates/wishes/includes/claim_box.html.

    States: mine · taken · anonymous · unverified · refused · claim.
    """
    if claim is not None:
        return ("mine" if user.is_authenticated and claim.claimer_id == user.pk else "taken"), None
    if wish.status != Wish.Status.PUBLISHED:
        return "taken", None
    if not user.is_authenticated:
        return "anonymous", None
    refusal = services.claim_refusal(user, wish)
    if refusal is None:
        return "claim", None
    # Someone who isn't a verified party member yet is shown how to become one; anyone else, why not now.
    return ("refused" if services.party_memberships(user).exists() else "unverified"), refusal


@require_safe
@page_cache.public_page("places", "stations", "wishes")
def detail(request, wish_id):
    wish = _public_wish_or_404(wish_id)
    claim = wish.live_claims[0] if wish.live_claims else None
    state, refusal = _claim_state(wish, claim, request.user)
    return render(request, "wishes/detail.html", {
        "wish": wish,
        "claim": claim,
        "state": state,
        "refusal": refusal,
        "login_url": _login_url(reverse("wishes:detail", args=[wish.pk])),
        "claim_days": settings.WISHES_CLAIM_DAYS,
    })


@login_required
def claim(request, wish_id):
    """GET: the pledge to confirm. POST: claim the wish through services.wish_claim."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    wish = _public_wish_or_404(wish_id, live_claim=False)
    if request.method == "POST" and wish.status != Wish.Status.PUBLISHED:
        # Claimed a moment ago: said at once, as the service would say it, without reading the form's choices first.
        messages.error(request, services.status_refusal(wish))
        return redirect("wishes:detail", wish.pk)
    organisations = list(services.acting_organisations(request.user))
    if request.method == "POST":
        form = ClaimForm(request.POST, wish=wish, organisations=organisations)
        if form.is_valid():
            try:
                made = services.wish_claim(wish_id=wish.pk, user=request.user, organisation=form.organisation,
                                           commitment_months=form.commitment_months)
            except services.WishError as error:
                messages.error(request, error.message)
                return redirect("wishes:detail", wish.pk)
            messages.success(request, _("Thank you for claiming “%(wish)s”. Please arrange the delivery with %(station)s by %(deadline)s.") % {
                "wish": wish.title, "station": wish.station.name,
                "deadline": date_format(timezone.localtime(made.deadline), "DATE_FORMAT"),
            })
            return redirect(MINE)
    else:
        # Only to spare the pledge page to someone who can't make it; the service checks everything again.
        refusal = services.claim_refusal(request.user, wish)
        if refusal:
            messages.error(request, refusal)
            return redirect("wishes:detail", wish.pk)
        form = ClaimForm(wish=wish, organisations=organisations)
    return render(request, "wishes/claim.html", {
        "wish": wish,
        "form": form,
        "claim_days": settings.WISHES_CLAIM_DAYS,
    })


# ---------------------------------------------------------------------------
# My wishes


def _my_claim_or_404(user, claim_id):
    return get_object_or_404(selectors.claims_of(user), pk=claim_id)


@login_required
@require_safe
def mine(request):
    claims = list(selectors.claims_of(request.user)[:selectors.MY_PAST_CLAIMS_SHOWN + 50])
    current = [c for c in claims if c.status in Claim.OPEN]
    for claim in current:
        if claim.status == Claim.Status.ACTIVE and claim.wish.is_recurring:
            claim.visit_form = VisitForm(claim=claim)
    past = [c for c in claims if c.status not in Claim.OPEN][:selectors.MY_PAST_CLAIMS_SHOWN]
    return render(request, "wishes/mine.html", {
        "current": current,
        "past": past,
        "past_limit": selectors.MY_PAST_CLAIMS_SHOWN,
        "now": timezone.now(),
        "opted_out": selectors.is_opted_out(request.user),
    })


@login_required
def report(request, claim_id):
    """The claimer says the wish is fulfilled: a note and up to MAX_REPORT_PHOTOS photos."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    claim = _my_claim_or_404(request.user, claim_id)
    if claim.status != Claim.Status.ACTIVE:
        messages.info(request, _("This claim is not waiting for a report."))
        return redirect(MINE)
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.claim_report(claim_id=claim.pk, user=request.user, note=form.cleaned_data["note"],
                                      photos=form.cleaned_data["photos"])
            except ValidationError as error:  # a file that is not a usable photo; nothing was changed
                form.add_error("photos", error)
            except services.WishError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Thank you! The station will check with the person and confirm the fulfilment."))
                return redirect(MINE)
    else:
        form = ReportForm()
    return render(request, "wishes/report.html", {"claim": claim, "form": form})


@require_POST
def visit(request, claim_id):
    """One visit of a repeating service, from the small form on My wishes."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse(MINE))
    claim = get_object_or_404(Claim.objects.select_related("wish"), pk=claim_id, claimer=request.user)
    form = VisitForm(request.POST, claim=claim)
    back = f"{reverse(MINE)}#claim-{claim.pk}"
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(back)
    try:
        services.visit_record(claim=claim, actor=request.user, on=form.cleaned_data["on"],
                              people_served=form.cleaned_data["people_served"], note=form.cleaned_data["note"])
    except services.WishError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The visit on %(date)s is recorded. Thank you!") % {
            "date": date_format(form.cleaned_data["on"], "DATE_FORMAT"),
        })
    return redirect(back)


@require_POST
def honour_board_choice(request):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse(MINE))
    show = request.POST.get("show") == "1"
    services.honour_board_opt(user=request.user, show=show)
    messages.success(request, _("Your name can appear on the honour board.") if show
                     else _("Your name will not appear on the honour board."))
    return redirect(f"{reverse(MINE)}#honour-board")


# ---------------------------------------------------------------------------
# The monthly honour board (每月先锋榜)


def _shift_month(year, month, by):
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


@require_safe
def honour_board(request):
    data = {name: request.GET.get(name, "")[:MAX_PARAM_LENGTH] for name in ("month", "street")}
    form = HonourBoardForm(data)
    form.is_valid()
    today = local_now().date()
    this_month = (today.year, today.month)
    cleaned = getattr(form, "cleaned_data", {})
    problems = []
    chosen = cleaned.get("month")
    if data["month"] and (chosen is None or chosen > this_month):
        problems.append(_("Month: choose a month like %(example)s, up to this month; this month is shown.") % {
            "example": f"{today:%Y-%m}",
        })
        chosen = None
    year, month = chosen or this_month
    street = cleaned.get("street") if "street" not in form.errors else None
    if "street" in form.errors:
        problems.append(_("Street or town: that street is not on the list; all streets are shown."))
    organisations, members = selectors.honour_board(year=year, month=month, street=street)

    def month_url(y, m):
        params = {"month": f"{y:04d}-{m:02d}"}
        if street is not None:
            params["street"] = street.pk
        return f"{reverse('wishes:honour')}?{urlencode(params)}"

    return render(request, "wishes/honour_board.html", {
        # Drawn with what is shown, not with what was typed.
        "form": HonourBoardForm(initial={"month": f"{year:04d}-{month:02d}", "street": street}),
        "problems": problems,
        "month_start": selectors.month_bounds(year, month)[0],
        "month_value": f"{year:04d}-{month:02d}",
        "street": street,
        "organisations": organisations,
        "members": members,
        "is_this_month": (year, month) == this_month,
        "previous_month_url": month_url(*_shift_month(year, month, -1)),
        "next_month_url": month_url(*_shift_month(year, month, 1)),
        "this_month_url": month_url(*this_month),
    })
