"""Activity delivery (活动配送): an enterprise asks a station for an activity for its staff; station staff answer.

Only a verified representative or manager of the enterprise may ask. The station's
staff and the administrators of its street are told, and answer in the admin:
accepting creates a published event that only the enterprise's verified members
may book (Event.private_for, checked by booking_create) and that the public list
leaves out; declining needs a remark the enterprise can read. Both answers are
told to the person who asked. Who may answer is the staff scope of the request's
station (ActivityRequest is registered in events.admin_delivery).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from events.models import ActivityRequest, Event
from events.services import EventError
from portal import scopes
from portal.audit import audit_log
from portal.models import Membership, Organisation
from portal.notifications import notify
from stations.selectors import station_staff_of

CONTACT_ROLES = (Membership.Role.REPRESENTATIVE, Membership.Role.MANAGER)


def contact_enterprises(user):
    """The active enterprises `user` may ask activities for: verified representative or manager."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        kind=Organisation.Kind.ENTERPRISE,
        is_active=True,
        memberships__user=user,
        memberships__role__in=CONTACT_ROLES,
        memberships__verified_at__isnull=False,
    ).order_by("name")


def _admin_url(activity_request):
    try:
        return reverse("admin:events_activityrequest_change", args=[activity_request.pk])
    except NoReverseMatch:  # the admin module isn't loaded (a management command without admin): staff find it in the list
        return ""


def _list_url():
    return reverse("events_delivery:list")


def _check_may_answer(actor, activity_request):
    if not scopes.in_scope(actor, activity_request):
        raise PermissionDenied(_("This request is for a station you don't look after."))


def _lock_pending(activity_request_id):
    """Lock the request row for the rest of the transaction and make sure nobody answered it meanwhile."""
    locked = ActivityRequest.objects.select_for_update().get(pk=activity_request_id)
    if locked.status == ActivityRequest.Status.WITHDRAWN:
        raise EventError(_("The enterprise has withdrawn this request."))
    if locked.status != ActivityRequest.Status.PENDING:
        raise EventError(_("This request has already been answered."))
    return locked


def activity_request_create(*, user, organisation, station, kind, preferred_dates, headcount, details=""):
    """Ask `station` to deliver an activity to `organisation`; its staff are told after commit."""
    if organisation.kind != Organisation.Kind.ENTERPRISE:
        raise EventError(_("Activities are delivered to enterprises only."))
    if not contact_enterprises(user).filter(pk=organisation.pk).exists():
        raise EventError(_("Only a verified representative or manager of the enterprise can request an activity for it."))
    if not station.is_active:
        raise EventError(_("This station is closed. Please choose another one."))
    if kind not in ActivityRequest.Kind.values:
        raise EventError(_("Choose the kind of activity."))
    preferred_dates = (preferred_dates or "").strip()
    if not preferred_dates:
        raise EventError(_("Tell the station which dates suit you."))
    if headcount is None or headcount < 1:
        raise EventError(_("Expect at least one person."))

    with transaction.atomic(durable=True):
        activity_request = ActivityRequest.objects.create(
            organisation=organisation, requested_by=user, station=station, kind=kind,
            preferred_dates=preferred_dates, headcount=headcount, details=(details or "").strip(),
        )
        url = _admin_url(activity_request)
        for staff in station_staff_of(station):
            notify(
                recipient=staff, kind="events.delivery.requested",
                title=format_lazy(_("Activity request from {enterprise}"), enterprise=organisation.name),
                body=format_lazy(
                    _("{kind} for about {n} people at {station}. Preferred dates: {dates}"),
                    kind=activity_request.get_kind_display(), n=headcount, station=station.name, dates=preferred_dates,
                ),
                url=url,
            )
        audit_log(action="events.activity_request.created", actor=user, target=activity_request,
                  data={"station": station.pk, "kind": kind, "headcount": headcount})
    return activity_request


