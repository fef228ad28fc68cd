"""Route × role × unit access table: who may open what, checked on the server for every route.

The table follows the routes: every (method, endpoint) of app.url_map must have a row here, so
a new route without an expected row fails the suite.

Scenario: professional P works in unit A (a state institution) and has a submitted 2025
declaration with one evidence file; Q works in unit B. RA reviews unit A, RB unit B. A third
person's record is on the public board in a running batch, with an open objection.
Outcomes: "ok" (2xx or 3xx, or a refusal of the empty form on its merits: 400, 409, 422),
"login" (redirect to /login), 403 (wrong role), 404 (an object of someone the user may not
see: existence is not leaked).
"""

import os
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.accounts.models import Role
from portal.storage import files
from portal.units.models import Authority, Provider, TitleLevel, TitleSeries, UnitType
from portal.verification.models import Verification, VerificationKind, VerificationStatus

SHEET = {
    "name": "某人",
    "id_masked": "340102********1234",
    "unit": "测试单位",
    "title": "测试系列 副高",
    "body": "示范县人力资源和社会保障局",
    "officer": "经办人",
    "policy": {"cramming": "cap", "cap_factor": 2},
    "policy_text": "",
    "years": [],
    "required": {},
    "counted": {},
    "missing_years": [],
    "next_year": {},
    "result": {
        "years": [],
        "average": {"general": 30.0, "professional": 60.0, "total": 90.0},
        "cross_major": None,
        "ok": True,
        "reasons": [],
    },
}

ACTORS = [
    "anon",
    "P",
    "Q",
    "RA",
    "RB",
    "officer",
    "provider",
    "admin",
    "auditor",
    "city",
    "authority",
    "province",
]


