"""gunicorn for the benchmark: the portal (or the baseline) on 127.0.0.1, on a free port, stopped for sure afterwards."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port():
    """A TCP port nothing listens on at 127.0.0.1 now (the kernel's choice, so never the test suite's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port, path, *, timeout=30, headers=None):
    """(status, body) of one GET, a fresh connection each time."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """A running gunicorn: its port, its error log, and the environment it was given."""

    def __init__(self, name, process, port, log_path, env_shown):
        self.name = name
        self.process = process
        self.port = port
        self.log_path = log_path
        self.env_shown = env_shown

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def log_tail(self, lines=40):
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_ready(server, path, timeout_s):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name}: gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _body = get(server.port, path, timeout=5)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{server.name}: not ready after {timeout_s}s ({last}):\n{server.log_tail()}")


def _stop(process):
    if process.poll() is not None:
        return
    # gunicorn runs in its own session: signal its group, so no worker is left behind.
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def gunicorn(name, app, *, env, log_dir, workers=4, ready_path="/", ready_timeout_s=60):
    """Serve `app` (module:callable) with `workers` sync workers on 127.0.0.1:<free port>; stopped on leaving the block.

    No access log (gunicorn's default); the error log goes to `log_dir/<name>.log`.
    """
    port = free_port()
    log_path = Path(log_dir) / f"gunicorn-{name}.log"
    command = [
        str(GUNICORN), app,
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "sync",
        "--timeout", "120",
        "--error-logfile", str(log_path),
        "--log-level", "warning",
        "--chdir", str(ROOT),
    ]
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, env=full_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, process, port, log_path, env)
    try:
        _wait_ready(server, ready_path, ready_timeout_s)
        yield server
    finally:
        _stop(process)