def activity_request_accept(*, request, actor, title, starts_at, ends_at, capacity, function_area=None, description="", remark="", now=None):
    """Accept a pending request: create the enterprise's private, published event and tell the person who asked.

    `request` is the ActivityRequest (the name the callers use), not an HTTP request.
    """
    now = now or timezone.now()
    _check_may_answer(actor, request)
    title = (title or "").strip()
    if not title:
        raise EventError(_("Give the event a title."))
    if ends_at <= starts_at:
        raise EventError(_("The event must end after it starts."))
    if starts_at <= now:
        raise EventError(_("The event must start in the future."))
    if capacity is None or capacity < 1:
        raise EventError(_("An event needs at least one seat."))
    if function_area is not None and function_area.station_id != request.station_id:
        raise EventError(_("Choose a room of the requested station."))

    with transaction.atomic(durable=True):
        locked = _lock_pending(request.pk)
        event = Event.objects.create(
            station_id=locked.station_id, function_area=function_area, title=title, description=(description or "").strip(),
            category=Event.Category.DELIVERY, audience=Event.Audience.OFFICE_WORKERS,
            starts_at=starts_at, ends_at=ends_at, capacity=capacity,
            status=Event.Status.PUBLISHED, private_for_id=locked.organisation_id,
        )
        locked.status = ActivityRequest.Status.ACCEPTED
        locked.event = event
        locked.staff_remark = (remark or "").strip()
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["status", "event", "staff_remark", "decided_by", "decided_at", "updated_at"])
        body = format_lazy(
            _("{when} at {station}. Your colleagues who are verified members of {enterprise} on the portal can book a seat on the event page."),
            when=date_format(timezone.localtime(starts_at), "DATETIME_FORMAT"), station=locked.station.name,
            enterprise=locked.organisation.name,
        )
        if locked.staff_remark:
            body = format_lazy(_("{body} Note from the station: {remark}"), body=body, remark=locked.staff_remark)
        notify(
            recipient=locked.requested_by, kind="events.delivery.accepted",
            title=format_lazy(_("Your activity request was accepted: {title}"), title=title),
            body=body, url=reverse("events:detail", args=[event.pk]),
        )
        audit_log(action="events.activity_request.accepted", actor=actor, target=locked, data={"event": event.pk})
    return locked


def activity_request_decline(*, request, actor, remark, now=None):
    """Decline a pending request with a remark that tells the enterprise why (and perhaps what else would work)."""
    now = now or timezone.now()
    _check_may_answer(actor, request)
    remark = (remark or "").strip()
    if not remark:
        raise EventError(_("Tell the enterprise why the request is declined."))

    with transaction.atomic(durable=True):
        locked = _lock_pending(request.pk)
        locked.status = ActivityRequest.Status.DECLINED
        locked.staff_remark = remark
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["status", "staff_remark", "decided_by", "decided_at", "updated_at"])
        notify(
            recipient=locked.requested_by, kind="events.delivery.declined",
            title=format_lazy(_("{station} cannot deliver the activity you asked for"), station=locked.station.name),
            body=format_lazy(_("Note from the station: {remark}"), remark=remark),
            url=_list_url(),
        )
        audit_log(action="events.activity_request.declined", actor=actor, target=locked, data={"remark": remark})
    return locked


def activity_request_withdraw(*, request, user):
    """The person who asked takes a request back while the station hasn't answered; its staff are told."""
    if request.requested_by_id != user.pk:
        raise EventError(_("Only the person who made the request can withdraw it."))
    with transaction.atomic(durable=True):
        locked = ActivityRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status == ActivityRequest.Status.WITHDRAWN:
            raise EventError(_("You have already withdrawn this request."))
        if locked.status != ActivityRequest.Status.PENDING:
            raise EventError(_("The station has already answered this request: it can no longer be withdrawn."))
        locked.status = ActivityRequest.Status.WITHDRAWN
        locked.save(update_fields=["status", "updated_at"])
        url = _admin_url(locked)
        for staff in station_staff_of(locked.station):
            notify(
                recipient=staff, kind="events.delivery.withdrawn",
                title=format_lazy(_("Activity request withdrawn by {enterprise}"), enterprise=locked.organisation.name),
                url=url,
            )
        audit_log(action="events.activity_request.withdrawn", actor=user, target=locked)
    return locked
