"""The pull API under /api/v1/: keys (hashed, shown once, revoked), paging, scopes, audit, the
login throttle, and the OpenAPI document every real answer validates against."""

import json
from datetime import UTC, datetime

import jsonschema
import pytest
import sqlalchemy as sa
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from portal.accounts.models import LoginAttempt
from portal.audit.models import AuditEvent
from portal.declarations.models import DeclarationStatus
from portal.exchange import keys
from portal.exchange.models import ApiKey
from portal.extensions import db
from portal.units.models import Authority, TitleLevel, TitleSeries
from portal.verification.models import Verification, VerificationKind


def new_key(runner, name, scope) -> str:
    result = runner.invoke(args=["api-keys", "create", name, "--scope", scope])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["key"]


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def five_registered(make_unit, make_professional, make_registered_declaration):
    unit = make_unit(name="第一中学")
    people = [make_professional(unit=unit, name=f"人员{i}") for i in range(5)]
    for person in people:
        make_registered_declaration(person, 2025)
    make_registered_declaration(people[0], 2024)  # another year: not on the 2025 pages
    return people


def pulls(consumer: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "api.pull", AuditEvent.username == f"接口:{consumer}")
            .order_by(AuditEvent.id)
        )
    )


def test_a_year_pulled_page_by_page_with_a_key(client, runner, five_registered):
    key = new_key(runner, "省学时管理系统", "registrations")
    seen, url, pages = [], "/api/v1/registrations?year=2025&per_page=2", 0
    while url:
        response = client.get(url, headers=bearer(key))
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"  # personal data
        page = response.get_json()
        assert page["total"] == 5 and page["pages"] == 3 and page["count"] == len(page["records"])
        seen += [(r["id_number"], r["year"]) for r in page["records"]]
        url, pages = page["next"], pages + 1
    assert pages == 3
    expected = {(p.id_number, 2025) for p in five_registered}
    assert len(seen) == 5 and set(seen) == expected  # each once, none left out
    # Stable: the second page asked again holds the same years.
    again = client.get("/api/v1/registrations?year=2025&per_page=2&page=2", headers=bearer(key))
    assert [(r["id_number"], r["year"]) for r in again.get_json()["records"]] == seen[2:4]
    events = pulls("省学时管理系统")
    assert [e.detail for e in events][:3] == [
        "已登记年度 2025年度 第1页：2条",
        "已登记年度 2025年度 第2页：2条",
        "已登记年度 2025年度 第3页：1条",
    ]
    assert all(e.object_type == "apikey" and e.outcome == "success" for e in events)


def test_since_pulls_what_was_registered_after_the_moment(client, runner, five_registered):
    key = new_key(runner, "省学时管理系统", "registrations")
    response = client.get("/api/v1/registrations?since=2025-06-01T00:00:00", headers=bearer(key))
    assert {r["year"] for r in response.get_json()["records"]} == {2025}
    assert response.get_json()["total"] == 5
    late = client.get("/api/v1/registrations?since=2026-01-01", headers=bearer(key))
    assert late.get_json()["total"] == 0
    both = client.get("/api/v1/registrations?since=2024-01-01&year=2024", headers=bearer(key))
    assert both.get_json()["total"] == 1
    bad = client.get("/api/v1/registrations?since=yesterday", headers=bearer(key))
    assert bad.status_code == 400 and "起始时间" in bad.get_json()["error"]
    assert client.get("/api/v1/registrations", headers=bearer(key)).status_code == 400
    too_big = client.get("/api/v1/registrations?year=2025&per_page=501", headers=bearer(key))
    assert too_big.status_code == 400


