"""When a year's online 公需 study ends (issue 22.5; 003 六(一): 2025年度全省专业技术人员继续
教育公需科目学习，参加线上学习的时间截至2026年5月31日). A bureau setting per year (the year →
its last day); general-subject courseware records of year Y studied up to that day go into
year Y. Operations flush, never commit."""

from __future__ import annotations

from datetime import date

from portal.accounts.models import Role, User
from portal.audit.service import record
from portal.refusal import FORBIDDEN, INVALID, Refusal
from portal.rules import GENERAL
from portal.settings import get_setting, set_setting

KEY = "ONLINE_GENERAL_STUDY_ENDS"


def study_ends() -> dict[int, date]:
    """Year → the last day of its online 公需 study, as the bureau set them."""
    return {int(year): date.fromisoformat(day) for year, day in (get_setting(KEY) or {}).items()}


def study_year(studied_on: date, subject: str) -> int:
    """The year a courseware record counts in: the year before when it is general-subject
    study within that year's extended online study, else the year it was studied."""
    if subject == GENERAL:
        end = study_ends().get(studied_on.year - 1)
        if end is not None and studied_on <= end:
            return studied_on.year - 1
    return studied_on.year


def set_study_end(actor: User | None, year: int, day: date | None) -> dict[int, date]:
    """The bureau sets (or, with None, removes) a year's end of online 公需 study; audited.
    actor None: the command line."""
    if actor is not None and actor.role is not Role.BUREAU_OFFICER:
        raise Refusal("只有人社局经办人可以设置公需科目网络学习截止日期。", FORBIDDEN)
    if not 2000 <= year <= 2100:
        raise Refusal("年度无效。", INVALID, field="year")
    if day is not None and not date(year, 12, 31) < day <= date(year + 1, 12, 31):
        raise Refusal(f"截止日期应在{year + 1}年内（{year}年度结束之后）。", INVALID, field="day")
    ends = {str(y): d.isoformat() for y, d in study_ends().items()}
    before = ends.get(str(year), "（无）")
    if day is None:
        ends.pop(str(year), None)
    else:
        ends[str(year)] = day.isoformat()
    set_setting(KEY, ends)
    record(
        "settings.study_end",
        user=actor,
        detail=f"{year}年度公需科目网络学习截止日期：{before} → {day.isoformat() if day else '（无）'}",
    )
    return study_ends()
