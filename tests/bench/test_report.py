"""bench/report.py's write table: each rate is also put next to the machine's speed (the same run's baseline)."""

from bench import report


def test_each_write_rate_is_also_shown_per_thousand_baseline_requests():
    writes = {"booking_race": {"attempts": 200, "clients": 50, "attempts_per_s": 90.0, "p50_ms": 500.0, "p99_ms": 700.0,
                               "outcome": "30 confirmed, 170 waitlisted", "errors": 0, "target": "≥ 180/s", "verdict": "FAIL"}}
    row = next(line for line in report._writes_table(writes, baseline_rps=1500.0) if line.startswith("| Booking race"))
    assert "| 90.0 | 60.0 | 500.0 | 700.0 |" in row  # 90 ÷ 1,500 × 1,000
    row = next(line for line in report._writes_table(writes) if line.startswith("| Booking race"))
    assert "| 90.0 | — | 500.0 |" in row
