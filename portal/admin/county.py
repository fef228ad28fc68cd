"""A county of N professionals for measuring the busy pages (`flask --app portal demo --county N`),
and a city of such counties (`--city C --county N`: the install's county and the other counties
of its city, GB/T 2260 codes from python-stdnum; every row carries its county's code).

Bulk inserts of the rows the services would write, from a fixed seed, so two runs build the same
county; a second run with the same N changes nothing. People sit in N/30 units (the first one,
"示范县县域第一人民医院", is big: its reviewer `unit-big` has 500 declarations waiting); each
has one declaration for the current year with 3 or 4 claims whose hours the rules engine gives.
About 5/6 are publicised in running batches, about 2,000 are registered (a closed batch), the
rest are drafts but n/300 (at most 100) senior-title holders' years whose first step passed
and which wait for the city's second step (two-step review, 003 五(二)); approved claims carry
their part of the totals (as approval stores it). Each person holds a title (PersonTitle, a
spread over the levels) but one in twenty, who has none.
Each registered person has a certificate (numbered by the certificate service's rule) and one
printed copy with the snapshot the service stores; its verification code and token come from
the service's generators (`secrets`), the only values not reproducible from the seed.

The audit events those steps leave are written as the services record them, one per step:
declaration.submit (the person), review.approved and review.professional_passed (unit-big),
publicity.added and publicity.batch_opened (the first bureau officer, who opens the batches),
publicity.registered and publicity.batch_closed, certificate.issue and certificate.print (the
bureau officer, as a bulk print); in time order, chained in bulk (audit.service.record_many),
so `flask audit verify` finds the log intact. Claim decisions (but the accepted professional
claims of the years waiting for the city), evidence files and their events are not written.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from portal import rules
from portal.accounts.idnumbers import make_id_number, make_uscc
from portal.accounts.models import PersonStatus, PersonTitle, Professional, Role, User
from portal.accounts.service import hash_password
from portal.admin.demo import COUNTY as DEMO_COUNTY_NAME
from portal.admin.demo import DEMO_PASSWORD
from portal.audit import service as audit
from portal.board.models import PublicityBatch
from portal.certificates import service as certificates
from portal.certificates.models import Certificate, CertificatePrint
from portal.clock import current_year, local_today
from portal.declarations.models import (
    Claim,
    ClaimDecision,
    Declaration,
    DeclarationStatus,
    ReviewingBody,
)
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from portal.settings.models import INSTANCE, Setting
from portal.units.models import FirstReview, TitleLevel, TitleSeries, Unit, UnitType
from portal.workdays import service as workdays

SEED = 13
MARKER = "DEMO_COUNTY"
PER_UNIT = 30
BATCH_SIZE = 2000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志文海燕晓东雪梅春林"
# Titles weighted to 中级 and 初级, as in a real county.
TITLE_LEVELS = [TitleLevel.INTERMEDIATE, TitleLevel.JUNIOR, TitleLevel.INTERMEDIATE,
                TitleLevel.DEPUTY_SENIOR, TitleLevel.JUNIOR, TitleLevel.INTERMEDIATE,
                TitleLevel.ASSISTANT, TitleLevel.FULL_SENIOR]  # fmt: skip
CLAIM_SETS = [  # (kind, subject, facts); the rules engine gives the hours (3 of 4 reach 90 / 60)
    [("courseware", "general", {"hours": 30}), ("training", "professional", {"days": 6}),
     ("training", "professional", {"days": 4})],
    [("courseware", "general", {"hours": 24}), ("training", "professional", {"days": 6}),
     ("training", "professional", {"days": 2}), ("training", "professional", {"days": 2})],
    [("courseware", "general", {"hours": 30}), ("training", "professional", {"days": 8}),
     ("training", "professional", {"days": 3})],
    [("courseware", "general", {"hours": 12}), ("courseware", "general", {"hours": 18}),
     ("training", "professional", {"days": 5}), ("training", "professional", {"days": 5})],
]  # fmt: skip


# Mobile prefixes of the generated people, one per county of the city (the install's first).
PHONE_PREFIXES = ("138", "139", "137", "136", "135", "158", "159", "157", "188", "187")
# The area code of a 宣城 county before 2000 (宣城地区), for the ID numbers of people born then.
AREA_BEFORE_2000 = {
    "341802": "342501", "341821": "342522", "341822": "342523", "341823": "342529",
    "341824": "342531", "341825": "342530", "341881": "342502", "341882": "342523",
}  # fmt: skip


@dataclass(frozen=True)
class County:
    """One generated county: its code, name and the values that keep its rows apart."""

    code: str
    name: str
    index: int  # 0: the install's own county (the demo county), as `--county N` alone builds

    @property
    def marker(self) -> str:
        return MARKER if self.index == 0 else f"{MARKER}_{self.code}"

    @property
    def reviewer(self) -> str:
        return "unit-big" if self.index == 0 else f"unit-big-{self.code}"

    @property
    def phone(self) -> str:
        return PHONE_PREFIXES[self.index]

    @property
    def area(self) -> str | None:
        return None if self.index == 0 else AREA_BEFORE_2000.get(self.code, self.code)


def home() -> County:
    """The install's county, named as the demo names it (示范县)."""
    return County(jurisdictions.default_county(), DEMO_COUNTY_NAME, 0)


