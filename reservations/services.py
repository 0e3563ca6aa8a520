"""Requesting, deciding and cancelling room reservations.

A request locks its room's row (FunctionArea) before it looks for overlaps, so
requests for one room are decided one at a time; on PostgreSQL an exclusion
constraint refuses an overlap whatever path writes it, and on SQLite every
transaction starts IMMEDIATE (settings), which serialises writers the same way.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
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
from reservations.models import ReservableArea, Reservation, ReservationQuota
from reservations.selectors import room_periods
from stations.hours import SHANGHAI, exceptions_window
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
    if not any(p_start <= start and end <= p_end for p_start, p_end in room_periods(station, reservable, start.date())):
        raise ReservationError(_("The room is not open for all of that time. Please choose a time within its opening hours."))
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
        if violates(exc, "reservation_no_overlap"):
            raise ReservationError(TAKEN) from exc
        raise


def check_quota(*, area, organisation, starts_at, ends_at, lock=True):
    """The organisation's hours this week at this station, the new request included, stay within its quota.

    Locks the organisation's row first, so two requests of one organisation (for different rooms) are
    counted one after the other. Runs inside the caller's transaction. `lock=False` only previews.
    """
    quotas = {q.organisation_id: q.hours_per_week for q in ReservationQuota.objects.filter(station_id=area.station_id)}
    limit = quotas.get(organisation.pk, quotas.get(None))
    if limit is None:
        return
    if lock:
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


@dataclass
class Occurrence:
    """One date of a request: the reservation made, or the reason it can't be (or couldn't be) made."""

    starts_at: datetime
    ends_at: datetime
    problem: str = ""
    reservation: Reservation | None = None

    @property
    def is_free(self):
        return not self.problem


def _reservable(area):
    try:
        return area.reservable
    except ReservableArea.DoesNotExist:
        raise ReservationError(_("This room is not open for reservations.")) from None


def _check_member(user, organisation):
    if organisation is not None and not Membership.objects.filter(
        user=user, organisation=organisation, verified_at__isnull=False
    ).exists():
        raise ReservationError(_("You can reserve on behalf of an organisation only once staff have verified you belong to it."))


def weekly_dates(starts_at, ends_at, weeks):
    """The same local time on `weeks` consecutive weeks (Shanghai has no daylight saving, but say so in the arithmetic)."""
    start, end = starts_at.astimezone(SHANGHAI), ends_at.astimezone(SHANGHAI)
    return [(start + timedelta(weeks=n), end + timedelta(weeks=n)) for n in range(weeks)]


def _validate_weeks(weeks):
    if not 1 <= weeks <= settings.RESERVATIONS_MAX_WEEKS:
        raise ReservationError(format_lazy(_("A weekly request runs for 1 to {n} weeks."), n=settings.RESERVATIONS_MAX_WEEKS))


def reservation_preview(*, area, user, starts_at, ends_at, weeks=1, attendees=1, organisation=None, now=None):
    """Each date of a (weekly) request with the problem it would meet now; holds nothing and locks nothing."""
    now = now or timezone.now()
    reservable = _reservable(area)
    _check_member(user, organisation)
    _validate_weeks(weeks)
    outcomes = []
    for start, end in weekly_dates(starts_at, ends_at, weeks):
        occurrence = Occurrence(start, end)
        try:
            check_request(area=area, reservable=reservable, starts_at=start, ends_at=end, attendees=attendees, now=now)
            if Reservation.objects.filter(area=area, status__in=Reservation.HOLDING, starts_at__lt=end, ends_at__gt=start).exists():
                raise ReservationError(TAKEN)
            if organisation is not None:
                check_quota(area=area, organisation=organisation, starts_at=start, ends_at=end, lock=False)
        except ReservationError as error:
            occurrence.problem = error.message
        outcomes.append(occurrence)
    return outcomes


def reservation_request_weekly(*, area, user, starts_at, ends_at, purpose, weeks=1, attendees=1, organisation=None, now=None):
    """Reserve the same time on `weeks` consecutive weeks: every date that is free is held, each as its own reservation.

    A date that breaks a rule or is taken (perhaps since the preview) is reported in its Occurrence and the
    others still go ahead; each date is tried in a savepoint, under the room's lock (and the organisation's,
    for its quota). Raises ReservationError only when no date at all could be held.
    """
    now = now or timezone.now()
    reservable = _reservable(area)
    _check_member(user, organisation)
    _validate_weeks(weeks)
    status = Reservation.Status.PENDING if reservable.needs_approval else Reservation.Status.APPROVED
    series = uuid.uuid4() if weeks > 1 else None
    outcomes = [Occurrence(start, end) for start, end in weekly_dates(starts_at, ends_at, weeks)]
    with transaction.atomic(durable=True):
        for occurrence in outcomes:
            try:
                check_request(area=area, reservable=reservable, starts_at=occurrence.starts_at, ends_at=occurrence.ends_at,
                              attendees=attendees, now=now)
                with transaction.atomic():
                    if organisation is not None:
                        check_quota(area=area, organisation=organisation, starts_at=occurrence.starts_at, ends_at=occurrence.ends_at)
                    occurrence.reservation = hold_slot(
                        area, user=user, organisation=organisation, starts_at=occurrence.starts_at, ends_at=occurrence.ends_at,
                        purpose=purpose.strip()[:200], attendees=attendees, status=status, series=series,
                    )
            except ReservationError as error:
                occurrence.problem = error.message
        held = [o.reservation for o in outcomes if o.reservation is not None]
        if not held:
            raise ReservationError(outcomes[0].problem if weeks == 1 else _("None of the dates could be reserved."))
        for reservation in held:
            audit_log(action=f"reservations.reservation.{status}", actor=user, target=reservation)
        when = _when(held[0])
        if len(held) > 1:
            when = format_lazy(_("{when}, weekly: {count} dates"), when=when, count=len(held))
        notify(
            recipient=user, kind=f"reservations.reservation.{status}",
            title=format_lazy(_("Reservation received: {room}") if status == Reservation.Status.PENDING
                              else _("Reservation confirmed: {room}"), room=area.display_name),
            body=format_lazy("{when}\n{more}", when=when, more=_("Station staff will look at it soon; the time is kept for you meanwhile.")
                             if status == Reservation.Status.PENDING else ""),
            url=reverse("reservations:mine"),
        )
    return outcomes


def _when(reservation):
    """"2026-12-03 14:00–15:30", in Shanghai time, for notifications."""
    start, end = reservation.starts_at.astimezone(SHANGHAI), reservation.ends_at.astimezone(SHANGHAI)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def reservation_request(*, area, user, starts_at, ends_at, purpose, attendees=1, organisation=None, now=None):
    """One reservation; raises ReservationError saying why it can't be made."""
    (occurrence,) = reservation_request_weekly(
        area=area, user=user, starts_at=starts_at, ends_at=ends_at, purpose=purpose, weeks=1,
        attendees=attendees, organisation=organisation, now=now,
    )
    return occurrence.reservation


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
        locked = Reservation.objects.select_for_update(of=("self",)).select_related("area__station").get(pk=reservation.pk)
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
            body=format_lazy("{when} · {station}\n{remark}", when=_when(locked), station=locked.area.station.name,
                             remark=locked.staff_remark),
            url=reverse("reservations:mine"),
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


def reservation_cancel_series(*, series, user, now=None):
    """Cancel every date of the person's weekly series that is still active and hasn't started; returns how many."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        dates = list(Reservation.objects.select_for_update().filter(
            series=series, user=user, status__in=Reservation.HOLDING, starts_at__gt=now,
        ))
        if not dates:
            raise ReservationError(_("None of these dates can still be cancelled."))
        Reservation.objects.filter(pk__in=[r.pk for r in dates]).update(status=Reservation.Status.CANCELLED, updated_at=now)
        for reservation in dates:
            audit_log(action="reservations.reservation.cancelled", actor=user, target=reservation)
    return len(dates)
