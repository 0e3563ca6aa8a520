"""The targets of issue #8, judged on the figures, and the two reports: RESULTS.md for people, results.json for programs.

Targets (PASS/FAIL per row; missing a speed target never makes the run fail, only errors and wrong outcomes do):
- demo data: every public read page ≥ 50 % of the baseline's req/s, and p99 < 100 ms;
- city-scale data: each page's ratio within 20 % of its demo ratio (≥ 0.8 × it), and no more SQL queries than on demo
  (in steady state, and on the first visit: with the portal's page cache the steady state is often 0);
- races: ≥ 180 attempts/s, exactly the right number of winners, no 5xx or connection error;
- uncontended bookings and lunch orders: ≥ 140/s.
"""

import json
import math
from pathlib import Path

DEMO_MIN_RATIO = 0.5
DEMO_MAX_P99_MS = 100.0
SCALE_MIN_RATIO_OF_DEMO = 0.8
RACE_MIN_PER_S = 180.0
QUIET_MIN_PER_S = 140.0
# A change of the baseline's req/s from one measurement to the next above this: the page measured between them was
# judged against a machine whose speed changed under it, and its ratio is not to be trusted.
MAX_NEIGHBOUR_DRIFT = 0.10

SCENARIOS = {
    "booking_race": ("Booking race", "race"),
    "lunch_race": ("Lunch order race", "race"),
    "wish_race": ("Wish claim race", "race"),
    "booking_quiet": ("Uncontended bookings", "quiet"),
    "lunch_quiet": ("Uncontended lunch orders", "quiet"),
}


def _no_more_queries(page, demo):
    """No more queries than on demo, in steady state and on the first visit (with a page cache, the first shows the rendering)."""
    pairs = [(page.get(k), demo.get(k)) for k in ("queries", "queries_first")]
    return all(mine is not None and (theirs is None or mine <= theirs) for mine, theirs in pairs)


def _ok(value):
    return "PASS" if value else "FAIL"


def judge(results):
    """Add each row's target and verdict to `results` (in place); returns the list of failures that make the run fail."""
    failures = list(results.get("failures", []))
    datasets = results["datasets"]
    demo_pages = {p["name"]: p for p in datasets.get("demo", {}).get("pages", [])}
    for dataset, data in datasets.items():
        for page in data.get("pages", []):
            if page.get("errors") or page.get("status") != 200:
                failures.append(f"{dataset}: page {page['name']} ({page.get('path')}) failed: {page.get('error_detail') or 'errors'}")
                page["target"], page["verdict"] = "no errors", "FAIL"
                continue
            if dataset == "scale":
                demo = demo_pages.get(page["name"])
                if not demo or not demo.get("ratio"):
                    page["target"], page["verdict"] = "needs the demo figures of the same run", "n/a"
                    continue
                floor = SCALE_MIN_RATIO_OF_DEMO * demo["ratio"]
                page["target"] = (f"ratio ≥ {floor:.3f} (0.8 × demo {demo['ratio']:.3f}); queries ≤ {demo.get('queries')}, "
                                  f"first visit ≤ {demo.get('queries_first')}")
                page["verdict"] = _ok(page["ratio"] >= floor and _no_more_queries(page, demo))
            else:
                page["target"] = f"ratio ≥ {DEMO_MIN_RATIO:.2f}, p99 < {DEMO_MAX_P99_MS:.0f} ms"
                page["verdict"] = _ok(page["ratio"] >= DEMO_MIN_RATIO and page["p99_ms"] < DEMO_MAX_P99_MS)
        for name, scenario in data.get("writes", {}).items():
            if "error" in scenario:
                failures.append(f"{dataset}: {name} did not run: {scenario['error']}")
                scenario["target"], scenario["verdict"] = "", "FAIL"
                continue
            kind = SCENARIOS[name][1]
            floor = RACE_MIN_PER_S if kind == "race" else QUIET_MIN_PER_S
            correct = all(check["passed"] for check in scenario["checks"])
            for check in scenario["checks"]:
                if not check["passed"]:
                    failures.append(f"{dataset}: {name}: check failed: {check['check']}")
            scenario["target"] = f"≥ {floor:.0f}/s" + (", right winners, no error" if kind == "race" else ", all placed, no error")
            scenario["verdict"] = _ok(correct and scenario["attempts_per_s"] >= floor)
    results["failures"] = failures
    return failures


def _num(value, digits=1):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def percent(change):
    """A relative change with its sign ("+12%"), or "—" when there is none (a single baseline measurement)."""
    return "—" if change is None else f"{change:+.0%}"


