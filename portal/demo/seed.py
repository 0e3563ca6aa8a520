"""Loading the demo data: one idempotent loader per kind of thing, run in order by `load_all`.

Every row is found by its natural key (a district by name, a street by district and name, an
organisation by street, kind and name, a station by slug, a person by e-mail) and created only
when it is missing. Fields that differ from `portal.demo.data` are updated; when nothing
differs nothing is saved, so a second run changes nothing (not even `updated_at`). Staff roles
are given once, through `portal.services.staff_assign`, so groups and `is_staff` follow.

Later issues add their own loader (events, wishes, lunch …): a function taking the
`SeedContext`, appended to `LOADERS`. The context hands it what the earlier loaders made
(`ctx.station("wutong-space")`, `ctx.organisation("长寿路街道", "红子鸡美食总汇")`,
`ctx.user("member@demo.station.cn")`) and `ctx.upsert()` keeps its rows idempotent and
counted in the command's summary.
"""

from collections import Counter

from allauth.account.models import EmailAddress
from django.utils import timezone

from portal import services
from portal.demo import data, events_seed, lunch_seed, reservations_seed, stations_seed, wishes_seed
from portal.models import Building, District, Membership, Neighbourhood, Organisation, Residence, StaffAssignment, Street, User
from stations.models import Station


class SeedContext:
    """What the loaders made so far, by the names the data uses, and what changed."""

    def __init__(self):
        self.districts = {}
        self.streets = {}
        self.neighbourhoods = {}  # (street name, name)
        self.buildings = {}  # (street name, name)
        self.organisations = {}  # (street name, name)
        self.stations = {}  # slug
        self.users = {}  # e-mail
        self.created = Counter()
        self.updated = Counter()
        self.models = []  # every model a loader touched, in order, for the summary

    # --- lookups by the names used in portal.demo.data

    def street(self, name):
        return _lookup(self.streets, name, "street")

    def neighbourhood(self, street, name):
        return _lookup(self.neighbourhoods, (street, name), "neighbourhood")

    def building(self, street, name):
        return _lookup(self.buildings, (street, name), "building")

    def organisation(self, street, name):
        return _lookup(self.organisations, (street, name), "organisation")

    def station(self, slug):
        return _lookup(self.stations, slug, "station")

    def user(self, email):
        return _lookup(self.users, email, "account")

    # --- writing

    def touch(self, model):
        if model not in self.models:
            self.models.append(model)

    def upsert(self, model, lookup, values=None, *, on_create=None, prepare=None):
        """Find the row by `lookup`; create it with `values` (and `on_create`) or bring its `values` up to date.

        `on_create` holds fields set only on a new row (a verification date, say), which a
        later run must not keep moving; `prepare(obj)` runs before a new row is validated
        (to hash a password). Rows are validated with `full_clean()` before they are saved.
        """
        values = values or {}
        self.touch(model)
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values, **(on_create or {}))
            if prepare is not None:
                prepare(obj)
            obj.full_clean()
            obj.save()
            self.created[model] += 1
            return obj
        changed = [name for name, value in values.items() if _differs(obj, name, value)]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.full_clean()
            if any(f.name == "updated_at" for f in model._meta.concrete_fields):
                changed.append("updated_at")
            obj.save(update_fields=changed)
            self.updated[model] += 1
        return obj

    def summary(self):
        """(model label, new, updated, total) for every model the loaders touched."""
        return [(m._meta.label, self.created[m], self.updated[m], m.objects.count()) for m in self.models]


def _lookup(mapping, key, what):
    try:
        return mapping[key]
    except KeyError:
        raise LookupError(f"The demo data names a {what} that is not loaded (yet): {key!r}") from None


def _differs(obj, name, value):
    field = obj._meta.get_field(name)
    if field.is_relation:
        return getattr(obj, field.attname) != (value.pk if value is not None else None)
    current = getattr(obj, name)
    return current != value


