"""Disk full or read-only instance: the public board, /verify and logins keep working read-only,
writes answer 503 in Chinese with nothing kept (rows or files), and the bureau officer and the
admin see a banner on every page while the condition lasts."""

import errno
import io
import os
import shutil
import sqlite3
import subprocess
from collections import namedtuple

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.default import DefaultDialect

from portal import rules
from portal.accounts.idnumbers import make_uscc
from portal.accounts.models import LoginAttempt, Role, User
from portal.audit.models import AuditEvent
from portal.declarations.models import Claim, Declaration, Evidence
from portal.extensions import db
from portal.storage import service as storage
from tests.conftest import PASSWORD
from tests.declarations.conftest import PDF_BYTES, YEAR

MESSAGE = "系统存储空间不足或只读，暂时无法保存，请联系管理员"
BANNER = "存储异常：数据库或实例目录无法写入"
LOW_BANNER = "存储空间不足：数据库和证明材料所在磁盘仅剩"
WRITES = ("INSERT", "UPDATE", "DELETE")
TRAINING = {
    "days": "3",
    "subject": "professional",
    "title": "中小学教师专业能力提升培训",
    "date": f"{YEAR}-01-01",
    "issuer": "示范县教育局",
}


def _pg_error(name):
    errors = pytest.importorskip("psycopg.errors")
    return getattr(errors, name)("simulated")


FAILURES = {
    "sqlite-full": lambda: sqlite3.OperationalError("database or disk is full"),
    "sqlite-readonly": lambda: sqlite3.OperationalError("attempt to write a readonly database"),
    "postgres-full": lambda: _pg_error("DiskFull"),
    "postgres-readonly": lambda: _pg_error("ReadOnlySqlTransaction"),
}


@pytest.fixture(params=list(FAILURES))
def full_database(request, monkeypatch):
    """A switch: after full_database(), every INSERT, UPDATE or DELETE the database is asked for
    fails as a full disk (or a read-only database) would; reading goes on. full_database(False)
    frees it again."""
    failure = FAILURES[request.param]
    state = {"on": False}

    def refuse(original):
        def execute(self, cursor, statement, *args, **kwargs):
            if state["on"] and statement.lstrip().upper().startswith(WRITES):
                raise failure()
            return original(self, cursor, statement, *args, **kwargs)

        return execute

    for name in ("do_execute", "do_executemany", "do_execute_no_params"):
        monkeypatch.setattr(DefaultDialect, name, refuse(getattr(DefaultDialect, name)))

    def switch(on=True):
        state["on"] = on

    return switch


@pytest.fixture
def person(make_unit, make_professional):
    return make_professional(unit=make_unit())


@pytest.fixture
def draft(person, ctx):
    declaration = Declaration(
        professional=person, year=YEAR, rule_set=rules.rule_set_for_year(YEAR).id
    )
    db.session.add(declaration)
    db.session.commit()
    return declaration


def login(client, user):
    return client.post("/login", data={"username": user.username, "password": PASSWORD})


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_errors_that_mean_storage(app, tmp_path):
    with app.app_context():
        for make in FAILURES.values():
            try:
                error = make()
            except pytest.skip.Exception:
                continue
            assert storage.is_storage_error(error)
            wrapped = sa.exc.OperationalError("INSERT", {}, error)
            assert storage.is_storage_error(wrapped)
        evidence = os.path.join(app.config["UPLOAD_FOLDER"], "x.pdf")
        assert storage.is_storage_error(OSError(errno.ENOSPC, "No space left on device"))
        assert storage.is_storage_error(OSError(errno.EROFS, "Read-only file system"))
        assert storage.is_storage_error(PermissionError(errno.EACCES, "denied", evidence))
        # A permission refused elsewhere, or an ordinary database error, is not the storage.
        assert not storage.is_storage_error(PermissionError(errno.EACCES, "denied", "/etc/x"))
        assert not storage.is_storage_error(sqlite3.OperationalError("no such table: x"))
        assert not storage.is_storage_error(sqlite3.IntegrityError("UNIQUE constraint failed"))
        assert not storage.is_storage_error(ValueError("database or disk is full"))