def _machine_section(results):
    m, v = results["machine"], results["versions"]
    rows = [
        ("CPU", f"{m['cpu_model']} ({m['cores']} cores)"),
        ("Memory", f"{m['memory_gb']:.1f} GB"),
        ("OS", m["os"]),
        ("Commit", f"`{results['commit']}`"),
        ("Python", v["python"]),
        ("Django", v["django"]),
        ("PostgreSQL", v.get("postgresql", "?")),
        ("gunicorn", v["gunicorn"]),
        ("wrk", v["wrk"]),
    ]
    return ["| | |", "|---|---|", *[f"| {k} | {val} |" for k, val in rows]]


def _settings_section(results):
    s = results["settings"]
    env = " ".join(f"`{k}={v}`" for k, v in s["server_env"].items())
    return [
        f"- Servers: gunicorn, {s['workers']} sync workers each, on 127.0.0.1, access log off; the portal with {env}.",
        "- Baseline: the same gunicorn serving `bench/baseline/` (a bare Django view rendering a ~5 KB template, no apps, "
        "no middleware, no database)" + _baseline_schedule(s),
        f"- Reads: wrk, {s['connections']} connections, {s['wrk_threads']} threads, {_num(s['warmup_s'], 0)} s warm-up, then "
        f"{s['runs']} run(s) of {_num(s['duration_s'], 0)} s; the median of each figure. Anonymous GETs. "
        "SQL queries per request: the same URL through Django's test Client on the same database (DEBUG off), "
        "a first-time visitor's second visit (steady state: per-process and shared caches filled by the first).",
        f"- Writes over HTTP (stdlib http.client, logged-in sessions, CSRF): races of {s['race_attempts']} attempts from "
        f"{s['race_clients']} clients on {s['race_seats']} seats / {s['lunch_portions']} portions; one wish and "
        f"{s['wish_claimers']} claimers; {s['uncontended']} uncontended bookings (one event per client) and lunch orders "
        f"(one offer per client; the street's subsidy budget row is shared by all) from {s['write_threads']} clients"
        + (f"; first, unmeasured, a warm-up of {s['write_warmup']} bookings, orders and claims by other people (each worker's "
           "first writes pay for what a process makes once)." if s.get("write_warmup") else "."),
        f"- Near-me point: `{s['near']}`. Mode: **{results['mode']}**.",
    ]


def _baseline_schedule(s):
    """When and how long the baseline was measured (results.json of before the interleaved baselines does not say)."""
    if "baseline_duration_s" not in s:
        return "."
    return (f", measured by the same wrk before the first page and again after each page: {_num(s['baseline_warmup_s'], 0)} s "
            f"warm-up, then {s['baseline_runs']} run(s) of {_num(s['baseline_duration_s'], 0)} s each time. A page's ratio is its "
            "req/s over the mean of the two baselines measured just before and just after it, so a drift of the machine's speed "
            "moves both alike; the baseline's row in the tables is the mean of all its measurements.")


def _queries(page):
    if page.get("queries") is None:
        return "—"
    first = page.get("queries_first")
    return f"{page['queries']}" + (f" (first: {first})" if first is not None and first != page["queries"] else "")


def _judged_against(page, base):
    """The baseline req/s a page's ratio was taken against: the mean of its two neighbours; in results.json of before the
    interleaved baselines, the dataset's one baseline (the mean of its measurements before and after all pages)."""
    if "baseline_rps" in page:
        return page["baseline_rps"]
    return base.get("requests_per_s") if page.get("ratio") is not None else None


