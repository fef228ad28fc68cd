"""City-scale benchmark (not a test: run it by hand; bounded in time and requests).

    DATABASE_URL=postgresql://… python tests/bench/bench_city.py [--counties 8] [--county 37500]
        [--workers 2 4] [--seconds 5] [--concurrency 20]

Builds the city (`flask --app portal demo --city N --county M`, timed; reused when already
built), then for each worker count starts gunicorn on 127.0.0.1 and loads the city officer's
pages and one county's officer's and big unit's pages (wrk when installed, else bench_county's
Python load generator; each page after bench_county's unmeasured warm-up), printing requests per
second, p50/p99 latency and the server's CPU per request. Without DATABASE_URL a SQLite file
under --folder is used. Loopback only; gunicorn is stopped at the end.
"""

import argparse
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_county import (  # noqa: E402
    ROOT,
    bounded,
    cookie_for,
    gunicorn,
    server_cpu,
    warm_up,
)

CITY = "341800"
COUNTY = "341802"  # 宣州区: a county of the city other than the install's own


def build(counties: int, county: int, env: dict) -> None:
    flask = [sys.executable, "-m", "flask", "--app", "portal"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    started, cpu = time.perf_counter(), os.times()
    subprocess.run([*flask, "demo", "--city", str(counties), "--county", str(county)],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    done = os.times()
    used = (done.children_user - cpu.children_user) + (done.children_system - cpu.children_system)
    print(
        f"city of {counties} × {county}: {time.perf_counter() - started:.0f} s "
        f"({used:.0f} s CPU of the command; load average {os.getloadavg()[0]:.1f})"
    )


def pages() -> list[tuple[str | None, str]]:
    city, bureau, unit = f"city-{CITY}", f"bureau-{COUNTY}", f"unit-big-{COUNTY}"
    return [
        (None, "/__hello"),
        (city, "/city/"),
        (city, f"/city/?county={COUNTY}"),
        (city, "/city/?page=5"),
        (city, "/verification/"),
        (city, "/review/"),
        (city, "/stats/"),
        (bureau, "/board"),
        (bureau, "/board/batches"),
        (bureau, "/people/"),
        (bureau, "/people/?q=%E7%8E%8B"),  # the name search: 王
        (bureau, "/people/?page=40"),
        (bureau, "/review/"),
        (bureau, "/verification/"),
        (bureau, "/stats/"),
        (unit, "/review/"),
        (unit, "/dashboard/"),
        (unit, "/people/"),
    ]


def run(env: dict, workers: int, seconds: float, concurrency: int, load, port=0) -> None:
    with gunicorn(env, workers, port) as (base, port, pid):
        print(f"\n{workers} workers; load: {load.__name__}, {seconds:.0f} s a page, "
              f"{concurrency} connections; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'page':<44}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>8}")
        cookies: dict[str | None, str] = {}
        for username, path in pages():
            if username not in cookies:
                cookies[username] = cookie_for(base, username)
            check = urllib.request.Request(base + path, headers={"Cookie": cookies[username]})
            with urllib.request.urlopen(check, timeout=60) as response:  # a page, not a refusal
                if response.status != 200 or response.url != base + path:
                    raise SystemExit(f"{path} ({username}): {response.status} {response.url}")
            warm_up(load, port, path, cookies[username], concurrency, workers)
            used = server_cpu(pid)
            result = load(port, path, cookies[username], seconds, concurrency)
            cpu = (server_cpu(pid) - used) * 1000 / max(1, result["requests"])
            label = f"{urllib.parse.unquote(path)} ({username or '公众'})"
            print(
                f"{label:<44}{result['rps']:>9.1f}{result['p50']:>9.1f}{result['p99']:>9.1f}"
                f"{cpu:>8.1f}"
            )
            time.sleep(min(30.0, concurrency * result["p50"] / 1000 / workers + 0.5))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=8)
    parser.add_argument("--county", type=int, default=37500)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--folder", default="/tmp/portal-bench-city")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (0: any free one)")
    args = parser.parse_args()
    load = bounded(args)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    database = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{folder}/city-{args.counties}x{args.county}.sqlite3"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "PORTAL_UPLOAD_FOLDER": str(folder / "evidence"),
        "PORTAL_SECRET_KEY": "bench",
        "PYTHONPATH": str(ROOT),
    }
    build(args.counties, args.county, env)
    for workers in args.workers:
        run(env, max(1, min(workers, 16)), args.seconds, args.concurrency, load, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
