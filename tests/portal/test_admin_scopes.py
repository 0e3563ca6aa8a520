"""Walk every registered ModelAdmin and prove it keeps each member of staff inside their scope.

Two streets, A and B, each with a station, a building, an enterprise, a merchant,
a membership, a residence… Staff of A (street administrator, station staff,
merchant staff) must see and change only what the table below says, and never
anything of B. A model registered in admin without a row here fails the test:
whoever adds an admin adds its expectations.
"""

from dataclasses import dataclass, field

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from events.models import ActivityRequest, Booking, Event, EventSeries
from lunch import services as lunch_services
from lunch.models import Account, DailyOffer, Feedback, LedgerEntry, Meal, Merchant, Order, PickupPoint, SubsidyPolicy, SubsidySpend
from portal import scopes
from portal.admin_scoping import ScopedAdminMixin
from portal.audit import audit_log
from portal.models import (
    AuditEntry,
    Building,
    District,
    Membership,
    Neighbourhood,
    Notification,
    NotificationDelivery,
    Organisation,
    Residence,
    StaffAssignment,
    Street,
    User,
)
from portal.notifications import notify
from reservations.models import ReservableArea, Reservation, ReservationQuota
from stations.models import FunctionArea, Station, ThemeTag
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import (
    BuildingFactory,
    DistrictFactory,
    MembershipFactory,
    NeighbourhoodFactory,
    OrganisationFactory,
    ResidenceFactory,
    StationFactory,
    StreetFactory,
    UserFactory,
    make_staff,
)
from tests.lunch import factories as lunch_factories
from tests.reservations.factories import meeting_room, shanghai_at
from tests.wishes.factories import BeneficiaryFactory, party_member, wish
from wishes import services as wish_services
from wishes.models import Beneficiary, Campaign, Claim, Wish

ROLES = ("street", "station", "merchant")


@dataclass
class Side:
    district: District
    street: Street
    neighbourhood: Neighbourhood
    building: Building
    station: Station
    enterprise: Organisation
    merchant: Organisation
    member: User
    membership: Membership
    residence: Residence
    objects: dict = field(default_factory=dict)


def build_side(label):
    district = DistrictFactory(name=f"{label}区")
    street = StreetFactory(district=district, name=f"{label}街道")
    neighbourhood = NeighbourhoodFactory(street=street)
    building = BuildingFactory(street=street)
    station = StationFactory(street=street, building=building, neighbourhood=neighbourhood)
    enterprise = OrganisationFactory(street=street, building=building)
    merchant = OrganisationFactory(street=street, kind=Organisation.Kind.MERCHANT, name=f"{label}饭店")
    member = UserFactory()
    membership = MembershipFactory(user=member, organisation=enterprise)
    residence = ResidenceFactory(user=member, neighbourhood=neighbourhood)
    return Side(district, street, neighbourhood, building, station, enterprise, merchant, member, membership, residence)


# How to make one row of each registered model that belongs to a side.
def _assignment(side):
    return make_staff("station_staff", station=side.station).staff_assignments.get()


def _notification(side):
    return notify(recipient=side.member, kind="test.scope", title="t")


def _reservation(side):
    area = meeting_room(station=side.station)
    return Reservation.objects.create(area=area, user=side.member, starts_at=shanghai_at(3, 10), ends_at=shanghai_at(3, 11),
                                      purpose="支部会议")


def _campaign(side):
    campaign = Campaign.objects.create(name=f"{side.street.name}七一心愿", street=side.street, starts_on="2030-06-01",
                                       ends_on="2030-07-01")
    campaign.stations.add(side.station)
    return campaign


def _claim(side):
    published = wish(station=side.station)
    return wish_services.wish_claim(wish_id=published.pk, user=party_member())


def _lunch_merchant(side):
    """The side's merchant organisation as a lunch merchant (one per organisation, so made once)."""
    if "lunch_merchant" not in side.objects:
        side.objects["lunch_merchant"] = Merchant.objects.create(
            organisation=side.merchant, licence_number="JY13101050012345", licence_expires_on="2099-12-31",
            food_safety_rating=Merchant.Rating.A, contact_name="王经理", contact_phone="13800000000",
        )
    return side.objects["lunch_merchant"]


