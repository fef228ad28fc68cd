"""What each person of the unit is shown as on the dashboard (state, hours, shortfall) and who
is reminded, for people in every state of a declaration year.

EXPECTED is written by hand from the rules (anhui-2025: professional 60, total 90; hefei-2021:
general 30, professional 60, total 90). `reference()` is the dashboard's computation as it was
before the list was paged (every person of the unit, one by one): the paged list, its filters,
its counts and the reminder must give the same outcome for every person."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import rules
from portal.accounts.models import PersonStatus, Professional, Role
from portal.declarations import duplicates
from portal.declarations.models import Claim, Declaration, DeclarationStatus
from portal.extensions import db
from portal.notifications import service as notifications
from portal.review.service import declared_result

YEAR = 2025
SMALL = ({"kind": "training", "facts": {"days": 1}, "subject": "professional"},)
FULL = (
    {"kind": "training", "facts": {"days": 10}, "subject": "professional"},
    {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"},
)
HALF = (  # training 5 days (30 professional) + courseware 30 general
    {"kind": "training", "facts": {"days": 5}, "subject": "professional"},
    {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"},
)

# name: (status label shown, general, professional, shortfall text, state)
EXPECTED = {
    "甲未报": ("未申报", 0, 0, "总学时差90学时，专业科目差60学时", "none"),
    "乙草稿足": ("草稿", 30, 60, "", "draft"),
    "丙草稿少": ("草稿", 0, 6, "总学时差84学时，专业科目差54学时", "draft"),
    "丁待核足": ("待核验", 30, 60, "", "waiting"),
    "戊补材料少": ("待补充材料", 0, 6, "总学时差84学时，专业科目差54学时", "waiting"),
    "己专业已核": (
        "专业科目已核验，待人社局核验",
        30,
        30,
        "总学时差30学时，专业科目差30学时",
        "waiting",
    ),
    "庚通过足": ("核验通过", 30, 60, "", "met"),
    "辛通过少": ("核验通过", 20, 40, "总学时差30学时，专业科目差20学时", "short"),
    "壬公示足": ("公示中", 30, 60, "", "met"),
    "癸登记少": ("已登记", 0, 60, "总学时差30学时", "short"),
    "子旧规则少": ("已登记", 20, 70, "公需科目差10学时", "short"),
    "丑未通过": ("核验未通过", 0, 0, "总学时差90学时，专业科目差60学时", "short"),
    "寅撤销": ("已撤销", 0, 0, "总学时差90学时，专业科目差60学时", "short"),
    "卯无学时": ("核验通过", 0, 0, "总学时差90学时，专业科目差60学时", "short"),
    "辰专业多": ("已登记", 0, 95, "", "met"),
    # the paper counted already in another person's registered year counts no more
    "巳论文已认定": ("待核验", 30, 0, "总学时差60学时，专业科目差60学时", "waiting"),
}
PAPER = {
    "kind": "paper.journal",
    "facts": {"authorship": "first"},
    "subject": "professional",
    "details": {"title": "论继续教育", "doi": "10.1000/xyz123", "date": f"{YEAR}-01-01"},
}


@pytest.fixture
def every_state(
    make_unit,
    make_user,
    make_professional,
    make_registered_declaration,
    make_submitted_declaration,
):
    unit = make_unit(name="第一中学")
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    people = {name: make_professional(unit=unit, name=name) for name in EXPECTED}
    S = DeclarationStatus

    def submitted(name, status, claims=None, **kwargs):
        kwargs.setdefault("submitted_at", datetime(YEAR, 3, 1, tzinfo=UTC))
        if claims:
            kwargs["claims"] = claims
        make_submitted_declaration(people[name], year=YEAR, status=status, **kwargs)

    def reviewed(name, status, general, professional, **kwargs):
        make_registered_declaration(
            people[name], YEAR, general, professional, status=status, **kwargs
        )

    make_registered_declaration(people["甲未报"], YEAR - 1)  # another year: not this one's
    submitted("乙草稿足", S.DRAFT, FULL, submitted_at=None)
    submitted("丙草稿少", S.DRAFT, SMALL, submitted_at=None)
    submitted("丁待核足", S.SUBMITTED, FULL)
    submitted("戊补材料少", S.NEEDS_EVIDENCE, SMALL)
    submitted("己专业已核", S.PROFESSIONAL_CHECKED, HALF)
    reviewed("庚通过足", S.APPROVED, 30, 60)
    reviewed("辛通过少", S.APPROVED, 20, 40)
    reviewed("壬公示足", S.PUBLICISED, 30, 60)
    reviewed("癸登记少", S.REGISTERED, 0, 60)
    reviewed("子旧规则少", S.REGISTERED, 20, 70, rule_set="hefei-2021")
    reviewed("丑未通过", S.REJECTED, 30, 60)  # hours written before: none count after refusal
    reviewed("寅撤销", S.REVOKED, 30, 60)
    reviewed("卯无学时", S.APPROVED, 0, 0)
    declaration = db.session.scalar(
        sa.select(Declaration).where(Declaration.professional_id == people["卯无学时"].id)
    )
    declaration.general_hours = declaration.professional_hours = None  # stored as unknown
    reviewed("辰专业多", S.REGISTERED, 0, 95)
    submitted("巳论文已认定", S.SUBMITTED, (HALF[1], PAPER))  # 30 general, paper 0
    elsewhere = make_submitted_declaration(
        make_professional(unit=make_unit(name="第三中学")),
        year=YEAR,
        claims=(PAPER,),
        status=S.REGISTERED,
    )
    kind = rules.get_rule_set("anhui-2025").kind("paper.journal")
    for claim in db.session.scalars(sa.select(Claim).where(Claim.kind == "paper.journal")):
        claim.identity = duplicates.identity_of(kind, claim.details)
    assert elsewhere.claims[0].identity
    make_professional(unit=unit, name="待确认者", status=PersonStatus.PENDING)
    make_professional(unit=make_unit(name="第二中学"), name="外单位者")
    db.session.commit()
    return {"unit": unit, "reviewer": reviewer, "people": people}


def reference(unit_id: int, year: int) -> list[tuple]:
    """The dashboard's outcome per person as computed before paging (kept here as the oracle):
    every confirmed person of the unit in name order, hours one by one."""
    query = (
        sa.select(Professional, Declaration)
        .outerjoin(
            Declaration,
            sa.and_(Declaration.professional_id == Professional.id, Declaration.year == year),
        )
        .where(Professional.status == PersonStatus.CONFIRMED, Professional.unit_id == unit_id)
        .order_by(Professional.name, Professional.id)
        .options(selectinload(Declaration.claims))
    )
    rows = []
    for person, declaration in db.session.execute(query).all():
        rule_set = declaration.rule_set if declaration else rules.rule_set_for_year(year).id
        need = rules.get_rule_set(rule_set).requirement
        general = professional = 0
        status = declaration.status if declaration else None
        if status in (S.APPROVED, S.PUBLICISED, S.REGISTERED):
            general = declaration.general_hours or 0
            professional = declaration.professional_hours or 0
        elif status is not None and status not in (S.REJECTED, S.REVOKED):
            result, _error = declared_result(declaration)
            if result is not None:
                general, professional = result.general, result.professional
        short_total = max(0, need.total - general - professional)
        short_professional = max(0, need.professional - professional)
        short_general = max(0, need.general - general)
        parts = []
        if short_total:
            parts.append(f"总学时差{short_total}学时")
        if short_professional:
            parts.append(f"专业科目差{short_professional}学时")
        if short_general:
            parts.append(f"公需科目差{short_general}学时")
        rows.append(
            (
                person.name,
                status.label if status else "未申报",
                general,
                professional,
                "，".join(parts),
            )
        )
    return rows


S = DeclarationStatus


def shown(entry) -> tuple:
    """One dashboard entry as the page shows it."""
    label = entry.declaration.status.label if entry.declaration else "未申报"
    return (entry.person.name, label, entry.general, entry.professional, entry.shortfall_text())


def test_reference_is_the_hand_written_table(every_state):
    rows = reference(every_state["unit"].id, YEAR)
    assert {r[0]: r[1:] for r in rows} == {n: e[:4] for n, e in EXPECTED.items()}


def every_page(unit_id, state=None, q=""):
    """All pages of the list (4 a page here) one after the other."""
    from portal.dashboard import service

    rows, page = [], 1
    while True:
        window = service.people_page(unit_id, YEAR, state=state, q=q, page=page, per_page=4)
        rows += [shown(entry) for entry in window.rows]
        if not window.has_next:
            return rows
        page += 1


def test_pages_show_each_person_as_before(every_state):
    unit_id = every_state["unit"].id
    before = reference(unit_id, YEAR)
    assert every_page(unit_id) == before
    for state in ("none", "draft", "waiting", "met", "short"):
        expected = [row for row in before if EXPECTED[row[0]][4] == state]
        assert expected, state  # the fixture has people in every state
        assert every_page(unit_id, state) == expected, state
    assert every_page(unit_id, q="草稿") == [row for row in before if "草稿" in row[0]]
    assert every_page(unit_id, "short", q="通过") == [
        row for row in before if row[0] in ("辛通过少", "丑未通过")
    ]
    for wildcard in ("%", "_", "/%", "草_"):  # a wildcard is a character, not a pattern
        assert every_page(unit_id, q=wildcard) == [], wildcard


def test_counts_per_state_from_one_aggregate(every_state):
    from portal.dashboard import service

    counts, _page = service.people_and_counts(every_state["unit"].id, YEAR, per_page=1)
    assert counts == {"none": 1, "draft": 2, "waiting": 4, "met": 3, "short": 6}
    assert counts == {
        state: sum(1 for e in EXPECTED.values() if e[4] == state) for state in service.STATES
    }
    overview = service.unit_overview(every_state["reviewer"], YEAR)
    assert overview.counts == counts and overview.total == len(EXPECTED)
    assert [shown(p) for p in overview.people.rows] == reference(every_state["unit"].id, YEAR)


def test_reminder_reaches_the_same_people(every_state):
    from portal.dashboard import service

    sent = service.remind_short(every_state["reviewer"], YEAR).sent
    short = {r[0] for r in reference(every_state["unit"].id, YEAR) if r[4]}
    assert short == {n for n, e in EXPECTED.items() if e[3]}
    assert sent == len(short)
    reminded = {
        name
        for name, person in every_state["people"].items()
        if [n.kind for n in notifications.inbox(person.user)] == ["reminder.short"]
    }
    assert reminded == short


def _page_rows(html: str) -> list[tuple]:
    """The list's rows as the page shows them: (name, status, general, professional, total,
    shortfall; '' when the requirement is met)."""
    table = html.split('<table id="people-table">', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S):
        cells = [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        name, status, general, professional, total, shortfall = cells
        rows.append(
            (name, status, int(general), int(professional), int(total),
             "" if shortfall == "已达到要求" else shortfall)
        )  # fmt: skip
    return rows


@pytest.fixture
def file_plan(make_user):
    """file_plan(number, unit_id, year): an accepted professional training plan with this
    filing number (filed for the unit's own staff when unit_id is given)."""
    from portal.providers.models import PlanForm, PlanState, TrainingPlan
    from portal.units.models import Provider

    provider = Provider(name="测试继续教育基地", phone="62611533")
    db.session.add(provider)
    db.session.flush()
    filer = make_user(Role.PROVIDER, provider=provider)

    def file(number, unit_id=None, year=YEAR):
        db.session.add(
            TrainingPlan(
                provider_id=provider.id, title="培训", subject="professional",
                start_date=datetime(year, 3, 1).date(), end_date=datetime(year, 3, 10).date(),
                days=10, hours_per_day=6, form=PlanForm.FACE, state=PlanState.ACCEPTED,
                filing_no=number, filed_on=datetime(year, 1, 1).date(), filed_by_id=filer.id,
                unit_id=unit_id,
            )
        )  # fmt: skip

    return file


@pytest.fixture
def with_trainings(every_state, make_professional, make_submitted_declaration, file_plan):
    """Besides every state: drafts and waiting declarations whose training is filed (an accepted
    plan's number), unfiled, or the unit's own training for its staff (marks the engine takes)."""
    from portal.settings.service import set_setting

    unit = every_state["unit"]
    for number, unit_id in (("BA2025-0001", None), ("BA2025-0002", unit.id)):
        file_plan(number, unit_id)
    set_setting("UNFILED_TRAINING_REFUSED", True)  # the shipped default (tests/conftest.py: off)
    db.session.commit()

    def training(plan_no):
        details = {"plan_no": plan_no} if plan_no else {}
        return {**FULL[0], "details": details}

    cases = {
        "午草稿已备案": (S.DRAFT, "BA2025-0001"),
        "未待核未备案": (S.SUBMITTED, ""),
        "申补材料已备案": (S.NEEDS_EVIDENCE, "BA2025-0001"),
        "酉待核本单位": (S.SUBMITTED, "BA2025-0002"),
    }
    for name, (status, plan_no) in cases.items():
        make_submitted_declaration(
            make_professional(unit=unit, name=name),
            year=YEAR,
            claims=(training(plan_no), FULL[1]),
            status=status,
            submitted_at=None if status is S.DRAFT else datetime(YEAR, 3, 1, tzinfo=UTC),
        )
    return every_state


@pytest.mark.parametrize("state", [None, "draft", "waiting", "met", "short", "none"])
def test_the_page_shows_the_engines_figures(client, auth, with_trainings, state):
    """Every figure of the rendered list, for drafts, waiting, returned (待补充材料), reviewed,
    registered, refused and revoked declarations, equals the reference (the rules engine over
    each draft or waiting declaration, the stored hours once reviewed)."""
    unit_id = with_trainings["unit"].id
    auth.login(with_trainings["reviewer"])
    expected = [
        (name, label, general, professional, general + professional, shortfall)
        for name, label, general, professional, shortfall in reference(unit_id, YEAR)
    ]
    assert {row[1] for row in expected} >= {"草稿", "待核验", "待补充材料", "已登记", "核验通过"}
    assert {r[0]: r[2:4] for r in expected if r[0] in ("午草稿已备案", "未待核未备案")} == {
        "午草稿已备案": (30, 60),
        "未待核未备案": (30, 0),  # an unfiled training counts 0 (001 三)
    }
    if state:
        from portal.dashboard import service

        kept = {p.person.name for p in service.people_page(unit_id, YEAR, state=state).rows}
        expected = [row for row in expected if row[0] in kept]
        assert expected, state
    url = f"/dashboard/?year={YEAR}" + (f"&state={state}" if state else "")
    response = client.get(url)
    assert response.status_code == 200
    assert _page_rows(response.text) == expected


def test_a_companys_own_training_counts_as_the_engine_says(
    client, auth, make_unit, make_user, file_plan, make_professional, make_submitted_declaration
):
    """hefei-2021 counts no training a company filed for its own staff (the `internal` mark,
    read from the person's unit and the declaration's): the list's drafts and waiting
    declarations show the engine's figures (0 for it, 30 for another unit's)."""
    from portal.units.models import UnitType

    unit = make_unit(name="示范县供电公司", type=UnitType.STATE_ENTERPRISE)
    clerk = make_user(Role.UNIT_REVIEWER, unit=unit)
    file_plan("BA2024-0007", unit.id, 2024)
    file_plan("BA2024-0008", None, 2024)
    cases = {
        "甲草稿本单位": (S.DRAFT, "BA2024-0007", None),
        "乙待核本单位": (S.SUBMITTED, "BA2024-0007", unit.id),
        "丙待核外单位": (S.SUBMITTED, "BA2024-0008", unit.id),
    }
    for name, (status, plan_no, unit_id) in cases.items():
        claim = {"kind": "training.decided", "facts": {"decided_hours": 30},
                 "subject": "professional", "details": {"plan_no": plan_no}}  # fmt: skip
        make_submitted_declaration(
            make_professional(unit=unit, name=name), 2024, claims=[claim],
            rule_set="hefei-2021", status=status, unit_id=unit_id,
        )  # fmt: skip
    db.session.commit()
    expected = reference(unit.id, 2024)
    assert {row[0]: row[3] for row in expected} == dict(zip(cases, (0, 0, 30), strict=True))
    auth.login(clerk)
    rows = _page_rows(client.get("/dashboard/?year=2024").text)
    assert rows == [(n, s, g, p, g + p, short) for n, s, g, p, short in expected]


def test_the_kept_declared_hours_follow_every_input(client, auth, with_trainings, file_plan):
    """The declared hours are kept for the same inputs (dashboard._declared_hours): a claim's
    facts edited, a training's filing accepted and the work counted elsewhere revoked each show
    at once, and the page always equals the engine's reference."""
    unit_id = with_trainings["unit"].id
    auth.login(with_trainings["reviewer"])

    def page():
        return {row[0]: row[2:4] for row in _page_rows(client.get(f"/dashboard/?year={YEAR}").text)}

    def expected():
        return {name: (g, p) for name, _, g, p, _ in reference(unit_id, YEAR)}

    assert page() == expected()
    # (the unit's trainings without a filing count 0 here: UNFILED_TRAINING_REFUSED)
    assert page()["乙草稿足"] == (30, 0) and page()["未待核未备案"] == (30, 0)
    assert page()["巳论文已认定"] == (30, 0)
    # the draft's courseware edited: 30 hours → 12
    claim = db.session.scalar(
        sa.select(Claim)
        .join(Declaration)
        .join(Professional)
        .where(Professional.name == "乙草稿足", Claim.kind == "courseware")
    )
    claim.facts = {"hours": 12}
    # the unfiled training's plan number now names an accepted filing
    unfiled = db.session.scalar(
        sa.select(Claim)
        .join(Declaration)
        .join(Professional)
        .where(Professional.name == "未待核未备案", Claim.kind == "training")
    )
    unfiled.details = {"plan_no": "BA2025-0009"}
    file_plan("BA2025-0009")
    db.session.commit()
    assert page()["乙草稿足"] == (12, 0) and page()["未待核未备案"] == (30, 60)
    assert page() == expected()
    # the paper's other registered year revoked: it counts here again
    other = db.session.scalar(
        sa.select(Declaration)
        .join(Professional)
        .where(Declaration.status == DeclarationStatus.REGISTERED, Professional.name != "癸登记少")
        .join(Claim)
        .where(Claim.kind == "paper.journal")
    )
    other.status = DeclarationStatus.REVOKED
    db.session.commit()
    assert page()["巳论文已认定"] != (30, 0) and page() == expected()


def test_the_claims_brought_along_are_the_claims_as_read_alone(every_state):
    """The page's drafts and waiting declarations bring their claims along as JSON
    (dashboard._people_page): each equals, field by field and type by type, the claim as
    _claims_of reads it (the key of the kept declared hours), in the same order: a decided,
    an elected one, text with quotes and backslashes, details missing."""
    from portal.dashboard import service
    from portal.declarations.models import ClaimDecision

    waiting = db.session.scalar(
        sa.select(Declaration)
        .join(Professional)
        .where(Professional.name == "戊补材料少")
        .options(selectinload(Declaration.claims))
    )
    first = waiting.claims[0]
    first.decision, first.accepted_hours = ClaimDecision.REDUCED, 3
    first.details = {"title": '引号"与\\反斜杠，中文', "plan_no": "BA2025-0001"}
    db.session.add_all([
        Claim(declaration=waiting, position=0, kind="courseware", subject="general",
              facts={"hours": 4}, details=None, elected=True, identity="x"),
        Claim(declaration=waiting, position=-1, kind="courseware", subject="general",
              facts={"hours": 2}, decision=ClaimDecision.REFUSED),
    ])  # fmt: skip
    db.session.commit()
    statement = service._people_page(None, False, db.engine.dialect.name)
    found = db.session.execute(statement, {
        "unit_id": every_state["unit"].id, "year": YEAR, "q": "", "limit": 100, "offset": 0,
    }).all()  # fmt: skip
    along = {
        row.declaration_id: service._claims_along(row.claims)
        for row in found
        if not row.counted and row.state in service.EVALUATED
    }
    alone: dict[int, list] = {}
    for row in db.session.execute(service._claims_of(), {"ids": list(along)}):
        alone.setdefault(row.declaration_id, []).append(service.DeclaredClaim(*row))
    assert len(along) == 6 and sum(map(len, along.values())) == 12  # 2 drafts, 4 waiting
    for declaration_id, claims in along.items():
        assert claims == alone.get(declaration_id, [])
        for brought, read in zip(claims, alone.get(declaration_id, []), strict=True):
            assert [type(v) for v in brought] == [type(v) for v in read]
    kinds = [(c.kind, c.decision, c.elected, c.details_json) for c in along[waiting.id]]
    assert kinds[0] == ("courseware", ClaimDecision.REFUSED, False, kinds[0][3])
    assert kinds[1][:3] == ("training", ClaimDecision.REDUCED, False)
    assert kinds[2][:3] == ("courseware", None, True) and kinds[2][3] in (None, "null")