@pytest.fixture
def world(app, make_unit, make_user, make_professional, make_submitted_declaration):
    from portal.accounts.models import MoveRequest
    from portal.board.models import Objection, PublicityBatch
    from portal.clock import local_today
    from portal.declarations.models import DeclarationStatus
    from portal.extensions import db
    from portal.workdays.models import WorkdayOverride

    unit_a = make_unit(type=UnitType.INSTITUTION)
    unit_b = make_unit(type=UnitType.INSTITUTION)
    provider = Provider(name="测试继续教育基地")
    db.session.add(provider)
    db.session.commit()
    p = make_professional(unit=unit_a)
    q = make_professional(unit=unit_b)
    declaration = make_submitted_declaration(p, year=2025)
    evidence = declaration.claims[0].evidence[0]
    with open(os.path.join(app.config["UPLOAD_FOLDER"], evidence.stored_name), "wb") as f:
        f.write(b"%PDF-1.4\n%test\n")
    users = {
        "P": p.user,
        "Q": q.user,
        "RA": make_user(Role.UNIT_REVIEWER, unit=unit_a),
        "RB": make_user(Role.UNIT_REVIEWER, unit=unit_b),
        "officer": make_user(Role.BUREAU_OFFICER),
        "provider": make_user(Role.PROVIDER, provider=provider),
        "admin": make_user(Role.ADMIN),
        "auditor": make_user(Role.AUDITOR),
        "city": make_user(Role.CITY_OFFICER),
        "province": make_user(Role.PROVINCE_VIEWER),
        "authority": make_user(Role.AUTHORITY_OFFICER, authority=Authority(name="县卫健委")),
    }
    today = local_today()
    batch = PublicityBatch(
        title="测试公示",
        start_date=today,
        end_date=today + timedelta(days=7),
        created_by_id=users["officer"].id,
    )
    db.session.add(batch)
    db.session.flush()
    publicised = make_submitted_declaration(
        make_professional(unit=unit_a),
        year=2025,
        status=DeclarationStatus.PUBLICISED,
        batch_id=batch.id,
    )
    objection = Objection(
        declaration_id=publicised.id,
        name="张三",
        contact="13800000000",
        content="测试",
        reference="YY-TEST-TEST-TEST",
    )
    override = WorkdayOverride(day=date(2031, 1, 2), is_workday=False, note="测试")
    # Q asks to move to unit A: RA (the new unit) confirms it.
    move = MoveRequest(
        professional=q, from_unit=unit_b, unit=unit_a, started_on=today, requested_by=q.user
    )
    series = TitleSeries(name="中小学教师", authority=Authority(name="县教体局"))
    from portal.providers.models import PlanForm, PlanState, TrainingPlan

    with open(os.path.join(app.config["UPLOAD_FOLDER"], "0" * 32 + ".pdf"), "wb") as f:
        f.write(b"%PDF-1.4\n%test\n")
    plan = TrainingPlan(
        provider_id=provider.id,
        title="测试培训",
        subject="professional",
        start_date=today - timedelta(days=3),
        end_date=today - timedelta(days=2),
        days=2,
        hours_per_day=6,
        form=PlanForm.FACE,
        state=PlanState.ACCEPTED,
        filing_no="BA2030-0001",
        filed_on=today - timedelta(days=40),
        programme_name="方案.pdf",
        programme_stored="0" * 32 + ".pdf",
    )
    from portal.jobs import service as jobs
    from portal.jobs.models import Job, JobState
    from portal.notifications.models import Notification

    job = Job(kind="publicity.close", title="办结到期公示", state=JobState.DONE)
    notification = Notification(user_id=users["P"].id, kind="test", text="测试消息")
    # The bureau's verification of P's senior application, sent to the city.
    verification = Verification(
        number="YZ341822-2026-000001",
        code="A" * 28,
        kind=VerificationKind.CYCLE,
        professional=p,
        series=series,
        level=TitleLevel.DEPUTY_SENIOR,
        application_year=2025,
        first_year=2021,
        last_year=2025,
        content=SHEET,
        ok=True,
        issued_by=users["officer"],
        status=VerificationStatus.SENT,
        sent_at=datetime.now(UTC),
    )
    from portal.exchange.models import ApiKey, KeyScope

    api_key = ApiKey(name="省学时管理系统", scope=KeyScope.REGISTRATIONS, key_hash="0" * 64)
    api_key.prefix = "cek_000000"
    db.session.add_all(
        [objection, override, plan, job, notification, move, series, verification, api_key]
    )
    db.session.flush()
    jobs.save_result(job, b"{}", "result.json")
    # The provider's list import for its plan: the received rows and the rows not taken.
    from portal.providers.models import ImportKind, ProviderImport

    import_job = Job(
        kind="providers.import_list",
        title="导入合格人员名单：测试培训",
        state=JobState.DONE,
        created_by_id=users["provider"].id,
    )
    db.session.add(import_job)
    db.session.flush()
    jobs.save_result(import_job, b"PK", "接收结果.xlsx")
    with open(os.path.join(files.store().folder(files.JOBS), "unmatched-test.xlsx"), "wb") as f:
        f.write(b"PK")
    provider_import = ProviderImport(
        kind=ImportKind.LIST,
        job_id=import_job.id,
        plan_id=plan.id,
        provider_id=provider.id,
        filename="名单.xlsx",
        unmatched_file="unmatched-test.xlsx",
        created_by_id=users["provider"].id,
    )
    db.session.add(provider_import)
    # A stranger's self-registration with the ID number and name of a person unit A imported.
    from portal.accounts.models import RegistrationRequest

    imported = make_professional(unit=unit_a, account=False)
    stranger = make_user(Role.PROFESSIONAL, username=imported.id_number)
    held = RegistrationRequest(professional=imported, user=stranger, unit_id=unit_a.id)
    db.session.add(held)
    db.session.flush()
    db.session.commit()
    return {
        "users": {k: v.username for k, v in users.items()},
        "session_ids": {k: v.get_id() for k, v in users.items()},
        "ids": {
            "decl": declaration.id,
            "claim": declaration.claims[0].id,
            "evidence": evidence.id,
            "person": p.id,
            "unit": unit_a.id,
            "staff": users["RA"].id,
            "batch": batch.id,
            "publicised": publicised.id,
            "objection": objection.id,
            "override": override.id,
            "plan": plan.id,
            "import": provider_import.id,
            "provider_org": provider.id,
            "job": job.id,
            "notification": notification.id,
            "move": move.id,
            "series": series.id,
            "authority": series.authority_id,
            "verification": verification.id,
            "api_key": api_key.id,
            "held": held.id,
        },
    }