def _lunch_offer(side):
    return lunch_factories.offer(seller=_lunch_merchant(side), points=[lunch_factories.point(street=side.street, station=side.station)])


def _lunch_order(side):
    offer = _lunch_offer(side)
    lunch_factories.top_up(side.member, 5000, street=side.street)
    return lunch_services.order_place(user=side.member, offer_id=offer.pk, point_id=offer.points.get().pk)


def _lunch_feedback(side):
    order = _lunch_order(side)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PICKED_UP)  # handed over (pick_up wants today's offer)
    return lunch_services.feedback_leave(order_id=order.pk, user=side.member, stars=4, comment="好吃")


BUILDERS = {
    District: lambda s: s.district,
    Street: lambda s: s.street,
    Neighbourhood: lambda s: s.neighbourhood,
    Building: lambda s: s.building,
    Station: lambda s: s.station,
    Organisation: lambda s: s.enterprise,
    Membership: lambda s: s.membership,
    Residence: lambda s: s.residence,
    User: lambda s: s.member,
    StaffAssignment: _assignment,
    Notification: _notification,
    NotificationDelivery: lambda s: _notification(s).deliveries.get(),
    AuditEntry: lambda s: audit_log(action="test.scope", target=s.station),
    Group: lambda s: Group.objects.get_or_create(name=f"group {s.street.name}")[0],
    EmailAddress: lambda s: EmailAddress.objects.get(user=s.member),
    ThemeTag: lambda s: ThemeTag.objects.get_or_create(name=f"主题{s.street.name}")[0],
    FunctionArea: lambda s: FunctionArea.objects.create(station=s.station, kind=FunctionArea.Kind.READING),
    Event: lambda s: EventFactory(station=s.station),
    ActivityRequest: lambda s: ActivityRequest.objects.create(
        organisation=s.enterprise, requested_by=s.member, station=s.station, kind=ActivityRequest.Kind.HEALTH,
        preferred_dates="周三中午", headcount=10,
    ),
    EventSeries: lambda s: EventSeries.objects.create(
        station=s.station, title="午间瑜伽", category="lunch_salon", first_date="2030-01-01", weekly_count=2,
        start_time="12:10", end_time="12:50", capacity=10,
    ),
    Booking: lambda s: BookingFactory(event=EventFactory(station=s.station), user=s.member),
    ReservableArea: lambda s: ReservableArea.objects.create(
        area=FunctionArea.objects.create(station=s.station, kind=FunctionArea.Kind.MEETING, access_mode=FunctionArea.Access.RESERVATION),
    ),
    Reservation: lambda s: _reservation(s),
    ReservationQuota: lambda s: ReservationQuota.objects.create(station=s.station, hours_per_week=6),
    Beneficiary: lambda s: BeneficiaryFactory(station=s.station, neighbourhood=s.neighbourhood),
    Wish: lambda s: wish(status=Wish.Status.DRAFT, station=s.station),
    Claim: _claim,
    Campaign: _campaign,
    Merchant: _lunch_merchant,
    Meal: lambda s: Meal.objects.create(merchant=_lunch_merchant(s), name="红烧肉套餐", list_price_fen=2800),
    PickupPoint: lambda s: lunch_factories.point(street=s.street, station=s.station),
    DailyOffer: _lunch_offer,
    Order: _lunch_order,
    Feedback: _lunch_feedback,
    SubsidyPolicy: lambda s: lunch_factories.policy(street=s.street),
    SubsidySpend: lambda s: SubsidySpend.objects.create(policy=lunch_factories.policy(street=s.street), month="2030-01-01",
                                                        budget_fen=100_000),
    Account: lambda s: lunch_factories.top_up(s.member, 1000, street=s.street).account,
    LedgerEntry: lambda s: lunch_factories.top_up(s.member, 1000, street=s.street),
}

