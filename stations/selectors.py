"""Reads of stations: the public list, near-me search, the map feed and the station page.

Every function returns a queryset whose related rows are fetched up front, so a
page costs the same number of queries whether it shows 5 stations or 5,000.
"""

import math
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Exists, F, FloatField, Max, Min, OuterRef, Prefetch, Q, Value
from django.db.models.functions import ASin, Cos, Floor, Least, Power, Radians, Sin, Sqrt

from portal.models import StaffAssignment
from stations.hours import exceptions_window, open_now_q
from stations.models import FunctionArea, OpeningException, Station, ThemeTag

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180
DEFAULT_RADIUS_M = 500  # the articles' "500米党群服务圈"
MAX_RADIUS_M = 50_000


def distance_m(lat, lng):
    """Great-circle (haversine) distance in metres from (lat, lng) to each row's coordinates, in SQL."""
    lat_r, lng_r = math.radians(lat), math.radians(lng)
    half_dlat = (Radians(F("latitude")) - Value(lat_r)) / 2
    half_dlng = (Radians(F("longitude")) - Value(lng_r)) / 2
    a = Power(Sin(half_dlat), 2) + Value(math.cos(lat_r)) * Cos(Radians(F("latitude"))) * Power(Sin(half_dlng), 2)
    # Least() guards asin against rounding just above 1 for antipodal points.
    return Value(2 * EARTH_RADIUS_M) * ASin(Least(Sqrt(a), Value(1.0)), output_field=FloatField())


def bounding_box(lat, lng, radius_m):
    """Latitude/longitude limits of a box around the circle, for an indexed prefilter."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlng = min(radius_m / (METRES_PER_DEGREE_LAT * cos_lat), 180)
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def public_stations():
    return Station.objects.filter(is_active=True)


def with_list_data(queryset, *, today=None):
    """What a station card shows: district and street, themes, and today's opening state."""
    start, end = exceptions_window(today)
    return queryset.select_related("street__district").prefetch_related(
        Prefetch("theme_tags", queryset=ThemeTag.objects.order_by("name")),
        "opening_hours",
        Prefetch("opening_exceptions", queryset=OpeningException.objects.filter(date__range=(start, end))),
    )


def station_search(
    *,
    q="",
    district=None,
    street=None,
    kind=None,
    area_kind=None,
    access_mode=None,
    theme=None,
    open_now=False,
    near=None,
    radius_m=None,
    now=None,
    queryset=None,
):
    """The public station list with its filters. `near` is (lat, lng): then rows carry `distance`
    and come nearest first, within `radius_m`."""
    qs = queryset if queryset is not None else public_stations()
    for term in q.split()[:10]:
        tag_match = ThemeTag.objects.filter(stations=OuterRef("pk"), name__icontains=term)
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(address__icontains=term)
            | Q(description__icontains=term)
            | Q(street__name__icontains=term)
            | Q(street__district__name__icontains=term)
            | Exists(tag_match)
        )
    if district is not None:
        qs = qs.filter(street__district=district)
    if street is not None:
        qs = qs.filter(street=street)
    if kind:
        qs = qs.filter(kind=kind)
    if area_kind or access_mode:
        areas = FunctionArea.objects.filter(station=OuterRef("pk"))
        if area_kind:
            areas = areas.filter(kind=area_kind)
        if access_mode:
            areas = areas.filter(access_mode=access_mode)
        qs = qs.filter(Exists(areas))
    if theme is not None:
        qs = qs.filter(Exists(ThemeTag.objects.filter(stations=OuterRef("pk"), pk=theme.pk)))
    if open_now:
        qs = qs.filter(open_now_q(now))
    if near is not None:
        lat, lng = near
        radius_m = min(max(radius_m or DEFAULT_RADIUS_M, 1), MAX_RADIUS_M)
        min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius_m)
        qs = (
            qs.filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng))
            .annotate(distance=distance_m(lat, lng))
            .filter(distance__lte=radius_m)
            .order_by("distance", "pk")
        )
    else:
        qs = qs.order_by("street__district__ordering", "street__name", "name", "pk")
    return qs


