"""Loaders for the demo white-collar lunch of 长寿路街道 (`portal.demo.lunch_data`): the four merchants of the
article and their menus, the lunch points at the street's building stations and one delivery building, the
street's two subsidy policies, a week of daily offers, the orderers' balances and their orders in every status.

Appended to `portal.demo.seed.LOADERS`, after the stations and the staff roles (top-ups are recorded by staff).

Natural keys: a merchant by its organisation, a meal by (merchant, name), a pickup point by (street, name), a
policy by (street, name), an offer by (date, meal), an offer's point by (offer, point), an order by (person,
offer), a planned top-up by (account, recorded by, amount, note). Descriptive fields are brought back to the data
on every run; what is relative to the day of the run (licence expiry and inspection dates, the policies' start on
1 January) and what belongs to the merchant once an offer exists (portions, cut-off, discount) is set when the row
is made and then left alone.

Days: the offers cover the two workdays before today (their cut-off, delivery and manifest long past), today when
it is a workday, and the next four workdays — Monday to Friday in Shanghai, public holidays not skipped. A second
run on the same day finds every row and changes nothing; a run on a later day adds the new days' offers and the
orders the plan puts on them, and leaves the older ones to the services and the scheduled jobs (an order still
"placed" for a day gone by is marked not collected by `mark_uncollected`). The plan gives a person at most one live
order a day: an order is skipped when its person already has one that day from an earlier run.

How the rows are written. `lunch.services.order_place` and `order_cancel` open durable transactions, which can't
run inside the seed's one transaction, and refuse orders for past days; they have no in-transaction core. So the
orders are written here as those services write them, after the same checks: `offer_refusal` as the offer stood
when the order was placed (the evening before, before its manifest left), the quotas, pay at pickup only where the
merchant allows it, and the price from `services.quote`, its subsidy charged with `services.charge_budget` —
which is also what creates the month's subsidy row. A live order moves the offer's and the point's `sold`, the policy's month spend and the
person's balance (a ledger debit); a cancelled one leaves the counters where they were (placed, then given back)
and has its debit and its refund in the ledger. Pickups are recorded as `pick_up` records them, by the merchant's
staff or staff governing the point. Top-ups are checked with `services.may_top_up` (the recorder holds
`lunch.add_ledgerentry` and a station or merchant staff role) and written like `services.top_up` writes them,
without its "¥… added to your balance" notification: as in the rest of the demo, no demo person gets a
notification (or an e-mail) for the demo's history. Feedback goes through `services.feedback_leave`. Each row's
times are then set to the moment it stands for, so every balance reads as a history: top-ups first, then each
order's debit the evening before its day. Every balance is the sum of its ledger, and every offer's `sold` the sum
of its live orders' quantities.
"""

import uuid
from datetime import datetime, time, timedelta
from itertools import islice

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from lunch import services
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
    new_pickup_code,
)
from portal import scopes
from portal.audit import audit_log
from portal.demo import data
from portal.demo import lunch_data as content
from portal.models import AuditEntry, Membership, Residence, User
from stations.hours import SHANGHAI, local_now


def _at(day, hhmm, minutes=0):
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=SHANGHAI) + timedelta(minutes=minutes)


def _workdays(start, step):
    day = start
    while True:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=step)


def lunch_days(today=None):
    """{slot: date}: 0 is today when it is a workday (else the next workday), 1… the workdays after, -1 and -2 before today."""
    today = today or local_now().date()
    coming = list(islice(_workdays(today, 1), content.COMING_WORKDAYS + (today.weekday() < 5)))
    past = islice(_workdays(today - timedelta(days=1), -1), content.PAST_WORKDAYS)
    return {**dict(enumerate(coming)), **{-(n + 1): day for n, day in enumerate(past)}}


def meals_of_the_day(spec, day, index):
    """The 2 or 3 meals a merchant (the `index`-th of the data) offers on `day`, taking turns through its menu.

    Counted from the date, not from the run, so runs on different days agree on every date.
    """
    menu = spec["meals"]
    count = min(len(menu), 2 + (day.toordinal() + index) % 2)
    start = day.toordinal() % len(menu)
    return [menu[(start + n) % len(menu)] for n in range(count)]


