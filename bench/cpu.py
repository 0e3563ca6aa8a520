"""Where a write's CPU time goes: the portal's gunicorn workers, PostgreSQL, Redis and the benchmark's own client.

On a machine with C cores, a scenario that keeps them all busy can do at most C × 1000 ÷ (CPU ms per attempt)
attempts per second, however its locks are arranged. Reading each group's CPU seconds (from /proc) before and after
a scenario tells whether it is bound by the CPU (its rate is near that ceiling) or by waiting (locks, round trips),
and which process group a faster write would have to spend less in. Linux only: elsewhere there is no reading.
"""

import os
from pathlib import Path

GROUPS = ("portal", "postgresql", "redis", "client")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes():
    """(command name, process group, CPU seconds) of every process we can read."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        yield name, int(fields[2]), (int(fields[11]) + int(fields[12])) / _TICKS


def snapshot(server_pgid):
    """CPU seconds used so far by each group; None where /proc can't be read. `server_pgid`: the portal's gunicorn
    (started in a session of its own, so its workers share its process group)."""
    if not Path("/proc/self/stat").exists():
        return None
    totals = dict.fromkeys(GROUPS, 0.0)
    for name, pgrp, seconds in _processes():
        if pgrp == server_pgid:
            totals["portal"] += seconds
        elif name == "postgres":
            totals["postgresql"] += seconds
        elif name.startswith("redis-server"):
            totals["redis"] += seconds
    mine = os.times()
    totals["client"] = mine.user + mine.system
    return totals


def per_attempt_ms(before, after, attempts):
    """{group: CPU ms per attempt, "total": their sum}, or None without readings or attempts."""
    if before is None or after is None or not attempts:
        return None
    spent = {group: round(max(after[group] - before[group], 0.0) * 1000 / attempts, 2) for group in GROUPS}
    spent["total"] = round(sum(spent[group] for group in GROUPS), 2)
    return spent
