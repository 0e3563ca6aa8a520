"""bench/run.py measures the baseline next to each page (baseline, page, baseline, …) and judges each page against the two
baselines beside it, so a machine whose speed drifts during a dataset's reads cannot bend the ratios.

No server, database or wrk here: gunicorn, the pre-flight GETs, wrk and the Django-side tasks are faked, and the
baseline's speed drifts strongly (+10 %, +50 %, +3 %) from one measurement to the next.
"""

from contextlib import contextmanager

import pytest

from bench import report, run, servers, wrk

BASELINE_PORT, PORTAL_PORT = 9001, 9002
BASELINES = [1000.0, 1100.0, 1650.0, 1700.0]  # B0 … B3: the machine speeds up by 70 % during the reads
PAGES = [  # the order they are measured in; three fail, each in another way, between the measured ones
    {"name": "home", "path": "/"},
    {"name": "gone", "path": None},  # nothing to pick in this database
    {"name": "event", "path": "/events/1/"},
    {"name": "broken", "path": "/broken/"},  # the pre-flight GET answers 500
    {"name": "timeout", "path": "/wrk-fails/"},  # wrk itself fails
    {"name": "lunch", "path": "/lunch/"},
]
PAGE_RPS = {"/": 600.0, "/events/1/": 700.0, "/lunch/": 800.0}


class FakeServer:
    def __init__(self, port):
        self.port = port
        self.process = None

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def log_tail(self, lines=40):
        return ""


@pytest.fixture
def fake_bench(monkeypatch):
    """Every wrk call, in order, as (what was measured, its keyword arguments); baselines answer BASELINES in turn."""
    calls, baselines = [], iter(BASELINES)

    def measure(url, **kwargs):
        what = "baseline" if url == FakeServer(BASELINE_PORT).url("/") else url.removeprefix(FakeServer(PORTAL_PORT).url(""))
        calls.append((what, kwargs))
        if what == "/wrk-fails/":
            raise wrk.WrkError("wrk exited with 1: unable to connect")
        rps = next(baselines) if what == "baseline" else PAGE_RPS[what]
        return wrk.WrkResult(requests_per_s=rps, p50_ms=10.0, p99_ms=20.0, errors=0, runs=[])

    def get(port, path, **kwargs):
        return (500, b"Server Error") if path == "/broken/" else (200, b"x" * 5120)

    @contextmanager
    def gunicorn(*args, **kwargs):
        yield FakeServer(PORTAL_PORT)

    prepared = {"info": {"counts": {"stations": 3}, "postgresql": "15", "page_cache": True}, "pages": PAGES,
                "queries": {p["name"]: {"status": 200, "queries": 0, "queries_first": 2} for p in PAGES}}
    monkeypatch.setattr(wrk, "measure", measure)
    monkeypatch.setattr(servers, "get", get)
    monkeypatch.setattr(servers, "gunicorn", gunicorn)
    monkeypatch.setattr(run, "dbtask", lambda args, database, command, payload=None: prepared)
    monkeypatch.setattr(run, "flush_redis", lambda url: None)
    return calls


def _args(tmp_path, *extra):
    return run.parse_args(["--smoke", "--no-writes", "--output-dir", str(tmp_path), "--log-dir", str(tmp_path), *extra])


def _run(tmp_path, *extra):
    args = _args(tmp_path, *extra)
    return args, run.run_dataset(args, "demo", "portal_bench_smoke_demo", FakeServer(BASELINE_PORT), {})


def test_a_baseline_is_measured_before_the_first_page_and_after_each_measured_page(tmp_path, fake_bench):
    args, data = _run(tmp_path, "--baseline-duration", "2")
    # No baseline after a page that failed: not after "gone" or "broken" (never loaded), nor after wrk failed on "timeout".
    assert [what for what, _ in fake_bench] == ["baseline", "/", "baseline", "/events/1/", "baseline", "/wrk-fails/", "/lunch/", "baseline"]
    measurements = data["baseline"]["measurements"]
    assert [m["requests_per_s"] for m in measurements] == BASELINES
    assert [m["after_page"] for m in measurements] == [None, "home", "event", "lunch"]
    assert measurements[0]["at_s"] == 0 and all(m["at_s"] >= 0 for m in measurements)
    # A baseline is one shorter run (--baseline-duration, no warm-up in smoke mode); a page gets the usual --duration and --runs.
    for what, kwargs in fake_bench:
        if what == "baseline":
            assert (kwargs["seconds"], kwargs["runs"], kwargs["warmup_s"]) == (2.0, 1, 0.0)
        else:
            assert (kwargs["seconds"], kwargs["runs"], kwargs["warmup_s"]) == (args.duration, args.runs, args.warmup)