def test_keys_are_kept_hashed_and_shown_once(runner, ctx):
    key = new_key(runner, "职称评审系统", "people")
    row = db.session.scalar(sa.select(ApiKey))
    assert row.key_hash == keys.digest(key) and key not in (row.key_hash, row.prefix)
    assert key.startswith(row.prefix) and len(row.prefix) == keys.PREFIX_LENGTH
    listed = runner.invoke(args=["api-keys", "list"])
    assert listed.exit_code == 0 and key not in listed.output
    assert json.loads(listed.output)[0]["scope"] == "people"
    again = runner.invoke(args=["api-keys", "create", "职称评审系统", "--scope", "people"])
    assert again.exit_code == 2 and "已有名为" in again.output
    assert runner.invoke(args=["api-keys", "revoke", "nobody"]).exit_code == 2
    assert runner.invoke(args=["api-keys", "revoke", "职称评审系统"]).exit_code == 0
    assert runner.invoke(args=["api-keys", "revoke", row.prefix]).exit_code == 2  # already


def test_a_revoked_key_is_refused_with_nothing_else_and_audited(client, runner, five_registered):
    key = new_key(runner, "省学时管理系统", "registrations")
    assert client.get("/api/v1/registrations?year=2025", headers=bearer(key)).status_code == 200
    assert runner.invoke(args=["api-keys", "revoke", "省学时管理系统"]).exit_code == 0
    response = client.get("/api/v1/registrations?year=2025", headers=bearer(key))
    assert response.status_code == 401 and response.data == b""
    refused = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "api.refused")
    ).all()
    assert len(refused) == 1
    assert refused[0].username == "接口:省学时管理系统" and refused[0].outcome == "denied"
    assert "已吊销" in refused[0].detail and refused[0].object_type == "apikey"
    assert len(pulls("省学时管理系统")) == 1  # only the pull before the revocation
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.outcome == "failure")
        )
        == 1
    )  # counted against the address like a failed login


@pytest.mark.parametrize(
    "header", [None, "Bearer cek_wrong", "Bearer ", "Basic abc", "cek_only", "Bearer " + "x" * 300]
)
def test_a_wrong_or_missing_key_gets_401_and_nothing_else(client, ctx, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/registrations?year=2025", headers=headers)
    assert response.status_code == 401 and response.data == b""
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "api.refused"))
    assert event is not None and "无效或缺失" in event.detail


def test_wrong_keys_are_throttled_like_logins(client, runner, five_registered):
    from portal.settings import get_setting

    key = new_key(runner, "省学时管理系统", "registrations")
    limit = get_setting("LOGIN_MAX_FAILURES_PER_ADDRESS")
    for _ in range(limit):
        assert (
            client.get("/api/v1/registrations?year=2025", headers=bearer("cek_x")).status_code
            == 401
        )
    # The address is over the login throttle: even the good key waits, and so does a login.
    response = client.get("/api/v1/registrations?year=2025", headers=bearer(key))
    assert response.status_code == 429 and response.data == b""
    login = client.post("/login", data={"username": "someone", "password": "x"})
    assert login.status_code == 429


def test_personal_data_only_to_the_scope_that_needs_it(client, runner, five_registered):
    verifier = new_key(runner, "核验系统", "verifications")
    title_review = new_key(runner, "职称评审系统", "people")
    for key in (verifier, title_review):
        response = client.get("/api/v1/registrations?year=2025", headers=bearer(key))
        assert response.status_code == 403 and response.data == b""
    person = five_registered[0]
    response = client.post(
        "/api/v1/people/years", json={"id_number": person.id_number}, headers=bearer(title_review)
    )
    assert response.status_code == 200
    assert [r["year"] for r in response.get_json()["records"]] == [2024, 2025]
    response = client.post(
        "/api/v1/people/years", json={"id_number": person.id_number}, headers=bearer(verifier)
    )
    assert response.status_code == 403