def portions(day, meal_name):
    """Between QUOTA_MIN and QUOTA_MAX portions, in fives, the same for a date and meal on every run."""
    steps = (content.QUOTA_MAX - content.QUOTA_MIN) // 5 + 1
    return content.QUOTA_MIN + 5 * ((day.toordinal() * 7 + sum(map(ord, meal_name))) % steps)


class _Changes:
    """Rows this run made, and existing rows whose counters or balance it moved (counted as updated)."""

    def __init__(self, ctx):
        self.ctx, self.fresh, self.moved = ctx, set(), set()

    def made(self, obj, created):
        if created:
            self.fresh.add((type(obj), obj.pk))
        return obj

    def moved_row(self, model, pk):
        if (model, pk) not in self.fresh and (model, pk) not in self.moved:
            self.moved.add((model, pk))
            self.ctx.updated[model] += 1


def _upsert(ctx, model, lookup, values=None, **kwargs):
    """ctx.upsert, and whether it made the row."""
    before = ctx.created[model]
    obj = ctx.upsert(model, lookup, values, **kwargs)
    return obj, ctx.created[model] > before


def _changes(ctx):
    if not hasattr(ctx, "lunch_changes"):
        ctx.lunch_changes = _Changes(ctx)
    return ctx.lunch_changes


# ---------------------------------------------------------------------------
# Merchants, menus, points, policies


def load_lunch_merchants(ctx):
    today = local_now().date()
    ctx.lunch_merchants = {}
    for spec in content.MERCHANTS:
        ctx.lunch_merchants[spec["name"]] = ctx.upsert(
            Merchant,
            {"organisation": ctx.organisation(content.STREET, spec["name"])},
            {
                "licence_number": spec["licence_number"],
                "food_safety_rating": spec["rating"],
                "contact_name": spec["contact_name"],
                "contact_phone": spec["contact_phone"],
                "allows_pay_at_pickup": spec["pay_at_pickup"],
            },
            on_create={
                "licence_expires_on": today + timedelta(days=spec["licence_days"]),
                "last_inspected_on": today - timedelta(days=spec["inspected_days"]),
            },
        )


def load_lunch_meals(ctx):
    ctx.lunch_meals = {}
    for spec in content.MERCHANTS:
        merchant = ctx.lunch_merchants[spec["name"]]
        for meal in spec["meals"]:
            if not 2500 <= meal["price_fen"] <= 2800:
                raise ValueError(f"The article's set meals cost 25–28 yuan; {meal['name']!r} costs {meal['price_fen']} fen.")
            ctx.lunch_meals[(spec["name"], meal["name"])] = ctx.upsert(
                Meal,
                {"merchant": merchant, "name": meal["name"]},
                {"list_price_fen": meal["price_fen"], "description": meal["description"], "allergens": meal["allergens"]},
            )


def load_lunch_points(ctx):
    street = ctx.street(content.STREET)
    opens, closes = (time.fromisoformat(hhmm) for hhmm in content.WINDOW)
    ctx.lunch_points = {}
    for spec in content.POINTS:
        station = ctx.station(spec["station"]) if spec.get("station") else None
        if station is not None and station.street_id != street.pk:
            raise ValueError(f"The lunch point {spec['name']!r} names a station of another street.")
        building = ctx.building(content.STREET, spec["building"]) if spec.get("building") else None
        ctx.lunch_points[spec["name"]] = ctx.upsert(
            PickupPoint,
            {"street": street, "name": spec["name"]},
            {"station": station, "building": building, "address": spec["address"], "window_opens": opens, "window_closes": closes},
        )


def load_lunch_policies(ctx):
    street = ctx.street(content.STREET)
    new_year = local_now().date().replace(month=1, day=1)
    for spec in content.POLICIES:
        policy, created = _upsert(
            ctx,
            SubsidyPolicy,
            {"street": street, "name": spec["name"]},
            {"audience": spec["audience"], "subsidy_fen": spec["subsidy_fen"], "monthly_budget_fen": spec["monthly_budget_fen"]},
            on_create={"valid_from": new_year},
        )
        linked = set(policy.neighbourhoods.values_list("pk", flat=True))
        missing = [n for n in (ctx.neighbourhood(content.STREET, name) for name in spec.get("neighbourhoods", ())) if n.pk not in linked]
        if missing:
            policy.neighbourhoods.add(*missing)
            if not created:
                ctx.updated[SubsidyPolicy] += 1


# ---------------------------------------------------------------------------
# People and their balances


