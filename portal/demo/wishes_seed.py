"""Loaders for the demo micro-wishes (`portal.demo.wishes_data`): a wish-tree campaign of 周家桥街道 and
two dozen wishes at several stations, in every status.

Appended to `portal.demo.seed.LOADERS`, after the accounts and their memberships (the claimers are the
verified party members member@, rep-fuyou@ and rep-yashi@).

Natural keys: a beneficiary is found by (station, full name), a wish by (station, title), the campaign
by (street, name), an organisation's target by (campaign, organisation). Descriptive fields are brought
back to the data on every run, like the rest of the seed; dates relative to the day of the run (consent,
the campaign's dates) are set when the row is made and then left alone, so a run on a later day changes
nothing. A wish is taken through its steps only when the run creates it; one that exists already keeps
whatever status the demo or the admin has moved it to since.

The steps go through `wishes.services` wherever the seed's one transaction allows it: `wish_create`,
`wish_submit`, `wish_publish` (which refuses a beneficiary without consent — that wish stays a draft),
`wish_withdraw`, `visit_record`, `wish_record_thanks`, and `expire_wishes` for the wish published too long
ago. Claiming and reporting (`wish_claim`, `claim_report`) open durable transactions and have no
in-transaction core, so their rows are written here as the services write them — after the same
checks (`claim_refusal`, `acting_organisations`): the Claim, the wish's new status, a WishEvent and the
audit entry. The station's confirmation is written the same way rather than through `claim_confirm`,
so that, as in the rest of the demo, no demo person gets a notification (or an e-mail) for the demo's
history. Each step's time is then set to its planned day, so the history, the claim dates and the
deadlines read like a real month: open claims have their deadline ahead of them.

The monthly foot-care claim is older than the 14 days a claim has to be fulfilled: a repeating service
is fulfilled visit by visit over its committed period. Its deadline is left where the service puts it
and its reminder is marked as sent, so the deadline sweep doesn't remind anyone about it.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_log
from portal.demo import wishes_data as content
from stations.hours import local_now
from wishes import services
from wishes.models import Beneficiary, Campaign, CampaignTarget, Claim, ServiceVisit, Wish, WishEvent, reminders_as_if_swept

# The hour of day each kind of step happens at, so the history reads in a sensible order.
HOURS = {
    "created": 9,
    "submitted": 10,
    "published": 11,
    "claimed": 14,
    "visit": 15,
    "reported": 16,
    "confirmed": 10,
    "thanks": 11,
    "withdrawn": 15,
    "expired": 2,
}


def _day(offset):
    return timezone.localdate() + timedelta(days=offset)


def _at(offset, step):
    """The moment of a step `offset` days from today; never later than now."""
    moment = timezone.make_aware(datetime.combine(_day(offset), time(HOURS[step])))
    return min(moment, timezone.now())


def staff_for(ctx, slug):
    return ctx.user(content.STAFF.get(slug, content.DEFAULT_STAFF))


# ---------------------------------------------------------------------------


def load_wish_campaign(ctx):
    spec = content.CAMPAIGN
    created_before = ctx.created[Campaign]
    campaign = ctx.upsert(
        Campaign,
        {"street": ctx.street(spec["street"]), "name": spec["name"]},
        {"target_wishes": spec["target_wishes"], "description": spec["description"]},
        on_create={"starts_on": _day(spec["starts"]), "ends_on": _day(spec["ends"])},
    )
    linked = set(campaign.stations.values_list("slug", flat=True))
    missing = [ctx.station(slug) for slug in spec["stations"] if slug not in linked]
    if missing:
        campaign.stations.add(*missing)
        if ctx.created[Campaign] == created_before:
            ctx.updated[Campaign] += 1
    for organisation, wishes in spec["targets"]:
        ctx.upsert(CampaignTarget, {"campaign": campaign, "organisation": ctx.organisation(*organisation)}, {"wishes": wishes})
    ctx.wish_campaign = campaign


def load_beneficiaries(ctx):
    ctx.beneficiaries = {}
    for spec in content.BENEFICIARIES:
        station = ctx.station(spec["station"])
        consent = {}
        if spec["consent"] is not None:
            consent = {"consent_on": _day(spec["consent"]), "consent_recorded_by": staff_for(ctx, spec["station"])}
        ctx.beneficiaries[(spec["station"], spec["full_name"])] = ctx.upsert(
            Beneficiary,
            {"station": station, "full_name": spec["full_name"]},
            {
                "gender": spec["gender"],
                "birth_year": spec["birth_year"],
                "neighbourhood": ctx.neighbourhood(*spec["neighbourhood"]),
                "address": spec["address"],
                "phone": spec["phone"],
                "hardship": spec["hardship"],
                "notes": spec.get("notes", ""),
            },
            on_create=consent,
        )


def _descriptive(ctx, spec):
    return {
        "campaign": ctx.wish_campaign if spec["campaign"] else None,
        "story": spec["story"],
        "category": spec["category"],
        "estimated_value": Decimal(spec["value"]),
        "recurrence": spec.get("recurrence", ""),
        "people_served": spec.get("people_served", 1),
    }


def load_wishes(ctx):
    made = (Wish, WishEvent, Claim, ServiceVisit)
    for model in made:
        ctx.touch(model)
    before = {model: model.objects.count() for model in made}
    made_now, expiring = set(), False
    for spec in content.WISHES:
        station = ctx.station(spec["station"])
        values = _descriptive(ctx, spec)
        if Wish.objects.filter(station=station, title=spec["title"]).exists():
            ctx.upsert(Wish, {"station": station, "title": spec["title"]}, values)
            continue
        made_now.add(_build(ctx, spec, station, values).pk)
        expiring = expiring or spec["status"] == Wish.Status.EXPIRED
    if expiring:
        ctx.updated[Wish] += _expire(made_now)
    for model in made:
        ctx.created[model] += model.objects.count() - before[model]


def _build(ctx, spec, station, values):
    """Make one wish and take it through the steps of its plan."""
    plan, staff = spec["plan"], staff_for(ctx, spec["station"])
    beneficiary = ctx.beneficiaries[(spec["station"], spec["beneficiary"])]
    wish = services.wish_create(beneficiary=beneficiary, station=station, title=spec["title"], actor=staff, alias=spec.get("alias", ""), **values)
    _dated(wish, _at(plan["created"], "created"))
    if "submitted" in plan:
        wish = services.wish_submit(wish=wish, actor=staff)
        _dated(wish, _at(plan["submitted"], "submitted"))
    if "published" in plan:
        if not beneficiary.has_consent:
            raise ValueError(f"The demo wish {spec['title']!r} is to be published, but its beneficiary gave no consent.")
        when = _at(plan["published"], "published")
        wish = services.wish_publish(wish=wish, actor=staff, now=when)
        _dated(wish, when)
    if "withdrawn" in plan:
        wish = services.wish_withdraw(wish=wish, actor=staff, reason=plan["reason"])
        _dated(wish, _at(plan["withdrawn"], "withdrawn"))
    if "claim" in plan:
        _claim_steps(ctx, wish, plan["claim"], staff)
    if "thanks" in spec:
        wish.refresh_from_db()
        services.wish_record_thanks(wish=wish, actor=staff, note=spec["thanks"]["note"], public=spec["thanks"]["public"])
    # The row's own timestamps: made on its first day, last changed on its last step.
    last = WishEvent.objects.filter(wish=wish).order_by("-at", "-pk").values_list("at", flat=True).first()
    Wish.objects.filter(pk=wish.pk).update(created_at=_at(plan["created"], "created"), updated_at=last)
    return wish


def _dated(wish, when):
    """Move the wish's newest history entry to the moment it stands for."""
    newest = WishEvent.objects.filter(wish=wish).order_by("-pk").values_list("pk", flat=True).first()
    WishEvent.objects.filter(pk=newest).update(at=when)


