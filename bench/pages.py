"""The pages measured (picked from the database, the same way on every dataset) and their SQL queries per request.

Runs inside Django (bench/dbtasks.py sets it up).
"""

import math
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.fixtures import BENCH_DISTRICT
from events.models import Booking, Event
from lunch.models import Order
from portal.models import User
from stations.models import Station
from stations.selectors import map_cell_degrees
from wishes.models import Wish


def _view_bbox(lat, lng, *, zoom, half_width=0.025, half_height=0.018):
    """A map view around (lat, lng), widened to the squares the feed groups in at `zoom`, as stations.js asks for it."""
    side = map_cell_degrees(zoom)
    west, south = (math.floor((lng - half_width) / side) - 1) * side, (math.floor((lat - half_height) / side) - 1) * side
    east, north = (math.ceil((lng + half_width) / side) + 1) * side, (math.ceil((lat + half_height) / side) + 1) * side
    return ",".join(f"{value:.6f}" for value in (west, south, east, north))


def pick_pages(near):
    """The ids and slugs of the pages to measure, picked the same way on every dataset (bench fixtures left out)."""
    now = timezone.now()
    public = Station.objects.filter(is_active=True).exclude(street__district__name=BENCH_DISTRICT)
    room_station = public.filter(function_areas__access_mode="reservation", function_areas__reservable__isnull=False).order_by("pk").first()
    station = room_station or public.order_by("pk").first()
    room = None
    if room_station is not None:
        room = (room_station.function_areas.filter(access_mode="reservation", reservable__isnull=False).order_by("pk").first())
    event = (
        Event.objects.filter(status=Event.Status.PUBLISHED, private_for__isnull=True, starts_at__gt=now + timedelta(hours=2),
                             station__is_active=True)
        .filter(Q(booking_opens_at__isnull=True) | Q(booking_opens_at__lte=now))
        .filter(Q(booking_closes_at__isnull=True) | Q(booking_closes_at__gt=now))
        .exclude(confirmed_seats__gte=F("capacity"))
        .exclude(station__street__district__name=BENCH_DISTRICT)
        .order_by("starts_at", "pk").first()
    )
    wish = Wish.objects.filter(status=Wish.Status.PUBLISHED).exclude(station__street__district__name=BENCH_DISTRICT).order_by("pk").first()
    lat, lng = near
    pages = [
        ("home", "/"),
        ("stations", "/stations/"),
        ("stations_near", f"/stations/?lat={lat}&lng={lng}"),
        ("station", f"/stations/{station.slug}/" if station else None),
        ("events", "/events/"),
        ("event", f"/events/{event.pk}/" if event else None),
        ("wishes", "/wishes/"),
        ("wish", f"/wishes/{wish.pk}/" if wish else None),
        ("lunch", "/lunch/"),
        ("room", f"/reservations/rooms/{room.pk}/" if room else None),
        # The map's first request (the whole set, grouped when large), then the one for its view once it has zoomed in
        # near the same point (about 5 × 4 km at zoom 14, the bounds snapped to the feed's grouping squares as the map does).
        ("geojson", "/stations.geojson"),
        ("geojson_view", f"/stations.geojson?bbox={_view_bbox(lat, lng, zoom=14)}&zoom=14"),
    ]
    return [{"name": name, "path": path} for name, path in pages]


def count_queries(pages):
    """SQL queries per request of each page for a first-time visitor (no cookies), in steady state and on the first request.

    Each URL is fetched twice, each time by a new Client (so no cookie from the first answer rides along, as with wrk):
    the first request fills the per-process and shared caches, the second is the steady state the report shows.
    """
    out = {}
    for page in pages:
        if not page["path"]:
            continue
        with CaptureQueriesContext(connection) as first:
            Client().get(page["path"])
        with CaptureQueriesContext(connection) as captured:
            response = Client().get(page["path"])
        out[page["name"]] = {"status": response.status_code, "queries": len(captured), "queries_first": len(first),
                             "bytes": len(response.content)}
    return out


def database_info():
    """How much data the measured database holds, for the report, and the PostgreSQL server's version."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {
        "postgresql": version,
        # Whether the portal caches public pages (portal/page_cache.py, when it exists): it changes what a read costs.
        "page_cache": getattr(settings, "PAGE_CACHE_ENABLED", None),
        "counts": {
            "stations": Station.objects.count(),
            "events": Event.objects.count(),
            "bookings": Booking.objects.count(),
            "wishes": Wish.objects.count(),
            "lunch_orders": Order.objects.count(),
            "users": User.objects.count(),
        },
    }
