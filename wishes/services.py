"""Everything that changes a wish or a claim. Views, admin and tasks call these; none writes statuses itself.

Claiming is the scarce step: one claimer per wish, and at most WISHES_MAX_OPEN_CLAIMS open claims per
person. A claim locks the claimer's row first (so one person's claims are counted one at a time), then
the wish's row (so one wish is claimed once); the partial unique constraint `claim_one_live_per_wish`
backs the second rule whatever path writes a claim.

Lock order, the same in every service so two of them never wait for each other: person → wish → claim.
The locks are FOR NO KEY UPDATE of the row itself only (`of=("self",)`): PostgreSQL refuses FOR UPDATE on
the nullable side of an outer join (a wish's campaign, a claim's organisation), and a plain FOR UPDATE
on a person would also block every insert that merely refers to them (a notification to the claimer).

Every status change of a wish is recorded in WishEvent (who, when, from, to, why) and the audit log.
Notifications leave after commit (portal.notifications.notify).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal import scopes
from portal.audit import audit_log
from portal.db import violates
from portal.exceptions import PortalError
from portal.models import Membership, Organisation
from portal.notifications import notify
from stations.hours import local_now
from stations.selectors import station_staff_of
from stations.services import photo_copies
from wishes.models import Beneficiary, Claim, ClaimPhoto, HonourBoardOptOut, ServiceVisit, Wish, WishEvent, reminders_owed

MAX_REPORT_PHOTOS = 6
# Who may claim on behalf of a party organisation.
ACTING_ROLES = (Membership.Role.REPRESENTATIVE, Membership.Role.MANAGER)


class WishError(PortalError):
    """A wish rule was broken; the message says which."""


JUST_CLAIMED = _("Someone has just claimed this wish. Thank you all the same — there are other wishes waiting.")
NO_SUCH_WISH = _("There is no such wish.")
NO_LONGER_OPEN = _("This wish is no longer waiting to be claimed.")


# ---------------------------------------------------------------------------
# Who may claim


def party_memberships(user):
    """The person's verified memberships of party organisations."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(
        user=user, verified_at__isnull=False, organisation__kind=Organisation.Kind.PARTY, organisation__is_active=True,
    ).select_related("organisation")


def acting_organisations(user):
    """Party organisations the person may claim for (as a verified representative or manager)."""
    return Organisation.objects.filter(
        memberships__user=user, memberships__verified_at__isnull=False, memberships__role__in=ACTING_ROLES,
        kind=Organisation.Kind.PARTY, is_active=True,
    ).order_by("name").distinct()


def claim_refusal(user, wish=None):
    """Why this person can't claim (this wish) now, as a message — or None if they can."""
    if not getattr(user, "is_authenticated", False):
        return _("Log in to claim a wish.")
    if not party_memberships(user).exists():
        return _("Wishes are claimed by party members whose membership station staff have verified. "
                 "Add your party organisation on your profile page and ask your station to verify it.")
    if wish is not None and wish.status != Wish.Status.PUBLISHED:
        return NO_LONGER_OPEN
    if Claim.objects.filter(claimer=user, status__in=Claim.OPEN).count() >= settings.WISHES_MAX_OPEN_CLAIMS:
        return format_lazy(_("You already hold {n} open claims. Fulfil one of them before you claim another."),
                           n=settings.WISHES_MAX_OPEN_CLAIMS)
    return None


# ---------------------------------------------------------------------------
# Wish statuses


def _move(wish, to_status, *, actor, note=""):
    """Record one status change of a locked wish."""
    from_status = wish.status
    wish.status = to_status
    wish.save(update_fields=["status", "published_at", "expires_on", "alias", "updated_at"])
    WishEvent.objects.create(wish=wish, actor=actor if getattr(actor, "pk", None) else None,
                             from_status=from_status, to_status=to_status, note=str(note)[:300])
    audit_log(action=f"wishes.wish.{to_status}", actor=actor, target=wish, data={"from": from_status, "note": str(note)[:300]})


