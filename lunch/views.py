"""The lunch pages: the day's meals by pickup point, ordering, one order with its pickup code, My lunch, and for
staff the merchant's manifest and the handover desk.

State changes go through lunch.services (and lunch.preferences); a LunchError becomes a form error or a flash
message, a forged id a 404, someone else's merchant a 403 — nothing a visitor sends ends in a 500.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lunch import selectors, services
from lunch.forms import FeedbackForm, HandoverForm, OrderForm
from lunch.models import DailyOffer, Order, yuan
from lunch.preferences import set_low_balance_notices
from portal import page_cache, scopes
from stations.hours import local_now

POINTS_AT_ONCE = 10  # pickup points shown when "all" are asked for
POINT_COOKIE = "lunch_point"  # the pickup points chosen on /lunch/: "all", "near" or a point id
POINT_COOKIE_AGE = 365 * 24 * 3600
HANDOVER_POINT = "lunch_handover_point"  # session keys of the handover desk
HANDOVER_LAST = "lunch_handover_last"


# ---------------------------------------------------------------------------
# /lunch/


def _chosen_points(request, points, near):
    """(choice, point ids or None for all, whether to store the choice) from ?point=, the cookie, or the person's street."""
    known = {str(p.pk) for p in points}
    for value, store in ((request.GET.get("point"), True), (request.COOKIES.get(POINT_COOKIE), False)):
        if value == "all":
            return "all", None, store
        if value == "near" and near:
            return "near", near, store
        if value in known:
            return value, [int(value)], store
    return ("near", near, False) if near else ("all", None, False)


@require_safe
@page_cache.public_page("places", "stations", "lunch", cookies=(POINT_COOKIE,))
def today(request):
    now = timezone.now()
    local_today = local_now(now).date()
    days = selectors.offer_days(local_today)
    day = selectors.parse_day(request.GET.get("date"))
    if day not in days:
        day = local_today
    book = selectors.PriceBook(request.user, day)
    points = selectors.chooser_points()
    near = selectors.default_point_ids(book, points)
    choice, point_ids, store = _chosen_points(request, points, near)
    offers = selectors.offers_on(day, point_ids=point_ids)
    # "All points" of a whole city would be a page of thousands of meals: the first few, and the chooser for the rest.
    groups, more_points = selectors.offers_by_point(offers, book, now=now, points_at_most=POINTS_AT_ONCE if choice == "all" else None)
    scope = scopes.scope_of(request.user)
    response = render(request, "lunch/today.html", {
        "now": now,
        "today": local_today,
        "tomorrow": local_today + timedelta(days=1),
        "day": day,
        "days": days,
        "groups": groups,
        "more_points": more_points,
        "offer_count": len(offers),
        "points": points,
        "choice": choice,
        "near_streets": sorted({p.street.name for p in points if near and p.pk in near}),
        "is_merchant_staff": bool(scope.merchants) or scope.superuser,
        "is_handover_staff": not scope.is_empty,
        "login_url": f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}",
    })
    cutoffs = [offer.cutoff_at for offer in offers]
    page_cache.fresh_until(response, cutoffs, now=now, countdown_to=[c for c in cutoffs if local_now(c).date() == local_today])
    if store:
        response.set_cookie(POINT_COOKIE, choice, max_age=POINT_COOKIE_AGE, samesite="Lax", httponly=True, secure=request.is_secure())
    return response


# ---------------------------------------------------------------------------
# Ordering


def _offer_or_404(offer_id):
    try:
        return selectors.offer_for_order(offer_id)
    except DailyOffer.DoesNotExist:
        raise Http404(_("There is no such meal on offer.")) from None