def _pages_table(data):
    lines = [
        "| page | path | req/s | p50 ms | p99 ms | SQL queries/request | baseline req/s | ratio to baseline | size KB | target | result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    base = data.get("baseline") or {}
    if base:
        how_many = f", mean of {len(base['measurements'])}" if base.get("measurements") else ""
        lines.append(f"| **baseline** | bench/baseline `/`{how_many} | {_num(base['requests_per_s'])} | {_num(base['p50_ms'], 2)} | "
                     f"{_num(base['p99_ms'], 2)} | 0 | | 1.000 | {_num(data.get('baseline_bytes', 0) / 1024)} | | |")
    for p in data.get("pages", []):
        ratio = _num(p.get("ratio"), 3) if p.get("ratio") is not None else "—"
        errors = f" ({p['errors']} errors)" if p.get("errors") else ""
        lines.append(
            f"| {p['name']} | `{p.get('path') or '—'}` | {_num(p.get('requests_per_s'))}{errors} | {_num(p.get('p50_ms'), 2)} | "
            f"{_num(p.get('p99_ms'), 2)} | {_queries(p)} | {_num(_judged_against(p, base))} | {ratio} | "
            f"{_num(p['bytes'] / 1024) if p.get('bytes') else '—'} | {p.get('target', '')} | {p.get('verdict', '')} |"
        )
    return lines


def _baseline_sentence(base):
    """How the ratios were taken and how far the machine's speed moved meanwhile, with a warning when it moved enough to
    bend a ratio. results.json of before the interleaved baselines has one measurement before the pages and one after."""
    if base.get("measurements"):
        rps = [m["requests_per_s"] for m in base["measurements"]]
        step = base.get("neighbour_drift")
        across = f" (across `{base['neighbour_drift_page']}`)" if base.get("neighbour_drift_page") else ""
        return ("Each page is compared with the baselines measured just before and just after it (their mean is its "
                f"\"baseline req/s\"): {len(rps)} baseline measurements, {_num(min(rps))}–{_num(max(rps))} req/s; overall drift "
                f"{percent(base.get('drift'))} (last against first), largest change between neighbouring baselines {percent(step)}"
                f"{across}."
                + (f" **Between two neighbouring baselines the machine's speed changed by more than {MAX_NEIGHBOUR_DRIFT:.0%}: "
                   "the ratio of the page measured between them is not to be trusted; run again on a quiet machine.**"
                   if step is not None and abs(step) > MAX_NEIGHBOUR_DRIFT else ""))
    if base.get("before") and base.get("after"):
        drift = base.get("drift") or 0
        return (f"Baseline before the pages {_num(base['before']['requests_per_s'])} req/s, after them "
                f"{_num(base['after']['requests_per_s'])} req/s (drift {drift:+.0%}); the ratios use their mean."
                + (" **The machine's speed changed during the run: run again on a quiet machine before trusting the ratios.**"
                   if abs(drift) > 0.10 else ""))
    return None


def _writes_baseline_rps(data):
    """The baseline the writes are put beside: the mean of those measured just before and after them, or (results of
    an earlier method) the dataset's baseline row."""
    return (data.get("writes_baseline") or data.get("baseline") or {}).get("requests_per_s")


def _writes_baseline_sentence(data):
    around = data.get("writes_baseline")
    if not around:
        return []
    return [f"\"Per 1,000 baseline req/s\" divides by the baseline measured just before the writes ({_num(around['before'])} "
            f"req/s) and just after them ({_num(around['after'])} req/s): their mean, {_num(around['requests_per_s'])} req/s.", ""]


def _writes_table(writes, baseline_rps=None):
    """The write scenarios; "per 1,000 baseline req/s" puts each rate next to the machine's speed at the time, so runs on
    machines of different speeds can be compared (the targets themselves are absolute rates)."""
    lines = [
        "| scenario | attempts | clients | attempts/s | per 1,000 baseline req/s | p50 ms | p99 ms | outcome | errors | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|",
    ]
    for name, s in writes.items():
        title = SCENARIOS[name][0]
        if "error" in s:
            lines.append(f"| {title} | | | | | | | | | {s['error']} | FAIL |")
            continue
        per_baseline = _num(s["attempts_per_s"] * 1000 / baseline_rps) if baseline_rps else "—"
        lines.append(
            f"| {title} | {s['attempts']} | {s['clients']} | {_num(s['attempts_per_s'])} | {per_baseline} | {_num(s['p50_ms'])} | "
            f"{_num(s['p99_ms'])} | "
            f"{s.get('outcome', '')} | {s['errors']} | {s['target']} | {s['verdict']} |"
        )
    lines.append("")
    lines.append("Correctness checks (from the database and the answers):")
    lines.append("")
    for name, s in writes.items():
        for check in s.get("checks", []):
            lines.append(f"- {'✔' if check['passed'] else '✘'} {SCENARIOS[name][0]}: {check['check']}")
        if s.get("problems"):
            lines.append(f"  - unexpected answers: {s['problems']}")
        if s.get("refusal_messages"):
            lines.append(f"  - refusals shown: {s['refusal_messages']}")
    return lines


def _cpu_table(writes, cores):
    """Where each write's CPU time went, and the rate the machine's cores could give at that cost (bench/cpu.py)."""
    rows = [(name, s) for name, s in writes.items() if s.get("cpu_ms_per_attempt")]
    if not rows or not cores:
        return []
    lines = [
        "#### Where the CPU goes",
        "",
        f"CPU milliseconds per attempt, by process group, read from /proc before and after each scenario. With {cores} cores "
        f"fully busy, a write costing T ms can go at most {cores} × 1000 ÷ T per second: a scenario near that ceiling is bound "
        "by the CPU (only a cheaper write goes faster); one well below it waits (locks, round trips).",
        "",
        "| scenario | attempts/s | portal workers | PostgreSQL | Redis | client | total | CPU ceiling /s | reached |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in rows:
        cpu_ms = s["cpu_ms_per_attempt"]
        ceiling = cores * 1000 / cpu_ms["total"] if cpu_ms["total"] else None
        reached = f"{s['attempts_per_s'] / ceiling:.0%}" if ceiling else "—"
        lines.append(f"| {SCENARIOS[name][0]} | {_num(s['attempts_per_s'])} | {_num(cpu_ms['portal'], 2)} | {_num(cpu_ms['postgresql'], 2)} | "
                     f"{_num(cpu_ms['redis'], 2)} | {_num(cpu_ms['client'], 2)} | {_num(cpu_ms['total'], 2)} | "
                     f"{_num(ceiling) if ceiling else '—'} | {reached} |")
    return [*lines, ""]


def markdown(results):
    """RESULTS.md."""
    lines = [
        "# Benchmark results (issue #8)",
        "",
        f"`python -m bench.run` ({results['mode']} mode), {results['started_at']} → {results['finished_at']} (UTC). "
        "Written by `bench/run.py`; the same figures are in `results.json`.",
        "",
        "## Machine and versions",
        "",
        *_machine_section(results),
        "",
        "## Settings",
        "",
        *_settings_section(results),
        "",
        "## Targets",
        "",
        f"- Demo data: every public read page ≥ {DEMO_MIN_RATIO:.0%} of the baseline's req/s and p99 < {DEMO_MAX_P99_MS:.0f} ms.",
        f"- City-scale data: each page's ratio within 20 % of its demo ratio (≥ {SCALE_MIN_RATIO_OF_DEMO} × it), "
        "and no page with more SQL queries than on demo.",
        f"- Races: ≥ {RACE_MIN_PER_S:.0f} attempts/s, with exactly the seats/portions sold or exactly 1 claim, and no 5xx or "
        "connection error.",
        f"- Uncontended bookings and lunch orders: ≥ {QUIET_MIN_PER_S:.0f}/s.",
        "",
        "A page with any error (non-2xx response, socket error, timeout) fails whatever its speed.",
        "",
    ]
    titles = {"demo": "Demo data (`seed_demo`)", "scale": "City-scale data (`seed_scale`)"}
    for dataset, data in results["datasets"].items():
        lines += [f"## {titles.get(dataset, dataset)}", ""]
        if data.get("counts"):
            lines += ["Rows: " + ", ".join(f"{k} {v:,}" for k, v in data["counts"].items()) + f". Database `{data['database']}`"
                      + (f", seeded in {data['seed_seconds']:.0f} s." if data.get("seed_seconds") else " (reused as it was).")]
            lines.append("")
        if data.get("load_average_before") is not None:
            lines += [f"1-minute load average before measuring: {data['load_average_before']:.2f} "
                      f"(on {results['machine']['cores']} cores; anything well above 0 means other work competed for the CPU).", ""]
        lines += ["### Read pages", ""]
        if sentence := _baseline_sentence(data.get("baseline") or {}):
            lines += [sentence, ""]
        if data.get("page_cache") is not None:
            lines += [f"The portal's page cache (`PAGE_CACHE_ENABLED`) was {'on' if data['page_cache'] else 'off'}. "
                      "SQL queries/request is the steady state (a second visit); \"first\" is the first visit's, when it differs.", ""]
        lines += [*_pages_table(data), ""]
        if data.get("writes"):
            lines += ["### Writes over HTTP", "", *_writes_baseline_sentence(data), *_writes_table(data["writes"], _writes_baseline_rps(data)), ""]
            lines += _cpu_table(data["writes"], results["machine"]["cores"])
    lines += ["## Failures", ""]
    lines += [f"- {f}" for f in results["failures"]] or ["None: every page answered without errors and every write check held."]
    lines.append("")
    return "\n".join(lines)


def write(results, output_dir):
    """results.json and RESULTS.md in `output_dir`; returns their paths."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = output_dir / "results.json", output_dir / "RESULTS.md"
    json_path.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")
    return json_path, md_path