def _lock_wish(wish_id):
    """The wish's row, locked (see the lock order above); its beneficiary, station and campaign are read, not locked."""
    return Wish.objects.select_for_update(of=("self",), no_key=True).select_related("beneficiary", "station", "campaign").get(pk=wish_id)


def _lock_person(user):
    """The person's row, locked: their open claims are counted one transaction at a time."""
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()


def _check_staff(actor, obj):
    if not scopes.in_scope(actor, obj):
        raise PermissionDenied


def wish_create(*, beneficiary, station, title, category, actor, story="", estimated_value=0, campaign=None, alias="",
                recurrence="", people_served=1):
    """A new wish, as a draft. The alias defaults to the surname and form of address (胡阿姨)."""
    # Staff write wishes for the people and stations they look after only.
    _check_staff(actor, station)
    _check_staff(actor, beneficiary)
    with transaction.atomic():
        wish = Wish(beneficiary=beneficiary, station=station, title=title, category=category, story=story,
                    estimated_value=estimated_value, campaign=campaign, recurrence=recurrence, people_served=people_served,
                    alias=alias or beneficiary.default_alias(year=local_now().year))
        check_wish(wish)
        wish.save()
        WishEvent.objects.create(wish=wish, actor=actor, to_status=wish.status, note="")
        audit_log(action="wishes.wish.created", actor=actor, target=wish)
    return wish


def check_wish(wish):
    if wish.estimated_value < 0:
        raise WishError(_("The estimated value can't be negative."))
    if wish.people_served < 1:
        raise WishError(_("A wish serves at least one person."))
    if wish.estimated_value > settings.WISHES_MAX_VALUE:
        raise WishError(format_lazy(_("A micro-wish is worth at most ¥{n}."), n=settings.WISHES_MAX_VALUE))
    if wish.is_recurring and wish.category != Wish.Category.SERVICE:
        raise WishError(_("Only a service can repeat."))


def wish_submit(*, wish, actor):
    """Draft → waiting for review (a station worker asks the person in charge to check it)."""
    with transaction.atomic():
        locked = _lock_wish(wish.pk)
        _check_staff(actor, locked)
        if locked.status != Wish.Status.DRAFT:
            raise WishError(_("Only a draft can be sent for review."))
        _move(locked, Wish.Status.REVIEW, actor=actor)
    return locked


def beneficiary_consent_record(*, beneficiary, actor, on=None):
    """Record that the person agreed to their wishes being published (under an alias). False if recorded already."""
    if not scopes.in_scope(actor, beneficiary):
        raise PermissionDenied
    on = on or local_now().date()
    with transaction.atomic():
        updated = Beneficiary.objects.filter(pk=beneficiary.pk, consent_on__isnull=True).update(
            consent_on=on, consent_recorded_by=actor, updated_at=timezone.now())
        if updated:
            audit_log(action="wishes.beneficiary.consent", actor=actor, target=beneficiary, data={"on": on.isoformat()})
    return bool(updated)