def _coordinate(value):
    return float(value) if value is not None else None


# ---------------------------------------------------------------------------
# The core loaders: geography, organisations, stations, people.


def load_districts(ctx):
    for row in data.DISTRICTS:
        ctx.districts[row["name"]] = ctx.upsert(District, {"name": row["name"]}, {"ordering": row["ordering"]})


def load_streets(ctx):
    for row in data.STREETS:
        if row["name"] in ctx.streets:
            raise ValueError(f"The demo data refers to streets by name; {row['name']!r} appears twice.")
        district = ctx.districts[row["district"]]
        ctx.streets[row["name"]] = ctx.upsert(Street, {"district": district, "name": row["name"]}, {"kind": row["kind"]})


def load_neighbourhoods(ctx):
    for row in data.NEIGHBOURHOODS:
        street = ctx.street(row["street"])
        ctx.neighbourhoods[(row["street"], row["name"])] = ctx.upsert(Neighbourhood, {"street": street, "name": row["name"]}, {"kind": row["kind"]})


def load_buildings(ctx):
    for row in data.BUILDINGS:
        street = ctx.street(row["street"])
        ctx.buildings[(row["street"], row["name"])] = ctx.upsert(
            Building, {"street": street, "name": row["name"]}, {"kind": row["kind"], "address": row["address"]}
        )


def load_organisations(ctx):
    for row in data.ORGANISATIONS:
        key = (row["street"], row["name"])
        if key in ctx.organisations:
            raise ValueError(f"The demo data refers to organisations by street and name; {key!r} appears twice.")
        street = ctx.street(row["street"])
        building = ctx.building(row["street"], row["building"]) if row.get("building") else None
        parent = ctx.organisation(row["street"], row["parent"]) if row.get("parent") else None
        ctx.organisations[key] = ctx.upsert(
            Organisation,
            {"street": street, "kind": row["kind"], "name": row["name"]},
            {"building": building, "parent": parent, "description": row.get("description", ""), "is_active": True},
        )


def load_stations(ctx):
    for row in data.STATIONS:
        street = ctx.street(row["street"])
        building = ctx.building(row["street"], row["building"]) if row.get("building") else None
        neighbourhood = ctx.neighbourhood(row["street"], row["neighbourhood"]) if row.get("neighbourhood") else None
        ctx.stations[row["slug"]] = ctx.upsert(
            Station,
            {"slug": row["slug"]},
            {
                "name": row["name"],
                "kind": row["kind"],
                "street": street,
                "building": building,
                "neighbourhood": neighbourhood,
                "address": row["address"],
                "latitude": _coordinate(row.get("latitude")),
                "longitude": _coordinate(row.get("longitude")),
                "phone": row.get("phone", ""),
                "description": row.get("description", ""),
                "is_active": True,
            },
        )


def load_accounts(ctx):
    """The demo people and their confirmed e-mail addresses, so each can sign in at once."""
    for spec in data.DEMO_ACCOUNTS:
        values = {"display_name": spec["display_name"]}
        if spec.get("superuser"):
            values.update(is_staff=True, is_superuser=True)
        # The password is set when the account is made and left alone afterwards: a second
        # run changes nothing, and it doesn't undo a password someone changed on purpose.
        user = ctx.upsert(User, {"email": spec["email"]}, values, prepare=lambda u, pw=spec["password"]: u.set_password(pw))
        ctx.upsert(EmailAddress, {"user": user, "email": user.email}, {"verified": True, "primary": True})
        ctx.users[spec["email"]] = user