@pytest.fixture
def sheet(ctx, make_user, five_registered):
    from portal.accounts.models import Role

    person = five_registered[0]
    officer = make_user(Role.BUREAU_OFFICER)
    series = TitleSeries(name="中小学教师", authority=Authority(name="市教体局"))
    db.session.add(series)
    content = {
        "name": person.name,
        "id_masked": person.masked_id_number,
        "unit": "第一中学",
        "title": "中小学教师 副高",
        "body": "示范县人力资源和社会保障局",
        "officer": officer.name,
        "policy": {"cramming": "cap", "cap_factor": 2},
        "policy_text": "",
        "years": [
            {"year": 2025, "rule_set": "anhui-2025", "general": 30, "professional": 60}
            | {"source": "portal"}
        ],
        "required": {},
        "counted": {},
        "missing_years": [],
        "next_year": {},
        "result": {
            "years": [
                {"year": 2025, "counted_general": 30, "counted_professional": 60}
                | {"counted_total": 90, "compliant": True}
            ],
            "average": {"general": 30.0, "professional": 60.0, "total": 90.0},
            "cross_major": None,
            "ok": True,
            "reasons": [],
        },
    }
    verification = Verification(
        number="YZ-2025-000001",
        code="C" * 32,
        kind=VerificationKind.CYCLE,
        professional=person,
        series=series,
        level=TitleLevel.DEPUTY_SENIOR,
        application_year=2026,
        first_year=2025,
        last_year=2025,
        content=content,
        ok=True,
        issued_by=officer,
        issued_at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC),
    )
    db.session.add(verification)
    db.session.commit()
    return verification


def test_a_verification_by_number_never_gives_the_full_id_number(client, runner, sheet):
    key = new_key(runner, "职称评审系统", "verifications")
    response = client.get("/api/v1/verifications/yz-2025-000001", headers=bearer(key))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["number"] == "YZ-2025-000001" and answer["ok"] is True
    assert sheet.professional.id_number not in response.text
    assert answer["person"]["id_number"] == sheet.professional.masked_id_number
    missing = client.get("/api/v1/verifications/YZ-2025-999999", headers=bearer(key))
    assert missing.status_code == 404 and missing.get_json()["error"]
    assert [e.detail for e in pulls("职称评审系统")] == [
        "学时验证单 yz-2025-000001：1条",
        "学时验证单 YZ-2025-999999：0条",
    ]


def test_every_route_answers_as_its_openapi_document_says(client, runner, sheet):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    spec = OpenAPI.from_dict(document)
    keys_by_scope = {
        scope: new_key(runner, f"使用方-{scope}", scope)
        for scope in ("registrations", "people", "verifications")
    }
    person = sheet.professional
    calls = [
        ("get", "/api/v1/", None, None),
        ("get", "/api/v1/openapi.json", None, None),
        ("get", "/api/v1/schema/registration-export.json", None, None),
        ("get", "/api/v1/schema/excel.json", None, None),
        ("get", "/api/v1/registrations?year=2025&per_page=2", "registrations", None),
        ("get", "/api/v1/registrations?since=2020-01-01&page=3&per_page=2", "registrations", None),
        ("get", "/api/v1/registrations?year=1999", "registrations", None),  # a 400
        ("post", "/api/v1/people/years", "people", {"id_number": person.id_number}),
        ("post", "/api/v1/people/years", "people", {"id_number": "110101199003077777"}),
        ("post", "/api/v1/people/years", "people", {"number": 1}),  # a 400
        ("get", "/api/v1/verifications/YZ-2025-000001", "verifications", None),
        ("get", "/api/v1/verifications/NONE", "verifications", None),  # a 404
    ]
    template = {"YZ-2025-000001": "{number}", "NONE": "{number}"}
    documented = {
        (method, path) for path, operations in document["paths"].items() for method in operations
    }
    called = {
        (m, "/".join(template.get(part, part) for part in u.split("?")[0].split("/")))
        for m, u, _, _ in calls
    }
    assert documented == called  # every documented route is called below, and only those
    statuses = set()
    for method, url, scope, body in calls:
        headers = bearer(keys_by_scope[scope]) if scope else {}
        response = client.open(url, method=method.upper(), headers=headers, json=body)
        statuses.add(response.status_code)
        path, _, query = url.partition("?")
        request = MockRequest(
            "http://localhost",
            method,
            path,
            args=dict(part.split("=") for part in query.split("&")) if query else None,
            data=json.dumps(body).encode() if body is not None else None,
        )
        spec.validate_response(
            request,
            MockResponse(response.data, response.status_code, content_type=response.content_type),
        )
    assert statuses == {200, 400, 404}
    # The published format is the one the export is checked against.
    published = client.get("/api/v1/schema/registration-export.json").get_json()
    jsonschema.Draft202012Validator.check_schema(published)