def wish_publish(*, wish, actor, now=None):
    """Put a draft or reviewed wish on the wall — or an expired one back on it. Needs the beneficiary's recorded consent."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_wish(wish.pk)
        _check_staff(actor, locked)
        if locked.status not in (Wish.Status.DRAFT, Wish.Status.REVIEW, Wish.Status.EXPIRED):
            raise WishError(_("Only a draft, a wish waiting for review or an expired wish can be published."))
        if locked.status == Wish.Status.EXPIRED:
            locked.expires_on = None  # a fresh period on the wall
        if not locked.beneficiary.has_consent:
            raise WishError(_("Record the beneficiary's consent before the wish is published."))
        check_wish(locked)
        if not locked.alias:
            locked.alias = locked.beneficiary.default_alias(year=local_now(now).year)
        locked.published_at = now
        if locked.expires_on is None:
            campaign_end = locked.campaign.ends_on if locked.campaign else None
            default_end = (local_now(now) + timedelta(days=settings.WISHES_PUBLISHED_DAYS)).date()
            locked.expires_on = max(campaign_end, default_end) if campaign_end else default_end
        _move(locked, Wish.Status.PUBLISHED, actor=actor)
    return locked


def wish_withdraw(*, wish, actor, reason):
    """Take a wish off the wall (the person moved, the need is met otherwise…). Releases a live claim and tells its claimer."""
    if not str(reason).strip():
        raise WishError(_("Please say why the wish is withdrawn."))
    with transaction.atomic():
        locked = _lock_wish(wish.pk)
        _check_staff(actor, locked)
        if locked.status in (Wish.Status.FULFILLED, Wish.Status.WITHDRAWN):
            raise WishError(_("A fulfilled or withdrawn wish can't be withdrawn."))
        claim = (Claim.objects.select_for_update(of=("self",), no_key=True).filter(wish=locked, status__in=Claim.OPEN)
                 .select_related("claimer").first())
        if claim is not None:
            claim.wish = locked
            _release(claim, actor=actor, note=reason)
        _move(locked, Wish.Status.WITHDRAWN, actor=actor, note=reason)
    return locked


def expire_wishes(*, now=None):
    """Published wishes past their date that no one claimed become expired. Safe to run twice."""
    today = local_now(now).date()
    expired = 0
    for wish_id in Wish.objects.filter(status=Wish.Status.PUBLISHED, expires_on__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            locked = _lock_wish(wish_id)
            if locked.status == Wish.Status.PUBLISHED and locked.expires_on and locked.expires_on < today:
                _move(locked, Wish.Status.EXPIRED, actor=None, note=_("No one claimed it in time."))
                expired += 1
    return expired


# ---------------------------------------------------------------------------
# Claims


def _station_contact(station):
    contact = station.name
    if station.phone:
        contact += f" · {station.phone}"
    if station.address:
        contact += f" · {station.address}"
    return contact


def status_refusal(wish):
    """Why a wish that is not on the wall can't be claimed; drafts don't exist for the public."""
    if wish.status in (Wish.Status.CLAIMED, Wish.Status.REPORTED):
        return JUST_CLAIMED
    if wish.status in (Wish.Status.DRAFT, Wish.Status.REVIEW):
        return NO_SUCH_WISH
    return NO_LONGER_OPEN


def _claim_period(wish, now, *, months=None):
    """(deadline, commitment_until) of a new claim.

    A repeating service is fulfilled over the period its claimer commits to: its deadline is the end of that
    period, not WISHES_CLAIM_DAYS, or the sweep would remind and release a claimer in the middle of their visits.
    """
    deadline = now + timedelta(days=settings.WISHES_CLAIM_DAYS)
    if not wish.is_recurring:
        return deadline, None
    months = months or settings.WISHES_SERVICE_MONTHS
    if not 1 <= months <= 24:
        raise WishError(_("Commit to between 1 and 24 months."))
    period_end = now + timedelta(days=round(30.44 * months))
    return max(deadline, period_end), local_now(period_end).date()


def _claim_created_body(station, claim):
    return format_lazy(
        _("Please arrange the delivery with the station, which passes it on: {contact}. Fulfil it by {deadline}."),
        contact=_station_contact(station), deadline=f"{timezone.localtime(claim.deadline):%Y-%m-%d}",
    )


def wish_claim(*, wish_id, user, organisation=None, commitment_months=None, now=None):
    """The person (or their party organisation) pledges to fulfil a published wish.

    Locks the person's row, then the wish's: at most WISHES_MAX_OPEN_CLAIMS open claims each, one claimer per wish.
    (The claim page tells someone a wish is off the wall already, with `status_refusal`, before it gets here: a rush
    for one wish doesn't queue for nothing.)
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        _lock_person(user)
        refusal = claim_refusal(user)
        if refusal:
            raise WishError(refusal)
        if organisation is not None and not acting_organisations(user).filter(pk=organisation.pk).exists():
            raise WishError(_("Only a verified representative of a party organisation can claim on its behalf."))
        try:
            locked = _lock_wish(wish_id)
        except (Wish.DoesNotExist, ValueError, TypeError):
            raise WishError(NO_SUCH_WISH) from None
        if locked.status != Wish.Status.PUBLISHED:
            raise WishError(status_refusal(locked))
        deadline, commitment_until = _claim_period(locked, now, months=commitment_months)
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    wish=locked, claimer=user, organisation=organisation, commitment_until=commitment_until, deadline=deadline,
                )
        except IntegrityError as exc:
            # The constraint, should a path around the wish lock ever exist.
            if violates(exc, "claim_one_live_per_wish", "wishes_claim.wish_id"):
                raise WishError(JUST_CLAIMED) from exc
            raise
        who = organisation.name if organisation else (user.display_name or user.email)
        _move(locked, Wish.Status.CLAIMED, actor=user, note=format_lazy(_("Claimed by {who}"), who=who))
        notify(
            recipient=user, kind="wishes.claim.created",
            title=format_lazy(_("Thank you for claiming: {wish}"), wish=locked.title),
            body=_claim_created_body(locked.station, claim),
            url=reverse("wishes:mine"),
        )
        for staff in station_staff_of(locked.station):
            notify(recipient=staff, kind="wishes.claim.created.staff",
                   title=format_lazy(_("Wish claimed: {wish} ({alias})"), wish=locked.title, alias=locked.alias),
                   body=format_lazy(_("By {who}. Please arrange the delivery with them."), who=who),
                   url=reverse("admin:wishes_claim_change", args=[claim.pk]))
    return claim


