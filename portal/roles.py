"""Staff roles as Django groups whose permissions are declared here, in code.

Each app adds the permissions its staff need with `grant()` (in its AppConfig.ready);
`sync_role_groups` runs after every migrate and makes the groups match. The
scope mechanism (portal.scopes) then narrows each permission to the rows a
person governs.
"""

from django.contrib.auth.models import Group, Permission

STREET_ADMIN = "street_admin"
STATION_STAFF = "station_staff"
MERCHANT_STAFF = "merchant_staff"
ROLES = (STREET_ADMIN, STATION_STAFF, MERCHANT_STAFF)

_permissions = {role: set() for role in ROLES}


def grant(role, *perms):
    """Give a role permissions, as "app_label.codename" strings."""
    _permissions[role].update(perms)


def permissions_of(role):
    return frozenset(_permissions[role])


def group_name(role):
    return f"role:{role}"


def ensure_group(role):
    return Group.objects.get_or_create(name=group_name(role))[0]


def sync_role_groups(**kwargs):
    for role in ROLES:
        group = ensure_group(role)
        wanted = []
        for perm in sorted(_permissions[role]):
            app_label, codename = perm.split(".", 1)
            found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is not None:  # a permission of an app not migrated yet appears on a later sync
                wanted.append(found)
        group.permissions.set(wanted)


def _view(*models):
    return [f"{m.split('.')[0]}.view_{m.split('.')[1]}" for m in models]


def _crud(*models):
    out = []
    for m in models:
        app, name = m.split(".")
        out += [f"{app}.{verb}_{name}" for verb in ("view", "add", "change", "delete")]
    return out


# The core's own grants. Reference geography is readable by every role.
_reference = _view("portal.district", "portal.street", "portal.neighbourhood", "portal.building")
grant(STREET_ADMIN, *_reference, *_crud("portal.organisation", "portal.staffassignment"),
      *_view("portal.user", "portal.auditentry"),
      "portal.view_membership", "portal.change_membership", "portal.view_residence", "portal.change_residence",
      *_crud("stations.station"), "portal.change_neighbourhood", "portal.change_building", "portal.add_building",
      "portal.add_neighbourhood")
grant(STATION_STAFF, *_reference, *_view("portal.organisation", "portal.user"),
      "portal.view_membership", "portal.change_membership", "portal.view_residence", "portal.change_residence",
      "stations.view_station", "stations.change_station")
grant(MERCHANT_STAFF, *_reference, "portal.view_organisation", "portal.change_organisation")

# Stations: what a station offers is kept by its own staff; the street adds and removes stations
# (and imports them: the import permission is "add", see IMPORT_EXPORT_IMPORT_PERMISSION_CODE).
# Themes are shared reference data: every role reads them, superusers write them.
_station_parts = ("stations.openinghours", "stations.openingexception", "stations.functionarea",
                  "stations.team", "stations.serviceitem", "stations.stationphoto")
for _role in ROLES:
    grant(_role, *_view("stations.themetag"))
grant(STREET_ADMIN, *_crud(*_station_parts))
grant(STATION_STAFF, *_crud(*_station_parts))

# Events: station staff run their own station's events, street administrators those of their street's
# stations. Bookings are made by people, through the booking services: staff look at them, never add or delete.
grant(STREET_ADMIN, *_crud("events.event", "events.eventseries"), *_view("events.booking"), "events.change_booking")
grant(STATION_STAFF, *_crud("events.event", "events.eventseries"), *_view("events.booking"), "events.change_booking")
# Activity delivery: staff read their stations' requests and answer them; requests come from enterprises and stay as history.
grant(STREET_ADMIN, "events.view_activityrequest", "events.change_activityrequest")
grant(STATION_STAFF, "events.view_activityrequest", "events.change_activityrequest")
# Reservations: staff keep their stations' reservable rooms and weekly quotas, decide requests and block slots.
# Reservations are never deleted: people cancel, staff reject.
_reservation_parts = ("reservations.reservablearea", "reservations.reservationquota")
grant(STREET_ADMIN, *_crud(*_reservation_parts), *_view("reservations.reservation"), "reservations.add_reservation",
      "reservations.change_reservation")
grant(STATION_STAFF, *_crud(*_reservation_parts), *_view("reservations.reservation"), "reservations.add_reservation",
      "reservations.change_reservation")

# Micro-wishes: station staff and street administrators keep beneficiaries, wishes and campaigns and decide on
# claims. Seeing a beneficiary's full phone number and address takes `wishes.view_beneficiary_contact`, which no
# role carries: a superuser gives it to the named people who need it.
# Campaigns are the street's: its administrators run them, station staff read them.
_wish_parts = ("wishes.beneficiary", "wishes.wish", "wishes.servicevisit")
for _role in (STREET_ADMIN, STATION_STAFF):
    grant(_role, *_crud(*_wish_parts), *_view("wishes.claim", "wishes.claimphoto", "wishes.wishevent"),
          "wishes.change_claim", "wishes.change_claimphoto")
grant(STREET_ADMIN, *_crud("wishes.campaign", "wishes.campaigntarget"))
grant(STATION_STAFF, *_view("wishes.campaign", "wishes.campaigntarget"))

# Lunch: merchant staff keep their menu and offers, see their orders and feedback, hand meals over and record
# money received; station staff keep their pickup points, hand over meals and record money received; the street
# keeps merchants (vetting), subsidy policies and reads the reports. Orders and ledger entries are never edited.
# Only what the scopes give rows for: merchants have no path to stations and pickup points none to merchants, so
# station staff don't list merchants and merchant staff don't list points (they pick their street's points on an offer).
# Everyone who reads offers reads the points each serves (the offer page's inline).
grant(MERCHANT_STAFF, *_crud("lunch.meal", "lunch.dailyoffer", "lunch.offerpoint"), *_view("lunch.merchant", "lunch.order", "lunch.feedback"),
      "lunch.add_ledgerentry")
grant(STATION_STAFF, *_crud("lunch.pickuppoint"), *_view("lunch.order", "lunch.feedback", "lunch.dailyoffer", "lunch.offerpoint"),
      "lunch.add_ledgerentry")
grant(STREET_ADMIN, *_crud("lunch.merchant", "lunch.subsidypolicy", "lunch.pickuppoint"),
      *_view("lunch.meal", "lunch.dailyoffer", "lunch.offerpoint", "lunch.order", "lunch.feedback", "lunch.subsidyspend"))