def test_each_page_is_judged_against_the_mean_of_the_two_baselines_beside_it(tmp_path, fake_bench):
    _, data = _run(tmp_path)
    pages = {page["name"]: page for page in data["pages"]}
    first_and_last = (BASELINES[0] + BASELINES[-1]) / 2  # what a before-and-after baseline would have used: 1,350
    for name, path, pair in (("home", "/", BASELINES[0:2]), ("event", "/events/1/", BASELINES[1:3]), ("lunch", "/lunch/", BASELINES[2:4])):
        page = pages[name]
        assert page["baseline_pair"] == pair, name
        assert page["baseline_rps"] == sum(pair) / 2, name
        assert page["ratio"] == round(PAGE_RPS[path] / (sum(pair) / 2), 3), name
        assert page["ratio"] != round(PAGE_RPS[path] / first_and_last, 3), name
    assert [pages[n]["ratio"] for n in ("home", "event", "lunch")] == [0.571, 0.509, 0.478]


def test_a_failed_page_has_no_ratio_and_no_baseline_of_its_own(tmp_path, fake_bench):
    _, data = _run(tmp_path)
    pages = {page["name"]: page for page in data["pages"]}
    assert [page["name"] for page in data["pages"]] == [p["name"] for p in PAGES]
    for name in ("gone", "broken", "timeout"):
        page = pages[name]
        assert page["errors"] == 1 and page["error_detail"], name
        assert (page["requests_per_s"], page["ratio"], page["baseline_rps"], page["baseline_pair"]) == (None, None, None, None), name
    # The chain goes on over the failures: "lunch", measured after "broken" and "timeout", is judged against the
    # baseline that followed "event" and its own.
    assert pages["lunch"]["baseline_pair"] == [BASELINES[2], BASELINES[3]]


def test_the_baseline_row_is_the_mean_of_all_measurements_with_the_overall_and_the_largest_neighbour_drift(tmp_path, fake_bench):
    _, data = _run(tmp_path)
    base = data["baseline"]
    assert base["requests_per_s"] == sum(BASELINES) / len(BASELINES)  # 1,362.5: the write table's "per 1,000 baseline req/s"
    assert (base["p50_ms"], base["p99_ms"], base["errors"]) == (10.0, 20.0, 0)
    assert base["drift"] == 0.7  # 1,700 against 1,000
    assert base["neighbour_drift"] == 0.5 and base["neighbour_drift_page"] == "event"  # 1,100 → 1,650, across "event"


def test_the_progress_shows_each_baseline_each_page_and_the_ratios(tmp_path, fake_bench, capsys):
    _run(tmp_path)
    lines = capsys.readouterr().out.splitlines()
    assert sum(" baseline " in line and "req/s" in line and "p99" in line for line in lines) == len(BASELINES)
    for name in ("home", "event", "lunch"):
        assert any(f" {name} " in line and "req/s" in line for line in lines), name
    for name in ("gone", "broken", "timeout"):
        assert any(f" {name} " in line and "FAILED" in line for line in lines), name
    ratios = next(line for line in lines if "ratios" in line)
    assert "overall drift +70%" in ratios and "+50%" in ratios
    assert ratios.endswith("home 0.57, event 0.51, lunch 0.48")


def test_the_report_shows_what_each_page_was_judged_against_and_warns_of_the_neighbour_drift(tmp_path, fake_bench):
    _, data = _run(tmp_path)
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in report._pages_table(data)}
    assert "| 0 (first: 2) | 1,050.0 | 0.571 |" in rows["home"]
    assert "| 0 (first: 2) | — | — |" in rows["broken"]
    assert "| bench/baseline `/`, mean of 4 | 1,362.5 |" in rows["**baseline**"]
    sentence = report._baseline_sentence(data["baseline"])
    assert "largest change between neighbouring baselines +50% (across `event`)" in sentence and "**" in sentence


def test_the_baseline_duration_defaults_to_ten_seconds_with_a_two_second_warm_up_and_smoke_to_its_page_duration(tmp_path):
    full = run.parse_args(["--output-dir", str(tmp_path), "--log-dir", str(tmp_path)])
    assert (full.baseline_duration, full.baseline_warmup, full.duration) == (10.0, 2.0, 20.0)
    smoke = _args(tmp_path)
    assert (smoke.baseline_duration, smoke.baseline_warmup) == (smoke.duration, 0.0) == (1.0, 0.0)
    given = run.parse_args(["--output-dir", str(tmp_path), "--log-dir", str(tmp_path), "--baseline-duration", "4", "--warmup", "1"])
    assert (given.baseline_duration, given.baseline_warmup) == (4.0, 1.0)


def test_the_help_describes_the_baseline_duration(capsys):
    with pytest.raises(SystemExit):
        run.parse_args(["--help"])
    assert "--baseline-duration" in capsys.readouterr().out
