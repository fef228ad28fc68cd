"""Several app servers, correct (issue 24.7), for real: two gunicorn app servers (A and B), one
job worker (huey consumer), PostgreSQL, Redis and an S3 object store (SeaweedFS), each a process
of its own; each app process has an instance folder of its own, so nothing passes through this
machine's disk — only through the database, Redis and the bucket.

- a batch opened through A is on B's public board on B's next request (B had kept its board);
- evidence uploaded through A downloads through B (the session too is valid on both);
- an export asked for through A is run by the worker and downloaded through B.

Runs in the PostgreSQL run of `make test` (`make test-postgres`), which has the database; the
SQLite run leaves it to that one.
"""

import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest

from portal.accounts.models import Role
from portal.clock import local_today
from portal.extensions import db
from portal.workdays.models import WorkdayOverride
from tests.conftest import PASSWORD
from tests.declarations.conftest import PDF_BYTES, YEAR
from tests.services import free_port, start, stop, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


class Browser:
    """A client with its own cookies, pointed at one server or the other per request."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )

    def open(self, url, data=None, headers=None):
        request = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def token(self, url):
        status, body, _ = self.open(url)
        assert status == 200, (url, status)
        match = TOKEN.search(body.decode())
        assert match, url
        return match.group(1) or match.group(2)

    def post(self, url, fields, token_from, files=None):
        fields = {**fields, "csrf_token": self.token(token_from)}
        if files is None:
            data = urllib.parse.urlencode(fields, doseq=True).encode()
            return self.open(url, data, {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        for name, (filename, content, mimetype) in files.items():
            quoted = urllib.parse.quote(filename)
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{quoted}"\r\nContent-Type: {mimetype}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.open(url, data, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, base, username):
        status, _, headers = self.post(
            f"{base}/login", {"username": username, "password": PASSWORD}, f"{base}/login"
        )
        assert status in (302, 303), status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the test looks at each answer itself


def _public_board(base):
    """What a visitor without a cookie (a fresh browser, a proxy) gets."""
    with urllib.request.urlopen(f"{base}/board", timeout=30) as response:
        return response.read().decode()


@pytest.fixture
def cluster(app, ctx, tmp_path, redis_url, object_servers):
    """A, B and the worker, started on this test's database, Redis and bucket."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several app servers run on PostgreSQL: `make test-postgres` runs this test")
    store = object_servers("seaweedfs")
    db.session.add(WorkdayOverride(day=local_today(), is_workday=True, note="测试：今天开始公示"))
    db.session.commit()
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "PORTAL_SECRET_KEY": "several-servers-test",
        "PORTAL_AUDIT_KEY": "several-servers-audit",
        "PORTAL_UNFILED_TRAINING_REFUSED": "false",
        **store.environment(prefix=f"cluster-{uuid.uuid4().hex[:8]}/"),
    }
    environment.pop("PORTAL_REQUIRE_REDIS", None)
    processes, bases = [], {}
    try:
        for name in ("a", "b"):
            port = free_port()
            env = {**environment, "PORTAL_INSTANCE_PATH": str(tmp_path / f"instance-{name}")}
            command = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                       "--access-logfile", "-", "portal:create_app()"]  # fmt: skip
            processes.append(start(command, tmp_path / f"server-{name}.log", cwd=ROOT, env=env))
            bases[name] = f"http://127.0.0.1:{port}"
        env = {**environment, "PORTAL_INSTANCE_PATH": str(tmp_path / "instance-worker")}
        command = [sys.executable, "-m", "flask", "--app", "portal", "jobs", "worker",
                   "--workers", "1"]  # fmt: skip
        processes.append(start(command, tmp_path / "worker.log", cwd=ROOT, env=env))
        for name, process in zip("ab", processes, strict=False):
            wait_until(lambda n=name: _public_board(bases[n]), process, f"app server {name}", 60)
        yield bases["a"], bases["b"]
    finally:
        for process in processes:  # all asked to stop at once, then waited for
            process.terminate()
        for process in processes:
            stop(process)


@pytest.fixture
def people(make_user, approved, draft_claim):
    return make_user(Role.BUREAU_OFFICER, name="局经办"), approved, *draft_claim


def test_two_app_servers_a_worker_postgres_redis_and_the_object_store(people, cluster):
    officer, approved, person, claim = people
    a, b = cluster

    # B keeps its public board (the second visit is the kept copy)
    assert "张三丰" not in _public_board(b)
    assert "张三丰" not in _public_board(b)

    bureau = Browser()
    bureau.login(a, officer.username)
    status, body, _ = bureau.post(
        f"{a}/board/batches",
        {"declarations": str(approved.id), "start": local_today().isoformat(), "title": ""},
        f"{a}/board/batches",
    )
    assert status in (302, 303), body.decode()[-2000:]
    assert "张三丰" in _public_board(b)  # B's next request

    professional = Browser()
    professional.login(a, person.user.username)
    status, body, _ = professional.post(
        f"{a}/declarations/{YEAR}/claims/{claim.id}/evidence",
        {},
        f"{a}/declarations/{YEAR}",
        files={"file": ("结业证书.pdf", PDF_BYTES, "application/pdf")},
    )
    assert status in (302, 303), body.decode()[-2000:]
    db.session.expire_all()
    db.session.refresh(claim)
    [evidence] = claim.evidence
    status, body, headers = professional.open(f"{b}/declarations/evidence/{evidence.id}")
    assert status == 200 and body == PDF_BYTES
    assert headers["Cache-Control"] == "no-store"
    assert Browser().open(f"{b}/declarations/evidence/{evidence.id}")[0] in (302, 401, 404)

    status, _, headers = bureau.post(
        f"{a}/exchange/export", {"year": str(YEAR), "fmt": "json"}, f"{a}/exchange/"
    )
    assert status == 303
    job_page = urllib.parse.urljoin(a, headers["Location"]).replace(a, b)
    deadline = time.monotonic() + 40
    while "下载" not in bureau.open(job_page)[1].decode() and time.monotonic() < deadline:
        time.sleep(0.3)
    status, body, _ = bureau.open(f"{job_page}/result")
    assert status == 200, body.decode()[-2000:]
    assert isinstance(json.loads(body), dict | list)