def loaded(county: County | None = None) -> int | None:
    row = db.session.get(Setting, (INSTANCE, (county or home()).marker))
    return row.value.get("n") if row else None


def _running_start(today: date) -> tuple[date, date, list[str]]:
    """The earliest start whose publicity period still runs today (first, end, warnings)."""
    for back in range(10, -1, -1):
        first, end, warnings = workdays.publicity_period(today - timedelta(days=back), 5)
        if first <= today <= end:
            return first, end, warnings
    return workdays.publicity_period(today, 5)


def _evaluated(year: int):
    rule_set = rules.rule_set_for_year(year)
    out = []
    for spec in CLAIM_SETS:
        claims = [
            rules.Claim(kind, dict(facts), subject, key=str(position))
            for position, (kind, subject, facts) in enumerate(spec)
        ]
        out.append((spec, rules.evaluate_year(rule_set, year, claims)))
    return rule_set.id, out


def _city_steps(n: int, drafts_from: int) -> set[int]:
    """Who of the drafts is a senior-title holder (副高, 正高: TITLE_LEVELS, titled as _titles
    gives them) whose year passed its first step and waits for the city's second step (003
    五(二)): n/300 of them, at most 100 a county."""
    senior = {k for k, level in enumerate(TITLE_LEVELS)
              if level in (TitleLevel.DEPUTY_SENIOR, TitleLevel.FULL_SENIOR)}  # fmt: skip
    chosen = (i for i in range(drafts_from, n) if i % len(TITLE_LEVELS) in senior and i % 20 != 19)
    return set(itertools.islice(chosen, min(100, n // 300)))


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(model), rows[start : start + 5000])


def _titles(people: list[dict], ids: dict[str, int], year: int) -> list[dict]:
    """Each person's title (series of the free-text field, a spread over the levels), obtained
    before the year; one person in twenty has none. Nothing when the demo's series are absent."""
    series = dict(
        db.session.execute(
            sa.select(TitleSeries.name, TitleSeries.id).where(
                TitleSeries.name.in_({p["title_series"] for p in people})
            )
        ).all()
    )
    rows = []
    for i, person in enumerate(people):
        if i % 20 == 19 or person["title_series"] not in series:
            continue
        level = TITLE_LEVELS[i % len(TITLE_LEVELS)]
        rows.append(
            {
                "professional_id": ids[person["id_number"]],
                "series_id": series[person["title_series"]],
                "level": level,
                "name": "",
                "obtained": date(min(person["birth_date"].year + 30, year - 1), 7, 1),
            }
        )
    return rows


def load(n: int, county: County | None = None) -> dict:
    """Build the county of n people (after the demo county; another county of the city after
    its bureau officer); idempotent. The caller commits."""
    county = county or home()
    if loaded(county) is not None:
        return {"skipped": True, "n": loaded(county)}
    with scope.use(county.code):  # defaults, and the officer found, are the county's
        summary = _load(n, county)
    _analyze()
    return summary


def _analyze(*tables: str) -> None:
    """Fresh planner statistics after bulk inserts (as PRAGMA optimize and autovacuum would
    keep them): without them PostgreSQL plans the generator's own lookups as for empty tables.
    SQLite once at the end."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"ANALYZE {', '.join(tables)}" if tables else "ANALYZE"))
    elif not tables:
        db.session.execute(sa.text("ANALYZE"))


def _load(n: int, county: County) -> dict:
    code, name = county.code, county.name
    mine = {"jurisdiction_code": code}
    rng = random.Random(SEED)  # nosec B311 (a seeded generator of demo data, not for security)
    today, year = local_today(), current_year()
    now = datetime.now(UTC)
    rule_set, evaluated = _evaluated(year)
    n_units = max(1, n // PER_UNIT)
    waiting, registered = min(500, n // 10), min(2000, n // 15)
    publicised = max(0, round(n * 5 / 6) - registered)

    _insert(
        Unit,
        [
            {
                "name": f"{name}县域第一人民医院" if u == 0 else f"{name}县域单位{u:04d}",
                "uscc": make_uscc(f"12{code}MC{u:07d}"),
                "type": UnitType.INSTITUTION,
                "county": name,
                "active": True,
                **mine,
            }
            for u in range(n_units)
        ],
    )
    unit_ids = list(
        db.session.scalars(
            sa.select(Unit.id).where(Unit.uscc.like(f"12{code}MC%")).order_by(Unit.uscc)
        )
    )
    reviewer = User(
        username=county.reviewer,
        password_hash=hash_password("Demo@2025"),
        role=Role.UNIT_REVIEWER,
        name="县域医院经办人",
        unit_id=unit_ids[0],
        password_changed_at=now,
        **mine,
    )
    db.session.add(reviewer)
    db.session.flush()

    big = max(waiting + 100, PER_UNIT)  # the big unit's people, the waiting ones first
    people = []
    for i in range(n):
        born = date(1965, 1, 1) + timedelta(days=i % 10950)
        unit = unit_ids[0] if i < big else unit_ids[1 + (i - big) % max(1, n_units - 1)]
        people.append(
            {
                "id_number": make_id_number(
                    born, 500 + 10 * county.index + i // 10950, county.area
                ),
                "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                "phone": f"{county.phone}{i:08d}",
                "birth_date": born,
                "unit_id": unit if n_units > 1 or i < big else unit_ids[0],
                "title_series": "卫生" if unit == unit_ids[0] else "教师",
                "title_level": "中级",
                "title_name": "主治医师" if unit == unit_ids[0] else "一级教师",
                "status": PersonStatus.CONFIRMED,
                "confirmed_by_id": reviewer.id,
                "confirmed_at": now,
                "created_at": now,
                **mine,
            }
        )
    _insert(Professional, people)
    ids = dict(
        db.session.execute(
            sa.select(Professional.id_number, Professional.id).where(
                Professional.phone.like(f"{county.phone}%"), Professional.jurisdiction_code == code
            )
        ).all()
    )

    _insert(PersonTitle, _titles(people, ids, year))

    first, end, warnings = _running_start(today)
    old_first, old_end, old_warnings = workdays.publicity_period(today - timedelta(days=30), 5)
    officer = db.session.scalar(  # opens the batches, registers and prints (the county's bureau)
        sa.select(User)
        .where(
            User.role == Role.BUREAU_OFFICER,
            User.active.is_(True),
            User.jurisdiction_code == code,
        )
        .order_by(User.id)
        .limit(1)
    )
    batch_rows = [
        {
            "title": f"{name}{year}年度专业技术人员继续教育学时登记公示（已办结）",
            "start_date": old_first,
            "end_date": old_end,
            "created_at": now - timedelta(days=34),  # after the review, before the start
            "created_by_id": getattr(officer, "id", None),
            "closed_at": now,
            **mine,
        }
    ]
    for k in range(0, publicised, BATCH_SIZE):
        batch_rows.append(
            {
                "title": f"{name}{year}年度专业技术人员继续教育学时登记公示（第{k // BATCH_SIZE + 1}批）",
                "start_date": first,
                "end_date": end,
                "created_at": now,
                "created_by_id": getattr(officer, "id", None),
                **mine,
            }
        )
    _insert(PublicityBatch, batch_rows)
    batch_ids = list(
        db.session.scalars(
            sa.select(PublicityBatch.id)
            .where(
                PublicityBatch.title.like(f"{name}{year}年度专业技术人员继续教育学时登记公示（%"),
                PublicityBatch.jurisdiction_code == code,
            )
            .order_by(PublicityBatch.id)
        )
    )

    declarations = []
    city_steps = _city_steps(n, waiting + registered + publicised)
    for i, person in enumerate(people):
        spec, result = evaluated[i % len(evaluated)]
        row = {
            "professional_id": ids[person["id_number"]],
            "year": year,
            "rule_set": rule_set,
            "status": DeclarationStatus.DRAFT,
            "created_at": now,
            **mine,
        }
        if i < waiting + registered + publicised or i in city_steps:
            # as submit() records them: the unit at submission, which reviews (the generated
            # units are all public institutions, 004 第十四条)
            row.update(unit_id=person["unit_id"], reviewing_body=ReviewingBody.UNIT)
        if i < waiting:
            row.update(status=DeclarationStatus.SUBMITTED, submitted_at=now - timedelta(hours=i))
        elif i < waiting + registered + publicised:
            j = i - waiting - registered  # < 0: registered
            row.update(
                status=DeclarationStatus.REGISTERED if j < 0 else DeclarationStatus.PUBLICISED,
                submitted_at=now - timedelta(days=40),
                reviewed_at=now - timedelta(days=35),
                reviewer_id=reviewer.id,
                general_hours=result.general,
                professional_hours=result.professional,
                total_hours=result.total,
                compliant=result.compliant,
                batch_id=batch_ids[0] if j < 0 else batch_ids[1 + j // BATCH_SIZE],
                registered_on=old_end + timedelta(days=1) if j < 0 else None,
                registered_at=now if j < 0 else None,
            )
        elif i in city_steps:  # a senior holder's year, its first step passed: the city's turn
            row.update(
                status=DeclarationStatus.PROFESSIONAL_CHECKED,
                submitted_at=now - timedelta(days=20),
                first_step=FirstReview.UNIT,
                first_reviewer_id=reviewer.id,
                first_reviewed_at=now - timedelta(days=10, hours=i % 240),
                second_step_city=True,
            )
        declarations.append(row)
    _insert(Declaration, declarations)
    _analyze("professional", "declaration")
    declaration_ids = dict(  # the county's of the year: its generated people's among them
        db.session.execute(
            sa.select(Declaration.professional_id, Declaration.id).where(
                Declaration.jurisdiction_code == code, Declaration.year == year
            )
        ).all()
    )
    claims = []
    for i, person in enumerate(people):
        spec, result = evaluated[i % len(evaluated)]
        declaration_id = declaration_ids[ids[person["id_number"]]]
        approved = waiting <= i < waiting + registered + publicised
        first_step = i in city_steps  # its professional claims accepted
        shares = result.shares()
        for position, ((kind, _, facts), res) in enumerate(zip(spec, result.claims, strict=True)):
            claims.append(
                {
                    "declaration_id": declaration_id,
                    "position": position,
                    "kind": kind,
                    "subject": res.subject,
                    "facts": facts,
                    "details": {"title": f"{year}年度培训{position + 1}"},
                    "hours": res.hours,
                    "full_year": res.full_year,
                    "clause": res.clause,
                    # Approved rows (publicised, registered) keep their part of the totals.
                    "counted_general": shares[res.key][0] if approved else None,
                    "counted_professional": shares[res.key][1] if approved else None,
                    "created_at": now,
                    "decision_reason": "",
                    **(
                        {"decision": ClaimDecision.ACCEPTED, "accepted_hours": res.hours}
                        if first_step and res.subject == "professional"
                        else {}
                    ),
                }
            )
    _insert(Claim, claims)
    batches = [
        {**row, "id": batch_id, "warnings": old_warnings if k == 0 else warnings}
        for k, (row, batch_id) in enumerate(zip(batch_rows, batch_ids, strict=True))
    ]
    events = _declaration_events(people, declarations, declaration_ids, ids, batches, evaluated)
    registered_people = [ids[p["id_number"]] for p in people[waiting : waiting + registered]]
    events += _certificate_events(registered_people, now, code)
    events.sort(key=lambda pair: pair[0])
    actors = {"officer": _actor(officer), "reviewer": _actor(reviewer)}
    audit_events = audit.record_many(
        [
            {**(actors[actor] if isinstance(actor, str) else actor), **event}
            for _, actor, event in events
        ]
    )
    db.session.add(Setting(key=county.marker, value={"n": n}))
    db.session.flush()
    return {
        "skipped": False,
        "n": n,
        "units": n_units,
        "waiting": waiting,
        "registered": registered,
        "publicised": publicised,
        "claims": len(claims),
        "certificates": len(registered_people),
        "city_steps": len(city_steps),
        "audit_events": audit_events,
    }


# --- a city of such counties ----------------------------------------------------------------


def city_counties(city: str) -> list[tuple[str, str]]:
    """(code, name) of the city's counties in python-stdnum's GB/T 2260 (市辖区 rows left out;
    a code that was renamed, as 341822 广德县 → 341882 广德市, counts as it is listed)."""
    found = []
    for code in (f"{city[:4]}{k:02d}" for k in range(1, 100)):
        name = jurisdictions.official_name(code)
        if name and name != "市辖区":
            found.append((code, name))
    return found


def city_plan(count: int) -> list[County]:
    """The install's county first, then the other counties of its city (by code): `count` of
    them, or a refusal (ValueError) when the city has fewer."""
    own = home()
    city = own.code[:4] + "00"
    others = [(code, name) for code, name in city_counties(city) if code != own.code]
    if count > 1 + len(others):
        raise ValueError(
            f"{jurisdictions.official_name(city) or city}在 GB/T 2260 中只有 {1 + len(others)} "
            f"个县级区划，--city 不能大于 {1 + len(others)}。"
        )
    plan = [own]
    for index, (code, name) in enumerate(others[: count - 1], start=1):
        node = jurisdictions.get(code)
        plan.append(County(code, node.name if node else name, index))
    return plan


def _officer(username: str, role: Role, name: str, code: str) -> User:
    user = db.session.scalar(
        sa.select(User).where(User.username == username).execution_options(all_jurisdictions=True)
    )
    if user is None:
        user = User(
            username=username,
            password_hash=hash_password(DEMO_PASSWORD),
            role=role,
            name=name,
            password_changed_at=datetime.now(UTC),
            jurisdiction_code=code,
        )
        db.session.add(user)
    return user


def prepare_city(count: int) -> tuple[list[County], list[User]]:
    """The city's `count` counties in the tree (the install's county among them), a bureau
    officer `bureau-<code>` for each and the city officer `city-<city code>` (flush only)."""
    plan = city_plan(count)
    city = plan[0].code[:4] + "00"
    for county in plan[1:]:
        if jurisdictions.get(county.code) is None:
            jurisdictions.add(county.code, county.name, JurisdictionLevel.COUNTY, city,
                              f"{county.name}人力资源和社会保障局")  # fmt: skip
    logins = [
        _officer(
            f"city-{city}",
            Role.CITY_OFFICER,
            f"{jurisdictions.official_name(city) or city}人社局经办人",
            city,
        )  # fmt: skip
    ]
    for county in plan:
        logins.append(
            _officer(
                f"bureau-{county.code}", Role.BUREAU_OFFICER, f"{county.name}经办人", county.code
            )  # fmt: skip
        )
    db.session.flush()
    return plan, logins


def load_city(count: int, n: int) -> list[dict]:
    """A city of `count` counties of n generated people each (idempotent; the caller commits):
    each county's summary with its code and name."""
    plan, _ = prepare_city(count)
    return [{"code": c.code, "name": c.name, **load(n, c)} for c in plan]


# --- the audit events the steps leave, as the services record them -------------------------


def _actor(user) -> dict:
    """Who acted, as record() writes it (no one: a scheduled job)."""
    return {
        "user_id": getattr(user, "id", None),
        "username": getattr(user, "username", ""),
        "role": str(getattr(user, "role", "") or ""),
        "ip": audit.client_ip(),
    }


def _declaration_name(person: dict, year: int) -> str:
    """Declaration.audit_name, without loading 30,000 declarations."""
    return f"{person['name']} {year}年度申报"


def _declaration_events(people, declarations, declaration_ids, ids, batches, evaluated):
    """(sort key, actor, event) of each step a declaration went through: the person's submission
    (declarations.service.submit), the unit's approval (review.service.approve), the batch
    that put it on the board (board.service.open_batch) and its registration with the batch's
    closing (board.service.close_due)."""
    batch_by_id = {batch["id"]: batch for batch in batches}
    events, on_board = [], {}
    for i, (person, row) in enumerate(zip(people, declarations, strict=True)):
        if row["status"] is DeclarationStatus.DRAFT:
            continue
        _, result = evaluated[i % len(evaluated)]
        declaration_id = declaration_ids[ids[person["id_number"]]]
        about = {
            "object_type": "declaration",
            "object_id": str(declaration_id),
            "object_name": _declaration_name(person, row["year"]),
        }
        submitter = {  # the person, who has no account here: named by the ID number (masked)
            "user_id": None,
            "username": person["id_number"],
            "role": str(Role.PROFESSIONAL),
            "ip": audit.client_ip(),
        }
        events.append(
            (
                (row["submitted_at"], 0, 0, 0, declaration_id),
                submitter,
                {
                    **about,
                    "action": "declaration.submit",
                    "at": row["submitted_at"],
                    "detail": f"{row['year']}年度，公需{result.general} "
                    f"专业{result.professional} 合计{result.total}学时",
                },
            )
        )
        if row["status"] is DeclarationStatus.SUBMITTED:
            continue
        # the unit's review: approved, or (a year waiting for the city) its first step passed
        first = row["status"] is DeclarationStatus.PROFESSIONAL_CHECKED
        at = row["first_reviewed_at"] if first else row["reviewed_at"]
        verdict = "达标" if row.get("compliant") else "未达标"
        events.append(
            (
                (at, 1, 0, 0, declaration_id),
                "reviewer",
                {
                    **about,
                    "action": "review.professional_passed" if first else "review.approved",
                    "at": at,
                    "detail": f"专业科目条目认定{result.professional}学时"
                    if first
                    else f"公需{row['general_hours']} 专业{row['professional_hours']} "
                    f"合计{row['total_hours']} {verdict}",
                },
            )
        )
        if first:
            continue
        batch = batch_by_id[row["batch_id"]]
        on_board[batch["id"]] = on_board.get(batch["id"], 0) + 1
        events.append(
            (
                (batch["created_at"], 2, batch["id"], 0, declaration_id),
                "officer",
                {
                    **about,
                    "action": "publicity.added",
                    "at": batch["created_at"],
                    "detail": f"批次#{batch['id']}",
                },
            )
        )
        if row["status"] is DeclarationStatus.REGISTERED:
            events.append(
                (
                    (row["registered_at"], 3, 0, 0, declaration_id),
                    "officer",
                    {
                        **about,
                        "action": "publicity.registered",
                        "at": row["registered_at"],
                        "detail": f"登记日期{row['registered_on']}",
                    },
                )
            )
    for batch in batches:
        if not on_board.get(batch["id"]):
            continue
        about = {
            "object_type": "publicitybatch",
            "object_id": str(batch["id"]),
            "object_name": batch["title"],
        }
        period = f"{batch['start_date'].isoformat()}至{batch['end_date'].isoformat()}"
        events.append(
            (
                (batch["created_at"], 2, batch["id"], 1, 0),
                "officer",
                {
                    **about,
                    "action": "publicity.batch_opened",
                    "at": batch["created_at"],
                    "detail": f"{period} {on_board[batch['id']]}份"
                    + ("；" + "；".join(batch["warnings"]) if batch["warnings"] else ""),
                },
            )
        )
        if batch.get("closed_at"):
            events.append(
                (
                    (batch["closed_at"], 4, batch["id"], 0, 0),
                    "officer",
                    {
                        **about,
                        "action": "publicity.batch_closed",
                        "at": batch["closed_at"],
                        "detail": batch["title"],
                    },
                )
            )
    return events


def _unique(make, count: int) -> list[str]:
    """`count` different values of make() (each unused in the database, as the service checks)."""
    values: dict[str, None] = {}
    while len(values) < count:
        values[make()] = None
    return list(values)


def _certificate_events(person_ids: list[int], now: datetime, code: str) -> list:
    """Each registered person's certificate (numbered as the certificate service numbers) and one
    printed copy: a verification code and token from the service's own generators (`secrets`,
    so these two are not reproducible from the seed, as in the service) and the snapshot the
    service stores. Printed by the bureau in bulk (certificates.service.print_for_unit); returns
    the (sort key, actor, event) of each issue and print."""
    people = db.session.scalars(
        sa.select(Professional)
        .where(Professional.id.in_(person_ids))
        .options(
            selectinload(Professional.titles).joinedload(PersonTitle.series),
            joinedload(Professional.unit),
        )
        .order_by(Professional.id)
    ).all()
    years: dict[int, list[Declaration]] = {}
    for declaration in db.session.scalars(
        sa.select(Declaration)
        .where(
            Declaration.professional_id.in_(person_ids),
            Declaration.status == DeclarationStatus.REGISTERED,
        )
        .options(joinedload(Declaration.reviewer).joinedload(User.unit))
        .order_by(Declaration.professional_id, Declaration.year)
    ):
        years.setdefault(declaration.professional_id, []).append(declaration)
    codes, tokens = (
        _unique(certificates.new_code, len(people)),
        _unique(certificates.new_token, len(people)),
    )
    with scope.unscoped():  # numbers are unique across the instance's counties
        numbers = certificates.next_numbers(now, len(people))
    issued = [
        Certificate(professional=person, number=number, issued_at=now, jurisdiction_code=code)
        for person, number in zip(people, numbers, strict=True)
    ]
    db.session.add_all(issued)
    db.session.flush()
    prints = [
        CertificatePrint(
            certificate=certificate,
            code=code,
            token=token,
            printed_at=now,
            content=certificates.snapshot(certificate.professional, years[person.id]),
        )
        for certificate, person, code, token in zip(issued, people, codes, tokens, strict=True)
    ]
    db.session.add_all(prints)
    db.session.flush()
    events = []
    for certificate, printed in zip(issued, prints, strict=True):
        person = certificate.professional
        printed_years = "、".join(str(row["year"]) for row in printed.content["years"])
        events.append(
            (
                (now, 5, certificate.id, 0, 0),
                "officer",
                {
                    "action": "certificate.issue",
                    "at": now,
                    "object_type": "certificate",
                    "object_id": str(certificate.id),
                    "object_name": audit.object_name(certificate),
                    "detail": f"证书编号 {certificate.number}（{person.name}）",
                },
            )
        )
        events.append(
            (
                (now, 5, certificate.id, 1, printed.id),
                "officer",
                {
                    "action": "certificate.print",
                    "at": now,
                    "object_type": "certificateprint",
                    "object_id": str(printed.id),
                    "object_name": audit.object_name(printed),
                    "detail": f"证书编号 {certificate.number}，登记年度 {printed_years}",
                },
            )
        )
    return events