def row(url, ok, hidden=(), anon=None):
    """ok: actors who get in; hidden: actors who get 404; every other logged-in actor gets 403;
    the anonymous visitor is sent to log in unless in ok (or `anon` says otherwise)."""
    expected = {}
    for actor in ACTORS:
        if actor == "anon":
            expected[actor] = anon or ("ok" if "anon" in ok else "login")
        elif actor in ok:
            expected[actor] = "ok"
        elif actor in hidden:
            expected[actor] = 404
        else:
            expected[actor] = 403
    return url, expected


LOGGED_IN = ACTORS[1:]


def others(*actors):
    """Every logged-in actor but these."""
    return tuple(a for a in LOGGED_IN if a not in actors)


STAFF_REVIEW = ("RA", "RB", "officer")
PROFESSIONALS = ("P", "Q")
# Only P has a 2025 declaration: Q's requests for it find nothing.
P_ONLY = {"ok": ("P",), "hidden": ("Q",)}
# A declaration P's unit reviews: another unit's reviewer and the bureau do not even see it.
RA_ONLY = {"ok": ("RA",), "hidden": ("RB", "officer")}
# On the review pages an authority officer (whose series P is not in) does not see it either.
REVIEWED_BY_RA = {"ok": ("RA",), "hidden": ("RB", "officer", "authority", "city")}
EVIDENCE_VIEWERS = {
    "ok": ("P", "RA", "officer"),
    "hidden": ("Q", "RB", "provider", "admin", "auditor", "city", "authority", "province"),
}
OFFICER = ("officer",)
UNIT_STAFF = ("admin", "officer")
ADMIN = ("admin",)
# Providers, and units and authorities for their own trainings.
FILERS = ("provider", "RA", "RB", "authority")
# The provider's plan (of no series): its provider and the bureau see it; units and authorities
# do not even see it exists.
PLAN_VIEWERS = {"ok": ("provider", "officer"), "hidden": ("RA", "RB", "authority")}

