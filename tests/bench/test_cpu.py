"""bench/cpu.py: CPU time by process group, so RESULTS.md can say whether a write is bound by the CPU or by waiting."""

import os
import subprocess
import sys
import time

import pytest

from bench import cpu, report

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc (Linux)")


def _busy(seconds):
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass


def test_the_servers_process_group_counts_as_the_portal_and_this_process_as_the_client():
    busy_then_idle = "import time\nd = time.process_time() + 0.3\nwhile time.process_time() < d: pass\ntime.sleep(30)"
    server = subprocess.Popen([sys.executable, "-c", busy_then_idle], start_new_session=True)  # as bench/servers.py starts gunicorn
    try:
        before = cpu.snapshot(server.pid)
        _busy(0.2)
        time.sleep(0.5)  # the "server" is done being busy by now
        after = cpu.snapshot(server.pid)
    finally:
        server.kill()
        server.wait(timeout=30)
    spent = cpu.per_attempt_ms(before, after, attempts=10)  # per attempt: a tenth of each
    assert spent["client"] >= 0.2 * 1000 / 10 - 1
    assert after["portal"] >= 0.25 and spent["portal"] > 0
    assert spent["total"] == pytest.approx(sum(spent[g] for g in cpu.GROUPS), abs=0.05)


def test_without_readings_or_attempts_there_is_no_figure():
    reading = dict.fromkeys(cpu.GROUPS, 1.0)
    assert cpu.per_attempt_ms(None, reading, 10) is None
    assert cpu.per_attempt_ms(reading, reading, 0) is None


def test_the_report_says_how_near_each_write_came_to_the_cpu_ceiling():
    writes = {"booking_quiet": {"attempts_per_s": 50.0, "cpu_ms_per_attempt": {"portal": 15.0, "postgresql": 4.0, "redis": 0.2,
                                                                                  "client": 0.8, "total": 20.0}}}
    table = "\n".join(report._cpu_table(writes, cores=2))
    # 2 cores × 1000 ÷ 20 ms = 100 attempts/s at most; 50/s is half of it.
    assert "| Uncontended bookings | 50.0 | 15.00 | 4.00 | 0.20 | 0.80 | 20.00 | 100.0 | 50% |" in table
    assert report._cpu_table({"booking_quiet": {"attempts_per_s": 1.0, "cpu_ms_per_attempt": None}}, cores=2) == []
