"""County-scale benchmark (not a test: run it by hand; bounded in time and requests).

    python tests/bench/bench_county.py [--county 30000] [--seconds 5] [--concurrency 4]

Builds the county (`flask --app portal demo --county N`, reused when the database exists),
starts gunicorn on 127.0.0.1 with a bare /__hello route in front of the portal, loads each page
(wrk when installed, else a bounded Python load generator; after WARM_UP_SECONDS of unmeasured
load) and prints requests per second, the
ratio to /__hello, p50/p99 latency and the CPU the server spent per request (gunicorn's master
and workers, from /proc: on a machine other processes share, a steadier figure than the
latency). --logged-in measures the logged-in pages alone. Loopback only; gunicorn is stopped at
the end.
"""

import argparse
import http.client
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "Demo@2025"
TEACHER = "342523197903141001"  # the demo county's teacher (王晓梅)
MAX_REQUESTS = 20000  # per page, whatever the duration
# Each page is loaded this long, unmeasured, before its measured run: a worker's first requests
# of a page compile its templates and statements and fill the database connection's caches,
# once per process; the figures are of the steady state a user meets.
WARM_UP_SECONDS = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict, workers: int, port: int = 0) -> Iterator[tuple[str, int, int]]:
    """The portal (with /__hello in front) under gunicorn on 127.0.0.1, until the block ends:
    (base URL, port, the master's pid)."""
    port = port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "tests.bench.hello_app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/__hello", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield base, port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)  # a loaded machine takes a while to finish its requests
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def build(database: Path | str, county: int, env: dict) -> None:
    started = time.perf_counter()
    if not isinstance(database, Path) or database.exists():
        # a database kept from an earlier run follows the schema of this checkout
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "portal", "db", "upgrade"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "portal", "demo", "--county", str(county)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    where = database if isinstance(database, Path) else "DATABASE_URL"  # never its password
    print(f"county of {county}: {time.perf_counter() - started:.1f} s ({where})")


def sample_token(env: dict) -> str:
    """The QR token of one printed certificate of the county (the QR link is not throttled)."""
    code = (
        "from portal import create_app; from portal.extensions import db; import sqlalchemy as sa;"
        "from portal.certificates.models import CertificatePrint as P\n"
        "with create_app().app_context():"
        " print(db.session.scalar(sa.select(P.token).order_by(P.id.desc()).limit(1)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def cookie_for(base: str, username: str | None) -> str:
    if username is None:
        return ""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD}
    ).encode()
    opener.open(f"{base}/login", data=data).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def python_load(port: int, path: str, cookie: str, seconds: float, concurrency: int) -> dict:
    """Keep-alive clients in threads until `seconds` or MAX_REQUESTS have passed."""
    times: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    headers = {"Cookie": cookie} if cookie else {}

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < deadline and len(times) < MAX_REQUESTS:
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
            with lock:
                times.append(time.perf_counter() - started)
        connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    times.sort()
    return {
        "rps": len(times) / elapsed,
        "requests": len(times),
        "p50": times[len(times) // 2] * 1000,
        "p99": times[max(0, int(len(times) * 0.99) - 1)] * 1000,
    }


def wrk_load(port: int, path: str, cookie: str, seconds: float, concurrency: int) -> dict:
    # wrk drops a request slower than its timeout (2 s by default) from the latencies: wait long
    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{max(1, int(seconds))}s", "--latency",
               "--timeout", "30s"]  # fmt: skip
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout

    def ms(label):
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if failed:
        raise SystemExit(f"{path}: {failed.group(1)} answers were not 2xx or 3xx")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": ms("50"),
        "p99": ms("99"),
    }


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and its workers (Linux
    /proc): divided by the requests answered, the CPU a page costs in the real server, which
    other processes on the machine change far less than its latency."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for process in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def warm_up(load, port: int, path: str, cookie: str, concurrency: int, workers: int) -> None:
    """WARM_UP_SECONDS of the page's load, not measured, then the requests still queued
    worked through."""
    result = load(port, path, cookie, WARM_UP_SECONDS, concurrency)
    time.sleep(min(30.0, concurrency * result["p50"] / 1000 / workers + 0.5))


def bounded(args) -> Callable[..., dict]:
    """Keep --seconds and --concurrency in bounds; the load generator to use: wrk when
    installed (up to 64 connections), else the Python one (at most 16 clients)."""
    args.seconds = max(1.0, min(args.seconds, 30.0))
    load = wrk_load if shutil.which("wrk") else python_load
    args.concurrency = max(1, min(args.concurrency, 64 if load is wrk_load else 16))
    return load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", type=int, default=30000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", default="/tmp/portal-bench-county")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (0: a free one)")
    parser.add_argument(
        "--logged-in", action="store_true", help="only the logged-in pages (and /__hello)"
    )
    args = parser.parse_args()
    load = bounded(args)

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    # DATABASE_URL (PostgreSQL) when given, else a SQLite file in the folder
    database = os.environ.get("DATABASE_URL") or folder / f"county-{args.county}.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{database}",
        "PORTAL_UPLOAD_FOLDER": str(folder / "evidence"),
        "PORTAL_SECRET_KEY": "bench",
        "PYTHONPATH": str(ROOT),
    }
    build(database, args.county, env)

    with gunicorn(env, args.workers, args.port) as (base, port, pid):
        print(f"load: {load.__name__}, {args.seconds:.0f} s a page, {args.concurrency} clients")
        pages = [
            (None, "/__hello"),
            (None, "/board"),
            (None, "/board?page=300"),
            (None, "/board?q=%E7%8E%8B"),
            ("bureau", "/board"),
            ("bureau", "/board/batches"),
            ("bureau", "/review/"),
            ("bureau", "/review/first-steps"),
            ("unit-big", "/review/"),
            (TEACHER, "/declarations/2024"),
            (TEACHER, "/declarations/"),
            ("bureau", "/people/"),
            ("unit-big", "/dashboard/"),
            ("city", "/verification/"),
            ("city", "/review/"),
            ("bureau", "/stats/"),
            (None, "/verify"),
            (None, f"/verify/{sample_token(env)}"),
        ]
        if args.logged_in:
            pages = [(u, p) for u, p in pages if u is not None or p == "/__hello"]
        print(f"{'page':<40}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>8}")
        hello = None
        for username, path in pages:
            cookie = cookie_for(base, username)
            warm_up(load, port, path, cookie, args.concurrency, args.workers)
            used = server_cpu(pid)
            result = load(port, path, cookie, args.seconds, args.concurrency)
            cpu = (server_cpu(pid) - used) * 1000 / max(1, result["requests"])
            hello = hello or result["rps"]
            label = f"{urllib.parse.unquote(path)} ({username or '公众'})"
            print(
                f"{label:<40}{result['rps']:>9.1f}{result['rps'] / hello:>8.3f}"
                f"{result['p50']:>9.1f}{result['p99']:>9.1f}{cpu:>8.1f}"
            )
            # Requests still queued when the load stopped would land in the next page's figures:
            # let the workers work through them (one round of the connections) first.
            time.sleep(min(30.0, args.concurrency * result["p50"] / 1000 / args.workers + 0.5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
