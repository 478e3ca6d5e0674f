"""Item 6: requests per second through gunicorn with two workers, driven by wrk.

gunicorn serves the benchmark app on 127.0.0.1 with two sync workers; wrk
sends ``GET /admin/api/me`` for a fixed time per run, with the key as Bearer,
with a session cookie, and to the public twin without authentication. The
methods take turns within each round, and the server is stopped at the end.

Besides requests per second, which on a shared machine also measure whatever
else the machine is doing, it reports the CPU time the workers spent per
request (from ``/proc``), which other load hardly moves.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import requests

from .environment import ADMIN_EMAIL, ADMIN_PASSWORD, API_PATH, PUBLIC_PATH, Seeded
from .report import Result
from .stats import interleaved, ratio, spread, summary, times, timing

WORKERS = 2
#: wrk's load: one thread, a few connections, so the two workers stay busy
#: without the load generator taking the machine's two cores from them.
WRK_THREADS, WRK_CONNECTIONS = 1, 4
_REPO = Path(__file__).resolve().parent.parent
_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: wrk reports its summary as one JSON line through this script.
_WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d,'
    .. ' "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def missing_tools() -> list[str]:
    """The tools this benchmark needs that are not installed."""
    missing = [] if shutil.which("wrk") else ["wrk (apt-get install wrk)"]
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        missing.append("gunicorn (pip install -e . --group bench)")
    return missing


def _worker_cpu_seconds(master: int) -> float:
    """User and system CPU time used so far by the children of process ``master``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, ..., utime and stime are the 12th and 13th.
        if int(fields[1]) == master:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until both workers answer; a worker builds the app on its first request."""
    deadline = time.monotonic() + timeout
    answered = 0
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            if requests.get(base + PUBLIC_PATH, timeout=10).status_code == 200:
                answered += 1
                if answered >= 4 * WORKERS:
                    return
                continue
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def _session_cookie(base: str) -> str:
    """Log in as the demo admin over HTTP and return the ``Cookie`` header value."""
    with requests.Session() as session:
        page = session.get(base + "/login", timeout=10).text
        match = _CSRF_FIELD.search(page)
        assert match, "the login page has no CSRF field"
        response = session.post(
            base + "/login",
            data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": match.group(1)},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.status_code
        return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def _wrk(url: str, headers: dict[str, str], seconds: int, script: str) -> dict[str, float]:
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        script,
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 - a fixed tool on a loopback URL
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("JSON "))
    figures: dict[str, float] = json.loads(line[5:])
    figures["errors"] = sum(
        figures[kind] for kind in ("connect", "read", "write", "status", "timeout")
    )
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def run(seeded: Seeded, seconds: int, rounds: int) -> Result:
    """Serve ``seeded``'s database with gunicorn and load it with wrk."""
    result = Result(
        name="throughput",
        title=f"6. Throughput: gunicorn, {WORKERS} workers, {seeded.backend.name}, wrk",
        header=(
            "method",
            "requests/s",
            "vs session",
            "worker CPU/request",
            "vs session",
            "p50",
            "p99",
            "requests",
            "errors",
        ),
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": seeded.url,
        "BENCH_ENGINE_OPTIONS": json.dumps(seeded.engine_options),
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={WORKERS}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "benchmarks.wsgi:create()",
        ],
        cwd=_REPO,
        env=env,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script_file:
        script_file.write(_WRK_SCRIPT)
    try:
        _wait_until_up(base, server)
        methods = {
            "none (public twin)": (base + PUBLIC_PATH, {}),
            "session cookie": (base + API_PATH, {"Cookie": _session_cookie(base)}),
            "key: Bearer": (base + API_PATH, {"Authorization": f"Bearer {seeded.token}"}),
        }
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in methods}

        def load(name: str) -> float:
            url, headers = methods[name]
            cpu_before = _worker_cpu_seconds(server.pid)
            figures = _wrk(url, headers, seconds, script_file.name)
            figures["worker_cpu_per_request"] = (
                _worker_cpu_seconds(server.pid) - cpu_before
            ) / max(figures["requests"], 1)
            runs[name].append(figures)
            return figures["rps"]

        samples = interleaved({name: partial(load, name) for name in methods}, rounds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        os.unlink(script_file.name)
    session = samples["session cookie"]
    session_cpu = [run["worker_cpu_per_request"] for run in runs["session cookie"]]
    for name, values in samples.items():
        done = runs[name]
        vs_session = ratio(values, session)
        cpu = [run["worker_cpu_per_request"] for run in done]
        cpu_vs_session = ratio(cpu, session_cpu)
        p50 = timing([run["p50_us"] / 1e6 for run in done])
        p99 = timing([run["p99_us"] / 1e6 for run in done])
        errors = int(sum(run["errors"] for run in done))
        total = int(sum(run["requests"] for run in done))
        result.data[name] = {
            "requests_per_second": summary(values),
            "ratio_to_session": vs_session,
            "worker_cpu_seconds_per_request": timing(cpu),
            "worker_cpu_ratio_to_session": cpu_vs_session,
            "latency_p50_seconds": p50,
            "latency_p99_seconds": p99,
            "requests": total,
            "errors": errors,
            "runs": done,
        }
        result.rows.append(
            (
                name,
                f"{summary(values)['median']:.0f} [{min(values):.0f}–{max(values):.0f}]",
                times(vs_session["median"]),
                spread(timing(cpu)),
                times(cpu_vs_session["median"]),
                f"{p50['median'] * 1e3:.1f} ms",
                f"{p99['median'] * 1e3:.1f} ms",
                str(total),
                str(errors),
            )
        )
    result.data["setup"] = {
        "workers": WORKERS,
        "wrk_threads": WRK_THREADS,
        "wrk_connections": WRK_CONNECTIONS,
        "seconds_per_run": seconds,
        "rounds": rounds,
    }
    result.notes.append(
        f"median [min–max] over {rounds} rounds of {seconds} s per method; wrk -t{WRK_THREADS}"
        f" -c{WRK_CONNECTIONS}; errors = socket errors + HTTP status >= 400"
    )
    return result
