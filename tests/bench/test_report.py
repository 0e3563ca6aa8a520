"""bench/report.py: the write table puts each rate next to the machine's speed (the same run's baseline); the pages table
says which baseline each page was judged against, and how far the baseline drifted (results.json of either method)."""

from bench import report


def test_each_write_rate_is_also_shown_per_thousand_baseline_requests():
    writes = {"booking_race": {"attempts": 200, "clients": 50, "attempts_per_s": 90.0, "p50_ms": 500.0, "p99_ms": 700.0,
                               "outcome": "30 confirmed, 170 waitlisted", "errors": 0, "target": "≥ 180/s", "verdict": "FAIL"}}
    row = next(line for line in report._writes_table(writes, baseline_rps=1500.0) if line.startswith("| Booking race"))
    assert "| 90.0 | 60.0 | 500.0 | 700.0 |" in row  # 90 ÷ 1,500 × 1,000
    row = next(line for line in report._writes_table(writes) if line.startswith("| Booking race"))
    assert "| 90.0 | — | 500.0 |" in row


def test_the_writes_are_put_beside_the_baselines_measured_just_before_and_after_them():
    writes = {"booking_quiet": {"attempts": 300, "clients": 16, "attempts_per_s": 120.0, "p50_ms": 100.0, "p99_ms": 150.0,
                                "outcome": "300 confirmed", "errors": 0, "target": "≥ 140/s", "verdict": "FAIL"}}
    data = {"baseline": {"requests_per_s": 2400.0}, "writes": writes,
            "writes_baseline": {"before": 1400.0, "after": 1600.0, "requests_per_s": 1500.0}}
    assert report._writes_baseline_rps(data) == 1500.0
    assert "just before the writes (1,400.0 req/s) and just after them (1,600.0 req/s)" in report._writes_baseline_sentence(data)[0]
    row = next(line for line in report._writes_table(writes, report._writes_baseline_rps(data)) if line.startswith("| Uncontended bookings"))
    assert "| 120.0 | 80.0 |" in row  # 120 ÷ 1,500 × 1,000, not ÷ the dataset's mean of 2,400
    # results.json of the earlier method: the dataset's baseline row, and no sentence
    del data["writes_baseline"]
    assert report._writes_baseline_rps(data) == 2400.0 and report._writes_baseline_sentence(data) == []


SETTINGS = {"workers": 4, "connections": 16, "wrk_threads": 2, "duration_s": 20.0, "runs": 3, "warmup_s": 5.0, "wrk_timeout_s": 10,
            "near": "31.2155,121.4515", "race_attempts": 200, "race_clients": 50, "race_seats": 30, "lunch_portions": 30,
            "wish_claimers": 50, "uncontended": 300, "write_threads": 16, "server_env": {"DEBUG": "false"}}


def _results(baseline, pages, **settings):
    """A results.json with one dataset, demo, whose pages were judged against `baseline`."""
    return {"mode": "full", "started_at": "2026-01-01 00:00:00", "finished_at": "2026-01-01 00:30:00", "commit": "abc",
            "machine": {"cores": 2, "cpu_model": "CPU", "memory_gb": 4.0, "os": "Linux"},
            "versions": {"python": "3.11", "django": "5.2", "gunicorn": "23", "wrk": "4.1"},
            "settings": {**SETTINGS, **settings}, "failures": [],
            "datasets": {"demo": {"database": "portal_bench_demo", "baseline_bytes": 5120, "baseline": baseline, "pages": pages}}}


def _page(name, rps, ratio, **judged_against):
    return {"name": name, "path": f"/{name}/", "status": 200, "queries": 0, "queries_first": 2, "bytes": 9216, "requests_per_s": rps,
            "p50_ms": 12.0, "p99_ms": 30.0, "ratio": ratio, "errors": 0, "target": "ratio ≥ 0.50, p99 < 100 ms", "verdict": "PASS",
            **judged_against}


def _measurement(after_page, rps):
    return {"after_page": after_page, "at_s": 0.0, "requests_per_s": rps, "p50_ms": 10.0, "p99_ms": 20.0, "errors": 0, "runs": []}


