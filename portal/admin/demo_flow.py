"""The yearly flow in the demo (issues 22.1–22.6 and 20.2), made by the same services a user's
clicks call, so that each shows on the pages of the roles concerned with the settings as
shipped:

- 22.1: the doctor's 2025 trainings (no filing number) count 0 on 龚建民's review page; the
  teacher's 2024 trainings were accepted as filed outside the county; the city-investment
  company's own training ended in October 2025 and its list never came (the bureau's 培训备案审核).
- 22.2: 于洋 (that company, 老人老办法) declared its training under hefei-2021: 0, with the reason.
- 22.4: 张丽娟 attended one of the two days of the teachers' training (the list says 6 hours).
- 22.5: a courseware record studied in March 2026 went into 2025 (the bureau's courseware page).
- 22.6 / 20.2: 于洋 moved to the transport company on 2025-12-01 (entered by it, confirmed by
  the old unit), his submitted 2025 year stays in 秦丽's queue; 刘志强's move to the primary
  school waits for its date (待生效); the first middle school entered 黄磊, which waits for
  the primary school or 黄磊 to confirm.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from portal import clock
from portal.accounts import people as person_ops
from portal.accounts.models import Professional, User
from portal.clock import LOCAL_TZ
from portal.extensions import db
from portal.providers import lists as qualified_lists
from portal.providers import service as providers
from portal.providers.models import TrainingPlan

INTERNAL_PLAN = "示范县城市建设投资有限公司2025年度工程质量安全内部培训"
COURSEWARE_HEADER = "身份证号码,姓名,课程名称,标定学时,科目,学习日期,考试成绩\n"


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=LOCAL_TZ)


def load(people: dict[str, Professional], reviewers: dict[str, User], officer: User, declare,
         logins) -> None:  # fmt: skip
    if db.session.scalar(sa.select(TrainingPlan.id).filter_by(title=INTERNAL_PLAN)) is not None:
        return  # loaded already
    company = _internal_training(reviewers["ct"], officer)
    _internal_year(people["于洋"], officer, company, declare)
    _moves(people, reviewers)
    _courseware(people, officer)


def _internal_training(clerk: User, officer: User) -> TrainingPlan:
    start = date(2025, 10, 16)
    with clock.travel(_at(2025, 9, 10)):
        plan = providers.file_plan(
            clerk,
            {
                "title": INTERNAL_PLAN,
                "subject": "professional",
                "series": "建设",
                "start_date": start,
                "end_date": start + timedelta(days=1),
                "days": 2,
                "hours_per_day": 6,
                "place": "公司三楼会议室",
                "form": "face",
                "expected_trainees": 30,
                "teachers": "公司质量安全部",
            },
        )  # filed on the (travelled) day it is called
    with clock.travel(_at(2025, 9, 12)):
        providers.decide_plan(officer, plan, True)
    return plan


def _internal_year(person: Professional, officer: User, plan: TrainingPlan, declare) -> None:
    if not person.keeps_old_rules:
        person_ops.set_keeps_old_rules(officer, person, True)
    claims = [
        ("public_course", "general", {"courses": 1}, {"title": "2025年度公需科目（网络培训）"}),
        (
            "training.decided",
            "professional",
            {"decided_hours": 12},
            {"title": plan.title, "issuer": plan.organiser_name, "plan_no": plan.filing_no},
        ),
    ]
    declare(person, 2025, "hefei-2021", claims, _at(2025, 11, 25))


def _moves(people: dict[str, Professional], reviewers: dict[str, User]) -> None:
    # Entered by the new unit, confirmed by the old one; the submitted year stays with it.
    with clock.travel(_at(2025, 11, 28)):
        move = person_ops.request_move(
            reviewers["js"], people["于洋"], reviewers["js"].unit, date(2025, 12, 1)
        )
    with clock.travel(_at(2025, 12, 1)):
        person_ops.confirm_move(reviewers["ct"], move)
    # A move dated ahead waits for its day.
    today = clock.local_today()
    ahead = person_ops.request_move(
        reviewers["xx"], people["刘志强"], reviewers["xx"].unit, today + timedelta(days=60)
    )
    person_ops.confirm_move(reviewers["yz"], ahead)
    # Entered by the new unit, waiting for the old unit (or the person, or the bureau).
    person_ops.request_move(
        reviewers["yz"], people["黄磊"], reviewers["yz"].unit, today - timedelta(days=10)
    )


def _courseware(people: dict[str, Professional], officer: User) -> None:
    rows = [
        (people["董卫东"], "2026-03-20"),  # within 2025's online study: into 2025
        (people["朱晓东"], "2026-03-21"),  # his 2025 year is submitted: the row says so
    ]
    text = COURSEWARE_HEADER + "".join(
        f"{p.id_number},{p.name},习近平法治思想专题,3,公需科目,{day},88\n" for p, day in rows
    )
    with clock.travel(_at(2026, 4, 2)):
        qualified_lists.import_courseware(officer, text.encode("utf-8"), "网络学习记录.csv")