def _superuser(ctx):
    return next(ctx.user(spec["email"]) for spec in data.DEMO_ACCOUNTS if spec.get("superuser"))


def load_lunch_people(ctx):
    """The fictional orderers (verified office workers, a verified elderly resident), and everyone's first top-ups."""
    # The superuser stands for the station staff who checked their details, as in `load_account_roles`.
    verifier = _superuser(ctx)
    for spec in content.ORDERERS:
        user = ctx.upsert(User, {"email": spec["email"]}, {"display_name": spec["display_name"]}, prepare=lambda u: u.set_unusable_password())
        ctx.users[spec["email"]] = user
        verified = {"verified_at": timezone.now(), "verified_by": verifier}
        if "enterprise" in spec:
            claim = ctx.upsert(
                Membership,
                {"user": user, "organisation": ctx.organisation(content.STREET, spec["enterprise"])},
                {"role": Membership.Role.MEMBER},
                on_create=verified,
            )
        else:
            claim = ctx.upsert(Residence, {"user": user, "neighbourhood": ctx.neighbourhood(content.STREET, spec["residence"])}, on_create=verified)
        if claim.verified_at is None:
            claim.verified_at, claim.verified_by = verified["verified_at"], verifier
            claim.save(update_fields=["verified_at", "verified_by", "updated_at"])
            ctx.updated[type(claim)] += 1

    changes = _changes(ctx)
    ctx.touch(Account)
    ctx.touch(LedgerEntry)
    entries = LedgerEntry.objects.count()
    today = local_now().date()
    for email, fen, recorder, note, days_ago in content.TOP_UPS:
        account = changes.made(*_upsert(ctx, Account, {"user": ctx.user(email)}))
        actor = ctx.user(recorder)
        if account.entries.filter(kind=LedgerEntry.Kind.TOP_UP, recorded_by=actor, amount_fen=fen, note=note).exists():
            continue
        _top_up(ctx, account, fen, actor=actor, note=note, at=_at(today - timedelta(days=days_ago), "12:40"))
    ctx.created[LedgerEntry] += LedgerEntry.objects.count() - entries


def _dated(model, pk, **times):
    model.objects.filter(pk=pk).update(**times)


def _post(account, kind, amount_fen, *, at, order=None, actor=None, note=""):
    """A ledger entry and the balance that follows from it, as `lunch.services` posts them (F(), under the constraint)."""
    entry = LedgerEntry.objects.create(account=account, kind=kind, amount_fen=amount_fen, order=order, recorded_by=actor, note=note)
    _dated(LedgerEntry, entry.pk, created_at=at)
    Account.objects.filter(pk=account.pk).update(balance_fen=F("balance_fen") + amount_fen)
    account.refresh_from_db(fields=["balance_fen"])
    return entry


def _audit(at, **kwargs):
    _dated(AuditEntry, audit_log(**kwargs).pk, created_at=at)


def _top_up(ctx, account, fen, *, actor, note, at):
    """Money received at a desk, as `services.top_up` records it (without telling the person)."""
    if not services.may_top_up(actor):
        raise ValueError(f"The demo top-ups are recorded by {actor.email}, who may not record money received.")
    _post(account, LedgerEntry.Kind.TOP_UP, fen, at=at, actor=actor, note=note)
    _audit(at, action="lunch.balance.topped_up", actor=actor, target=account, data={"amount_fen": fen})
    ctx.lunch_changes.moved_row(Account, account.pk)


# ---------------------------------------------------------------------------
# Offers and orders


def load_lunch_offers(ctx):
    today = local_now().date()
    changes = _changes(ctx)
    ctx.lunch_offers = {}  # (date, merchant name): the merchant's offers that day, in the data's order
    for day in sorted(lunch_days(today).values()):
        cutoff, past = _at(day, content.CUTOFF), day < today
        for index, spec in enumerate(content.MERCHANTS):
            merchant = ctx.lunch_merchants[spec["name"]]
            if merchant.status != Merchant.Status.ACTIVE or merchant.licence_expires_on < day:
                continue  # a merchant without a valid licence that day offers nothing (a run long after the first)
            offers = ctx.lunch_offers.setdefault((day, spec["name"]), [])
            for meal_spec in meals_of_the_day(spec, day, index):
                meal = ctx.lunch_meals[(spec["name"], meal_spec["name"])]
                if not meal.is_active:
                    continue
                offer = changes.made(
                    *_upsert(
                        ctx,
                        DailyOffer,
                        {"date": day, "meal": meal},
                        {"merchant": merchant},
                        on_create={
                            "quota": portions(day, meal.name),
                            "cutoff_at": cutoff,
                            "discount_fen": spec["discount_fen"],
                            # Days gone by: the merchant got its list at the cut-off and delivered before the window.
                            "manifest_sent_at": cutoff if past else None,
                        },
                    )
                )
                for point_name in spec["points"]:
                    changes.made(
                        *_upsert(
                            ctx,
                            OfferPoint,
                            {"offer": offer, "point": ctx.lunch_points[point_name]},
                            on_create={
                                "quota": content.POINT_QUOTAS.get((spec["name"], point_name)),
                                "delivered_at": _at(day, "11:20") if past else None,
                            },
                        )
                    )
                offers.append(offer)


