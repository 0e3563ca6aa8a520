"""Staff scopes: which rows a member of staff may see and change.

A street administrator governs a street (and every station in it), station staff
govern their stations, merchant staff their merchant. Each model that staff
handle declares, once, how to walk from one of its rows to a street, a station
or a merchant:

    scopes.register(Station, street=["street"], station=[scopes.SELF])
    scopes.register(Membership, street=["organisation__street"],
                    station=["organisation__building__stations"])

`ScopedAdminMixin` (in `portal.admin_scoping`) turns that declaration into the
change list filter, the per-object permission checks and the foreign-key
choices, so every admin that uses it enforces the same rule. Models that hold
reference data (districts, streets) are registered with `reference=True`:
any staff member may read them; writes still follow the paths, so reference
data without paths is changed by superusers only. Models registered with
neither are superuser-only.
"""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.db.models.constants import LOOKUP_SEP

SELF = ""  # a path that means "this row is itself the station/street/merchant"


@dataclass(frozen=True)
class ScopeRule:
    street: tuple = ()
    station: tuple = ()
    merchant: tuple = ()
    reference: bool = False

    @property
    def has_paths(self):
        return bool(self.street or self.station or self.merchant)

    @property
    def superuser_only(self):
        return not (self.has_paths or self.reference)


@dataclass
class StaffScope:
    """The ids a user governs, resolved once per request."""

    superuser: bool = False
    streets: frozenset = field(default_factory=frozenset)
    stations: frozenset = field(default_factory=frozenset)
    merchants: frozenset = field(default_factory=frozenset)

    @property
    def is_empty(self):
        return not (self.superuser or self.streets or self.stations or self.merchants)


_registry: dict = {}


def register(model, *, street=(), station=(), merchant=(), reference=False):
    _registry[model] = ScopeRule(tuple(street), tuple(station), tuple(merchant), reference)
    return model


def rule_for(model):
    """The scope rule of a model; an unregistered model is superuser-only."""
    model = model._meta.concrete_model
    return _registry.get(model, ScopeRule())


def is_registered(model):
    return model._meta.concrete_model in _registry


def scope_of(user):
    """Resolve a user's staff scope; cached on the user object for the request."""
    cached = getattr(user, "_staff_scope", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        scope = StaffScope()
    elif user.is_superuser:
        scope = StaffScope(superuser=True)
    else:
        from portal.models import StaffAssignment

        streets, stations, merchants = set(), set(), set()
        for role, street_id, station_id, merchant_id in StaffAssignment.objects.filter(user=user).values_list(
            "role", "street_id", "station_id", "merchant_id"
        ):
            if role == StaffAssignment.Role.STREET_ADMIN:
                streets.add(street_id)
            elif role == StaffAssignment.Role.STATION_STAFF:
                stations.add(station_id)
            elif role == StaffAssignment.Role.MERCHANT_STAFF:
                merchants.add(merchant_id)
        scope = StaffScope(streets=frozenset(streets), stations=frozenset(stations), merchants=frozenset(merchants))
    user._staff_scope = scope
    return scope


def _crosses_many(model, path):
    """Whether a lookup path walks a one-to-many or many-to-many relation (and so may duplicate rows)."""
    opts = model._meta
    for part in path.split(LOOKUP_SEP):
        try:
            f = opts.get_field(part)
        except FieldDoesNotExist:
            return True
        if f.one_to_many or f.many_to_many:
            return True
        if not f.is_relation:
            return False
        opts = f.related_model._meta
    return False


def _path_q(model, path, ids, suffix=""):
    lookup = (LOOKUP_SEP.join(p for p in (path, suffix) if p) or "pk") + "__in"
    q = Q(**{lookup: ids})
    if path and _crosses_many(model, path):
        # Filter through a subquery so a row reachable twice still appears once.
        return Q(pk__in=model._base_manager.filter(q).values("pk"))
    return q


def scope_q(user, model):
    """A Q selecting the rows of `model` that `user` governs. Q(pk__in=[]) when none."""
    scope = scope_of(user)
    if scope.superuser:
        return Q()
    rule = rule_for(model)
    q = Q(pk__in=[])
    if scope.streets:
        streets = sorted(scope.streets)
        for path in rule.street:
            q |= _path_q(model, path, streets)
        for path in rule.station:
            # A street administrator governs every station of the street.
            q |= _path_q(model, path, streets, suffix="street")
    if scope.stations:
        for path in rule.station:
            q |= _path_q(model, path, sorted(scope.stations))
    if scope.merchants:
        for path in rule.merchant:
            q |= _path_q(model, path, sorted(scope.merchants))
    return q


def readable_q(user, model):
    """Rows the user may read: their scope, or everything for reference data."""
    if rule_for(model).reference and scope_of(user).superuser is False and user.is_staff:
        return Q()
    return scope_q(user, model)


def scoped_queryset(user, queryset, *, for_change=True):
    model = queryset.model
    q = scope_q(user, model) if for_change else readable_q(user, model)
    return queryset.filter(q)


def in_scope(user, obj, *, for_change=True):
    if scope_of(user).superuser:
        return True
    model = type(obj)
    return scoped_queryset(user, model._base_manager.filter(pk=obj.pk), for_change=for_change).exists()