# What each role of side A may do to side A's row: v = view, c = change, d = delete.
# Reference data (geography) is readable by every member of staff.
EXPECTED = {
    District: {"street": "v", "station": "v", "merchant": "v"},
    Street: {"street": "v", "station": "v", "merchant": "v"},
    Neighbourhood: {"street": "vc", "station": "v", "merchant": "v"},
    Building: {"street": "vc", "station": "v", "merchant": "v"},
    Station: {"street": "vcd", "station": "vc", "merchant": ""},
    Organisation: {"street": "vcd", "station": "v", "merchant": ""},
    Membership: {"street": "vc", "station": "vc", "merchant": ""},
    Residence: {"street": "vc", "station": "vc", "merchant": ""},
    User: {"street": "v", "station": "v", "merchant": ""},
    StaffAssignment: {"street": "vcd", "station": "", "merchant": ""},
    Notification: {"street": "", "station": "", "merchant": ""},
    NotificationDelivery: {"street": "", "station": "", "merchant": ""},
    AuditEntry: {"street": "", "station": "", "merchant": ""},
    Group: {"street": "", "station": "", "merchant": ""},
    EmailAddress: {"street": "", "station": "", "merchant": ""},
    # Themes are shared vocabulary, written by superusers only.
    ThemeTag: {"street": "v", "station": "v", "merchant": "v"},
    FunctionArea: {"street": "vcd", "station": "vcd", "merchant": ""},
    Event: {"street": "vcd", "station": "vcd", "merchant": ""},
    EventSeries: {"street": "vcd", "station": "vcd", "merchant": ""},
    ActivityRequest: {"street": "vc", "station": "vc", "merchant": ""},
    # Bookings are made and given back by people through the services: staff read them, never add or delete.
    Booking: {"street": "vc", "station": "vc", "merchant": ""},
    ReservableArea: {"street": "vcd", "station": "vcd", "merchant": ""},
    ReservationQuota: {"street": "vcd", "station": "vcd", "merchant": ""},
    # Reservations move through the services (approve, reject, block) and stay as history: never deleted.
    Reservation: {"street": "vc", "station": "vc", "merchant": ""},
    # Micro-wishes: a beneficiary without wishes and a draft wish may be deleted; once a wish was published it is withdrawn.
    Beneficiary: {"street": "vcd", "station": "vcd", "merchant": ""},
    Wish: {"street": "vcd", "station": "vcd", "merchant": ""},
    # Claims are made by party members and move through the services: staff decide on them, never add or delete.
    Claim: {"street": "vc", "station": "vc", "merchant": ""},
    # Campaigns are the street's: its administrators run them, station staff of the campaign's stations read them.
    Campaign: {"street": "vcd", "station": "v", "merchant": ""},
    # Lunch: the street vets merchants and keeps subsidy policies; merchant staff keep their menu and offers; station
    # staff their pickup points and read the offers served there. Orders, feedback and the month's subsidy counters
    # change through lunch.services only. Balances belong to no station: superusers list them, the desk looks one up.
    Merchant: {"street": "vcd", "station": "", "merchant": "v"},
    Meal: {"street": "v", "station": "", "merchant": "vcd"},
    PickupPoint: {"street": "vcd", "station": "vcd", "merchant": ""},
    DailyOffer: {"street": "v", "station": "v", "merchant": "vcd"},
    Order: {"street": "v", "station": "v", "merchant": "v"},
    Feedback: {"street": "v", "station": "v", "merchant": "v"},
    SubsidyPolicy: {"street": "vcd", "station": "", "merchant": ""},
    SubsidySpend: {"street": "v", "station": "", "merchant": ""},
    Account: {"street": "", "station": "", "merchant": ""},
    LedgerEntry: {"street": "", "station": "", "merchant": ""},
}


@pytest.fixture
def world(db):
    a, b = build_side("甲"), build_side("乙")
    staff = {
        "street": make_staff("street_admin", street=a.street),
        "station": make_staff("station_staff", station=a.station),
        "merchant": make_staff("merchant_staff", merchant=a.merchant),
    }
    return a, b, staff


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(pk=user.pk)  # fresh object: no cached scope
    return request


