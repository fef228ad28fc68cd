"""Review: scoping by unit, item decisions, approval with accepted hours, reject, evidence."""

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import PersonStatus, Role
from portal.audit.models import AuditEvent
from portal.declarations.models import ClaimDecision, Declaration, DeclarationStatus, Evidence
from portal.extensions import db
from portal.review.service import review_queue
from portal.units.models import UnitType


@pytest.fixture
def two_units(make_unit, make_user, make_professional, make_submitted_declaration):
    """Two institutions, each with a reviewer and one submitted declaration."""
    a, b = make_unit(name="第一中学"), make_unit(name="县人民医院")
    reviewer_a = make_user(Role.UNIT_REVIEWER, unit=a)
    reviewer_b = make_user(Role.UNIT_REVIEWER, unit=b)
    person_a = make_professional(unit=a, name="张三")
    person_b = make_professional(unit=b, name="李四")
    return {
        "reviewer_a": reviewer_a,
        "reviewer_b": reviewer_b,
        "decl_a": make_submitted_declaration(person_a),
        "decl_b": make_submitted_declaration(person_b),
    }


def _decide(client, declaration, claim, decision, hours=None, reason="", htmx=False):
    prefix = f"c{claim.id}-"
    data = {prefix + "decision": decision, prefix + "reason": reason}
    if hours is not None:
        data[prefix + "accepted_hours"] = str(hours)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/review/{declaration.id}/claims/{claim.id}", data=data, headers=headers)


def _state(declaration_id):
    db.session.expire_all()
    return db.session.get(Declaration, declaration_id)