def _lock_claim(claim_id, **filters):
    """Lock a claim's wish, then the claim (the lock order above). The claim's `wish` is the locked wish.

    Raises Claim.DoesNotExist if there is no claim `claim_id` matching `filters`.
    """
    wish_id = Claim.objects.filter(pk=claim_id, **filters).values_list("wish_id", flat=True).first()
    if wish_id is None:
        raise Claim.DoesNotExist
    wish = _lock_wish(wish_id)
    claim = Claim.objects.select_for_update(of=("self",), no_key=True).select_related("claimer", "organisation").get(pk=claim_id)
    claim.wish = wish
    return claim


def _photo_copies_or_refuse(upload):
    try:
        return photo_copies(upload)
    except ValidationError as exc:
        raise WishError(" ".join(exc.messages)) from None


def claim_report(*, claim_id, user, note, photos=(), now=None):
    """The claimer says the wish is fulfilled (a note, photos). The station then confirms or sends it back.

    Photos are kept as re-encoded JPEG copies without EXIF (a phone photo's EXIF may hold the beneficiary's
    home coordinates). A file that is not a usable photo is refused with a WishError before anything changes.
    """
    now = now or timezone.now()
    if not str(note).strip():
        raise WishError(_("Please say in a few words how the wish was fulfilled."))
    photos = list(photos)
    if len(photos) > MAX_REPORT_PHOTOS:
        raise WishError(format_lazy(_("At most {n} photos, please."), n=MAX_REPORT_PHOTOS))
    copies = [_photo_copies_or_refuse(upload) for upload in photos]
    with transaction.atomic(durable=True):
        try:
            claim = _lock_claim(claim_id, claimer=user)
        except (Claim.DoesNotExist, ValueError, TypeError):
            raise WishError(_("There is no such claim of yours.")) from None
        if claim.status != Claim.Status.ACTIVE:
            raise WishError(_("This claim is not waiting for a report."))
        wish = claim.wish
        claim.status, claim.report_note, claim.reported_at, claim.sent_back_note = Claim.Status.REPORTED, str(note).strip(), now, ""
        claim.save(update_fields=["status", "report_note", "reported_at", "sent_back_note", "updated_at"])
        for large, thumbnail in copies:
            name = uuid.uuid4().hex
            photo = ClaimPhoto(claim=claim)
            photo.image.save(f"{name}.jpg", ContentFile(large), save=False)
            photo.thumbnail.save(f"{name}.jpg", ContentFile(thumbnail), save=False)
            photo.save()
        _move(wish, Wish.Status.REPORTED, actor=user, note=str(note).strip()[:300])
        for staff in station_staff_of(wish.station):
            notify(recipient=staff, kind="wishes.claim.reported",
                   title=format_lazy(_("Fulfilment reported: {wish} ({alias})"), wish=wish.title, alias=wish.alias),
                   body=_("Please check with the beneficiary and confirm it, or send it back."),
                   url=reverse("admin:wishes_claim_change", args=[claim.pk]))
    return claim