ROUTES = {
    ("GET", "main.index"): row("/", ok=ACTORS),
    ("GET", "main.favicon"): row("/favicon.ico", ok=ACTORS),
    ("GET", "static"): row("/static/css/portal.css", ok=ACTORS),
    ("GET", "accounts.login"): row("/login", ok=ACTORS),
    ("POST", "accounts.login"): row("/login", ok=ACTORS),
    # Everyone ends on the login page: the logged-in after logging out, the anonymous at once.
    ("POST", "accounts.logout"): ("/logout", dict.fromkeys(ACTORS, "login")),
    ("GET", "accounts.password"): row("/password", ok=LOGGED_IN),
    ("POST", "accounts.password"): row("/password", ok=LOGGED_IN),
    ("GET", "accounts.register"): row("/register", ok=ACTORS),
    ("POST", "accounts.register"): row("/register", ok=ACTORS),
    ("GET", "accounts.activate"): row("/activate", ok=ACTORS),
    ("POST", "accounts.activate"): row("/activate", ok=ACTORS),
    ("GET", "board.index"): row("/board", ok=ACTORS),
    ("GET", "board.counties"): row("/boards", ok=ACTORS),
    ("GET", "board.raise_objection"): row("/board/objection/{publicised}", ok=ACTORS),
    ("POST", "board.raise_objection"): row("/board/objection/{publicised}", ok=ACTORS),
    ("GET", "board.find_objection"): row("/board/objection-status", ok=ACTORS),
    ("GET", "board.objection_status"): row("/board/objection-status/YY-TEST-TEST-TEST", ok=ACTORS),
    ("GET", "certificates.verify_form"): row("/verify", ok=ACTORS),
    # An unknown code is "not found" for everyone, in Chinese, without a trace.
    ("GET", "certificates.verify"): row("/verify/ABCDEFGHJK", ok=(), hidden=ACTORS, anon=404),
    ("GET", "certificates.mine"): row("/certificates", ok=PROFESSIONALS),
    ("POST", "certificates.print_pdf"): row("/certificates/print", ok=PROFESSIONALS),
    ("GET", "declarations.index"): row("/declarations/", ok=PROFESSIONALS),
    ("POST", "declarations.open_year"): row("/declarations/open", ok=PROFESSIONALS),
    # Q has no 2025 declaration: offered to open one (a redirect), never shown P's.
    ("GET", "declarations.edit"): row("/declarations/2025", ok=PROFESSIONALS),
    ("POST", "declarations.rule_set"): row("/declarations/2025/rule-set", **P_ONLY),
    ("GET", "declarations.new_claim"): row("/declarations/2025/claims/new", **P_ONLY),
    ("POST", "declarations.new_claim"): row("/declarations/2025/claims/new", **P_ONLY),
    ("POST", "declarations.preview"): row("/declarations/2025/claims/preview", **P_ONLY),
    ("GET", "declarations.edit_claim"): row("/declarations/2025/claims/{claim}", **P_ONLY),
    ("POST", "declarations.edit_claim"): row("/declarations/2025/claims/{claim}", **P_ONLY),
    ("POST", "declarations.delete_claim"): row(
        "/declarations/2025/claims/{claim}/delete", **P_ONLY
    ),
    ("POST", "declarations.claim_subject"): row(
        "/declarations/2025/claims/{claim}/subject", **P_ONLY
    ),
    ("POST", "declarations.elect"): row("/declarations/2025/elect", **P_ONLY),
    ("POST", "declarations.upload"): row("/declarations/2025/claims/{claim}/evidence", **P_ONLY),
    ("POST", "declarations.delete_evidence"): row(
        "/declarations/2025/evidence/{evidence}/delete", **P_ONLY
    ),
    ("GET", "declarations.submit"): row("/declarations/2025/submit", **P_ONLY),
    ("POST", "declarations.submit"): row("/declarations/2025/submit", **P_ONLY),
    ("POST", "declarations.resubmit"): row("/declarations/2025/resubmit", **P_ONLY),
    ("GET", "declarations.evidence_download"): row(
        "/declarations/evidence/{evidence}", **EVIDENCE_VIEWERS
    ),
    # Only images are previewed inline: a PDF is "not found" even for those who may see it.
    ("GET", "declarations.evidence_preview"): row(
        "/declarations/evidence/{evidence}/preview",
        ok=(),
        hidden=EVIDENCE_VIEWERS["ok"] + EVIDENCE_VIEWERS["hidden"],
    ),
    # The authority officer's queue: the first step of a two-step review (tests/review).
    ("GET", "review.index"): row("/review/", ok=(*STAFF_REVIEW, "authority", "city")),
    ("GET", "review.first_steps"): row("/review/first-steps", ok=OFFICER),
    ("GET", "review.people"): row("/review/people", ok=STAFF_REVIEW),
    ("GET", "review.show"): row("/review/{decl}", **REVIEWED_BY_RA),
    ("POST", "review.approve"): row("/review/{decl}/approve", **REVIEWED_BY_RA),
    ("POST", "review.pass_professional"): row("/review/{decl}/pass-professional", **REVIEWED_BY_RA),
    ("POST", "review.reject"): row("/review/{decl}/reject", **REVIEWED_BY_RA),
    ("POST", "review.request_evidence"): row("/review/{decl}/request-evidence", **REVIEWED_BY_RA),
    ("POST", "review.decide"): row("/review/{decl}/claims/{claim}", **REVIEWED_BY_RA),
    ("POST", "review.confirm_person"): row("/review/people/{person}/confirm", **RA_ONLY),
    ("POST", "review.refuse_person"): row("/review/people/{person}/refuse", **RA_ONLY),
    ("POST", "review.confirm_request"): row("/review/people/requests/{held}/confirm", **RA_ONLY),
    ("POST", "review.refuse_request"): row("/review/people/requests/{held}/refuse", **RA_ONLY),
    ("GET", "people.index"): row("/people/", ok=STAFF_REVIEW),
    # The person's page: the unit's reviewer and the bureau; another unit does not see them.
    ("GET", "people.show"): row("/people/{person}", ok=("RA", "officer"), hidden=("RB",)),
    ("POST", "people.add_title"): row(
        "/people/{person}/titles", ok=("RA", "officer"), hidden=("RB",)
    ),
    ("POST", "people.transfer_in"): row("/people/{person}/transfer-in", ok=OFFICER, hidden=("RB",)),
    ("POST", "people.enter_paper_year"): row(
        "/people/{person}/paper-years", ok=("RA", "officer"), hidden=("RB",)
    ),
    ("POST", "people.transition_mark"): row(
        "/people/{person}/transition-mark", ok=OFFICER, hidden=("RB",)
    ),
    ("POST", "people.mark_transition"): row("/people/transition-mark", ok=OFFICER),
    ("POST", "people.open_late_year"): row(
        "/people/{person}/late-years", ok=OFFICER, hidden=("RB",)
    ),
    # P has an account already: the unit and the bureau are told so (409), others see nothing.
    ("POST", "people.issue_activation_code"): row(
        "/people/{person}/activation-code", ok=("RA", "officer"), hidden=("RB",)
    ),
    ("GET", "people.moves"): row("/people/moves", ok=STAFF_REVIEW),
    ("GET", "people.evidence_usage"): row("/people/evidence-usage", ok=OFFICER),
    ("POST", "people.enter_move"): row("/people/moves", ok=STAFF_REVIEW),
    # Q's move to unit A: confirmed by unit A's reviewer alone.
    ("POST", "people.confirm_move"): row("/people/moves/{move}/confirm", **RA_ONLY),
    ("POST", "people.refuse_move"): row("/people/moves/{move}/refuse", **RA_ONLY),
    ("GET", "profile.show"): row("/profile/", ok=PROFESSIONALS),
    ("POST", "profile.phone"): row("/profile/phone", ok=PROFESSIONALS),
    ("POST", "profile.request_move"): row("/profile/move", ok=PROFESSIONALS),
    # Q asked for the move itself: the new unit confirms it, no professional does.
    ("POST", "profile.confirm_move"): row(
        "/profile/move/{move}/confirm", ok=(), hidden=PROFESSIONALS
    ),
    ("POST", "profile.refuse_move"): row(
        "/profile/move/{move}/refuse", ok=(), hidden=PROFESSIONALS
    ),
    # A unit's own publicity page: closed while the bureau does not allow it (the default;
    # tests/board/test_unit_publicity.py turns it on), and never the bureau's page.
    ("GET", "publicity.unit_batches"): row("/board/unit", ok=()),
    ("POST", "publicity.unit_open_batch"): row("/board/unit", ok=()),
    ("GET", "publicity.batches"): row("/board/batches", ok=OFFICER),
    ("POST", "publicity.open_batch"): row("/board/batches", ok=OFFICER),
    ("GET", "publicity.period"): row("/board/batches/period?start=2031-01-06", ok=OFFICER),
    ("GET", "publicity.batch"): row("/board/batches/{batch}", ok=OFFICER),
    ("POST", "publicity.close_due"): row("/board/close", ok=OFFICER),
    ("GET", "publicity.objections"): row("/board/objections", ok=OFFICER),
    ("POST", "publicity.decide_objection"): row("/board/objections/{objection}", ok=OFFICER),
    ("GET", "workdays.index"): row("/workdays/", ok=OFFICER),
    ("POST", "workdays.add"): row("/workdays/", ok=OFFICER),
    ("GET", "workdays.calc"): row("/workdays/calc?start=2031-01-06&days=5", ok=OFFICER),
    ("GET", "workdays.edit"): row("/workdays/{override}/edit", ok=OFFICER),
    ("POST", "workdays.edit"): row("/workdays/{override}/edit", ok=OFFICER),
    ("POST", "workdays.delete"): row("/workdays/{override}/delete", ok=OFFICER),
    ("GET", "units.index"): row("/admin/units", ok=UNIT_STAFF),
    ("GET", "units.new"): row("/admin/units/new", ok=UNIT_STAFF),
    ("POST", "units.new"): row("/admin/units/new", ok=UNIT_STAFF),
    ("GET", "units.edit"): row("/admin/units/{unit}/edit", ok=UNIT_STAFF),
    ("POST", "units.edit"): row("/admin/units/{unit}/edit", ok=UNIT_STAFF),
    ("POST", "units.set_active"): row("/admin/units/{unit}/active", ok=UNIT_STAFF),
    # Title series and authorities: the admin keeps them, the bureau reads them.
    ("GET", "series.index"): row("/admin/series", ok=UNIT_STAFF),
    ("POST", "series.new_series"): row("/admin/series", ok=ADMIN),
    ("POST", "series.edit_series"): row("/admin/series/{series}", ok=ADMIN),
    ("POST", "series.new_authority"): row("/admin/series/authorities", ok=ADMIN),
    ("POST", "series.edit_authority"): row("/admin/series/authorities/{authority}", ok=ADMIN),
    ("GET", "admin.index"): row("/admin/", ok=ADMIN),
    ("GET", "admin.users"): row("/admin/users", ok=ADMIN),
    ("GET", "admin.user_new"): row("/admin/users/new", ok=ADMIN),
    ("POST", "admin.user_new"): row("/admin/users/new", ok=ADMIN),
    ("POST", "admin.user_active"): row("/admin/users/{staff}/active", ok=ADMIN),
    ("POST", "admin.user_unlock"): row("/admin/users/{staff}/unlock", ok=ADMIN),
    ("GET", "admin.user_password"): row("/admin/users/{staff}/password", ok=ADMIN),
    ("POST", "admin.user_password"): row("/admin/users/{staff}/password", ok=ADMIN),
    ("GET", "admin.settings"): row("/admin/settings", ok=ADMIN),
    ("GET", "bureau_settings.index"): row("/settings/", ok=OFFICER),
    ("POST", "admin.settings"): row("/admin/settings", ok=ADMIN),
    ("GET", "providers.index"): row("/providers/", ok=FILERS),
    ("GET", "providers.new_plan"): row("/providers/plans/new", ok=FILERS),
    ("POST", "providers.new_plan"): row("/providers/plans/new", ok=FILERS),
    ("GET", "providers.plan"): row("/providers/plans/{plan}", **PLAN_VIEWERS),
    ("GET", "providers.programme"): row("/providers/plans/{plan}/programme", **PLAN_VIEWERS),
    ("GET", "providers.list_template"): row(
        "/providers/plans/{plan}/template.xlsx", **PLAN_VIEWERS
    ),
    ("POST", "providers.upload_list"): row("/providers/plans/{plan}/list", **PLAN_VIEWERS),
    ("GET", "providers.import_status"): row("/providers/imports/{import}", **PLAN_VIEWERS),
    ("GET", "providers.import_received"): row(
        "/providers/imports/{import}/received.xlsx", **PLAN_VIEWERS
    ),
    ("GET", "providers.import_unmatched"): row(
        "/providers/imports/{import}/unmatched.xlsx", **PLAN_VIEWERS
    ),
    ("POST", "providers.decide"): row(
        "/providers/plans/{plan}/decide", ok=OFFICER, hidden=("authority",)
    ),
    ("GET", "providers.filings"): row("/providers/filings", ok=("officer", "authority")),
    ("GET", "providers.unmatched"): row("/providers/unmatched", ok=OFFICER),
    ("GET", "providers.courseware"): row("/providers/courseware", ok=("provider", "officer")),
    ("POST", "providers.courseware"): row("/providers/courseware", ok=("provider", "officer")),
    ("POST", "providers.set_study_end"): row("/providers/courseware/study-end", ok=OFFICER),
    ("GET", "providers.search"): row(
        "/providers/plans/search?q=测试", ok=("P", "Q", "RA", "RB", "officer")
    ),
    ("GET", "providers.directory"): row("/providers/directory", ok=UNIT_STAFF),
    ("GET", "providers.new_provider"): row("/providers/directory/new", ok=ADMIN),
    ("POST", "providers.new_provider"): row("/providers/directory/new", ok=ADMIN),
    ("GET", "providers.edit_provider"): row("/providers/directory/{provider_org}/edit", ok=ADMIN),
    ("POST", "providers.edit_provider"): row("/providers/directory/{provider_org}/edit", ok=ADMIN),
    # A periodic run is the bureau's; anyone else's request finds nothing.
    ("GET", "jobs.show"): row(
        "/jobs/{job}",
        ok=OFFICER,
        hidden=others(*OFFICER),
    ),
    ("GET", "jobs.result"): row(
        "/jobs/{job}/result",
        ok=OFFICER,
        hidden=others(*OFFICER),
    ),
    ("GET", "stats.index"): row("/stats/?year=2025", ok=(*STAFF_REVIEW, "city", "province")),
    ("GET", "stats.export"): row(
        "/stats/export.xlsx?year=2025", ok=(*STAFF_REVIEW, "city", "province")
    ),
    ("POST", "stats.recompute"): row("/stats/recompute", ok=("officer", "city")),
    # the unit filter's search: the bureau's (nobody else has a unit filter)
    ("GET", "stats.units"): row(
        "/stats/units?unit_q=中学", ok=OFFICER, hidden=("RA", "RB", "city", "province")
    ),
    ("GET", "notifications.index"): row("/notifications/", ok=LOGGED_IN),
    ("POST", "notifications.read_all"): row("/notifications/read-all", ok=LOGGED_IN),
    # Everyone's request for another person's message finds nothing.
    ("POST", "notifications.read"): row(
        "/notifications/{notification}/read",
        ok=("P",),
        hidden=others("P"),
    ),
    ("GET", "dashboard.index"): row("/dashboard/?year=2025", ok=("RA", "RB")),
    ("POST", "dashboard.remind"): row("/dashboard/remind?year=2025", ok=("RA", "RB")),
    ("GET", "dashboard.short_export"): row("/dashboard/short.xlsx?year=2025", ok=("RA", "RB")),
    ("GET", "certificates.bulk"): row("/certificates/bulk", ok=STAFF_REVIEW),
    ("POST", "certificates.bulk_print"): row("/certificates/bulk", ok=STAFF_REVIEW),
    # The pull API: the format and the document are public; the data need a key, not a login
    # (a session cookie is no credential there): 401 for everyone without one.
    ("GET", "api.index"): row("/api/v1/", ok=ACTORS),
    ("GET", "api.openapi_document"): row("/api/v1/openapi.json", ok=ACTORS),
    ("GET", "api.export_schema"): row("/api/v1/schema/registration-export.json", ok=ACTORS),
    ("GET", "api.excel_columns"): row("/api/v1/schema/excel.json", ok=ACTORS),
    ("GET", "api.registrations"): ("/api/v1/registrations?year=2025", dict.fromkeys(ACTORS, 401)),
    ("POST", "api.person_years"): ("/api/v1/people/years", dict.fromkeys(ACTORS, 401)),
    ("GET", "api.verification"): ("/api/v1/verifications/X", dict.fromkeys(ACTORS, 401)),
    ("GET", "admin.api_keys"): row("/admin/api-keys", ok=ADMIN),
    ("POST", "admin.api_keys"): row("/admin/api-keys", ok=ADMIN),
    ("POST", "admin.api_key_revoke"): row("/admin/api-keys/{api_key}/revoke", ok=ADMIN),
    ("GET", "exchange.index"): row("/exchange/", ok=("officer", "city")),
    ("POST", "exchange.export"): row("/exchange/export", ok=("officer", "city")),
    ("POST", "exchange.import_people"): row("/exchange/import", ok=OFFICER),
    ("GET", "verification.index"): row("/verification/", ok=("RA", "RB", "officer", "city")),
    ("GET", "city.queue"): row("/city/", ok=("city",)),
    # The bureau verifies anyone; a unit checks only its own people (an internal promotion).
    ("GET", "verification.open"): row(
        "/verification/people/{person}/new", ok=("RA", "officer"), hidden=("RB",)
    ),
    ("POST", "verification.open"): row(
        "/verification/people/{person}/new", ok=("RA", "officer"), hidden=("RB",)
    ),
    # The bureau's own verification: the city sees it because it was sent; units do not.
    ("GET", "verification.show"): row(
        "/verification/{verification}", ok=("officer", "city"), hidden=("RA", "RB")
    ),
    ("GET", "verification.sheet"): row(
        "/verification/{verification}/sheet.pdf", ok=("officer", "city"), hidden=("RA", "RB")
    ),
    ("POST", "verification.confirm"): row("/verification/{verification}/confirm", ok=("city",)),
    ("POST", "verification.return_to_county"): row(
        "/verification/{verification}/return", ok=("city",)
    ),
    ("GET", "verification.self_check"): row("/verification/self", ok=PROFESSIONALS),
    ("GET", "verification.check"): row(
        "/verification/check/" + "B" * 28, ok=(), hidden=ACTORS, anon=404
    ),
    ("GET", "audit.index"): row("/audit/", ok=("auditor",)),
    ("GET", "audit.export"): row("/audit/export.csv", ok=("auditor",)),
    ("POST", "audit.verify"): row("/audit/verify", ok=("auditor",)),
}


