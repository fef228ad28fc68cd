"""Timing harness for the busiest pages (not a test: run it by hand, it asserts nothing).

    python tests/bench/bench_pages.py [--requests 200] [--concurrency 4]

Loads the demo county into a throwaway SQLite database, serves the app with waitress on
127.0.0.1 (a free port), logs in as the demo roles and times GET requests to the public board,
the professional's declaration pages, the review queue and the certificate verification page.
Prints requests per second and latency percentiles per page. Bounded in count and time.
"""

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

DEMO_PASSWORD = "Demo@2025"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app, port: int):
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=port, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return server


def opener_for(base: str, username: str | None):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    if username:
        page = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        token = token or re.search(r'"X-CSRFToken": "([^"]+)"', page)
        data = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD}
        ).encode()
        opener.open(f"{base}/login", data=data).read()
    return opener


def measure(opener, url: str, requests: int, concurrency: int) -> dict:
    def one(_):
        started = time.perf_counter()
        with opener.open(url, timeout=30) as response:
            response.read()
            assert response.status == 200, (url, response.status)
        return time.perf_counter() - started

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        times = sorted(pool.map(one, range(requests)))
    elapsed = time.perf_counter() - began
    return {
        "rps": requests / elapsed,
        "p50": statistics.median(times) * 1000,
        "p95": times[int(len(times) * 0.95) - 1] * 1000,
        "max": times[-1] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    args.requests = max(1, min(args.requests, 5000))

    folder = tempfile.mkdtemp(prefix="portal-bench-")
    os.environ["PORTAL_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["PORTAL_UPLOAD_FOLDER"] = f"{folder}/evidence"
    from portal import create_app

    app = create_app()
    app.test_cli_runner().invoke(args=["demo"])
    port = free_port()
    server = start_server(app, port)
    base = f"http://127.0.0.1:{port}"
    time.sleep(0.3)

    pages = [
        (None, "/board"),
        (None, "/verify"),
        ("342523197903141001", "/declarations/"),
        ("342523197903141001", "/certificates"),
        ("unit-yy", "/review/"),
        ("bureau", "/board/batches"),
    ]
    print(f"{'page':<44}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for username, path in pages:
        result = measure(opener_for(base, username), base + path, args.requests, args.concurrency)
        label = f"{path} ({username or '公众'})"
        print(
            f"{label:<44}{result['rps']:>8.1f}{result['p50']:>9.1f}"
            f"{result['p95']:>9.1f}{result['max']:>9.1f}"
        )
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