def claim_confirm(*, claim, actor, now=None):
    """Station staff confirm the fulfilment: the wish is fulfilled."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_claim(claim.pk)
        wish = locked.wish
        _check_staff(actor, wish)
        if locked.status != Claim.Status.REPORTED:
            raise WishError(_("Only a reported fulfilment can be confirmed."))
        locked.status, locked.confirmed_at, locked.confirmed_by = Claim.Status.CONFIRMED, now, actor
        locked.save(update_fields=["status", "confirmed_at", "confirmed_by", "updated_at"])
        _move(wish, Wish.Status.FULFILLED, actor=actor)
        notify(recipient=locked.claimer, kind="wishes.claim.confirmed",
               title=format_lazy(_("Wish fulfilled: {wish}"), wish=wish.title),
               body=_("The station has confirmed it. Thank you for your kindness."), url=reverse("wishes:mine"))
    return locked


def claim_send_back(*, claim, actor, reason, now=None):
    """The report doesn't match what the station hears: back to the claimer, with the reason and at least a week more."""
    now = now or timezone.now()
    if not str(reason).strip():
        raise WishError(_("Please say why the report is sent back; the claimer will see it."))
    with transaction.atomic():
        locked = _lock_claim(claim.pk)
        wish = locked.wish
        _check_staff(actor, wish)
        if locked.status != Claim.Status.REPORTED:
            raise WishError(_("Only a reported fulfilment can be sent back."))
        locked.status, locked.sent_back_note = Claim.Status.ACTIVE, str(reason).strip()[:300]
        deadline = max(locked.deadline, now + timedelta(days=7))
        if deadline != locked.deadline:
            # A new deadline earns a new reminder.
            locked.deadline, locked.reminded_at, locked.reminders_sent = deadline, None, 0
        locked.save(update_fields=["status", "sent_back_note", "deadline", "reminded_at", "reminders_sent", "updated_at"])
        _move(wish, Wish.Status.CLAIMED, actor=actor, note=reason)
        notify(recipient=locked.claimer, kind="wishes.claim.sent_back",
               title=format_lazy(_("Please look at your report again: {wish}"), wish=wish.title),
               body=locked.sent_back_note, url=reverse("wishes:mine"))
    return locked


def _release(claim, *, actor, note):
    claim.status, claim.released_note = Claim.Status.RELEASED, str(note).strip()[:300]
    claim.save(update_fields=["status", "released_note", "updated_at"])
    audit_log(action="wishes.claim.released", actor=actor, target=claim, data={"note": claim.released_note})
    notify(recipient=claim.claimer, kind="wishes.claim.released",
           title=format_lazy(_("Your claim was released: {wish}"), wish=claim.wish.title),
           body=claim.released_note, url=reverse("wishes:mine"))


def _back_on_the_wall(wish, *, actor, note, now=None):
    """A released wish goes back on the wall, for at least WISHES_CLAIM_DAYS: its first days there may be long over."""
    at_least = (local_now(now) + timedelta(days=settings.WISHES_CLAIM_DAYS)).date()
    wish.expires_on = max(wish.expires_on, at_least) if wish.expires_on else at_least
    _move(wish, Wish.Status.PUBLISHED, actor=actor, note=note)


def claim_release(*, claim, actor, reason):
    """Staff take a claim back (the claimer can't make it); the wish goes back on the wall."""
    if not str(reason).strip():
        raise WishError(_("Please say why the claim is released; the claimer will see it."))
    with transaction.atomic():
        locked = _lock_claim(claim.pk)
        wish = locked.wish
        _check_staff(actor, wish)
        if locked.status not in Claim.OPEN:
            raise WishError(_("Only an open claim can be released."))
        _release(locked, actor=actor, note=reason)
        _back_on_the_wall(wish, actor=actor, note=reason)
    return locked


