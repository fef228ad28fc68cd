"""Issue 22.5 (003 六(一): 2025年度…公需科目学习，参加线上学习的时间截至2026年5月31日): general
courseware studied up to the bureau's day counts in the year before; after it, or professional,
in the year studied; a submitted year says so on the row."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.declarations.models import Declaration, DeclarationStatus
from portal.extensions import db
from portal.providers import study_end
from portal.refusal import Refusal
from tests.conftest import logged_in

HEADER = "身份证号码,姓名,课程名称,标定学时,科目,学习日期,考试成绩\n"


def _import(runner, tmp_path, person, rows):
    path = tmp_path / "records.csv"
    lines = [f"{person.id_number},{person.name},{course},3,{subject},{day},90"
             for course, subject, day in rows]  # fmt: skip
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["providers", "import-courseware", str(path)])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("subject", "day", "year"),
    [
        ("公需科目", "2026-03-15", 2025),  # within 2025's extended online study
        ("公需科目", "2026-05-31", 2025),  # its last day
        ("公需科目", "2026-06-01", 2026),  # after it
        ("专业科目", "2026-03-15", 2026),  # professional study keeps its year
        ("公需科目", "2025-03-15", 2025),  # a record of the year itself
    ],
)
def test_the_shipped_2025_end_puts_general_study_into_2025(
    app, runner, tmp_path, make_professional, subject, day, year
):
    person = make_professional()
    summary = _import(runner, tmp_path, person, [("法治思想", subject, day)])
    assert summary["matched"] == 1, summary
    with app.app_context():
        assert db.session.scalar(sa.select(Declaration.year)) == year


def test_a_submitted_year_says_so_on_the_row(
    app, runner, tmp_path, make_professional, make_submitted_declaration
):
    person = make_professional()
    make_submitted_declaration(person, 2025, status=DeclarationStatus.SUBMITTED)
    summary = _import(runner, tmp_path, person, [("法治思想", "公需科目", "2026-03-15")])
    assert summary["matched"] == 0 and summary["not_attached"] == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Declaration.id))) == 1  # none for 2026


def test_the_bureau_sets_a_year_on_the_courseware_page(app, make_user, make_provider_user):
    officer = logged_in(app, make_user(Role.BUREAU_OFFICER))
    page = officer.get("/providers/courseware")
    assert "公需科目网络学习截止日期" in page.text and "2026-05-31" in page.text
    bad = officer.post(
        "/providers/courseware/study-end", data={"year": "2026", "day": "2026-05-31"}
    )
    assert bad.status_code == 422 and "截止日期应在2027年内" in bad.text
    ok = officer.post("/providers/courseware/study-end", data={"year": "2026", "day": "2027-04-30"})
    assert ok.status_code == 303
    with app.test_request_context():
        assert study_end.study_ends() == {2025: date(2026, 5, 31), 2026: date(2027, 4, 30)}
        assert study_end.study_year(date(2027, 4, 30), "general") == 2026
    assert (
        db.session.scalar(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "settings.study_end")
        )
        == "2026年度公需科目网络学习截止日期：（无） → 2027-04-30"
    )
    provider = logged_in(app, make_provider_user())
    assert (
        provider.post("/providers/courseware/study-end", data={"year": "2026"}).status_code == 403
    )
    assert "公需科目网络学习截止日期" not in provider.get("/providers/courseware").text


def test_the_command_line_sets_and_removes(app, ctx, runner):
    result = runner.invoke(args=["providers", "study-end", "2026", "2027-05-31"])
    assert result.exit_code == 0 and json.loads(result.output)["2026"] == "2027-05-31"
    result = runner.invoke(args=["providers", "study-end", "2025"])
    assert result.exit_code == 0 and "2025" not in json.loads(result.output)
    result = runner.invoke(args=["providers", "study-end", "2026", "2026-01-01"])
    assert result.exit_code == 2 and "截止日期" in result.output
    with app.test_request_context(), pytest.raises(Refusal):
        study_end.set_study_end(None, 1900, None)
