"""The benchmark of issue #8: the portal under gunicorn on PostgreSQL, against a bare-Django baseline.

    make bench                                   # the real thing: demo and city-scale data, writes bench/RESULTS.md
    .venv/bin/python -m bench.run --smoke        # tiny data and short runs, results in a temp dir; exit 1 on errors
    .venv/bin/python -m bench.run --reuse-scale  # skip seeding the city-scale database (minutes) when it is there already

For each dataset (demo: `seed_demo`; city scale: `seed_scale`), in its own database that is dropped and created
again: the pages are picked from the database, their SQL queries per request counted (Django's test Client,
steady state), then the baseline and the pages are loaded with wrk in turn — baseline, page, baseline, page, …,
baseline — and then the writes race over HTTP. Every page's req/s is reported as a ratio to the mean of the two
baselines measured just before and just after it: on a shared machine whose speed drifts during the run, a page is
then judged against the machine's speed at its own time, not that of minutes before or after it. The run exits
non-zero when a page answered with errors or a write ended wrong — not when a speed target is missed (RESULTS.md says
which are).
"""

import argparse
import importlib.metadata
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from bench import cpu, report, servers, writes, wrk

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
PYTHON = sys.executable
MANAGE_TIMEOUT_S = 3 * 3600  # migrate and seeding (seed_scale's defaults take minutes)
DBTASK_TIMEOUT_S = 900  # picking pages, counting queries, making and checking the write fixtures