def claim_reassign(*, claim, actor, to_user, organisation=None, reason, now=None):
    """Staff hand an open claim to another verified party member (who agreed to it): one transaction, the wish never free."""
    now = now or timezone.now()
    if not str(reason).strip():
        raise WishError(_("Please say why the claim is handed on; both people will see it."))
    with transaction.atomic():
        _lock_person(to_user)
        locked = _lock_claim(claim.pk)
        wish = locked.wish
        _check_staff(actor, wish)
        if locked.status not in Claim.OPEN:
            raise WishError(_("Only an open claim can be handed on."))
        if locked.claimer_id == to_user.pk:
            raise WishError(_("That person holds the claim already."))
        refusal = claim_refusal(to_user)
        if refusal:
            raise WishError(refusal)
        if organisation is not None and not acting_organisations(to_user).filter(pk=organisation.pk).exists():
            raise WishError(_("Only a verified representative of a party organisation can claim on its behalf."))
        _release(locked, actor=actor, note=reason)
        deadline = now + timedelta(days=settings.WISHES_CLAIM_DAYS)
        if wish.is_recurring:  # the new claimer takes over the rest of the period
            deadline = max(deadline, locked.deadline)
        new = Claim.objects.create(wish=wish, claimer=to_user, organisation=organisation, commitment_until=locked.commitment_until,
                                   deadline=deadline)
        who = organisation.name if organisation else (to_user.display_name or to_user.email)
        _move(wish, Wish.Status.CLAIMED, actor=actor, note=format_lazy(_("Handed on to {who}: {reason}"), who=who, reason=reason))
        notify(recipient=to_user, kind="wishes.claim.created",
               title=format_lazy(_("A wish was handed on to you: {wish}"), wish=wish.title),
               body=_claim_created_body(wish.station, new),
               url=reverse("wishes:mine"))
    return new


def visit_record(*, claim, actor, on, people_served, note=""):
    """One occurrence of a repeating service (this month's foot care), by its claimer or the station's staff."""
    with transaction.atomic():
        locked = _lock_claim(claim.pk)
        if locked.claimer_id != actor.pk and not scopes.in_scope(actor, locked.wish):
            raise PermissionDenied
        if not locked.wish.is_recurring:
            raise WishError(_("Visits are recorded for repeating services only."))
        if locked.status != Claim.Status.ACTIVE:
            raise WishError(_("This claim is not active."))
        if on > local_now().date():
            raise WishError(_("A visit is recorded once it has taken place."))
        if not 1 <= people_served <= locked.wish.people_served:
            raise WishError(format_lazy(_("Between 1 and {n} people."), n=locked.wish.people_served))
        try:
            with transaction.atomic():
                visit = ServiceVisit.objects.create(claim=locked, on=on, people_served=people_served, note=str(note)[:300],
                                                    recorded_by=actor)
        except IntegrityError:
            raise WishError(_("A visit on that day is recorded already.")) from None
        audit_log(action="wishes.visit.recorded", actor=actor, target=visit)
    return visit


def wish_record_thanks(*, wish, actor, note, public):
    """The beneficiary's thank-you note, as staff wrote it down; public only if the beneficiary agreed."""
    with transaction.atomic():
        locked = _lock_wish(wish.pk)
        _check_staff(actor, locked)
        if locked.status != Wish.Status.FULFILLED:
            raise WishError(_("A thank-you note is recorded once the wish is fulfilled."))
        locked.thanks_note, locked.thanks_is_public = str(note).strip(), bool(public) and bool(str(note).strip())
        locked.save(update_fields=["thanks_note", "thanks_is_public", "updated_at"])
        audit_log(action="wishes.wish.thanks", actor=actor, target=locked)
    return locked


def claim_photo_publish(*, photo, actor, public):
    """Staff decide whether a fulfilment photo may be shown on the wall; only photos of a live report can be."""
    if not scopes.in_scope(actor, photo.claim.wish):
        raise PermissionDenied
    if public and photo.claim.status not in (Claim.Status.REPORTED, Claim.Status.CONFIRMED):
        raise WishError(_("Only photos of a reported or confirmed fulfilment can be shown publicly."))
    ClaimPhoto.objects.filter(pk=photo.pk).update(is_public=bool(public))
    audit_log(action="wishes.photo.public" if public else "wishes.photo.private", actor=actor, target=photo)