def _move(wish, to_status, *, actor, at, note=""):
    """A status change as `wishes.services` records it: the wish, a WishEvent and the audit entry."""
    from_status = wish.status
    wish.status = to_status
    wish.save(update_fields=["status", "updated_at"])
    event = WishEvent.objects.create(wish=wish, actor=actor, from_status=from_status, to_status=to_status, note=str(note)[:300])
    WishEvent.objects.filter(pk=event.pk).update(at=at)
    audit_log(action=f"wishes.wish.{to_status}", actor=actor, target=wish, data={"from": from_status, "note": str(note)[:300]})


def _claim_steps(ctx, wish, spec, staff):
    user = ctx.user(spec["by"])
    organisation = ctx.organisation(*spec["for"]) if spec.get("for") else None
    claimed_at = _at(spec["on"], "claimed")
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    # The rules `wish_claim` checks, so the demo never holds a claim the site would refuse.
    refusal = services.claim_refusal(user, wish)
    if refusal is None and organisation is not None and not services.acting_organisations(user).filter(pk=organisation.pk).exists():
        refusal = _("Only a verified representative of a party organisation can claim on its behalf.")
    if refusal is not None:
        raise ValueError(f"The demo claim of {wish.title!r} by {user.email} breaks a rule: {refusal}")
    commitment_until = None
    if wish.is_recurring:
        months = spec.get("months") or settings.WISHES_SERVICE_MONTHS
        commitment_until = (local_now(claimed_at) + timedelta(days=round(30.44 * months))).date()
    claim = Claim.objects.create(
        wish=wish,
        claimer=user,
        organisation=organisation,
        commitment_until=commitment_until,
        deadline=claimed_at + timedelta(days=settings.WISHES_CLAIM_DAYS),
    )
    who = organisation.name if organisation else (user.display_name or user.email)
    _move(wish, Wish.Status.CLAIMED, actor=user, at=claimed_at, note=format_lazy(_("Claimed by {who}"), who=who))
    last = claimed_at

    for day, people, note, by in spec.get("visits", ()):
        visit = services.visit_record(claim=claim, actor=ctx.user(by), on=_day(day), people_served=people, note=note)
        last = _at(day, "visit")
        ServiceVisit.objects.filter(pk=visit.pk).update(created_at=last)
    if wish.is_recurring:
        claim.reminded_at, claim.reminders_sent = reminders_as_if_swept(claim.deadline, timezone.now())
        claim.save(update_fields=["reminders_sent", "reminded_at", "updated_at"])

    if "reported" in spec:
        last = _at(spec["reported"], "reported")
        claim.status, claim.report_note, claim.reported_at = Claim.Status.REPORTED, spec["report"], last
        claim.save(update_fields=["status", "report_note", "reported_at", "updated_at"])
        _move(wish, Wish.Status.REPORTED, actor=user, at=last, note=spec["report"][:300])
    if "confirmed" in spec:
        last = _at(spec["confirmed"], "confirmed")
        claim.status, claim.confirmed_at, claim.confirmed_by = Claim.Status.CONFIRMED, last, staff
        claim.save(update_fields=["status", "confirmed_at", "confirmed_by", "updated_at"])
        _move(wish, Wish.Status.FULFILLED, actor=staff, at=last)
    Claim.objects.filter(pk=claim.pk).update(created_at=claimed_at, updated_at=last)


def _expire(made_now):
    """The deadline sweep's own step: published wishes past their date become expired.

    Returns how many of them this run did not make (those count as updated, not new).
    """
    due = dict(Wish.objects.filter(status=Wish.Status.PUBLISHED, expires_on__lt=timezone.localdate()).values_list("pk", "expires_on"))
    services.expire_wishes()
    for pk, expires_on in due.items():
        # The sweep runs in the night after the last day.
        moment = timezone.make_aware(datetime.combine(expires_on + timedelta(days=1), time(HOURS["expired"])))
        event = WishEvent.objects.filter(wish_id=pk, to_status=Wish.Status.EXPIRED).order_by("-pk").first()
        if event is not None and pk in made_now:
            WishEvent.objects.filter(pk=event.pk).update(at=min(moment, timezone.now()))
    return len(set(due) - made_now)


# In this order, after `load_account_roles` (claimers and staff) and the stations.
LOADERS = [
    load_wish_campaign,
    load_beneficiaries,
    load_wishes,
]