def test_queue_shows_only_own_unit(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    page = client.get("/review/").get_data(as_text=True)
    assert "张三" in page and "李四" not in page
    fragment = client.get("/review/?q=张", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert 'id="queue"' in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "张三" not in client.get("/review/?q=王").get_data(as_text=True)
    assert "张三" not in client.get("/review/?year=2024").get_data(as_text=True)


def test_other_units_declaration_is_404_for_every_action(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    other = two_units["decl_b"]
    claim = other.claims[0]
    assert client.get(f"/review/{other.id}").status_code == 404
    assert _decide(client, other, claim, "accepted").status_code == 404
    assert client.post(f"/review/{other.id}/approve").status_code == 404
    assert client.post(f"/review/{other.id}/reject", data={"reason": "x"}).status_code == 404
    assert (
        client.post(f"/review/{other.id}/request-evidence", data={"note": "x"}).status_code == 404
    )
    assert _state(other.id).status is DeclarationStatus.SUBMITTED
    assert _state(other.id).claims[0].decision is None


def test_mismatched_claim_and_declaration_is_404(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    mine, other = two_units["decl_a"], two_units["decl_b"]
    assert _decide(client, mine, other.claims[0], "accepted").status_code == 404


def test_professional_and_provider_are_refused(client, auth, make_user, two_units):
    auth.login(make_user(Role.PROVIDER))
    assert client.get("/review/").status_code == 403
    assert client.get(f"/review/{two_units['decl_a'].id}").status_code == 403


def test_bureau_reviews_private_enterprises_and_freelancers_only(
    client, auth, make_unit, make_user, make_professional, make_submitted_declaration, two_units
):
    officer = make_user(Role.BUREAU_OFFICER)
    private = make_unit(name="某科技有限公司", type=UnitType.PRIVATE_ENTERPRISE)
    mine = make_submitted_declaration(make_professional(unit=private, name="王五"))
    free = make_submitted_declaration(make_professional(unit=None, name="赵六"))
    auth.login(officer)
    page = client.get("/review/").get_data(as_text=True)
    assert "王五" in page and "赵六" in page and "张三" not in page
    assert client.get(f"/review/{mine.id}").status_code == 200
    assert client.get(f"/review/{free.id}").status_code == 200
    assert client.get(f"/review/{two_units['decl_a'].id}").status_code == 404


def test_show_page_lists_claims_with_hours_and_evidence(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    page = client.get(f"/review/{two_units['decl_a'].id}").get_data(as_text=True)
    assert "张三" in page
    assert "第十二条" in page  # the clause
    assert "证明1.pdf" in page and "证明2.pdf" in page
    assert "保存认定" in page and "核验通过" in page


def test_evidence_is_a_list_without_separators(client, auth, two_units):
    """Several files are one <li> each: no lone "、" can wrap onto its own line."""
    decl = two_units["decl_a"]
    decl.claims[0].evidence.append(
        Evidence(original_name="结业证书（盖章）.jpg", stored_name="x" * 32 + ".jpg",
                 content_type="image/jpeg", size=10, sha256="0" * 64, after_submission=True)
    )  # fmt: skip
    db.session.commit()
    auth.login(two_units["reviewer_a"])
    page = client.get(f"/review/{decl.id}").get_data(as_text=True)
    lists = re.findall(r'<ul class="files">(.*?)</ul>', page, re.S)
    assert len(lists) == 2
    items = re.findall(r"<li>(.*?)</li>", lists[0], re.S)
    assert len(items) == 2
    assert "证明1.pdf" in items[0] and "结业证书（盖章）.jpg" in items[1] and "补充" in items[1]
    assert "、" not in re.sub(r"<[^>]+>", "", lists[0]).replace("结业证书（盖章）.jpg", "")


def test_item_decisions_validation(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    decl = two_units["decl_a"]
    training = decl.claims[0]  # 5 days = 30 hours
    response = _decide(client, decl, training, "reduced", hours=20, reason="")
    assert response.status_code == 422
    assert "须填写理由" in response.get_data(as_text=True)
    response = _decide(client, decl, training, "reduced", hours=30, reason="天数不符")
    assert response.status_code == 422
    assert "少于申报的30学时" in response.get_data(as_text=True)
    assert _decide(client, decl, training, "reduced", hours=-1, reason="x").status_code == 422
    assert _decide(client, decl, training, "refused", reason="  ").status_code == 422
    assert _decide(client, decl, training, "maybe").status_code == 422
    assert _state(decl.id).claims[0].decision is None

    response = _decide(client, decl, training, "reduced", hours=24, reason="只有4天", htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'id="claim-{training.id}"' in body and "<html" not in body
    assert 'id="accepted-summary" class="card" hx-swap-oob="true"' in body
    claim = _state(decl.id).claims[0]
    assert claim.decision is ClaimDecision.REDUCED and claim.accepted_hours == 24
    assert claim.decision_reason == "只有4天"

    response = _decide(client, decl, training, "accepted")
    assert response.status_code == 303
    claim = _state(decl.id).claims[0]
    assert claim.decision is ClaimDecision.ACCEPTED and claim.accepted_hours == 30
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("review.claim_decided") == 2


def test_approve_refused_until_every_claim_is_decided(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    decl = two_units["decl_a"]
    _decide(client, decl, decl.claims[0], "accepted")
    response = client.post(f"/review/{decl.id}/approve")
    assert response.status_code == 422
    assert "第2项尚未认定" in response.get_data(as_text=True)
    assert _state(decl.id).status is DeclarationStatus.SUBMITTED


def test_approve_stores_accepted_hours(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    decl = two_units["decl_a"]
    _decide(client, decl, decl.claims[0], "reduced", hours=24, reason="只有4天")
    _decide(client, decl, decl.claims[1], "refused", reason="课程未完成")
    response = client.post(f"/review/{decl.id}/approve", data={"note": "已核"})
    assert response.status_code == 303
    d = _state(decl.id)
    assert d.status is DeclarationStatus.APPROVED
    assert (d.general_hours, d.professional_hours, d.total_hours, d.compliant) == (0, 24, 24, False)
    assert d.reviewer_id == two_units["reviewer_a"].id and d.reviewed_at is not None
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "review.approved")
    ).one()
    assert event.object_id == str(decl.id) and "合计24" in event.detail
    # Approved: no further decisions
    assert _decide(client, decl, decl.claims[0], "accepted").status_code == 422


def test_accepted_hours_recompute_highest_only_and_caps(
    app, make_unit, make_professional, make_user, make_submitted_declaration
):
    from portal.review import service

    unit = make_unit()
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    decl = make_submitted_declaration(
        make_professional(unit=unit),
        claims=(
            {"kind": "patent.invention", "facts": {"rank": 1}, "subject": "professional"},
            {"kind": "training", "facts": {"days": 3}, "subject": "professional"},
            {"kind": "courseware", "facts": {"hours": 20}, "subject": "general"},
            {"kind": "courseware", "facts": {"hours": 20}, "subject": "general"},
        ),
    )
    with app.test_request_context():
        year = service.accepted_year(decl)  # all as declared: patent 50, courseware capped
        assert (year.professional, year.general) == (50, 30)
        patent, training, course1, _course2 = decl.claims
        service.decide_claim(reviewer, patent, ClaimDecision.REDUCED, 10, "只认定部分")
        service.decide_claim(reviewer, training, ClaimDecision.ACCEPTED)
        service.decide_claim(reviewer, course1, ClaimDecision.REDUCED, 5, "学时不足")
        year = service.accepted_year(decl)
        # The training (18) now outranks the reduced patent (10); 5 + 20 general under the cap
        counted = {r.key: r.counted_hours for r in year.claims}
        assert counted[str(patent.id)] == 0 and counted[str(training.id)] == 18
        assert (year.professional, year.general, year.total) == (18, 25, 43)
        service.decide_claim(reviewer, training, ClaimDecision.REFUSED, reason="无证明")
        year = service.accepted_year(decl)
        assert year.professional == 10


def test_full_year_claim_reduced_loses_full_year(
    app, make_unit, make_professional, make_user, make_submitted_declaration
):
    from portal.review import service

    unit = make_unit()
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    decl = make_submitted_declaration(
        make_professional(unit=unit),
        claims=({"kind": "paper.sci", "facts": {}, "subject": "professional"},),
    )
    with app.test_request_context():
        service.decide_claim(reviewer, decl.claims[0], ClaimDecision.ACCEPTED)
        year = service.approve(reviewer, decl)
        assert (year.general, year.professional, year.total, year.compliant) == (30, 60, 90, True)
        assert decl.compliant is True and decl.total_hours == 90


def test_reject_requires_reason(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    decl = two_units["decl_a"]
    response = client.post(f"/review/{decl.id}/reject", data={"reason": ""})
    assert response.status_code == 422 and "请填写不予通过的理由" in response.get_data(as_text=True)
    response = client.post(f"/review/{decl.id}/reject", data={"reason": "证明材料弄虚作假"})
    assert response.status_code == 303
    d = _state(decl.id)
    assert d.status is DeclarationStatus.REJECTED and d.review_note == "证明材料弄虚作假"
    assert db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "review.rejected")
    ).one()


def test_request_evidence(client, auth, two_units):
    auth.login(two_units["reviewer_a"])
    decl = two_units["decl_a"]
    assert client.post(f"/review/{decl.id}/request-evidence", data={"note": ""}).status_code == 422
    response = client.post(
        f"/review/{decl.id}/request-evidence", data={"note": "请补充培训结业证书"}
    )
    assert response.status_code == 303
    d = _state(decl.id)
    assert d.status is DeclarationStatus.NEEDS_EVIDENCE and d.review_note == "请补充培训结业证书"
    page = client.get("/review/").get_data(as_text=True)
    assert "待补充材料" in page  # still listed, marked
    assert "待补充材料" in client.get("/review/?status=needs_evidence").get_data(as_text=True)
    assert "张三" not in client.get("/review/?status=submitted").get_data(as_text=True)


def test_unconfirmed_person_cannot_be_reviewed(
    client, auth, make_unit, make_user, make_professional, make_submitted_declaration
):
    unit = make_unit()
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    person = make_professional(unit=unit, status=PersonStatus.PENDING, name="钱七")
    decl = make_submitted_declaration(person)
    auth.login(reviewer)
    page = client.get("/review/").get_data(as_text=True)
    assert "钱七" not in page and "尚未确认" in page
    response = _decide(client, decl, decl.claims[0], "accepted")
    assert response.status_code == 422 and "尚未确认" in response.get_data(as_text=True)


def test_queue_counts_by_state_and_the_declarations_held_back(
    client, auth, make_unit, make_user, make_professional, make_submitted_declaration
):
    """The counts follow the name and year filters; the number held back by an unconfirmed
    person does not (one statement counts both)."""
    unit = make_unit()
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    make_submitted_declaration(make_professional(unit=unit, name="赵一"), year=2024)
    make_submitted_declaration(make_professional(unit=unit, name="钱二"), year=2025)
    make_submitted_declaration(
        make_professional(unit=unit, name="孙三"), status=DeclarationStatus.NEEDS_EVIDENCE
    )
    for name in ("李四", "周五"):
        person = make_professional(unit=unit, status=PersonStatus.PENDING, name=name)
        make_submitted_declaration(person)
    auth.login(reviewer)
    held = "另有 2 份申报的申报人尚未确认"
    page = client.get("/review/").text
    assert "共 3 份：" in page and "待核验 2 份" in page and "待补充材料 1 份" in page
    assert held in page
    assert "李四" not in page and "周五" not in page
    page = client.get("/review/?q=钱").text
    assert "共 1 份：待核验 1 份<" in page and held in page
    for wildcard in ("钱_", "%", "_"):  # a wildcard is a character, not a pattern
        assert "共 0 份<" in client.get("/review/", query_string={"q": wildcard}).text, wildcard
    page = client.get("/review/?year=2023").text
    assert "共 0 份<" in page and "没有待核验的申报" in page and held in page


def test_people_confirmation(client, auth, make_unit, make_user, make_professional):
    unit, other = make_unit(), make_unit()
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    mine = make_professional(unit=unit, status=PersonStatus.PENDING, name="孙八")
    second = make_professional(unit=unit, status=PersonStatus.PENDING, name="周九")
    theirs = make_professional(unit=other, status=PersonStatus.PENDING, name="吴十")
    auth.login(reviewer)
    page = client.get("/review/people").get_data(as_text=True)
    assert "孙八" in page and "周九" in page and "吴十" not in page
    assert client.post(f"/review/people/{theirs.id}/confirm").status_code == 404
    assert client.post(f"/review/people/{mine.id}/confirm").status_code == 303
    response = client.post(f"/review/people/{second.id}/refuse", data={f"p{second.id}-reason": ""})
    assert response.status_code == 422
    response = client.post(
        f"/review/people/{second.id}/refuse", data={f"p{second.id}-reason": "查无此人"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert mine.status is PersonStatus.CONFIRMED and mine.confirmed_by_id == reviewer.id
    assert second.status is PersonStatus.REFUSED and second.status_note == "查无此人"
    assert theirs.status is PersonStatus.PENDING
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "person.confirmed" in actions and "person.refused" in actions


def test_queue_is_paginated_with_counts_per_state(
    client, auth, make_unit, make_user, make_professional, make_submitted_declaration
):
    unit = make_unit(name="大单位")
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    for i in range(52):
        make_submitted_declaration(
            make_professional(unit=unit, name=f"待核{i:02d}", account=False),
            status=DeclarationStatus.NEEDS_EVIDENCE if i < 2 else DeclarationStatus.SUBMITTED,
        )
    auth.login(reviewer)
    first = client.get("/review/").get_data(as_text=True)
    assert first.count(">核验</a>") == 50 and "下一页" in first
    assert "共 52 份" in first and "待核验 50 份" in first and "待补充材料 2 份" in first
    second = client.get("/review/?page=2").get_data(as_text=True)
    assert second.count(">核验</a>") == 2 and "上一页" in second
    fragment = client.get(
        "/review/?status=needs_evidence", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert fragment.count(">核验</a>") == 2 and "<html" not in fragment
    assert "待核验 50 份" in fragment  # the counts stay those of every state
    pages = [review_queue(reviewer, page=n, per_page=20) for n in (1, 2, 3)]
    rows = [d for page in pages for d, _ in page.window.rows]
    assert [page.window.has_next for page in pages] == [True, True, False]
    assert len({d.id for d in rows}) == 52  # each on one page, the longest waiting first
    assert rows == sorted(rows, key=lambda d: (d.submitted_at, d.id))
    for page in pages:
        for d, claims in page.window.rows:
            assert claims == len(db.session.get(Declaration, d.id).claims) > 0
    waiting = review_queue(reviewer, status="NEEDS_EVIDENCE", page=1, per_page=1)
    assert len(waiting.window.rows) == 1 and waiting.window.has_next and waiting.total == 52


def test_a_refused_claim_is_not_called_counted(app, two_units):
    """20.15: once refused, the claim's rule line no longer says 计入."""
    from tests.conftest import logged_in as login

    declaration = two_units["decl_a"]
    claim = declaration.claims[0]
    client = login(app, two_units["reviewer_a"])
    before = client.get(f"/review/{declaration.id}").text.split(f'id="claim-{claim.id}"')[1]
    assert 'badge ok">计入' in before.split("</article>")[0]
    assert _decide(client, declaration, claim, "refused", reason="证明材料不符").status_code < 400
    page = client.get(f"/review/{declaration.id}").text
    card = page.split(f'id="claim-{claim.id}"')[1].split("</article>")[0]
    assert "已不予认定，不计入" in card and 'badge ok">计入' not in card


def test_each_reviewer_has_its_own_queue_though_the_condition_is_remembered(
    make_unit, make_user, make_professional, make_submitted_declaration
):
    """The queue's SQL condition is built once per kind of reviewer (issue 24.9): the unit it
    names is the account's own, also after the account moves to another unit, and a unit that
    becomes a private company's hands its people to the bureau at once."""
    from portal.review import service as review

    school, hospital = make_unit(name="一中"), make_unit(name="医院")
    teacher = make_submitted_declaration(make_professional(unit=school, account=False))
    doctor = make_submitted_declaration(make_professional(unit=hospital, account=False))
    reviewer = make_user(Role.UNIT_REVIEWER, unit=school)
    other = make_user(Role.UNIT_REVIEWER, unit=hospital)

    def queue(user):
        return [d.id for d, _ in review.review_queue(user).window.rows]

    assert queue(reviewer) == [teacher.id] and queue(other) == [doctor.id]
    reviewer.unit_id = hospital.id
    db.session.commit()
    assert queue(reviewer) == [doctor.id]
    hospital.type = UnitType.PRIVATE_ENTERPRISE
    db.session.commit()
    assert queue(reviewer) == [] and doctor.id in queue(make_user(Role.BUREAU_OFFICER))
