"""Reads of the shared core."""

from portal.models import Membership, Notification, Residence


def inbox_for(user):
    return Notification.objects.filter(recipient=user).only("id", "title", "body", "url", "created_at", "read_at", "kind", "attachment_name")


def memberships_of(user):
    return Membership.objects.filter(user=user).select_related("organisation__street__district", "organisation__building")


def residences_of(user):
    return Residence.objects.filter(user=user).select_related("neighbourhood__street__district")


def verified_memberships(user, *, kind=None):
    qs = Membership.objects.filter(user=user, verified_at__isnull=False, organisation__is_active=True)
    if kind is not None:
        qs = qs.filter(organisation__kind=kind)
    return qs


def is_verified_office_worker(user):
    from portal.models import Organisation

    return verified_memberships(user, kind=Organisation.Kind.ENTERPRISE).exists()


def is_verified_party_member(user):
    from portal.models import Organisation

    return verified_memberships(user, kind=Organisation.Kind.PARTY).exists()