def _preview_data(request, form_defaults):
    """What the GET preview shows: the defaults, overridden by what ?point=&quantity=&payment= say, and a fresh key."""
    data = dict(form_defaults)
    for name in ("point", "quantity", "payment"):
        if name in request.GET:
            data[name] = request.GET.get(name, "")[:40]
    return data


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def order_form(request, offer_id):
    offer = _offer_or_404(offer_id)
    now = timezone.now()
    account = SimpleLazyObject(lambda: selectors.account_of(request.user))  # read only when the form is shown
    if request.method == "POST":
        form = OrderForm(request.POST, offer=offer, account=account)
        if "preview" in request.POST:
            form.is_valid()  # "Update the price" (without JavaScript): show the price and any problem, place nothing
        elif form.is_valid():
            data = form.cleaned_data
            try:
                order = services.order_place(user=request.user, offer_id=offer.pk, point_id=data["point"], quantity=data["quantity"],
                                             payment=data["payment"], key=data["key"], now=now, offer=offer)
            except services.SoldOut as error:
                # Back to the day's meals, where another can be chosen (the form would be a dead end now).
                messages.warning(request, error.message)
                return redirect(f"{reverse('lunch:today')}?{urlencode({'date': offer.date.isoformat()})}")
            except services.LunchError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Ordered. Your pickup code is %(code)s.") % {"code": order.pickup_code})
                return redirect("lunch:order", order_id=order.pk)
    else:
        unbound = OrderForm(offer=offer, account=account)
        defaults = {name: unbound.fields[name].initial for name in unbound.fields}
        if any(name in request.GET for name in ("point", "quantity", "payment")):
            form = OrderForm(_preview_data(request, defaults), offer=offer, account=account)
            form.is_valid()  # show what is wrong with the values asked for
        else:
            form = unbound
    offer_point, quantity = form.selection()
    price = services.quote(user=request.user, offer=offer, point=offer_point.point, quantity=quantity) if offer_point else None
    refusal = services.offer_refusal(offer, now=now)
    left = selectors.portions_left(offer, offer_point) if offer_point else 0
    context = {
        "offer": offer,
        "form": form,
        "now": now,
        "price": price,
        "quantity": quantity,
        "offer_point": offer_point,
        "refusal": refusal or (None if offer_point else _("This meal is not delivered to any pickup point at the moment.")),
        "sold_out": left <= 0,
        "account": account,
        "short_of_fen": max(price.self_paid_fen - account.balance_fen, 0) if price else 0,
        "max_quantity": settings.LUNCH_MAX_QUANTITY,
    }
    if request.headers.get("X-Lunch-Preview"):
        return render(request, "lunch/includes/order_price.html", context)
    return render(request, "lunch/order_form.html", context)


# ---------------------------------------------------------------------------
# One order, My lunch


def _own_order_or_404(request, order_id):
    try:
        return selectors.order_of(request.user, order_id)
    except Order.DoesNotExist:
        raise Http404(_("There is no such order of yours.")) from None


@never_cache
@login_required
@require_safe
def order_detail(request, order_id):
    order = _own_order_or_404(request, order_id)
    now = timezone.now()
    feedback = getattr(order, "feedback", None) if order.status == Order.Status.PICKED_UP else None
    return render(request, "lunch/order_detail.html", {
        "order": order,
        "offer": order.offer,
        "now": now,
        "may_cancel": order.status == Order.Status.PLACED and now < order.offer.cutoff_at,
        "delivered_at": selectors.delivered_at(order) if order.status == Order.Status.PLACED else None,
        "feedback": feedback,
        "feedback_form": FeedbackForm() if order.status == Order.Status.PICKED_UP and feedback is None else None,
    })


@login_required
@require_POST
def order_cancel(request, order_id):
    # Another person's order (or none) is a 404 here; the service checks ownership again under its lock.
    order = _own_order_or_404(request, order_id)
    try:
        services.order_cancel(order_id=order.pk, user=request.user)
    except services.LunchError as error:
        messages.error(request, error.message)
    else:
        if order.payment == Order.Payment.BALANCE and order.self_paid_fen:
            messages.success(request, _("Your order is cancelled. ¥%(amount)s is back in your balance.") % {"amount": yuan(order.self_paid_fen)})
        else:
            messages.success(request, _("Your order is cancelled."))
    return redirect("lunch:order", order_id=order.pk)


@login_required
@require_POST
def feedback(request, order_id):
    order = _own_order_or_404(request, order_id)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("lunch:order", order_id=order.pk)
    try:
        services.feedback_leave(order_id=order.pk, user=request.user, stars=form.cleaned_data["stars"], comment=form.cleaned_data["comment"])
    except services.LunchError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("lunch:order", order_id=order.pk)


@never_cache
@login_required
@require_safe
def mine(request):
    today = local_now().date()
    account = selectors.account_of(request.user)
    upcoming, past = selectors.orders_of(request.user, today=today)
    return render(request, "lunch/mine.html", {
        "account": account,
        "entries": selectors.ledger_of(account),
        "ledger_limit": selectors.LEDGER_SHOWN,
        "upcoming": upcoming,
        "past": past,
        "past_limit": selectors.PAST_ORDERS_SHOWN,
        "today": today,
    })


@login_required
@require_POST
def reminders(request):
    on = request.POST.get("notices") == "on"
    set_low_balance_notices(user=request.user, on=on)
    messages.success(request, _("Low-balance reminders are on.") if on else _("Low-balance reminders are off."))
    return redirect("lunch:mine")


# ---------------------------------------------------------------------------
# Merchant staff: the manifest


def _merchant_for(request):
    merchants = selectors.merchants_of(request.user)
    if not merchants:
        raise PermissionDenied
    asked = request.GET.get("merchant") or request.POST.get("merchant")
    if asked:
        chosen = next((m for m in merchants if str(m.pk) == asked), None)
        if chosen is None:
            raise PermissionDenied  # not a merchant of theirs
        return merchants, chosen
    return merchants, merchants[0]