def test_the_document_is_generated_from_the_routes(app):
    """A route added through the declaration appears in the document without anyone writing it
    there (the document is made from the declarations and the URL map, not kept by hand)."""
    from portal.api import openapi, views

    with app.test_request_context():
        paths = openapi.document()["paths"]
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    converted = {r.replace("<number>", "{number}") for r in rules}
    assert set(paths) == converted
    assert (
        len(openapi.OPERATIONS)
        == len(rules)
        == len(
            [
                v
                for v in vars(views).values()
                if isinstance(getattr(v, "operation", None), openapi.Operation)
            ]
        )
    )


def test_the_admin_creates_a_key_seen_once_and_revokes_it(client, auth, make_user, five_registered):
    from portal.accounts.models import Role

    auth.login(make_user(Role.ADMIN))
    page = client.post("/admin/api-keys", data={"name": "省学时管理系统", "scope": "registrations"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    row = db.session.scalar(sa.select(ApiKey))
    secret = page.text.split('id="key-value">')[1].split("<")[0]
    assert keys.digest(secret) == row.key_hash
    assert secret not in client.get("/admin/api-keys").text  # shown once
    api = client.application.test_client()  # no session: the key is the credential
    assert api.get("/api/v1/registrations?year=2025", headers=bearer(secret)).status_code == 200
    bad = client.post("/admin/api-keys", data={"name": "省学时管理系统", "scope": "registrations"})
    assert bad.status_code == 422 and "已有名为" in bad.text
    empty = client.post("/admin/api-keys", data={"name": "", "scope": "everything"})
    assert empty.status_code == 422 and "请填写使用方名称" in empty.text
    assert client.post(f"/admin/api-keys/{row.id}/revoke").status_code == 303
    assert api.get("/api/v1/registrations?year=2025", headers=bearer(secret)).status_code == 401
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("api_key.%"))
    ).all()
    assert actions == ["api_key.create", "api_key.revoke"]


def test_the_api_needs_no_csrf_token(csrf_app, runner, five_registered):
    key = new_key(runner, "职称评审系统", "people")
    api = csrf_app.test_client()
    person = five_registered[0]
    response = api.post("/api/v1/people/years", json={"id_number": person.id_number},
                        headers=bearer(key))  # fmt: skip
    assert response.status_code == 200 and response.get_json()["count"] == 2


def test_a_page_costs_the_same_queries_for_few_and_many_records(
    app, client, runner, make_unit, make_professional, make_submitted_declaration
):
    """A page of the API runs a fixed number of queries whatever it holds (no lazy load per
    record: claims, reviewers, titles, certificates, batches are loaded together)."""
    from tests.perf.test_query_counts import queries

    key = new_key(runner, "省学时管理系统", "registrations")
    unit = make_unit()

    def add(n, year):
        for _ in range(n):
            declaration = make_submitted_declaration(make_professional(unit=unit), year=year)
            declaration.status = DeclarationStatus.REGISTERED  # the test sets the stage
            declaration.registered_at = datetime(year, 12, 12, 2, 0, tzinfo=UTC)
            for claim in declaration.claims:
                claim.counted_professional = claim.hours
        db.session.commit()

    add(2, 2024)
    add(12, 2025)
    few = queries(app, client, "/api/v1/registrations?year=2024", headers=bearer(key))
    many = queries(app, client, "/api/v1/registrations?year=2025", headers=bearer(key))
    assert few == many