def test_every_registered_admin_uses_the_scope_mechanism_and_has_expectations():
    missing = []
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, ScopedAdminMixin), f"{model.__name__} admin must use ScopedAdminMixin"
        assert scopes.is_registered(model), f"{model.__name__} must declare its scope with portal.scopes.register()"
        if model not in EXPECTED or model not in BUILDERS:
            missing.append(model.__name__)
    assert not missing, f"add scope expectations and a builder for: {', '.join(missing)}"


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_admin_keeps_staff_in_scope(world, model, client):
    side_a, side_b, staff = world
    model_admin = admin.site._registry[model]
    obj_a, obj_b = BUILDERS[model](side_a), BUILDERS[model](side_b)
    rule = scopes.rule_for(model)

    for role in ROLES:
        user = staff[role]
        request = _request(user)
        expected = EXPECTED[model][role]
        visible = set(model_admin.get_queryset(request).values_list("pk", flat=True))
        where = f"{model.__name__} / {role}"

        # Side A: exactly what the table says.
        assert (obj_a.pk in visible) == ("v" in expected), where
        assert model_admin.has_view_permission(request, obj_a) == ("v" in expected), where
        assert model_admin.has_change_permission(request, obj_a) == ("c" in expected), where
        assert model_admin.has_delete_permission(request, obj_a) == ("d" in expected), where

        # Side B: never changeable; visible only when it is reference data.
        assert (obj_b.pk in visible) == (rule.reference and "v" in expected), where
        assert not model_admin.has_change_permission(request, obj_b), where
        assert not model_admin.has_delete_permission(request, obj_b), where
        if not rule.reference:
            assert not model_admin.has_view_permission(request, obj_b), where

        # Through the real admin pages.
        client.force_login(user)
        opts = model._meta
        changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        change_a = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_a.pk])
        change_b = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_b.pk])
        if model_admin.has_view_permission(request):
            assert changelist.status_code == 200, where
            listed = changelist.content.decode()
            assert (f'href="{change_a}"' in listed) == ("v" in expected), where
            assert (f'href="{change_b}"' in listed) == (rule.reference and "v" in expected), where
        else:
            assert "v" not in expected, where
            assert changelist.status_code == 403, where
        if not rule.reference:
            # Out of scope: the admin treats the row as missing and sends the user away.
            response = client.get(change_b)
            assert response.status_code in (302, 403), where
            post = client.post(change_b, {})
            assert post.status_code in (302, 403), where
        client.logout()

    # Superusers see both sides.
    superuser = User.objects.create_superuser(email=f"root-{model.__name__.lower()}@example.cn", password="x" * 12)
    visible = set(model_admin.get_queryset(_request(superuser)).values_list("pk", flat=True))
    assert {obj_a.pk, obj_b.pk} <= visible


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_foreign_key_choices_stay_in_scope(world, model):
    """No form of the admin offers a row of another street to pick."""
    side_a, side_b, staff = world
    model_admin = admin.site._registry[model]
    out_of_scope = {
        Street: {side_b.street.pk},
        Building: {side_b.building.pk},
        Neighbourhood: {side_b.neighbourhood.pk},
        Station: {side_b.station.pk},
        Organisation: {side_b.enterprise.pk, side_b.merchant.pk},
        User: {side_b.member.pk},
    }
    obj_a = BUILDERS[model](side_a)
    for role in ROLES:
        request = _request(staff[role])
        if not model_admin.has_change_permission(request, obj_a):
            continue
        form_class = model_admin.get_form(request, obj_a)
        for name, form_field in form_class.base_fields.items():
            queryset = getattr(form_field, "queryset", None)
            if queryset is None or queryset.model not in out_of_scope:
                continue
            offered = set(queryset.values_list("pk", flat=True))
            assert not offered & out_of_scope[queryset.model], f"{model.__name__}.{name} offers rows of street B to {role}"


def test_street_admin_cannot_move_a_station_to_another_street(world, client):
    side_a, side_b, staff = world
    client.force_login(staff["street"])
    url = reverse("admin:stations_station_change", args=[side_a.station.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"street": side_b.street.pk, "name": side_a.station.name, "slug": side_a.station.slug,
                 "kind": side_a.station.kind, "address": side_a.station.address, "is_active": "on"})
    data["building"] = ""
    data["neighbourhood"] = ""
    response = client.post(url, data)
    # The street of B is not a valid choice for them: the form refuses it and nothing moves.
    assert response.status_code == 200
    assert "street" in response.context["adminform"].form.errors
    side_a.station.refresh_from_db()
    assert side_a.station.street_id == side_a.street.pk


def test_merchant_staff_see_their_own_merchant_only(world):
    side_a, side_b, staff = world
    request = _request(staff["merchant"])
    visible = set(admin.site._registry[Organisation].get_queryset(request).values_list("pk", flat=True))
    assert visible == {side_a.merchant.pk}