# Defaults of the real run and of --smoke; an option given on the command line wins over both.
FULL = {
    "datasets": "demo,scale", "duration": 20.0, "runs": 3, "warmup": 5.0, "connections": 16,
    "race_attempts": 200, "race_seats": 30, "lunch_portions": 30, "wish_claimers": 50, "race_clients": 50,
    "uncontended": 300, "write_threads": 16, "db_prefix": "portal_bench", "scale_sizes": "", "settle": 180.0,
}
SMOKE = {
    "datasets": "demo,scale", "duration": 1.0, "runs": 1, "warmup": 0.0, "connections": 16,
    "race_attempts": 40, "race_seats": 10, "lunch_portions": 10, "wish_claimers": 10, "race_clients": 20,
    "uncontended": 40, "write_threads": 8, "db_prefix": "portal_bench_smoke", "settle": 0.0,
    "scale_sizes": "--stations 40 --events 200 --bookings 1000 --wishes 100 --lunch-orders 300 --users 200",
}
# The baseline is measured once more than there are pages, so each measurement is shorter than a page's: one run of
# --baseline-duration (at most BASELINE_DURATION_S unless given) after a warm-up of at most BASELINE_WARMUP_S.
BASELINE_DURATION_S = 10.0
BASELINE_WARMUP_S = 2.0
BASELINE_RUNS = 1


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--smoke", action="store_true", help="tiny data, one short run per page, small races; results go to a temp dir")
    add("--datasets", help="comma-separated: demo, scale (default: both)")
    add("--reuse-scale", action="store_true", help="use the city-scale database as it is (migrated, not dropped nor seeded again)")
    add("--pages", default="", help="comma-separated page names to measure (default: all)")
    add("--no-writes", action="store_true", help="measure the read pages only")
    add("--duration", type=float, help="seconds per wrk run (default 20)")
    add("--runs", type=int, help="wrk runs per page; the median is reported (default 3)")
    add("--warmup", type=float, help="seconds of wrk warm-up before a page's runs (default 5)")
    add("--baseline-duration", type=float,
        help=f"seconds of each baseline measurement — one before the first page and one after each page, {BASELINE_RUNS} run "
             f"after a warm-up of {BASELINE_WARMUP_S:.0f} s (or --warmup, when shorter) (default {BASELINE_DURATION_S:.0f}, or "
             "--duration when shorter)")
    add("--connections", type=int, help="wrk's concurrent connections (default 16)")
    add("--wrk-threads", type=int, default=min(2, os.cpu_count() or 1), help="wrk threads (default: 2, or 1 on one core)")
    add("--wrk-timeout", type=int, default=10, help="seconds after which wrk counts a request as a timeout error (default 10)")
    add("--workers", type=int, default=4, help="gunicorn sync workers per server (default 4)")
    add("--race-attempts", type=int, help="booking and lunch race attempts, each by a different person (default 200)")
    add("--race-seats", type=int, help="seats of the race event (default 30)")
    add("--lunch-portions", type=int, help="portions of the race offer (default 30)")
    add("--wish-claimers", type=int, help="verified party members racing for one wish (default 50)")
    add("--race-clients", type=int, help="concurrent client threads in a race (default 50)")
    add("--uncontended", type=int, help="uncontended bookings, and lunch orders (default 300 each)")
    add("--write-threads", type=int, help="client threads for the uncontended writes (default 16)")
    add("--write-deadline", type=float, default=120.0, help="seconds after which a write scenario starts no more attempts")
    add("--settle", type=float, help="before each dataset, wait up to this many seconds for the load average to fall below "
                                     f"{SETTLED_LOAD} (default 180; smoke: 0)")
    add("--near", default="31.2155,121.4515", help="lat,lng of the near-me page (default: 淮海中路 by 淮海·1298)")
    add("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"),
        help="the PostgreSQL server, without a database name (default: $BENCH_PG_URL or postgres://postgres@127.0.0.1:5432)")
    add("--redis-url", default="redis://127.0.0.1:6379/13", help="Redis database the servers queue tasks in; flushed at start")
    add("--db-prefix", help="bench databases are <prefix>_demo and <prefix>_scale (default portal_bench; smoke: portal_bench_smoke)")
    add("--scale-sizes", help="arguments for seed_scale's sizes (default: its own defaults; smoke: tiny)")
    add("--seed", type=int, default=2026, help="seed_scale's random seed")
    add("--output-dir", help="where RESULTS.md and results.json go (default: bench/; smoke: a new temp dir)")
    add("--log-dir", help="gunicorn and seeding logs (default: a new temp dir)")
    args = parser.parse_args(argv)
    for name, value in (SMOKE if args.smoke else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.baseline_duration is None:
        args.baseline_duration = min(BASELINE_DURATION_S, args.duration)
    args.baseline_warmup = min(BASELINE_WARMUP_S, args.warmup)
    if not (args.race_attempts > max(args.race_seats, args.lunch_portions) and args.wish_claimers >= 2):
        parser.error("a race needs more attempts than seats or portions, and at least 2 claimers")
    args.datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    if unknown := set(args.datasets) - {"demo", "scale"}:
        parser.error(f"unknown dataset(s): {', '.join(sorted(unknown))}")
    if args.output_dir is None:
        args.output_dir = tempfile.mkdtemp(prefix="bench-smoke-") if args.smoke else str(BENCH_DIR)
    if args.smoke and Path(args.output_dir).resolve() == BENCH_DIR.resolve():
        parser.error("--smoke never writes into bench/: its RESULTS.md is the real run's")
    args.log_dir = args.log_dir or tempfile.mkdtemp(prefix="bench-logs-")
    Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    args.pg_url = args.pg_url.rstrip("/")
    lat, lng = (float(x) for x in args.near.split(","))
    args.near = (lat, lng)
    return args


_T0 = time.monotonic()


def say(message):
    """A progress line, stamped with the minutes and seconds since the start."""
    lead = len(message) - len(message.lstrip("\n"))
    elapsed = int(time.monotonic() - _T0)
    print(f"{message[:lead]}[{elapsed // 60:02d}:{elapsed % 60:02d}] {message[lead:]}", flush=True)


# ---------------------------------------------------------------------------
# Databases and the Django side


def server_env(args, database):
    """The environment of the portal's gunicorn (and of every Django subprocess on the same database)."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "DJANGO_ENV": "development",  # the production profile forces HTTPS redirects
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"{args.pg_url}/{database}",
        "CONN_MAX_AGE": "600",
        "REDIS_URL": args.redis_url,
    }


def _pg_admin(args):
    import psycopg2

    conn = psycopg2.connect(f"{args.pg_url}/postgres")
    conn.autocommit = True
    return conn


def recreate_database(args, name, template=None):
    conn = _pg_admin(args)  # not `with conn`: psycopg2 would open a transaction, and DROP DATABASE refuses to run in one
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        conn.close()


def database_exists(args, name):
    conn = _pg_admin(args)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cur.fetchone() is not None
    finally:
        conn.close()


def manage(args, database, *command, log_name):
    """`manage.py <command>` on `database`, its output in the log dir; raises with the log's tail if it fails."""
    log_path = Path(args.log_dir) / f"{log_name}.log"
    env = {**os.environ, **server_env(args, database)}
    with open(log_path, "ab") as log:
        done = subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False,
                              timeout=MANAGE_TIMEOUT_S)
    if done.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"manage.py {' '.join(command)} failed ({done.returncode}):\n{tail}")


