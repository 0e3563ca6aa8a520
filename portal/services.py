"""State changes of the shared core. Views, forms and admin call these; they don't save models themselves."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import roles
from portal.audit import audit_log
from portal.exceptions import PortalError
from portal.models import Membership, Notification, Organisation, Residence, StaffAssignment
from portal.notifications import notify


def user_update_profile(*, user, display_name, phone, language):
    with transaction.atomic(durable=True):
        user.display_name = display_name.strip()
        user.phone = phone or None
        user.language = language
        user.full_clean(exclude=["password"])
        user.save(update_fields=["display_name", "phone", "language"])
        audit_log(action="portal.user.profile_updated", actor=user, target=user)
    return user


def user_set_language(*, user, language):
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def membership_request(*, user, organisation, role=Membership.Role.MEMBER):
    """A person says they belong to an organisation; it stays unverified until staff confirm."""
    if not organisation.is_active:
        raise PortalError(_("This organisation is no longer active."))
    if organisation.kind == Organisation.Kind.MERCHANT:
        raise PortalError(_("Merchant staff accounts are set up by the street office."))
    with transaction.atomic(durable=True):
        membership, created = Membership.objects.get_or_create(user=user, organisation=organisation, defaults={"role": role})
        if not created:
            raise PortalError(_("You have already told us you belong to %(org)s.") % {"org": organisation})
        audit_log(action="portal.membership.requested", actor=user, target=membership)
    return membership


def residence_request(*, user, neighbourhood):
    with transaction.atomic(durable=True):
        residence, created = Residence.objects.get_or_create(user=user, neighbourhood=neighbourhood)
        if not created:
            raise PortalError(_("You have already told us you live in %(place)s.") % {"place": neighbourhood})
        audit_log(action="portal.residence.requested", actor=user, target=residence)
    return residence


def claim_withdraw(*, user, claim):
    if claim.user_id != user.pk:
        raise PortalError(_("You can only withdraw your own details."))
    with transaction.atomic(durable=True):
        audit_log(action=f"portal.{claim._meta.model_name}.withdrawn", actor=user, target=claim)
        claim.delete()


def _claim_verify(*, claim, actor, verified):
    with transaction.atomic():
        locked = type(claim).objects.select_for_update().get(pk=claim.pk)
        if locked.is_verified == verified:
            return locked
        locked.verified_at = timezone.now() if verified else None
        locked.verified_by = actor if verified else None
        locked.save(update_fields=["verified_at", "verified_by", "updated_at"])
        name = locked._meta.model_name
        audit_log(action=f"portal.{name}.{'verified' if verified else 'unverified'}", actor=actor, target=locked)
        if verified:
            notify(
                recipient=locked.user,
                kind=f"portal.{name}.verified",
                title=_("Your details have been verified: %(what)s") % {"what": locked},
                body=_("Station staff confirmed this. Services that need verified details are now open to you."),
                url=reverse("portal:profile"),
            )
    return locked


def membership_verify(*, membership, actor, verified=True):
    return _claim_verify(claim=membership, actor=actor, verified=verified)


def residence_verify(*, residence, actor, verified=True):
    return _claim_verify(claim=residence, actor=actor, verified=verified)


def _sync_staff_flags(user):
    held = set(StaffAssignment.objects.filter(user=user).values_list("role", flat=True))
    for role in roles.ROLES:
        group = roles.ensure_group(role)
        if role in held:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    is_staff = bool(held) or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


def staff_assign(*, user, role, actor, street=None, station=None, merchant=None):
    """Give `user` a staff role over a street, a station or a merchant."""
    with transaction.atomic():
        assignment = StaffAssignment(user=user, role=role, street=street, station=station, merchant=merchant)
        assignment.full_clean()
        assignment.save()
        _sync_staff_flags(user)
        audit_log(action="portal.staff.assigned", actor=actor, target=assignment, data={"role": role})
    return assignment


def staff_assignment_save(*, assignment, actor):
    """Save an assignment edited in admin, keeping the user's groups in step."""
    with transaction.atomic():
        previous_user_id = None
        if assignment.pk:
            previous_user_id = StaffAssignment.objects.filter(pk=assignment.pk).values_list("user_id", flat=True).first()
        assignment.full_clean()
        assignment.save()
        _sync_staff_flags(assignment.user)
        if previous_user_id and previous_user_id != assignment.user_id:
            _sync_staff_flags(type(assignment.user).objects.get(pk=previous_user_id))
        audit_log(action="portal.staff.assigned", actor=actor, target=assignment, data={"role": assignment.role})
    return assignment


def staff_unassign(*, assignment, actor):
    with transaction.atomic():
        user = assignment.user
        audit_log(action="portal.staff.unassigned", actor=actor, target=assignment, data={"role": assignment.role})
        assignment.delete()
        _sync_staff_flags(user)


def notification_mark_read(*, user, notification_id=None):
    """Mark one notification (or, without an id, all of them) read. Returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
