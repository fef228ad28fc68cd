"""The 1,000-certificate bulk print at county size (not a test: run it by hand).

    python tests/bench/bench_bulk_certificates.py [--county 30000] [--count 1000] [--seconds 240]

Copies the county database built by bench_county.py (build it first) to a scratch file, where
one unit ("unit-big"'s) gets `--count` people registered for the current year (the rows moved
there and registered by SQL: a scratch copy only). Starts gunicorn (2 workers) and the job
consumer (`flask jobs worker`) on it, submits the bulk print as the page would, and while the
job runs loads the board (public, and as the bureau officer) with 4 clients; prints the job's
time, its CPU time (the consumer and its pool: what other load on the machine does not change)
and the board's p50/p99 during it. Loopback only; every process is stopped at the end.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_county import cookie_for, gunicorn  # noqa: E402


def prepare(env: dict, count: int) -> None:
    """Register `count` current-year declarations in unit-big's unit (scratch copy)."""
    code = f"""
import sqlalchemy as sa
from portal import create_app
from portal.accounts.models import User
from portal.clock import current_year, local_today
from portal.extensions import db
from portal.models_base import utcnow
app = create_app()
with app.app_context():
    unit_id = db.session.scalar(sa.select(User.unit_id).where(User.username == "unit-big"))
    year = current_year()
    have = db.session.scalar(sa.text(
        "SELECT count(*) FROM declaration d JOIN professional p ON p.id = d.professional_id "
        "WHERE p.unit_id = :u AND d.year = :y AND d.status = 'REGISTERED'"), {{"u": unit_id, "y": year}})
    more = max(0, {count} - have)
    ids = db.session.scalars(sa.text(
        "SELECT d.professional_id FROM declaration d JOIN professional p ON p.id = d.professional_id "
        "WHERE d.year = :y AND d.status = 'PUBLICISED' AND p.unit_id != :u ORDER BY d.id LIMIT :n"),
        {{"y": year, "u": unit_id, "n": more}}).all()
    if ids:
        db.session.execute(sa.text("UPDATE professional SET unit_id = :u WHERE id IN (%s)"
                                   % ",".join(map(str, ids))), {{"u": unit_id}})
        db.session.execute(sa.text(
            "UPDATE declaration SET status = 'REGISTERED', registered_at = :at, registered_on = :on "
            "WHERE year = :y AND professional_id IN (%s)" % ",".join(map(str, ids))),
            {{"at": utcnow(), "on": local_today(), "y": year}})
    db.session.commit()
    print(f"unit {{unit_id}}: {{have + len(ids)}} registered in {{year}}")
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def submit(env: dict) -> int:
    code = """
import sqlalchemy as sa
from portal import create_app
from portal.accounts.models import User
from portal.certificates import tasks
from portal.clock import current_year
from portal.extensions import db
from portal.units.models import Unit
app = create_app()
with app.app_context():
    user = db.session.scalar(sa.select(User).where(User.username == "unit-big"))
    job = tasks.submit_bulk_print(user, db.session.get(Unit, user.unit_id), current_year(),
                                  "http://127.0.0.1/")
    db.session.commit()
    print(job.id)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def job_state(database: Path, job_id: int) -> tuple[str, int, int, str]:
    import sqlite3

    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT state, done, total, message FROM job WHERE id = ?", (job_id,)
        ).fetchone()
    return row[0], row[1] or 0, row[2] or 0, row[3] or ""


def load(port: int, path: str, cookie: str, stop: threading.Event, times: list) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    while not stop.is_set():
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - started)
        time.sleep(0.05)  # people reading the board, not a flood


def cpu_seconds(pid: int) -> float | None:
    """CPU time of a process and of its children it has waited for (the pool's processes):
    what the job cost, whoever else shares the machine. Linux only (/proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime, stime, cutime, cstime are fields 14-17 of stat; 12-15 after "(comm) "
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def percentiles(times: list) -> str:
    if not times:
        return "no requests"
    ordered = sorted(times)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000
    return f"{len(ordered)} requests, p50 {p50:.1f} ms, p99 {p99:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", type=int, default=30000)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=240, help="give up after this long")
    parser.add_argument("--folder", default="/tmp/portal-bench-county")
    args = parser.parse_args()

    folder = Path(args.folder)
    source = folder / f"county-{args.county}.sqlite3"
    if not source.exists():
        raise SystemExit(f"{source} is missing: run tests/bench/bench_county.py first")
    scratch = folder / "bulk"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    database = scratch / "county.sqlite3"
    shutil.copyfile(source, database)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "PORTAL_INSTANCE_PATH": str(scratch / "instance"),
        "PORTAL_UPLOAD_FOLDER": str(scratch / "evidence"),
        "PORTAL_SECRET_KEY": "bench",
        "PYTHONPATH": str(ROOT),
    }
    prepare(env, args.count)

    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with gunicorn(env, 2) as (base, port, _pid):
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "portal", "jobs", "worker"],
            cwd=ROOT, env=env, start_new_session=True, **quiet,  # its own group, with its pool
        )  # fmt: skip
        stop = threading.Event()
        try:
            public, officer = [], []
            officer_cookie = cookie_for(base, "bureau")
            threads = [
                threading.Thread(target=load, args=(port, "/board", "", stop, public)),
                threading.Thread(target=load, args=(port, "/board", "", stop, public)),
                threading.Thread(target=load, args=(port, "/board", officer_cookie, stop, officer)),
                threading.Thread(target=load, args=(port, "/board", officer_cookie, stop, officer)),
            ]
            for thread in threads:
                thread.start()
            time.sleep(3)
            quiet_public, quiet_officer = list(public), list(officer)
            public.clear()
            officer.clear()
            cpu_before = cpu_seconds(worker.pid)
            started = time.perf_counter()
            job_id = submit(env)
            state, done, total = "queued", 0, 0
            while time.perf_counter() - started < args.seconds:
                state, done, total, message = job_state(database, job_id)
                if state.upper() in ("DONE", "FAILED"):
                    break
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
            stop.set()
            for thread in threads:
                thread.join()
            rate = done / elapsed if elapsed else 0
            print(
                f"bulk print of {args.count}: {state}, {done}/{total} in {elapsed:.1f} s "
                f"({rate:.1f} a second; {message or 'no message'}; "
                f"load average {os.getloadavg()[0]:.1f})"
            )
            cpu_after = cpu_seconds(worker.pid)
            if cpu_before is not None and cpu_after is not None and done:
                used = cpu_after - cpu_before
                print(
                    f"job CPU (consumer and its pool): {used:.1f} s, {used / done * 1000:.0f} ms a copy"
                )
            print(f"/board (公众) before: {percentiles(quiet_public)}")
            print(f"/board (公众) during: {percentiles(public)}")
            print(f"/board (bureau) before: {percentiles(quiet_officer)}")
            print(f"/board (bureau) during: {percentiles(officer)}")
        finally:
            stop.set()
            # the consumer lets a running job finish first: a job cut short stops with its pool
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