def dbtask(args, database, command, payload=None):
    """Run `python -m bench.dbtasks <command>` on `database`, with `payload` in and its JSON answer out."""
    with tempfile.TemporaryDirectory(prefix="bench-task-") as tmp:
        in_path, out_path = Path(tmp) / "in.json", Path(tmp) / "out.json"
        in_path.write_text(json.dumps(payload or {}), encoding="utf-8")
        env = {**os.environ, **server_env(args, database), "ALLOWED_HOSTS": "127.0.0.1,testserver"}
        done = subprocess.run([PYTHON, "-m", "bench.dbtasks", command, str(in_path), str(out_path)], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False, timeout=DBTASK_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"bench.dbtasks {command} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return json.loads(out_path.read_text(encoding="utf-8"))


def prepare_databases(args):
    """Drop, create, migrate and seed each dataset's database (or migrate the reused city-scale one). Seconds taken, per dataset."""
    names = {d: f"{args.db_prefix}_{d}" for d in args.datasets}
    fresh = [d for d in args.datasets if not (d == "scale" and args.reuse_scale)]
    seconds = {}
    if fresh:
        first = fresh[0]
        say(f"Creating {', '.join(names[d] for d in fresh)} (migrated once, then copied) …")
        recreate_database(args, names[first])
        manage(args, names[first], "migrate", "--noinput", log_name=f"migrate-{first}")
        for other in fresh[1:]:
            recreate_database(args, names[other], template=names[first])
    for dataset in args.datasets:
        started = time.monotonic()
        if dataset not in fresh:
            if not database_exists(args, names[dataset]):
                raise SystemExit(f"--reuse-scale: there is no database {names[dataset]} yet; run once without --reuse-scale.")
            say(f"Reusing {names[dataset]} (migrating only) …")
            manage(args, names[dataset], "migrate", "--noinput", log_name=f"migrate-{dataset}")
            continue
        if dataset == "demo":
            say(f"Seeding {names[dataset]} with seed_demo …")
            manage(args, names[dataset], "seed_demo", log_name="seed-demo")
        else:
            sizes = args.scale_sizes.split() if args.scale_sizes else []
            say(f"Seeding {names[dataset]} with seed_scale {' '.join(sizes) or '(its default sizes)'} — this can take minutes …")
            manage(args, names[dataset], "seed_scale", "--seed", str(args.seed), *sizes, log_name="seed-scale")
        seconds[dataset] = time.monotonic() - started
        say(f"  seeded in {seconds[dataset]:.0f} s")
    return names, seconds


# ---------------------------------------------------------------------------
# Reads


def measure_url(args, url, *, baseline=False):
    """wrk on `url`: a page's measurement, or a baseline's shorter one (--baseline-duration, one run, a shorter warm-up)."""
    if baseline:
        seconds, runs, warmup_s = args.baseline_duration, BASELINE_RUNS, args.baseline_warmup
    else:
        seconds, runs, warmup_s = args.duration, args.runs, args.warmup
    return wrk.measure(url, seconds=seconds, runs=runs, warmup_s=warmup_s, connections=args.connections,
                       threads=args.wrk_threads, timeout_s=args.wrk_timeout)


def measure_baseline(args, baseline_server, dataset, data, after_page, started):
    """One baseline measurement, as results.json keeps it: its figures, the page measured just before it (None for the
    first, before any page) and when it began, in seconds since the dataset's reads began (`started`, monotonic)."""
    at_s = round(time.monotonic() - started, 1)
    base = measure_url(args, baseline_server.url("/"), baseline=True)
    say(f"  {'baseline':<14} {base.requests_per_s:8.1f} req/s  p50 {base.p50_ms:7.2f} ms  p99 {base.p99_ms:8.2f} ms"
        + (f"  {base.errors} ERRORS" if base.errors else ""))
    if base.errors:
        when = f"after {after_page}" if after_page else "before the first page"
        data.setdefault("failures", []).append(f"{dataset}: the baseline answered with {base.errors} errors ({when})")
    return {"after_page": after_page, "at_s": at_s, **base.as_dict()}


def measure_page(args, server, page, queries):
    """One picked page's row: a pre-flight GET (it must be a 200), then wrk. A page that fails has no figures (None)."""
    row = {"name": page["name"], "path": page["path"], **queries.get(page["name"], {"status": None, "queries": None})}
    row.update(requests_per_s=None, p50_ms=None, p99_ms=None, baseline_pair=None, baseline_rps=None, ratio=None, errors=0)
    if not page["path"]:
        row.update(errors=1, error_detail="nothing to show in this database (no such row to pick)")
        say(f"  {page['name']:<14} FAILED: {row['error_detail']}")
        return row
    try:
        status, body = servers.get(server.port, page["path"])
    except OSError as exc:
        status, body = None, str(exc).encode()
    if status != 200:
        row.update(status=status, errors=1, error_detail=f"pre-flight GET answered {status}: {body[:200]!r}")
        say(f"  {page['name']:<14} FAILED: {row['error_detail']}")
        return row
    row["bytes"] = len(body)  # what wrk transfers per request
    if row.get("status") != 200:  # the live server said 200, but the query count's request did not
        row["error_detail"] = f"the test Client got {row.get('status')}"
    try:
        result = measure_url(args, server.url(page["path"]))
    except wrk.WrkError as exc:
        row.update(errors=1, error_detail=str(exc)[:500])
        say(f"  {page['name']:<14} FAILED: {exc}")
        return row
    row.update(result.as_dict())
    if row["errors"]:
        row["error_detail"] = f"{row['errors']} non-2xx/3xx answers or socket errors under load"
    say(f"  {page['name']:<14} {result.requests_per_s:8.1f} req/s  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:8.2f} ms  "
        f"{row.get('queries')} queries ({row.get('queries_first')} on a first visit)"
        + (f"  {row['errors']} ERRORS" if row["errors"] else ""))
    return row


def judge_against(row, before, after):
    """A page's ratio: its req/s over the mean of the baselines measured just before and just after it (both kept)."""
    pair = [before["requests_per_s"], after["requests_per_s"]]
    mean = sum(pair) / 2
    row.update(baseline_pair=pair, baseline_rps=round(mean, 1), ratio=round(row["requests_per_s"] / mean, 3) if mean else None)


def measure_reads(args, server, baseline_server, pages, queries, dataset, data):
    """Baseline, page, baseline, page, …, baseline: each page is judged against the baselines beside it, so a machine
    whose speed drifts during the minutes of a dataset's reads (other load, CPU boost, throttling) moves a page and its
    denominator alike. A page that failed (no figures) has no ratio, and needs no baseline of its own: the next page's
    "before" is the last baseline measured. Returns the pages' rows and every baseline measurement, in order."""
    wanted = {p.strip() for p in args.pages.split(",") if p.strip()}
    started = time.monotonic()
    say(f"  baseline (gunicorn on :{baseline_server.port}) before the first page and after each page; portal on :{server.port} …")
    measurements = [measure_baseline(args, baseline_server, dataset, data, None, started)]
    rows = []
    for page in pages:
        if wanted and page["name"] not in wanted:
            continue
        row = measure_page(args, server, page, queries)
        rows.append(row)
        if row["requests_per_s"]:
            measurements.append(measure_baseline(args, baseline_server, dataset, data, page["name"], started))
            judge_against(row, measurements[-2], measurements[-1])
    return rows, measurements


def summarise_baselines(measurements):
    """The baseline's row in the table (the mean of every measurement, all errors), the measurements themselves, and how
    far the machine's speed moved: `drift`, from the first to the last, and `neighbour_drift`, the largest change (by
    size, with its sign) from one baseline to the next, with the page measured between those two. Only the latter can
    bend a page's ratio; the former is how far off a baseline measured only before and after all the pages would be."""
    rps = [m["requests_per_s"] for m in measurements]
    steps = [(after["requests_per_s"] / before["requests_per_s"] - 1, after["after_page"])
             for before, after in pairwise(measurements) if before["requests_per_s"]]
    step, across = max(steps, key=lambda s: abs(s[0]), default=(None, None))
    return {
        "requests_per_s": round(sum(rps) / len(rps), 1),
        "p50_ms": round(sum(m["p50_ms"] for m in measurements) / len(measurements), 2),
        "p99_ms": round(sum(m["p99_ms"] for m in measurements) / len(measurements), 2),
        "errors": sum(m["errors"] for m in measurements),
        "drift": round(rps[-1] / rps[0] - 1, 3) if len(rps) > 1 and rps[0] else None,
        "neighbour_drift": round(step, 3) if step is not None else None,
        "neighbour_drift_page": across,
        "measurements": measurements,
    }


# ---------------------------------------------------------------------------
# Writes


def write_sizes(args):
    return {
        "race_attempts": args.race_attempts, "race_seats": args.race_seats, "lunch_portions": args.lunch_portions,
        "wish_claimers": args.wish_claimers, "race_clients": args.race_clients, "uncontended": args.uncontended,
        "threads": args.write_threads,
    }


def measure_writes(args, server, database):
    """Fixtures, the five scenarios over HTTP, the database's verdict, and the fixtures removed again."""
    sizes = write_sizes(args)
    say("  writes: making fixtures (people, sessions, balances, event, offer, wish) …")
    spec = dbtask(args, database, "setup", {
        "people": max(sizes["race_attempts"], sizes["wish_claimers"], sizes["uncontended"]), "warmup": writes.WARMUP_PEOPLE,
        "race_seats": sizes["race_seats"], "lunch_portions": sizes["lunch_portions"],
        "uncontended_bookings": sizes["uncontended"], "uncontended_lunch": sizes["uncontended"], "threads": sizes["threads"],
    })
    # Should this stop half-way, the fixtures stay until the next run's "prepare" removes them: cleaning up now, while
    # client threads may still be posting, would race them.
    scenarios = writes.run_all(spec, port=server.port, sizes=sizes, deadline_s=args.write_deadline,
                               cpu_probe=lambda: cpu.snapshot(server.process.pid))
    db = dbtask(args, database, "verify-cleanup", spec)  # checked, then the fixtures are removed
    checks = writes.checks(scenarios, db, sizes)
    out = {}
    for name, scenario in scenarios.items():
        out[name] = {**scenario.as_dict(), "outcome": writes.outcome(name, scenario, db),
                     "checks": [{"check": c, "passed": bool(ok)} for c, ok in checks[name]]}
        s = out[name]
        state = "right" if all(c["passed"] for c in out[name]["checks"]) else "WRONG"
        say(f"  {name:<14} {s['attempts']} attempts from {s['clients']} clients: {s['attempts_per_s']:.1f}/s, "
            f"p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms; {s['outcome']}; errors {s['errors']} — {state}")
    out["_database"] = db
    return out


# ---------------------------------------------------------------------------
# The run


def git_commit():
    """HEAD's commit, read from .git without running git (a worktree's .git file and packed refs are followed)."""
    try:
        git = ROOT / ".git"
        if git.is_file():
            git = (ROOT / git.read_text().split(":", 1)[1].strip()).resolve()
        common = (git / (git / "commondir").read_text().strip()).resolve() if (git / "commondir").exists() else git
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        for base in (git, common):
            if (base / ref).exists():
                return (base / ref).read_text().strip()
        for line in (common / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return "unknown"


def machine():
    cpu_model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    return {"cores": os.cpu_count(), "cpu_model": cpu_model, "memory_gb": mem_kb / 1024 / 1024, "os": platform.platform()}


SETTLED_LOAD = 0.5


def _settle(max_wait_s):
    """Wait (at most `max_wait_s`) for the 1-minute load average to fall below SETTLED_LOAD: work left over from the
    step before (PostgreSQL's autovacuum and checkpoints after seeding millions of rows) would compete with the
    measurements and make the baseline drift."""
    deadline = time.monotonic() + max_wait_s
    if max_wait_s <= 0 or os.getloadavg()[0] < SETTLED_LOAD:
        return
    say(f"  waiting up to {max_wait_s:.0f} s for the machine to settle (load average {os.getloadavg()[0]:.2f}) …")
    while time.monotonic() < deadline and os.getloadavg()[0] >= SETTLED_LOAD:
        time.sleep(5)


def _load_check():
    """The 1-minute load average now; a warning when other work competes for the CPU (the figures will be noisy)."""
    load = os.getloadavg()[0]
    if load > 1.0:
        say(f"  WARNING: load average {load:.2f} before measuring — something else is using the CPU; figures will be noisy.")
    return round(load, 2)


def flush_redis(url):
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {url} is not reachable ({exc}): the portal queues its tasks there. Start Redis, or pass --redis-url.") from None


def _clean(value):
    """NaN (a figure with no data) becomes null in the JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def run_dataset(args, dataset, database, baseline_server, seed_seconds):
    data = {"database": database, "seed_seconds": seed_seconds.get(dataset)}
    say(f"\n=== {dataset}: {database}")
    _settle(args.settle)
    data["load_average_before"] = _load_check()
    # The portal's page cache (and Celery's queue) live in this Redis database: nothing of another dataset may be served.
    flush_redis(args.redis_url)
    # Leftover fixtures of a run that stopped half-way out; the row counts; the pages picked and their queries counted.
    prepared = dbtask(args, database, "prepare", {"near": list(args.near)})
    info, pages, queries = prepared["info"], prepared["pages"], prepared["queries"]
    say(f"  picked {sum(1 for p in pages if p['path'])} pages and counted their queries")
    data["counts"], data["postgresql"], data["page_cache"] = info["counts"], info["postgresql"], info["page_cache"]
    with servers.gunicorn(f"portal-{dataset}", "portal.wsgi:application", env=server_env(args, database), log_dir=args.log_dir,
                          workers=args.workers, ready_path="/healthz") as server:
        say(f"  portal ready (gunicorn on :{server.port})")
        data["baseline_bytes"] = len(servers.get(baseline_server.port, "/")[1])
        data["pages"], measurements = measure_reads(args, server, baseline_server, pages, queries, dataset, data)
        data["baseline"] = base = summarise_baselines(measurements)
        say(f"  ratios, each to the baselines beside it (overall drift {report.percent(base['drift'])}, largest change between "
            f"neighbouring baselines {report.percent(base['neighbour_drift'])}): "
            + ", ".join(f"{row['name']} {row['ratio']:.2f}" for row in data["pages"] if row.get("ratio") is not None))
        if not args.no_writes:
            try:
                data["writes"] = measure_writes(args, server, database)
                data["write_database"] = data["writes"].pop("_database")
            except Exception as exc:  # reported as a failure, and the run goes on to the report
                data["writes"] = {name: {"error": f"{type(exc).__name__}: {exc}"[:800]} for name in report.SCENARIOS}
                say(f"  writes FAILED: {exc}")
            # As each page is, the writes are put beside the machine's speed at their time: the baselines just before them
            # (the reads' last) and just after them.
            after = measure_baseline(args, baseline_server, dataset, data, "writes", time.monotonic())
            data["writes_baseline"] = {"before": measurements[-1]["requests_per_s"], "after": after["requests_per_s"],
                                       "requests_per_s": round((measurements[-1]["requests_per_s"] + after["requests_per_s"]) / 2, 1)}
        # gunicorn's error log, less WhiteNoise's warning that there is no collectstatic folder (there needn't be one here)
        noise = ("No directory at:", "mw_instance = middleware(")
        if tail := "\n".join(line for line in server.log_tail(80).splitlines() if not any(n in line for n in noise)).strip():
            data["server_log_tail"] = tail
    return data


def _stop_on_sigterm(signum, frame):
    # A SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the `finally` blocks stop every gunicorn this run started.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    os.chdir(ROOT)
    started = datetime.now(UTC)
    wrk.ensure_installed()
    if not servers.GUNICORN.exists():
        raise SystemExit(f"gunicorn is not installed at {servers.GUNICORN}: run `make .venv/.runtime` (it is in requirements.txt).")
    flush_redis(args.redis_url)
    say(f"Logs: {args.log_dir}")
    results = {
        "mode": "smoke" if args.smoke else "full",
        "started_at": started.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        "commit": git_commit(),
        "versions": {
            "python": platform.python_version(),
            "django": importlib.metadata.version("Django"),
            "gunicorn": importlib.metadata.version("gunicorn"),
            "wrk": wrk.version(),
        },
        "settings": {
            "workers": args.workers, "connections": args.connections, "wrk_threads": args.wrk_threads, "duration_s": args.duration,
            "runs": args.runs, "warmup_s": args.warmup, "baseline_duration_s": args.baseline_duration, "baseline_runs": BASELINE_RUNS,
            "baseline_warmup_s": args.baseline_warmup, "wrk_timeout_s": args.wrk_timeout, "near": ",".join(map(str, args.near)),
            **write_sizes(args), "write_threads": args.write_threads, "datasets": args.datasets, "reuse_scale": args.reuse_scale,
            "settle_s": args.settle, "write_warmup": writes.WARMUP_PEOPLE,
            "server_env": {k: v for k, v in server_env(args, f"{args.db_prefix}_<dataset>").items() if k != "DJANGO_SETTINGS_MODULE"},
        },
        "datasets": {},
        "failures": [],
    }
    names, seed_seconds = prepare_databases(args)
    with servers.gunicorn("baseline", "bench.baseline.wsgi:application", env={"DJANGO_SETTINGS_MODULE": "bench.baseline.settings"},
                          log_dir=args.log_dir, workers=args.workers) as baseline_server:
        for dataset in args.datasets:
            try:
                data = run_dataset(args, dataset, names[dataset], baseline_server, seed_seconds)
            except Exception as exc:  # one dataset failing still leaves the other's figures and the report
                data = {"database": names[dataset], "pages": [], "failures": [f"{dataset}: {type(exc).__name__}: {exc}"]}
                say(f"  {dataset} FAILED: {exc}")
            results["failures"] += data.pop("failures", [])
            if data.get("postgresql"):
                results["versions"]["postgresql"] = data["postgresql"]
            results["datasets"][dataset] = data
    results["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    failures = report.judge(results)
    json_path, md_path = report.write(_clean(results), args.output_dir)
    say(f"\nWrote {md_path} and {json_path}")
    if failures:
        say("FAILED:\n" + "\n".join(f"  - {f}" for f in failures))
        return 1
    say("No errors; every write outcome was right. (Speed targets: see RESULTS.md.)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        print(f"\nInterrupted ({exc or 'Ctrl-C'}): every server this run started is stopped; no report was written.", flush=True)
        sys.exit(130)