def _pickup_code(offer):
    # Unique among the day's orders, as `order_place` makes it: a code typed at a desk finds one order.
    taken = set(Order.objects.filter(offer__date=offer.date).values_list("pickup_code", flat=True))
    code = new_pickup_code()
    while code in taken:
        code = new_pickup_code()
    return code


def _handler(ctx, offer, point):
    """Who hands the meal over: the merchant's staff, else staff governing the point (the rule `pick_up` checks)."""
    for email in (content.MERCHANT_STAFF, content.DESK, content.STREET_ADMIN):
        actor = ctx.user(email)
        if offer.merchant.organisation_id in scopes.scope_of(actor).merchants or scopes.in_scope(actor, point):
            return actor
    return _superuser(ctx)


def _desk_of(email):
    return next((recorder for person, _fen, recorder, _note, _days in content.TOP_UPS if person == email), content.DESK)


def load_lunch_orders(ctx):
    changes = _changes(ctx)
    made = (Order, LedgerEntry, SubsidySpend, Feedback, Account)
    for model in made:
        ctx.touch(model)
    before = {model: model.objects.count() for model in made}
    changes.spends_before = set(SubsidySpend.objects.values_list("pk", flat=True))
    days, now = lunch_days(), timezone.now()
    for number, (email, slot, merchant_name, point_name, status, options) in enumerate(content.ORDERS):
        offers = ctx.lunch_offers.get((days[slot], merchant_name), [])
        if options.get("pick", 0) >= len(offers):
            continue  # the merchant offers nothing (or less) that day
        offer, user, point = offers[options.get("pick", 0)], ctx.user(email), ctx.lunch_points[point_name]
        if Order.objects.filter(user=user, offer=offer).exists():
            continue
        if Order.objects.filter(user=user, offer__date=offer.date, status__in=Order.LIVE).exists():
            continue  # lunch that day is ordered already (a run on an earlier day put another order there)
        _order(ctx, changes, number, user, offer, point, status, options, now)
    for model in made:
        ctx.created[model] += model.objects.count() - before[model]


