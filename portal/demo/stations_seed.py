"""Loaders for what the demo stations offer and when they open (`portal.demo.stations_data`).

Appended to `portal.demo.seed.LOADERS`, after the stations. Like the core loaders they find
each row by its natural key and bring it up to date, so a second run creates and changes
nothing; rows and theme links that aren't in the data (added in the admin) are left alone.

Natural keys: a theme tag by name; a function area by (station, kind, name); a team and a
service by (station, name); usual hours by (station, weekday, opens); an exception by
(station, date, opens), `opens` being empty for a day closed all day.
"""

from datetime import date, time

from portal.demo import data
from portal.demo import stations_data as content
from stations.models import FunctionArea, OpeningException, OpeningHours, ServiceItem, Station, Team, ThemeTag


def _time(value):
    return time.fromisoformat(value)


def _date(value):
    return date.fromisoformat(value)


def load_theme_tags(ctx):
    """Each station's themes; a station keeps any theme added in the admin."""
    link = Station.theme_tags.through
    for slug, names in content.THEMES.items():
        station = ctx.station(slug)
        tags = [ctx.upsert(ThemeTag, {"name": name}) for name in names]
        ctx.touch(link)
        linked = set(station.theme_tags.values_list("pk", flat=True))
        missing = [tag for tag in tags if tag.pk not in linked]
        if missing:
            station.theme_tags.add(*missing)
            ctx.created[link] += len(missing)


def load_function_areas(ctx):
    for slug, areas in content.FUNCTION_AREAS.items():
        station = ctx.station(slug)
        for position, area in enumerate(areas):
            ctx.upsert(
                FunctionArea,
                {"station": station, "kind": area["kind"], "name": area["name"]},
                {
                    "access_mode": area["access"],
                    "capacity": area.get("capacity"),
                    "description": area.get("description", ""),
                    "position": position,
                },
            )


def load_teams(ctx):
    for slug, teams in content.TEAMS.items():
        station = ctx.station(slug)
        for position, team in enumerate(teams):
            ctx.upsert(
                Team,
                {"station": station, "name": team["name"]},
                {
                    "description": team.get("description", ""),
                    "schedule": team.get("schedule", ""),
                    "how_to_join": team.get("how_to_join", ""),
                    "position": position,
                },
            )


def load_services(ctx):
    for slug, services in content.SERVICES.items():
        station = ctx.station(slug)
        for position, service in enumerate(services):
            provider = ctx.organisation(*service["provider"]) if service.get("provider") else None
            ctx.upsert(
                ServiceItem,
                {"station": station, "name": service["name"]},
                {
                    "description": service.get("description", ""),
                    "provider": provider,
                    "how_to_get": service.get("how_to_get", ""),
                    "position": position,
                },
            )


def load_opening_hours(ctx):
    for slug, week in content.HOURS.items():
        station = ctx.station(slug)
        for weekdays, periods in week:
            for weekday in weekdays:
                for opens, closes in periods:
                    ctx.upsert(OpeningHours, {"station": station, "weekday": weekday, "opens": _time(opens)}, {"closes": _time(closes)})


def load_opening_exceptions(ctx):
    """The holidays, closed at every station, then the special hours of single stations."""
    for holiday in content.HOLIDAYS:
        for row in data.STATIONS:
            station = ctx.station(row["slug"])
            for day in holiday["dates"]:
                ctx.upsert(
                    OpeningException,
                    {"station": station, "date": _date(day), "opens": None},
                    {"is_closed": True, "closes": None, "reason": holiday["reason"]},
                )
    for special in content.SPECIAL_HOURS:
        station = ctx.station(special["station"])
        for opens, closes in special["periods"]:
            ctx.upsert(
                OpeningException,
                {"station": station, "date": _date(special["date"]), "opens": _time(opens)},
                {"is_closed": False, "closes": _time(closes), "reason": special["reason"]},
            )


# In this order, after `portal.demo.seed.load_stations` (and `load_organisations`, for providers).
LOADERS = [
    load_theme_tags,
    load_function_areas,
    load_teams,
    load_services,
    load_opening_hours,
    load_opening_exceptions,
]