def station_detail(slug):
    """One public station with everything its page shows."""
    from stations.models import ServiceItem

    start, end = exceptions_window()
    return (
        public_stations()
        .select_related("street__district", "building", "neighbourhood")
        .prefetch_related(
            Prefetch("theme_tags", queryset=ThemeTag.objects.order_by("name")),
            "opening_hours",
            Prefetch("opening_exceptions", queryset=OpeningException.objects.filter(date__range=(start, end))),
            # With each room's reservation settings, so "reserve" links cost no query per room.
            Prefetch("function_areas", queryset=FunctionArea.objects.select_related("reservable")),
            "teams",
            Prefetch("services", queryset=ServiceItem.objects.select_related("provider")),
            "photos",
        )
        .get(slug=slug)
    )


def map_features(queryset=None):
    """Rows for the GeoJSON feed: only what the map needs."""
    qs = queryset if queryset is not None else public_stations()
    return (
        qs.filter(latitude__isnull=False, longitude__isnull=False)
        .select_related("street__district")
        .only("name", "slug", "kind", "address", "latitude", "longitude", "street__name", "street__district__name")
        .order_by("pk")
    )


def map_cell_degrees(zoom):
    """The side, in degrees, of the squares the map groups stations in at `zoom`: a quarter of a 256-pixel tile."""
    return 360 / 2 ** (zoom + 2)


@dataclass(frozen=True)
class MapView:
    """What the map shows: stations, and groups of stations too close together to tell apart at that zoom."""

    stations: list  # rows of map_features()
    groups: list  # dicts: count, latitude and longitude (the stations' centre), west, south, east, north
    extent: tuple | None  # (west, south, east, north) of every station shown or grouped; None when there is none
    grouped: bool  # True when there were more stations than the map shows one by one


def map_view(queryset, *, zoom, point_limit, bbox=None):
    """The stations of `queryset` for a map at `zoom`, within `bbox` (west, south, east, north) if one is given.

    At most `point_limit` stations come one by one (any number if it is None); beyond that, the stations are grouped in squares of
    map_cell_degrees(zoom) and a square holding one station shows it. Two queries at most, whatever the number of
    stations: one when every square of a crowded map holds several.
    """
    located = queryset.filter(latitude__isnull=False, longitude__isnull=False)
    if bbox is not None:
        west, south, east, north = bbox
        located = located.filter(longitude__gte=west, longitude__lte=east, latitude__gte=south, latitude__lte=north)
    side = map_cell_degrees(zoom)
    cells = list(
        located.order_by()
        .annotate(row=Floor(F("latitude") / side), col=Floor(F("longitude") / side))
        .values("row", "col")
        .annotate(count=Count("pk"), one=Min("pk"), center_lat=Avg("latitude"), center_lng=Avg("longitude"),
                  south=Min("latitude"), north=Max("latitude"), west=Min("longitude"), east=Max("longitude"))
        .order_by("row", "col")
    )
    extent = None
    if cells:
        extent = (min(c["west"] for c in cells), min(c["south"] for c in cells),
                  max(c["east"] for c in cells), max(c["north"] for c in cells))
    if point_limit is None or sum(c["count"] for c in cells) <= point_limit:
        return MapView(stations=list(map_features(located)), groups=[], extent=extent, grouped=False)
    singles = [c["one"] for c in cells if c["count"] == 1]
    groups = [
        {"count": c["count"], "latitude": c["center_lat"], "longitude": c["center_lng"],
         "west": c["west"], "south": c["south"], "east": c["east"], "north": c["north"]}
        for c in cells if c["count"] > 1
    ]
    stations = list(map_features(located.filter(pk__in=singles))) if singles else []
    return MapView(stations=stations, groups=groups, extent=extent, grouped=True)


def station_staff_of(station):
    """The people who answer a station's requests: its station staff and the administrators of its street."""
    return (
        get_user_model().objects.filter(is_active=True)
        .filter(
            Q(staff_assignments__role=StaffAssignment.Role.STATION_STAFF, staff_assignments__station=station)
            | Q(staff_assignments__role=StaffAssignment.Role.STREET_ADMIN, staff_assignments__street_id=station.street_id)
        )
        .distinct()
        .order_by("pk")
    )