def _order(ctx, changes, number, user, offer, point, status, options, now):
    day = offer.date
    # Placed the evening before (or now, for a day further ahead), a few minutes apart.
    placed_at = min(_at(day - timedelta(days=1), "20:00", minutes=number * 7 % 60), now)
    offer = DailyOffer.objects.select_for_update().select_related("meal", "merchant__organisation").get(pk=offer.pk)
    offer_point = OfferPoint.objects.filter(offer=offer, point=point).first()
    if offer_point is None:
        raise ValueError(f"The demo order of {user.email} names a point {offer.merchant} doesn't deliver to: {point.name!r}.")
    # The rules `order_place` checks, as the offer stood when the order was placed: before its manifest left.
    manifest_sent_at, offer.manifest_sent_at = offer.manifest_sent_at, None
    refusal = services.offer_refusal(offer, now=placed_at)
    offer.manifest_sent_at = manifest_sent_at
    quantity = options.get("quantity", 1)
    left_at_point = None if offer_point.quota is None else offer_point.quota - offer_point.sold
    if refusal is not None or offer.sold + quantity > offer.quota or (left_at_point is not None and quantity > left_at_point):
        return  # closed or sold out since (a run long after the first): the demo does without this one
    payment = Order.Payment.BALANCE
    if options.get("pickup"):
        if not offer.merchant.allows_pay_at_pickup:
            raise ValueError(f"The demo order of {user.email} is paid at pickup, but {offer.merchant} doesn't allow it.")
        if services.no_shows_of(user, now=placed_at) < settings.LUNCH_NO_SHOW_LIMIT:
            payment = Order.Payment.AT_PICKUP

    account = changes.made(*Account.objects.get_or_create(user=user))
    account = Account.objects.select_for_update().get(pk=account.pk)
    price = services.quote(user=user, offer=offer, point=point, quantity=quantity)
    if payment == Order.Payment.BALANCE and account.balance_fen < price.self_paid_fen:
        # Short of money on a later run: the person tops up again at their usual desk first.
        _top_up(
            ctx,
            account,
            content.TOP_UP_AGAIN_FEN,
            actor=ctx.user(_desk_of(user.email)),
            note="补充充值",
            at=max(placed_at - timedelta(minutes=30), _at(day - timedelta(days=1), "12:30")),
        )
    order = Order(
        user=user,
        offer=offer,
        point=point,
        quantity=quantity,
        list_price_fen=price.list_fen,
        discount_fen=price.discount_fen,
        subsidy_fen=price.subsidy_fen,
        self_paid_fen=price.self_paid_fen,
        policy=price.policy,
        subsidised_on=day if price.subsidy_fen else None,
        payment=payment,
        pickup_code=_pickup_code(offer),
        idempotency_key=uuid.uuid4(),
    )
    order.full_clean()
    order.save()
    paid = payment == Order.Payment.BALANCE and price.self_paid_fen > 0
    if paid:
        _post(account, LedgerEntry.Kind.ORDER, -price.self_paid_fen, at=placed_at, order=order)
        changes.moved_row(Account, account.pk)
    _audit(placed_at, action="lunch.order.placed", actor=user, target=order)
    last = placed_at

    if status == Order.Status.CANCELLED:
        # Cancelled before the cut-off: the portions and the day's subsidy went back, so the counters stay as they were.
        last = max(placed_at, min(_at(day, "08:40"), now))
        order.status, order.cancelled_at = Order.Status.CANCELLED, last
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        if paid:
            _post(account, LedgerEntry.Kind.REFUND, price.self_paid_fen, at=last, order=order)
        _audit(last, action="lunch.order.cancelled", actor=user, target=order)
    else:
        DailyOffer.objects.filter(pk=offer.pk).update(sold=F("sold") + quantity)
        OfferPoint.objects.filter(pk=offer_point.pk).update(sold=F("sold") + quantity)
        changes.moved_row(DailyOffer, offer.pk)
        changes.moved_row(OfferPoint, offer_point.pk)
        if price.subsidy_fen:
            if not services.charge_budget(price.policy, day, price.subsidy_fen):
                raise ValueError(f"The demo order of {user.email} was quoted a subsidy its street's budget no longer holds.")
            spend = SubsidySpend.objects.get(policy=price.policy, month=services.month_start(day))  # made by the charge if missing
            changes.made(spend, spend.pk not in changes.spends_before)
            changes.moved_row(SubsidySpend, spend.pk)
        if status == Order.Status.PICKED_UP:
            last = _at(day, "11:50", minutes=number * 11 % 60)
            order.status, order.picked_up_at, order.picked_up_by = Order.Status.PICKED_UP, last, _handler(ctx, offer, point)
            order.save(update_fields=["status", "picked_up_at", "picked_up_by", "updated_at"])
        elif status == Order.Status.NOT_COLLECTED:
            last = _at(day, point.window_closes.strftime("%H:%M"), minutes=5)  # `mark_uncollected` after the window
            order.status = Order.Status.NOT_COLLECTED
            order.save(update_fields=["status", "updated_at"])
        elif status != Order.Status.PLACED:
            raise ValueError(f"Unknown order status in the demo data: {status!r}")
    _dated(Order, order.pk, created_at=placed_at, updated_at=last)

    if "feedback" in options:
        stars, comment = options["feedback"]
        feedback = services.feedback_leave(order_id=order.pk, user=user, stars=stars, comment=comment)
        _dated(Feedback, feedback.pk, created_at=min(last + timedelta(minutes=50), now))


# In this order, after `load_account_roles` (staff who take top-ups and hand meals over) and the stations.
LOADERS = [
    load_lunch_merchants,
    load_lunch_meals,
    load_lunch_points,
    load_lunch_policies,
    load_lunch_people,
    load_lunch_offers,
    load_lunch_orders,
]