def remind_deadlines(*, now=None):
    """Remind claimers who have reported nothing yet, once for each of settings.WISHES_REMIND_DAYS before the deadline
    (3 and 1 days by default); the first reminder also tells the station's staff, so they can step in. A sweep that
    comes late sends one reminder, not those it missed. Safe to run twice, or twice at once: the claim row is locked and
    the count of reminders sent re-checked.
    """
    now = now or timezone.now()
    if not settings.WISHES_REMIND_DAYS:
        return 0
    owed = Q()
    for sent, days in enumerate(settings.WISHES_REMIND_DAYS):
        owed |= Q(reminders_sent__lte=sent, deadline__lte=now + timedelta(days=days))
    due = Claim.objects.filter(owed, status=Claim.Status.ACTIVE, deadline__gt=now).values_list("pk", flat=True)
    reminded = 0
    for claim_id in due:
        with transaction.atomic():
            claim = Claim.objects.select_for_update(of=("self",), no_key=True, skip_locked=True).select_related(
                "wish__station", "claimer").filter(pk=claim_id, status=Claim.Status.ACTIVE).first()
            if claim is None:
                continue
            first, owed_now = claim.reminders_sent == 0, reminders_owed(claim.deadline, now)
            if claim.reminders_sent >= owed_now:
                continue
            claim.reminded_at, claim.reminders_sent = now, owed_now
            claim.save(update_fields=["reminded_at", "reminders_sent", "updated_at"])
            deadline = f"{timezone.localtime(claim.deadline):%Y-%m-%d}"
            notify(recipient=claim.claimer, kind="wishes.claim.reminder",
                   title=format_lazy(_("Please fulfil by {deadline}: {wish}"), wish=claim.wish.title, deadline=deadline),
                   body=_("If you can't make it, tell the station: they will find someone else. When it is done, report it on My wishes."),
                   url=reverse("wishes:mine"))
            if first:
                who = claim.claimer.display_name or claim.claimer.email
                for staff in station_staff_of(claim.wish.station):
                    notify(recipient=staff, kind="wishes.claim.reminder.staff",
                           title=format_lazy(_("Due by {deadline}, nothing reported yet: {wish} ({alias})"), wish=claim.wish.title,
                                             alias=claim.wish.alias, deadline=deadline),
                           body=format_lazy(_("Claimed by {who}. You may want to ask how it is going, or hand it on."), who=who),
                           url=reverse("admin:wishes_claim_change", args=[claim.pk]))
            reminded += 1
    return reminded


def release_overdue_claims(*, now=None):
    """On the deadline, a claim with nothing reported is released and the wish goes back on the wall; the claimer and
    the station's staff are told. Safe to run twice: the wish and claim are locked and the claim re-checked.
    """
    now = now or timezone.now()
    released = 0
    overdue = Claim.objects.filter(status=Claim.Status.ACTIVE, deadline__lte=now).values_list("pk", flat=True)
    for claim_id in overdue:
        with transaction.atomic():
            claim = _lock_claim(claim_id)
            if claim.status != Claim.Status.ACTIVE or claim.deadline > now:
                continue
            wish = claim.wish
            note = _("Not fulfilled by the deadline.")
            _release(claim, actor=None, note=note)
            _back_on_the_wall(wish, actor=None, note=note, now=now)
            for staff in station_staff_of(wish.station):
                notify(recipient=staff, kind="wishes.claim.released.staff",
                       title=format_lazy(_("Claim released at its deadline: {wish} ({alias})"), wish=wish.title, alias=wish.alias),
                       body=_("Nothing was reported in time; the wish is back on the wall."),
                       url=reverse("admin:wishes_claim_change", args=[claim.pk]))
            released += 1
    return released


def honour_board_opt(*, user, show):
    if show:
        HonourBoardOptOut.objects.filter(user=user).delete()
    else:
        HonourBoardOptOut.objects.get_or_create(user=user)
