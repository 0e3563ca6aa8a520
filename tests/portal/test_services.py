import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal import roles, selectors, services
from portal.exceptions import PortalError
from portal.models import AuditEntry, Membership, Notification, Organisation, StaffAssignment
from tests.factories import (
    MembershipFactory,
    NeighbourhoodFactory,
    OrganisationFactory,
    StationFactory,
    StreetFactory,
    UserFactory,
    make_staff,
)

pytestmark = pytest.mark.django_db


def test_membership_request_stays_unverified_until_staff_verify_it(django_capture_on_commit_callbacks, mailoutbox):
    person = UserFactory()
    enterprise = OrganisationFactory()
    staff = make_staff("street_admin", street=enterprise.street)

    membership = services.membership_request(user=person, organisation=enterprise)
    assert not membership.is_verified
    assert not selectors.is_verified_office_worker(person)

    with django_capture_on_commit_callbacks(execute=True):
        services.membership_verify(membership=membership, actor=staff)

    membership.refresh_from_db()
    assert membership.verified_by == staff and membership.verified_at is not None
    assert selectors.is_verified_office_worker(person)
    assert not selectors.is_verified_party_member(person)
    assert Notification.objects.filter(recipient=person, kind="portal.membership.verified").count() == 1
    assert [m.to for m in mailoutbox] == [[person.email]]
    assert AuditEntry.objects.filter(action="portal.membership.verified", actor=staff).exists()


def test_verifying_twice_notifies_once(django_capture_on_commit_callbacks):
    membership = MembershipFactory()
    staff = make_staff("street_admin", street=membership.organisation.street)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_verify(membership=membership, actor=staff)
        services.membership_verify(membership=membership, actor=staff)
    assert Notification.objects.filter(recipient=membership.user).count() == 1


def test_unverify_clears_the_flag():
    membership = MembershipFactory(verified=True)
    staff = make_staff("street_admin", street=membership.organisation.street)
    services.membership_verify(membership=membership, actor=staff, verified=False)
    membership.refresh_from_db()
    assert membership.verified_at is None and membership.verified_by is None


def test_a_person_cannot_claim_the_same_organisation_twice():
    membership = MembershipFactory()
    with pytest.raises(PortalError):
        services.membership_request(user=membership.user, organisation=membership.organisation)
    assert Membership.objects.filter(user=membership.user).count() == 1


def test_nobody_joins_a_merchant_or_an_inactive_organisation_by_themselves():
    person = UserFactory()
    with pytest.raises(PortalError):
        services.membership_request(user=person, organisation=OrganisationFactory(kind=Organisation.Kind.MERCHANT))
    with pytest.raises(PortalError):
        services.membership_request(user=person, organisation=OrganisationFactory(is_active=False))
    assert not Membership.objects.filter(user=person).exists()


def test_residence_request_and_withdraw():
    person = UserFactory()
    place = NeighbourhoodFactory()
    residence = services.residence_request(user=person, neighbourhood=place)
    with pytest.raises(PortalError):
        services.residence_request(user=person, neighbourhood=place)
    with pytest.raises(PortalError):
        services.claim_withdraw(user=UserFactory(), claim=residence)
    services.claim_withdraw(user=person, claim=residence)
    assert not person.residences.exists()


def test_staff_assignment_sets_and_clears_staff_flag_and_group():
    station = StationFactory()
    person = UserFactory()
    assignment = services.staff_assign(user=person, role=roles.STATION_STAFF, actor=None, station=station)
    person.refresh_from_db()
    assert person.is_staff
    assert person.groups.filter(name=roles.group_name(roles.STATION_STAFF)).exists()
    assert person.has_perm("stations.change_station")
    assert not person.has_perm("stations.delete_station")

    services.staff_unassign(assignment=assignment, actor=None)
    person = type(person).objects.get(pk=person.pk)
    assert not person.is_staff
    assert not person.groups.exists()


def test_a_role_must_name_exactly_what_it_governs():
    person = UserFactory()
    with pytest.raises(ValidationError):
        services.staff_assign(user=person, role=roles.STREET_ADMIN, actor=None, station=StationFactory())
    # The database refuses it too, whatever path writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffAssignment.objects.create(user=person, role=roles.STREET_ADMIN, street=None)


def test_the_same_role_over_the_same_street_is_given_once():
    street = StreetFactory()
    person = make_staff("street_admin", street=street)
    with pytest.raises(ValidationError):
        services.staff_assign(user=person, role=roles.STREET_ADMIN, actor=None, street=street)


def test_role_groups_follow_the_code_after_migrate():
    group = Group.objects.get(name=roles.group_name(roles.STREET_ADMIN))
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert granted == set(roles.permissions_of(roles.STREET_ADMIN))


def test_profile_update_validates_the_mobile_number():
    person = UserFactory()
    services.user_update_profile(user=person, display_name=" 王先生 ", phone="13812345678", language="en")
    person.refresh_from_db()
    assert (person.display_name, person.phone, person.language) == ("王先生", "13812345678", "en")
    with pytest.raises(ValidationError):
        services.user_update_profile(user=UserFactory(), display_name="", phone="13812345678", language="en")
