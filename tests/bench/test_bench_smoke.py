"""The benchmark's smoke mode end to end (`python -m bench.run --smoke`, issue #8).

It seeds tiny demo and city-scale databases on the suite's PostgreSQL server, serves the portal and the baseline
with gunicorn, loads every page with wrk for a second and runs small write races over HTTP. Here we only check
that it works: every page answered without errors and every race ended exactly right. Speed is not judged.
"""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
PAGES = {"home", "stations", "stations_near", "station", "events", "event", "wishes", "wish", "lunch", "room", "geojson", "geojson_view"}
SCENARIOS = {"booking_race", "lunch_race", "wish_race", "booking_quiet", "lunch_quiet"}
REDIS_DB = 13  # the benchmark's own Redis database (the suite uses another)


def _pg_server_url():
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "postgres") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"


def _redis_url():
    """The suite's Redis server (REDIS_URL), else the usual local one, with the benchmark's database index."""
    found = urlsplit(settings.REDIS_URL or "redis://127.0.0.1:6379/0")
    return f"redis://{found.hostname or '127.0.0.1'}:{found.port or 6379}/{REDIS_DB}"


def _reachable(url):
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def _skip_reason():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "the benchmark needs PostgreSQL: set DATABASE_URL=postgres://…"
    if shutil.which("wrk") is None:
        return "the benchmark needs wrk: apt-get install wrk"
    if not GUNICORN.exists():
        return f"the benchmark needs gunicorn at {GUNICORN} (requirements.txt)"
    if not _reachable(_redis_url()):
        return f"the benchmark needs Redis at {_redis_url()}"
    if not (ROOT / "portal" / "management" / "commands" / "seed_scale.py").exists():
        return "the benchmark needs manage.py seed_scale"
    return None


def test_smoke_mode_measures_every_page_without_errors_and_the_races_end_right(tmp_path):
    if reason := _skip_reason():
        pytest.skip(reason)
    real_results = ROOT / "bench" / "RESULTS.md"
    before = real_results.stat().st_mtime_ns if real_results.exists() else None
    out = tmp_path / "out"

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--output-dir", str(out), "--log-dir", str(tmp_path / "logs"),
         "--pg-url", _pg_server_url(), "--redis-url", _redis_url()],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    seconds = time.monotonic() - started
    print(done.stdout[-6000:], done.stderr[-3000:], f"smoke run: {seconds:.0f} s", sep="\n")
    assert done.returncode == 0, f"bench --smoke exited with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert "#### Where the CPU goes" in (out / "RESULTS.md").read_text(encoding="utf-8")
    assert results["mode"] == "smoke"
    assert results["failures"] == []
    assert set(results["datasets"]) == {"demo", "scale"}
    for name, data in results["datasets"].items():
        assert data["baseline"]["requests_per_s"] > 0 and data["baseline"]["errors"] == 0, name
        pages = {page["name"]: page for page in data["pages"]}
        assert set(pages) == PAGES, name
        # Baseline, page, baseline, …: one baseline before the first page and one after each, every page judged against
        # the two beside it.
        measured = [m["requests_per_s"] for m in data["baseline"]["measurements"]]
        assert len(measured) == len(PAGES) + 1 and all(rps > 0 for rps in measured), name
        assert [m["after_page"] for m in data["baseline"]["measurements"]] == [None, *(page["name"] for page in data["pages"])]
        for index, page in enumerate(data["pages"]):
            where = f"{name} {page['name']} {page.get('path')}"
            assert page["status"] == 200, where
            assert page["errors"] == 0, where
            assert page["requests_per_s"] > 0 and page["ratio"] > 0, where
            assert page["baseline_pair"] == measured[index:index + 2], where
            assert page["ratio"] == pytest.approx(page["requests_per_s"] / page["baseline_rps"], abs=0.001), where
            assert page["queries"] is not None, where
        writes = data["writes"]
        assert set(writes) == SCENARIOS, name
        # The writes are put beside the baselines just before them (the reads' last) and just after them.
        around = data["writes_baseline"]
        assert around["before"] == measured[-1] and around["after"] > 0, name
        assert around["requests_per_s"] == pytest.approx((around["before"] + around["after"]) / 2, abs=0.1), name
        for scenario_name, scenario in writes.items():
            assert scenario["errors"] == 0 and scenario["answered"] == scenario["attempts"], (name, scenario_name, scenario)
            assert all(check["passed"] for check in scenario["checks"]), (name, scenario_name, scenario["checks"])
            cpu_ms = scenario["cpu_ms_per_attempt"]  # the portal's workers did the work; everyone's share is counted
            assert cpu_ms["portal"] > 0, (name, scenario_name, cpu_ms)
            assert cpu_ms["total"] == pytest.approx(sum(cpu_ms[g] for g in ("portal", "postgresql", "redis", "client")), abs=0.05)
        # CPU time is counted in clock ticks (10 ms): the few requests of a small race can cost the client, or PostgreSQL
        # (nine of the ten claims of the smoke's wish race are refused after two small reads), less than one, so
        # their shares are only sure to show over all the scenarios.
        for group in ("postgresql", "client"):
            assert sum(scenario["cpu_ms_per_attempt"][group] for scenario in writes.values()) > 0, (name, group)
        settings_used = results["settings"]
        assert writes["booking_race"]["attempts"] == settings_used["race_attempts"]
        assert data["write_database"]["booking_race"]["by_status"].get("confirmed") == settings_used["race_seats"]
        assert writes["lunch_race"]["won"] == data["write_database"]["lunch_race"]["orders"] == settings_used["lunch_portions"]
        assert writes["wish_race"]["won"] == 1 == data["write_database"]["wish_race"]["live_claims"]

    after = real_results.stat().st_mtime_ns if real_results.exists() else None
    assert after == before, "the smoke run must never write bench/RESULTS.md"
