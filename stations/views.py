"""The public station pages: the list (with near-me and the map), one station's page, and the map feed."""

from types import SimpleNamespace

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from portal import page_cache
from portal.filters import list_url, query_string_too_long, redirect_to_understood
from stations.filters import StationFilter
from stations.hours import local_now, week_schedule
from stations.models import Station
from stations.selectors import map_view, public_stations, station_detail, with_list_data

PAGE_SIZE = 20
MAX_MAP_ZOOM = 22
MAX_TILE_ZOOM = 18  # the map's deepest zoom (maxZoom in stations.js)


def map_settings():
    """The tile server is a deployment choice (see STATIONS_TILE_* in settings); an empty URL means no tiles."""
    center = settings.STATIONS_MAP_CENTER
    return {
        "tile_url": settings.STATIONS_TILE_URL,
        "tile_attribution": settings.STATIONS_TILE_ATTRIBUTION,
        "tile_subdomains": ",".join(settings.STATIONS_TILE_SUBDOMAINS),
        # Chinese providers draw tiles in GCJ-02; stations are stored in WGS-84 as phones report them,
        # so markers are shifted the same way (about 500 m in Shanghai) before drawing.
        "tile_gcj02": settings.STATIONS_TILE_GCJ02,
        "map_center": f"{float(center[0]):f},{float(center[1]):f}",
    }


def _list_url(query="", **extra):
    return list_url("stations:list", query, **extra)


def _problems(filterset):
    """Each parameter that was left out, with the field's label, for the summary at the top of the page."""
    problems = []
    if filterset.search_shortened:
        problems.append(_("Your search was too long: only its first words were used."))
    return problems + filterset.problems()


@require_safe
@page_cache.public_page("places", "stations")
def station_list(request):
    now = timezone.now()
    filterset = StationFilter(request.GET, queryset=public_stations(), now=now)
    view_mode = "map" if request.GET.get("view") == "map" else "list"
    query = filterset.query()
    if query_string_too_long(request):
        return redirect_to_understood(request, "stations:list", query, **({"view": "map"} if view_mode == "map" else {}))

    stations = with_list_data(filterset.qs, today=local_now(now).date())
    page = Paginator(stations, PAGE_SIZE).get_page(request.GET.get("page"))
    page_params = QueryDict(query, mutable=True)
    if view_mode == "map":
        page_params["view"] = "map"
    reference = filterset.reference_point
    view_suffix = {"view": "map"} if view_mode == "map" else {}
    return render(request, "stations/station_list.html", {
        "filterset": filterset,
        "page": page,
        "now": now,
        "view_mode": view_mode,
        "near": reference is not None,
        "near_place": reference[2] if reference else None,
        "near_point": f"{reference[0]:f},{reference[1]:f}" if reference else "",
        "radius_m": filterset.radius_m,
        "problems": _problems(filterset),
        "query": query,
        "list_view_url": _list_url(query),
        "map_view_url": _list_url(query, view="map"),
        "clear_near_url": _list_url(filterset.query(exclude=StationFilter.NEAR_FIELDS), **view_suffix),
        "clear_all_url": _list_url("", **view_suffix),
        "geojson_url": list_url("stations:geojson", query),
        # includes/pagination.html repeats request.GET in its links: give it only the parameters that were used,
        # so a mistyped or oversized parameter doesn't follow the visitor from page to page.
        "pagination_request": SimpleNamespace(GET=page_params),
        "search_group": filterset.group(("q", "open")),
        "more_group": filterset.group(StationFilter.MORE_FIELDS),
        "near_group": filterset.group(("place", "radius")),
        "location_errors": [e for name in ("lat", "lng") for e in filterset.form.errors.get(name, [])],
        "search_hidden": filterset.hidden_params(keep=StationFilter.SEARCH_FIELDS),
        "near_hidden": filterset.hidden_params(keep=("place", "radius")),
        **map_settings(),
    })


@require_safe
@page_cache.public_page("places", "stations", "reservations")
def station_page(request, slug):
    try:
        station = station_detail(slug)
    except Station.DoesNotExist:
        raise Http404(_("There is no station at this address.")) from None
    now = timezone.now()
    today = local_now(now).date()
    return render(request, "stations/station_detail.html", {
        "station": station,
        "now": now,
        "today": today,
        "schedule": week_schedule(station, today),
        "today_exceptions": [e for e in station.opening_exceptions.all() if e.date == today],
        "theme_tags": station.theme_tags.all(),
        "function_areas": station.function_areas.all(),
        "teams": station.teams.all(),
        "services": station.services.all(),
        "photos": station.photos.all(),
        **map_settings(),
    })


def _map_bbox(value):
    """The map's view from `bbox=west,south,east,north` in degrees; None for anything else (the whole set is shown)."""
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        return None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):  # also refuses nan and inf
        return None
    return west, south, east, north


def _map_zoom(value):
    try:
        zoom = int(value)
    except ValueError:
        return settings.STATIONS_MAP_ZOOM
    return zoom if 0 <= zoom <= MAX_MAP_ZOOM else settings.STATIONS_MAP_ZOOM


def _rounded(*degrees):
    """Six decimals of a degree are about 10 cm: enough for a map, and a smaller feed."""
    return [round(value, 6) for value in degrees]


@require_safe
@page_cache.public_page("places", "stations")
@cache_control(public=True, max_age=300)
def station_geojson(request):
    """The public stations as GeoJSON for the map, with the list's filters applied.

    `bbox=west,south,east,north` limits it to the map's view and `zoom` is the map's zoom level. Beyond
    STATIONS_MAP_POINT_LIMIT stations, those too close together to tell apart at that zoom come as one group:
    a point feature with `count` and its own `bbox`; the collection then says `"grouped": true`, and the map
    asks again for each new view. The collection's `bbox` spans every station it shows or groups.
    """
    params = request.GET.copy()
    bbox = _map_bbox(params.pop("bbox", [""])[-1])
    zoom = _map_zoom(params.pop("zoom", [""])[-1])
    filterset = StationFilter(params, queryset=public_stations(), drawn=False)
    # Zoomed in as far as the tiles go, a group could not be opened by zooming further: every station comes as itself.
    point_limit = settings.STATIONS_MAP_POINT_LIMIT if zoom < MAX_TILE_ZOOM else None
    view = map_view(filterset.qs, zoom=zoom, bbox=bbox, point_limit=point_limit)
    # One reverse() for the whole feed; slugs are ASCII (SlugField without unicode), so they go in as they are.
    url_template = reverse("stations:detail", args=["slug-placeholder"])
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": _rounded(station.longitude, station.latitude)},
            "properties": {
                "name": station.name,
                "url": url_template.replace("slug-placeholder", station.slug),
                "kind": station.get_kind_display(),
                "address": station.address,
                "street": station.street.name,
                "district": station.street.district.name,
            },
        }
        for station in view.stations
    ]
    features += [
        {
            "type": "Feature",
            "bbox": _rounded(group["west"], group["south"], group["east"], group["north"]),
            "geometry": {"type": "Point", "coordinates": _rounded(group["longitude"], group["latitude"])},
            "properties": {"count": group["count"]},
        }
        for group in view.groups
    ]
    collection = {"type": "FeatureCollection", "grouped": view.grouped, "features": features}
    if view.extent is not None:
        collection["bbox"] = _rounded(*view.extent)
    return JsonResponse(
        collection,
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