def _manifest_url(merchant, day, merchants):
    query = {"date": day.isoformat()}
    if len(merchants) > 1:
        query["merchant"] = merchant.pk
    return f"{reverse('lunch:manifest')}?{urlencode(query)}"


@never_cache
@login_required
@require_safe
def manifest(request):
    merchants, merchant = _merchant_for(request)
    today = local_now().date()
    day = selectors.parse_day(request.GET.get("date")) or today
    offers = selectors.manifest_offers(merchant, day)
    ids = [offer.pk for offer in offers]
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="manifest-{day:%Y%m%d}-{merchant.pk}.csv"'
        response.write("\ufeff")  # so that spreadsheet programs read the Chinese names as UTF-8
        response.write(services.manifest_csv(ids))
        return response
    points = selectors.manifest_by_point(offers, services.manifest_rows(ids))
    return render(request, "lunch/manifest.html", {
        "merchant": merchant,
        "merchants": merchants,
        "day": day,
        "today": today,
        "now": timezone.now(),
        "offers": offers,
        "points": points,
        "total": sum(p.meals for p in points),
        "previous_url": _manifest_url(merchant, day - timedelta(days=1), merchants),
        "next_url": _manifest_url(merchant, day + timedelta(days=1), merchants),
        "today_url": _manifest_url(merchant, today, merchants),
        "csv_url": _manifest_url(merchant, day, merchants) + "&format=csv",
    })


@login_required
@require_POST
def delivered(request, offer_point_id):
    offer_point = selectors.offer_point_for_staff(offer_point_id)
    if offer_point is None:
        raise Http404(_("There is no such delivery."))
    merchants = selectors.merchants_of(request.user)
    try:
        services.mark_delivered(offer_point_id=offer_point.pk, actor=request.user)  # PermissionDenied → 403 for anyone else
    except services.LunchError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Marked as delivered: %(meal)s at %(point)s. The people who ordered there are told.") % {
            "meal": offer_point.offer.meal.name, "point": offer_point.point.name})
    merchant = next((m for m in merchants if m.pk == offer_point.offer.merchant_id), None)
    if merchant is None:  # station staff marking a delivery: back to the handover desk
        return redirect("lunch:handover")
    return redirect(_manifest_url(merchant, offer_point.offer.date, merchants))


# ---------------------------------------------------------------------------
# Handover desk


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _handover_result(order):
    return {"order": order, "to_collect": order.payment == Order.Payment.AT_PICKUP and order.self_paid_fen > 0}


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def handover(request):
    now = timezone.now()
    today = local_now(now).date()
    points = selectors.handover_points(request.user, today)
    if not points:
        raise PermissionDenied
    if request.method == "POST":
        form = HandoverForm(request.POST, points=points)
        order, error = None, None
        if form.is_valid():
            point = form.cleaned_data["point"]
            request.session[HANDOVER_POINT] = point.pk
            try:
                order = services.pick_up(code=form.cleaned_data["code"], point=point, actor=request.user, now=now)
            except services.LunchError as refusal:
                error = refusal.message
            except PermissionDenied:
                error = _("This order is for another merchant's meal: their staff or the station's staff hand it over.")
        else:
            error = next(iter(form.errors.values()))[0]
        if _wants_json(request):
            chosen = form.cleaned_data.get("point")
            return JsonResponse({
                "ok": order is not None,
                "message": str(error or _("Picked up. Hand the meal over.")),
                "html": render_to_string("lunch/includes/handover_result.html", _handover_result(order), request=request) if order else "",
                "counts": selectors.handover_counts(chosen, today) if chosen else None,
            })
        if order is not None:
            request.session[HANDOVER_LAST] = order.pk
            messages.success(request, _("Picked up. Hand the meal over."))
        else:
            messages.error(request, error)
        return redirect("lunch:handover")

    by_id = {p.pk: p for p in points}
    asked = request.GET.get("point", "")
    point = by_id.get(int(asked)) if asked.isdigit() and len(asked) < 12 else None
    point = point or by_id.get(request.session.get(HANDOVER_POINT)) or points[0]
    request.session[HANDOVER_POINT] = point.pk
    last_id = request.session.pop(HANDOVER_LAST, None)
    last = selectors.handed_over(last_id, list(by_id)) if last_id else None
    form = HandoverForm(initial={"point": point.pk}, points=points)
    return render(request, "lunch/handover.html", {
        "form": form,
        "point": point,
        "points": points,
        "counts": selectors.handover_counts(point, today),
        "today": today,
        **({"result": _handover_result(last)} if last else {}),
    })