def test_unless_unwritable_keeps_storage_errors_in_and_lets_others_out(app):
    with app.app_context():
        with storage.unless_unwritable() as write:
            raise OSError(errno.ENOSPC, "No space left on device")
        assert write.failed and not storage.state().writable
        with storage.unless_unwritable() as write:
            pass
        assert not write.failed
        with pytest.raises(ValueError), storage.unless_unwritable():
            raise ValueError("database or disk is full")


def test_public_pages_stay_up(app, client, full_database, ctx):
    full_database()
    for url in ("/board", "/board?q=张", "/verify", "/login", "/verify?code=ABCDE-FGHJK"):
        response = client.get(url)
        assert response.status_code in (200, 303), url
        assert MESSAGE not in response.text
    # A short code is counted in the process meanwhile and still answered (here: unknown).
    response = client.get("/verify/ABCDEFGHJK")
    assert response.status_code == 404 and "未查到该证书" in response.text
    assert count(sa.table("certificate_lookup")) == 0


def test_verify_answers_and_still_limits_per_address(app, client, full_database):
    full_database()
    app.config["VERIFY_LIMIT_PER_HOUR"] = 2
    assert client.get("/verify/ABCDEFGHJK").status_code == 404
    assert client.get("/verify/ABCDEFGHJM").status_code == 404
    throttled = client.get("/verify/ABCDEFGHJN")
    assert throttled.status_code == 429 and "查验得过于频繁" in throttled.text
    other = app.test_client()
    elsewhere = other.get("/verify/ABCDEFGHJN", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert elsewhere.status_code == 404


def test_login_works_without_recording_it(app, client, full_database, person, ctx):
    full_database()
    response = login(client, person.user)
    assert response.status_code == 303
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200 and person.user.name in home.text
    db.session.expire_all()
    assert db.session.get(User, person.user.id).last_login_at is None
    assert count(LoginAttempt) == 0 and count(AuditEvent) == 0
    # A wrong password is still refused (and, with nothing writable, not counted).
    other = app.test_client()
    wrong = other.post("/login", data={"username": person.user.username, "password": "Wrong1!x"})
    assert wrong.status_code == 422 and "账号或密码不正确" in wrong.text


def test_a_claim_is_refused_in_chinese_and_nothing_kept(app, client, full_database, person, draft):
    assert login(client, person.user).status_code == 303
    full_database()
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(
            f"/declarations/{YEAR}/claims/new?kind=training", data=TRAINING, headers=headers
        )
        assert response.status_code == 503 and MESSAGE in response.text
        assert "Traceback" not in response.text
    assert count(Claim) == 0
    # The declaration page itself still reads.
    assert client.get(f"/declarations/{YEAR}").status_code == 200


def _upload(client, claim, *contents):
    return client.post(
        f"/declarations/{YEAR}/claims/{claim.id}/evidence",
        data={"file": [(io.BytesIO(c), f"证明{n}.pdf") for n, c in enumerate(contents)]},
        content_type="multipart/form-data",
    )


@pytest.fixture
def claim(draft, ctx):
    item = Claim(
        declaration=draft,
        position=1,
        kind="training",
        subject="professional",
        facts={"days": 3},
        details={},
        hours=24,
    )
    db.session.add(item)
    db.session.commit()
    return item


def test_evidence_on_a_full_database_keeps_no_file(app, client, full_database, person, claim):
    login(client, person.user)
    full_database()
    response = _upload(client, claim, PDF_BYTES)
    assert response.status_code == 503 and MESSAGE in response.text
    assert count(Evidence) == 0 and os.listdir(app.config["UPLOAD_FOLDER"]) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_evidence_on_a_full_disk_keeps_nothing(app, client, person, claim, monkeypatch, code):
    """The second file of two fails to write: the first, already on disk, is removed too."""
    from portal.declarations import evidence

    login(client, person.user)
    written = []
    real_fsync = evidence.os.fsync

    def fsync(descriptor):
        written.append(descriptor)
        if len(written) == 2:
            raise OSError(code, os.strerror(code))
        return real_fsync(descriptor)

    monkeypatch.setattr(evidence.os, "fsync", fsync)
    response = _upload(client, claim, PDF_BYTES + b"1", PDF_BYTES + b"2")
    assert response.status_code == 503 and MESSAGE in response.text
    assert count(Evidence) == 0 and os.listdir(app.config["UPLOAD_FOLDER"]) == []


def _make_read_only(folder):
    """chmod 500; root ignores modes, so there the folder is also made immutable (ext4)."""
    os.chmod(folder, 0o500)
    if os.geteuid() != 0:
        return lambda: os.chmod(folder, 0o700)
    result = subprocess.run(["chattr", "+i", folder], capture_output=True, check=False)
    if result.returncode != 0:
        os.chmod(folder, 0o700)
        pytest.skip(f"running as root on a file system without chattr +i: {result.stderr!r}")

    def undo():
        subprocess.run(["chattr", "-i", folder], check=True)
        os.chmod(folder, 0o700)

    return undo


def test_read_only_evidence_folder(app, client, person, claim, make_user):
    officer = make_user(Role.BUREAU_OFFICER)
    app.config["STORAGE_CHECK_SECONDS"] = 0
    login(client, person.user)
    undo = _make_read_only(app.config["UPLOAD_FOLDER"])
    try:
        response = _upload(client, claim, PDF_BYTES)
        assert response.status_code == 503 and MESSAGE in response.text
        assert count(Evidence) == 0
        assert BANNER not in client.get(f"/declarations/{YEAR}").text  # not for the person
        staff = app.test_client()
        login(staff, officer)
        assert BANNER in staff.get("/review/").text
    finally:
        undo()
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []
    assert BANNER not in staff.get("/review/").text  # the next check finds it writable again


Usage = namedtuple("Usage", "total used free")


@pytest.mark.parametrize("role", [Role.BUREAU_OFFICER, Role.ADMIN])
def test_low_disk_banner_for_the_officer_and_the_admin(app, make_user, monkeypatch, role):
    app.config["STORAGE_CHECK_SECONDS"] = 0
    staff, professional_client = app.test_client(), app.test_client()
    user = make_user(role)
    login(staff, user)
    home = staff.get("/", follow_redirects=True)
    assert home.status_code == 200 and LOW_BANNER not in home.text
    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: Usage(10 * 2**30, 10 * 2**30 - 2**20 * 80, 2**20 * 80)
    )
    for url in ("/", "/board", "/notifications/"):
        page = staff.get(url, follow_redirects=True)
        assert LOW_BANNER in page.text and "仅剩 80 MB（告警阈值 500 MB）" in page.text, url
    assert LOW_BANNER not in professional_client.get("/board").text  # visitors see nothing
    monkeypatch.undo()
    assert LOW_BANNER not in staff.get("/", follow_redirects=True).text


