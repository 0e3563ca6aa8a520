"""Read throughput and latency with wrk: req/s, p50 and p99 of one URL, and every response that was not a success.

wrk counts non-2xx-or-3xx responses and socket errors (connect, read, write, timeout); a run with any of
them is a failing run. A 3xx wrk would count as fine is caught before, by the pre-flight GET each page gets.
"""

import os
import re
import shutil
import statistics
import subprocess
from dataclasses import asdict, dataclass, field

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkRun:
    """One wrk run's figures."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int = 0
    socket_errors: dict = field(default_factory=dict)

    @property
    def errors(self):
        return self.non_2xx_3xx + sum(self.socket_errors.values())


@dataclass
class WrkResult:
    """The median of several runs (each figure its own median) and the runs themselves; errors add up over all runs."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    runs: list

    def as_dict(self):
        return {
            "requests_per_s": round(self.requests_per_s, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "runs": [asdict(run) for run in self.runs],
        }


class WrkError(RuntimeError):
    """wrk could not run, or printed something this module doesn't understand."""


def _ms(value):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not match:
        raise WrkError(f"unreadable latency {value!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse(output):
    """The figures of wrk's `--latency` output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rps and total):
        raise WrkError(f"no Requests/sec in wrk's output:\n{output}")
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    requests = int(total.group(1))
    return WrkRun(
        requests_per_s=float(rps.group(1)),
        # With no completed request wrk prints no distribution; such a run has failed anyway.
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
        requests=requests,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(zip(("connect", "read", "write", "timeout"), map(int, socket.groups()), strict=True)) if socket else {},
    )


def run_once(url, *, seconds, connections, threads, timeout_s):
    """One wrk run against `url` (`seconds` rounded to whole seconds); a run that completes no request counts as an error."""
    seconds = max(1, round(seconds))  # wrk takes whole seconds
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s", "--latency",
        "-H", "Accept-Language: zh-CN,zh;q=0.9", url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False)
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}: {done.stderr or done.stdout}")
    run = parse(done.stdout)
    if run.requests == 0:
        run.socket_errors["no_response"] = 1
    return run


def measure(url, *, seconds, runs, warmup_s, connections, threads, timeout_s=10):
    """Warm up, then `runs` runs of `seconds`: the median req/s, p50 and p99, and all errors (warm-up's included)."""
    threads = max(1, min(threads, connections))
    warm_errors = 0
    if warmup_s > 0:
        warm_errors = run_once(url, seconds=warmup_s, connections=connections, threads=threads, timeout_s=timeout_s).errors
    done = [run_once(url, seconds=seconds, connections=connections, threads=threads, timeout_s=timeout_s) for _ in range(runs)]
    return WrkResult(
        requests_per_s=statistics.median(r.requests_per_s for r in done),
        p50_ms=statistics.median(r.p50_ms for r in done),
        p99_ms=statistics.median(r.p99_ms for r in done),
        errors=warm_errors + sum(r.errors for r in done),
        runs=done,
    )


def version():
    """wrk's version line ("wrk debian/4.1.0-3+b2 [epoll] …" → "debian/4.1.0-3+b2 [epoll]")."""
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else ""
    return first.split(" Copyright")[0].removeprefix("wrk ").strip()


def ensure_installed():
    """wrk's path: installed from Debian when missing and we are root; otherwise a WrkError that says what to do."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise WrkError("wrk is not installed and this is not root: run `sudo apt-get install -y wrk` (Debian's package), then again.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("wrk is missing: installing Debian's package (apt-get install -y wrk) …", flush=True)
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(install, env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise WrkError("apt-get installed no wrk binary.")
    return found
