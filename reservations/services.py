"""Requesting, deciding and cancelling room reservations.

A request locks its room's row (FunctionArea) before it looks for overlaps, so
requests for one room are decided one at a time; on PostgreSQL an exclusion
constraint refuses an overlap whatever path writes it, and on SQLite every
transaction starts IMMEDIATE (settings), which serialises writers the same way.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal import scopes
from portal.audit import audit_log
from portal.exceptions import PortalError
from portal.models import Membership, Organisation
from portal.notifications import notify
from reservations.models import ReservableArea, Reservation, ReservationQuota
from stations.hours import SHANGHAI, exceptions_window, periods_on
from stations.models import FunctionArea, OpeningException, Station


class ReservationError(PortalError):
    """A reservation rule was broken; the message says which."""


TAKEN = _("That time is already taken. Please choose another free slot.")


def _station_with_hours(station_id, day):
    start, end = exceptions_window(day)
    return Station.objects.prefetch_related(
        "opening_hours", Prefetch("opening_exceptions", queryset=OpeningException.objects.filter(date__range=(start, end)))
    ).get(pk=station_id)


def check_request(*, area, reservable, starts_at, ends_at, attendees, now):
    """Every rule a request must meet before it can hold a slot; raises ReservationError with the first one broken."""
    start, end = starts_at.astimezone(SHANGHAI), ends_at.astimezone(SHANGHAI)
    if end <= start:
        raise ReservationError(_("The end must be after the start."))
    if starts_at <= now:
        raise ReservationError(_("A reservation can't start in the past."))
    if start.date() > (now.astimezone(SHANGHAI) + timedelta(days=reservable.max_days_ahead)).date():
        raise ReservationError(format_lazy(_("Rooms can be reserved at most {n} days ahead."), n=reservable.max_days_ahead))
    minutes = (end - start).total_seconds() / 60
    if minutes < reservable.min_minutes:
        raise ReservationError(format_lazy(_("The shortest reservation is {n} minutes."), n=reservable.min_minutes))
    if minutes > reservable.max_minutes:
        raise ReservationError(format_lazy(_("The longest reservation is {n} minutes."), n=reservable.max_minutes))
    slot = reservable.slot_minutes
    for moment in (start, end):
        if moment.second or moment.microsecond or (moment.hour * 60 + moment.minute) % slot:
            raise ReservationError(format_lazy(_("Reservations start and end in steps of {n} minutes from the full hour, e.g. 14:00."), n=slot))
    station = _station_with_hours(area.station_id, start.date())
    if not any(p_start <= start and end <= p_end for p_start, p_end in periods_on(station, start.date())):
        raise ReservationError(_("The station is not open for all of that time. Please choose a time within its opening hours."))
    if area.capacity and attendees > area.capacity:
        raise ReservationError(format_lazy(_("This room holds at most {n} people."), n=area.capacity))
    if attendees < 1:
        raise ReservationError(_("At least one person must attend."))


def hold_slot(area, **fields):
    """Create a reservation that holds its slot, under the room's lock. Runs inside the caller's transaction."""
    FunctionArea.objects.select_for_update().get(pk=area.pk)
    clash = Reservation.objects.filter(
        area=area, status__in=Reservation.HOLDING, starts_at__lt=fields["ends_at"], ends_at__gt=fields["starts_at"]
    ).exists()
    if clash:
        raise ReservationError(TAKEN)
    try:
        with transaction.atomic():  # a savepoint: the exclusion constraint's refusal stays a friendly message
            return Reservation.objects.create(area=area, **fields)
    except IntegrityError as exc:
        if "reservation_no_overlap" in str(exc):
            raise ReservationError(TAKEN) from exc
        raise


def check_quota(*, area, organisation, starts_at, ends_at):
    """The organisation's hours this week at this station, the new request included, stay within its quota.

    Locks the organisation's row first, so two requests of one organisation (for different rooms) are
    counted one after the other. Runs inside the caller's transaction.
    """
    quotas = {q.organisation_id: q.hours_per_week for q in ReservationQuota.objects.filter(station_id=area.station_id)}
    limit = quotas.get(organisation.pk, quotas.get(None))
    if limit is None:
        return
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    local = starts_at.astimezone(SHANGHAI)
    week_start = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    week_end = week_start + timedelta(days=7)
    taken = Reservation.objects.filter(
        organisation=organisation, area__station_id=area.station_id, status__in=Reservation.HOLDING,
        starts_at__gte=week_start, starts_at__lt=week_end,
    ).values_list("starts_at", "ends_at")
    hours = sum((end - start).total_seconds() for start, end in taken) / 3600 + (ends_at - starts_at).total_seconds() / 3600
    if hours > limit:
        raise ReservationError(format_lazy(
            _("{org} may reserve at most {limit} hours a week at this station; this request would make it {hours:g}."),
            org=organisation.name, limit=limit, hours=hours,
        ))


def reservation_request(*, area, user, starts_at, ends_at, purpose, attendees=1, organisation=None, now=None):
    now = now or timezone.now()
    try:
        reservable = area.reservable
    except ReservableArea.DoesNotExist:
        raise ReservationError(_("This room is not open for reservations.")) from None
    if organisation is not None and not Membership.objects.filter(
        user=user, organisation=organisation, verified_at__isnull=False
    ).exists():
        raise ReservationError(_("You can reserve on behalf of an organisation only once staff have verified you belong to it."))
    check_request(area=area, reservable=reservable, starts_at=starts_at, ends_at=ends_at, attendees=attendees, now=now)
    status = Reservation.Status.PENDING if reservable.needs_approval else Reservation.Status.APPROVED
    with transaction.atomic(durable=True):
        if organisation is not None:
            check_quota(area=area, organisation=organisation, starts_at=starts_at, ends_at=ends_at)
        reservation = hold_slot(
            area, user=user, organisation=organisation, starts_at=starts_at, ends_at=ends_at,
            purpose=purpose.strip()[:200], attendees=attendees, status=status,
        )
        audit_log(action=f"reservations.reservation.{status}", actor=user, target=reservation)
        notify(
            recipient=user, kind=f"reservations.reservation.{status}",
            title=format_lazy(_("Reservation received: {room}") if status == Reservation.Status.PENDING
                              else _("Reservation confirmed: {room}"), room=area.display_name),
            body=_("Station staff will look at it soon; the time is kept for you meanwhile.")
            if status == Reservation.Status.PENDING else "",
        )
    return reservation


def reservation_block(*, area, starts_at, ends_at, actor, reason):
    """Staff keep a slot free of reservations (maintenance, a station event)."""
    if not scopes.in_scope(actor, area.station):
        raise PermissionDenied
    if ends_at <= starts_at:
        raise ReservationError(_("The end must be after the start."))
    with transaction.atomic():
        block = hold_slot(area, user=actor, starts_at=starts_at, ends_at=ends_at, purpose=reason[:200], attendees=1,
                      status=Reservation.Status.APPROVED, is_block=True, decided_by=actor, decided_at=timezone.now())
        audit_log(action="reservations.reservation.blocked", actor=actor, target=block)
    return block


def reservation_decide(*, reservation, actor, approve, remark="", now=None):
    now = now or timezone.now()
    if not scopes.in_scope(actor, reservation.area.station):
        raise PermissionDenied
    if not approve and not remark.strip():
        raise ReservationError(_("Please give the reason for the rejection; the requester will see it."))
    with transaction.atomic():
        locked = Reservation.objects.select_for_update().select_related("area").get(pk=reservation.pk)
        if locked.status != Reservation.Status.PENDING:
            raise ReservationError(_("Only a reservation waiting for approval can be approved or rejected."))
        locked.status = Reservation.Status.APPROVED if approve else Reservation.Status.REJECTED
        locked.staff_remark, locked.decided_by, locked.decided_at = remark.strip()[:200], actor, now
        locked.save(update_fields=["status", "staff_remark", "decided_by", "decided_at", "updated_at"])
        audit_log(action=f"reservations.reservation.{locked.status}", actor=actor, target=locked)
        notify(
            recipient=locked.user, kind=f"reservations.reservation.{locked.status}",
            title=format_lazy(_("Reservation approved: {room}") if approve else _("Reservation not approved: {room}"),
                              room=locked.area.display_name),
            body=locked.staff_remark,
        )
    return locked


def reservation_cancel(*, reservation_id, user, now=None):
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        reservation = Reservation.objects.select_for_update().filter(pk=reservation_id, user=user).first()
        if reservation is None:
            raise ReservationError(_("There is no such reservation of yours."))
        if reservation.status not in Reservation.HOLDING:
            raise ReservationError(_("This reservation is no longer active."))
        if reservation.starts_at <= now:
            raise ReservationError(_("A reservation can be cancelled until it starts."))
        reservation.status = Reservation.Status.CANCELLED
        reservation.save(update_fields=["status", "updated_at"])
        audit_log(action="reservations.reservation.cancelled", actor=user, target=reservation)
    return reservation