def test_banner_follows_the_threshold_setting(app, make_user, monkeypatch):
    from portal.settings import set_setting

    app.config["STORAGE_CHECK_SECONDS"] = 0
    client = app.test_client()
    login(client, make_user(Role.ADMIN))
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(2**40, 2**39, 2**20 * 80))
    assert LOW_BANNER in client.get("/board").text
    with app.test_request_context():
        set_setting("STORAGE_MIN_FREE_BYTES", 50 * 2**20)
        db.session.commit()
    assert LOW_BANNER not in client.get("/board").text


def test_a_failed_write_shows_the_banner_at_once(app, client, full_database, person, draft,
                                                 make_user):  # fmt: skip
    login(client, person.user)
    officer = app.test_client()
    login(officer, make_user(Role.BUREAU_OFFICER))
    assert BANNER not in officer.get("/review/").text
    full_database()
    client.post(f"/declarations/{YEAR}/claims/new?kind=training", data=TRAINING)
    page = officer.get("/review/")
    assert page.status_code == 200 and BANNER in page.text


def test_staff_writes_are_refused_too_and_logout_still_logs_out(app, client, full_database,
                                                                 make_user):  # fmt: skip
    from portal.units.models import Unit

    login(client, make_user(Role.ADMIN))
    form = client.get("/admin/settings").text
    assert "存储空间告警阈值（MB）" in form and "防重复提交标记有效期（小时）" in form
    full_database()
    data = {"name": "示范县人民医院", "uscc": make_uscc("12341822MB1234567"), "type": "institution"}
    response = client.post("/admin/units/new", data={**data, "county": "示范县"})
    assert response.status_code == 503 and MESSAGE in response.text
    assert count(Unit) == 0
    assert BANNER in client.get("/admin/users").text
    out = client.post("/logout")
    assert out.status_code == 303 and out.headers["Location"].endswith("/login")
    assert client.get("/admin/users").status_code == 302  # logged out