def load_account_roles(ctx):
    """What each demo person is: a verified resident or member, or staff over a street, station or merchant."""
    # The superuser stands for the station staff who checked the residents' and members' details.
    verifier = next(ctx.user(spec["email"]) for spec in data.DEMO_ACCOUNTS if spec.get("superuser"))
    for spec in data.DEMO_ACCOUNTS:
        user = ctx.user(spec["email"])
        if "residence" in spec:
            residence = ctx.upsert(
                Residence,
                {"user": user, "neighbourhood": ctx.neighbourhood(*spec["residence"])},
                on_create={"verified_at": timezone.now(), "verified_by": verifier},
            )
            _ensure_verified(ctx, residence, verifier)
        if "membership" in spec:
            membership = ctx.upsert(
                Membership,
                {"user": user, "organisation": ctx.organisation(*spec["membership"]["organisation"])},
                {"role": spec["membership"]["role"]},
                on_create={"verified_at": timezone.now(), "verified_by": verifier},
            )
            _ensure_verified(ctx, membership, verifier)
        if "staff" in spec:
            _ensure_staff(ctx, user, spec["staff"], actor=verifier)


def _ensure_verified(ctx, claim, verifier):
    # Set directly rather than through membership_verify/residence_verify: the demo's history
    # needs no "your details were verified" notification in anyone's inbox.
    if claim.verified_at is None:
        claim.verified_at = timezone.now()
        claim.verified_by = verifier
        claim.save(update_fields=["verified_at", "verified_by", "updated_at"])
        ctx.updated[type(claim)] += 1


def _ensure_staff(ctx, user, staff, *, actor):
    role = staff["role"]
    if role == StaffAssignment.Role.STREET_ADMIN:
        scope = {"street": ctx.street(staff["street"])}
    elif role == StaffAssignment.Role.STATION_STAFF:
        scope = {"station": ctx.station(staff["station"])}
    elif role == StaffAssignment.Role.MERCHANT_STAFF:
        scope = {"merchant": ctx.organisation(*staff["merchant"])}
    else:
        raise ValueError(f"Unknown staff role in the demo data: {role!r}")
    ctx.touch(StaffAssignment)
    if not StaffAssignment.objects.filter(user=user, role=role, **scope).exists():
        services.staff_assign(user=user, role=role, actor=actor, **scope)
        ctx.created[StaffAssignment] += 1


# Run in this order: each loader may use what the ones before it made.
def load_place_coordinates(ctx):
    """Give each building and neighbourhood with a station the station's coordinates.

    They are the reference points of "stations near my building / neighbourhood"; the
    articles locate stations, not the places around them.
    """
    for place_model, key in ((Building, "building_id"), (Neighbourhood, "neighbourhood_id")):
        first_station = {}  # one station per place, the same on every run: the first by slug
        for slug in sorted(ctx.stations):
            station = ctx.stations[slug]
            if getattr(station, key) is not None and station.latitude is not None:
                first_station.setdefault(getattr(station, key), station)
        for place_pk, station in first_station.items():
            ctx.upsert(place_model, {"pk": place_pk}, {"latitude": station.latitude, "longitude": station.longitude})


LOADERS = [
    load_districts,
    load_streets,
    load_neighbourhoods,
    load_buildings,
    load_organisations,
    load_stations,
    load_accounts,
    load_account_roles,
    # What the stations offer and when they open: themes, areas, teams, services, hours, holidays.
    *stations_seed.LOADERS,
    load_place_coordinates,
    # A month of upcoming events at the stations, and the demo people's bookings.
    *events_seed.LOADERS,
    # The reservable rooms, the 周家桥 stations' weekly quota and a week of reservations in every status.
    *reservations_seed.LOADERS,
    # The 周家桥 wish tree (七一微心愿认领) and two dozen micro-wishes in every status.
    *wishes_seed.LOADERS,
    # 长寿白领午餐: the article's four merchants and their menus, lunch points, subsidies, a week of offers and orders.
    *lunch_seed.LOADERS,
]


def load_all(loaders=None):
    """Run the loaders in order; returns the context, whose `summary()` says what changed.

    Call it inside a transaction (`seed_demo` does), so a failing loader leaves nothing half-loaded.
    """
    ctx = SeedContext()
    for loader in LOADERS if loaders is None else loaders:
        loader(ctx)
    return ctx