def outcome(response) -> str | int:
    if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        return "login"
    if response.status_code < 400 or response.status_code in (400, 409, 422):
        return "ok"  # through the gate; an empty form may be refused on its merits
    return response.status_code


def test_every_route_has_a_row(app):
    routes = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(routes - ROUTES.keys()) == [], "routes without an expected row"
    assert sorted(ROUTES.keys() - routes) == [], "rows for routes that no longer exist"


def client_as(app, world, actor):
    """A fresh client, logged in as the actor (the session a login makes, without the
    deliberately slow password check)."""
    client = app.test_client()
    if actor != "anon":
        with client.session_transaction() as session:
            session["_user_id"] = world["session_ids"][actor]
            session["_fresh"] = True
            session["last_seen"] = datetime.now(UTC).timestamp()
    return client


@pytest.mark.parametrize(("method", "endpoint"), sorted(ROUTES), ids=lambda v: v)
def test_access(app, world, method, endpoint):
    url, expected = ROUTES[(method, endpoint)]
    got = {}
    for actor in ACTORS:
        response = client_as(app, world, actor).open(
            url.format(**world["ids"]), method=method, data={}
        )
        got[actor] = outcome(response)
        if actor == "Q":
            assert world["users"]["P"] not in response.text  # nothing of P's ever shows to Q
    assert got == expected


def test_submitted_claims_cannot_be_deleted_even_by_owner(client, auth, world):
    auth.login(world["users"]["P"])
    response = client.post("/declarations/2025/claims/{claim}/delete".format(**world["ids"]))
    assert response.status_code in (403, 409, 422)