def _interleaved(rps, drift, neighbour_drift, across):
    pages = [None, "home", "lunch"]
    return {"requests_per_s": round(sum(rps) / len(rps), 1), "p50_ms": 10.0, "p99_ms": 20.0, "errors": 0, "drift": drift,
            "neighbour_drift": neighbour_drift, "neighbour_drift_page": across,
            "measurements": [_measurement(after, r) for after, r in zip(pages, rps, strict=True)]}


def _row(markdown, name):
    return next(line for line in markdown.splitlines() if line.startswith(f"| {name} |"))


def test_the_report_shows_each_pages_neighbouring_baselines_and_warns_when_two_neighbours_differ_by_more_than_ten_percent():
    pages = [_page("home", 600.0, 0.571, baseline_pair=[1000.0, 1100.0], baseline_rps=1050.0),
             _page("lunch", 800.0, 0.604, baseline_pair=[1100.0, 1550.0], baseline_rps=1325.0),
             {"name": "gone", "path": None, "requests_per_s": None, "ratio": None, "baseline_rps": None, "errors": 1, "verdict": "FAIL"}]
    text = report.markdown(_results(_interleaved([1000.0, 1100.0, 1550.0], 0.55, 0.409, "lunch"), pages,
                                    baseline_duration_s=10.0, baseline_runs=1, baseline_warmup_s=2.0))
    assert "| page | path | req/s | p50 ms | p99 ms | SQL queries/request | baseline req/s | ratio to baseline |" in text
    assert "| 600.0 | 12.00 | 30.00 | 0 (first: 2) | 1,050.0 | 0.571 |" in _row(text, "home")
    assert "| 1,325.0 | 0.604 |" in _row(text, "lunch")
    assert "| — | — |" in _row(text, "gone")
    assert "| bench/baseline `/`, mean of 3 | 1,216.7 |" in _row(text, "**baseline**")
    assert ("Each page is compared with the baselines measured just before and just after it (their mean is its \"baseline req/s\"): "
            "3 baseline measurements, 1,000.0–1,550.0 req/s; overall drift +55% (last against first), largest change between "
            "neighbouring baselines +41% (across `lunch`). **Between two neighbouring baselines the machine's speed changed by more "
            "than 10%") in text
    assert "measured by the same wrk before the first page and again after each page: 2 s warm-up, then 1 run(s) of 10 s" in text


def test_a_large_overall_drift_made_of_small_neighbour_steps_is_no_warning():
    rps = [1000.0, 1080.0, 1160.0]  # +16 % in all, +8 % and +7 % from one baseline to the next
    pages = [_page("home", 600.0, 0.577, baseline_pair=rps[:2], baseline_rps=1040.0),
             _page("lunch", 800.0, 0.714, baseline_pair=rps[1:], baseline_rps=1120.0)]
    text = report.markdown(_results(_interleaved(rps, 0.16, 0.08, "home"), pages,
                                    baseline_duration_s=10.0, baseline_runs=1, baseline_warmup_s=2.0))
    assert "overall drift +16% (last against first), largest change between neighbouring baselines +8% (across `home`)." in text
    assert "**" not in text.split("### Read pages")[1].split("| page |")[0]


def test_the_report_still_renders_results_of_the_single_before_and_after_baseline():
    old = {"requests_per_s": 1279.4, "p50_ms": 11.95, "p99_ms": 23.09, "errors": 0, "drift": 0.334,
           "before": {"requests_per_s": 1096.1, "p50_ms": 13.62, "p99_ms": 26.04, "errors": 0, "runs": []},
           "after": {"requests_per_s": 1462.7, "p50_ms": 10.29, "p99_ms": 20.14, "errors": 0, "runs": []}}
    text = report.markdown(_results(old, [_page("home", 811.6, 0.634)]))
    assert ("Baseline before the pages 1,096.1 req/s, after them 1,462.7 req/s (drift +33%); the ratios use their mean. "
            "**The machine's speed changed during the run") in text
    assert "| 1,279.4 | 0.634 |" in _row(text, "home")  # every page was judged against the one mean
    assert "| bench/baseline `/` | 1,279.4 |" in _row(text, "**baseline**")
    assert "no middleware, no database)." in text and "after each page" not in text
