"""CPU per request of the logged-in pages, in process (not a test: run it by hand).

    python tests/bench/profile_pages.py [--county 30000] [--requests 20] [--rounds 3]
                                        [--only /review/] [--profile out.txt]

Uses the county database bench_county.py builds (DATABASE_URL when set, else
/tmp/portal-bench-county/county-N.sqlite3; build it first with bench_county.py or
`flask --app portal demo --county N`). Each page is asked through Flask's test client as its
user; for each round of `--requests` requests the median CPU time (time.process_time, which
other processes on the machine disturb far less than wall time) is taken, and the smallest
median of the rounds printed with the page's queries and size, and the number of Python
function calls of one request (cProfile's count: the same however busy the machine is, a
steadier guide than the time when other processes share the cores). --profile writes a cProfile
report (sorted by own time, then cumulative) of each page to the file; with --tree, pyinstrument's
call tree instead (`pip install pyinstrument` in the virtualenv; not a project dependency).
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DEMO_PASSWORD = "Demo@2025"
TEACHER = "342523197903141001"  # the demo county's teacher (王晓梅)

PAGES = [
    ("bureau", "/password"),
    ("bureau", "/board"),
    ("bureau", "/board/batches"),
    ("bureau", "/review/"),
    ("bureau", "/review/first-steps"),
    ("bureau", "/people/"),
    ("bureau", "/verification/"),
    ("unit-big", "/review/"),
    ("unit-big", "/dashboard/"),
    ("unit-big", "/people/"),
    (TEACHER, "/declarations/2024"),
    (TEACHER, "/declarations/"),
    ("city", "/verification/"),
    ("city", "/review/"),
]


def login(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "username": username, "password": DEMO_PASSWORD}
    )
    if response.status_code not in (302, 303):
        raise SystemExit(f"{username}: login answered {response.status_code}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", type=int, default=30000)
    parser.add_argument("--folder", default="/tmp/portal-bench-county")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--only", action="append", help="a path (or user:path, also of a page not listed)"
    )
    parser.add_argument("--profile", help="write a cProfile report of each page here")
    parser.add_argument(
        "--tree",
        action="store_true",
        help="with --profile: pyinstrument's call tree (if installed)",
    )
    args = parser.parse_args()

    folder = Path(args.folder)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / f'county-{args.county}.sqlite3'}")
    os.environ.setdefault("PORTAL_UPLOAD_FOLDER", str(folder / "evidence"))
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")
    import sqlalchemy as sa

    from portal import create_app
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    pages = PAGES
    if args.only:
        pages = [(u, p) for u, p in PAGES if p in args.only or f"{u}:{p}" in args.only]
        # a user:path of no listed page (a city's: city-341800:/city/) is measured as asked
        listed = {f"{u}:{p}" for u, p in PAGES} | {p for _, p in PAGES}
        pages += [tuple(o.split(":", 1)) for o in args.only if ":" in o and o not in listed]
    clients = {}
    report = open(args.profile, "w") if args.profile else None  # noqa: SIM115
    print(f"{'page':<44}{'CPU ms':>8}{'range':>14}{'calls':>8}{'queries':>9}{'KB':>7}")
    for username, path in pages:
        if username not in clients:
            clients[username] = app.test_client()
            login(clients[username], username)
        client = clients[username]
        for _ in range(3):  # warm: templates compiled, caches filled
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} ({username}): HTTP {response.status_code}")
        statements.clear()
        size = len(client.get(path).data)
        count = len(statements)
        medians = []
        for _ in range(args.rounds):
            times = []
            for _ in range(args.requests):
                started = time.process_time()
                client.get(path)
                times.append(time.process_time() - started)
            medians.append(statistics.median(times) * 1000)
        counter = cProfile.Profile()
        counter.runcall(client.get, path)
        calls = pstats.Stats(counter).total_calls  # the same on a busy machine as on an idle one
        label = f"{path} ({username})"
        spread = f"{min(medians):.1f}–{max(medians):.1f}"
        print(
            f"{label:<44}{min(medians):>8.1f}{spread:>14}{calls / 1000:>7.1f}k{count:>9}"
            f"{size / 1024:>7.0f}"
        )
        if report and args.tree:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
            for _ in range(args.requests):
                client.get(path)
            profiler.stop()
            text = profiler.output_text(unicode=True, show_all=False)
            report.write(f"===== {label}\n{text}\n")
        elif report:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for _ in range(args.requests):
                client.get(path)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(60)
            report.write(f"===== {label}\n{out.getvalue()}\n")
    if report:
        report.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
