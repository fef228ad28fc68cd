"""Qualified lists: every row error, all-or-clean-rows, prepared claims and their lock,
repeated import, the CLI face."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts.idnumbers import make_id_number
from portal.declarations import service as declarations
from portal.declarations.models import Claim, Declaration, DeclarationStatus
from portal.extensions import db
from portal.providers import lists
from portal.providers.models import ListRowStatus, QualifiedRow
from portal.refusal import Refusal
from tests.providers.conftest import list_file


@pytest.fixture
def setting(app, make_unit, make_professional, make_provider_user, make_plan):
    provider_user = make_provider_user()
    plan = make_plan(provider_user)
    unit = make_unit()
    people = [make_professional(unit=unit, name=n) for n in ("王晓梅", "朱晓东", "唐建华")]
    return provider_user, plan, people


def row(person_or_name, id_number=None, hours=12, result="合格"):
    if isinstance(person_or_name, str):
        return (person_or_name, "某单位", id_number, "一级教师", hours, result)
    p = person_or_name
    return (p.name, "某单位", id_number or p.id_number, "一级教师", hours, result)


def test_every_row_error_and_nothing_imported(app, setting):
    user, plan, (a, b, c) = setting
    bad_checksum = a.id_number[:-1] + ("0" if a.id_number[-1] != "0" else "1")
    content = list_file(
        [
            row(a),  # row 6: clean
            row("王晓梅", bad_checksum),  # 7: checksum
            row("", b.id_number),  # 8: empty name
            row(a),  # 9: duplicate of row 6
            row("李四", c.id_number),  # 10: name does not match the person
            row(b, hours=20),  # 11: more hours than the plan's 12
            row(b, hours="十二"),  # 12: not a number
            row(c, result=""),  # 13: no exam result
            row(c, result="不合格"),  # 14: failed
        ],
        period="1月1日 至 1月2日",  # row 4: not the plan's dates
    )
    with app.test_request_context():
        summary = lists.import_list(user, plan, content, "list.xlsx")
        rows = sorted({e.row for e in summary.errors})
        assert rows == [4, 7, 8, 9, 10, 11, 12, 13, 14], summary.errors
        text = " ".join(e.message for e in summary.errors)
        for expected in (
            "培训时间",
            "身份证号码",
            "姓名不能为空",
            "与第6行重复",
            "姓名与系统中该身份证号码登记的人员姓名不一致",
            "培训学时20超过备案计划的12学时",
            "培训学时应为整数",
            "考试结果不能为空",
            "考试结果为“不合格”",
        ):
            assert expected in text, expected
        assert not summary.imported and summary.rows == 9
        assert db.session.scalar(sa.select(sa.func.count(QualifiedRow.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Claim.id))) == 0


def test_clean_rows_only_and_repeat_changes_nothing(app, setting):
    user, plan, (a, b, c) = setting
    stranger = make_id_number(date(1990, 5, 5), 777)
    content = list_file([row(a), row(b, hours=13), row("赵六", stranger)])
    with app.test_request_context():
        summary = lists.import_list(user, plan, content, "list.xlsx", clean_rows=True)
        assert summary.imported and (summary.matched, summary.unmatched) == (1, 1)
        assert [e.row for e in summary.errors] == [7]
        db.session.commit()
        again = lists.import_list(user, plan, content, "list.xlsx", clean_rows=True)
        assert (again.matched, again.unchanged) == (0, 2)
        db.session.commit()
        statuses = db.session.scalars(sa.select(QualifiedRow.status).order_by(QualifiedRow.id))
        assert list(statuses) == [ListRowStatus.MATCHED, ListRowStatus.UNMATCHED]
        assert db.session.scalar(sa.select(sa.func.count(Claim.id))) == 1


def test_prepared_claim_is_locked_but_can_be_dropped(app, setting):
    user, plan, (a, b, c) = setting
    with app.test_request_context():
        summary = lists.import_list(user, plan, list_file([row(a)]), "list.xlsx")
        assert summary.matched == 1
        claim = db.session.scalar(sa.select(Claim))
        declaration = claim.declaration
        assert declaration.professional_id == a.id and declaration.year == plan.end_date.year
        assert declaration.status is DeclarationStatus.DRAFT
        assert (claim.source, claim.plan_id, claim.kind) == ("qualified_list", plan.id, "training")
        assert claim.hours == 12 and claim.details["plan_no"] == plan.filing_no
        assert claim.source_label == "由施教机构报送"
        with pytest.raises(Refusal, match="不能修改"):
            declarations.update_claim(a.user, claim, {"days": 9}, {})
        with pytest.raises(Refusal, match="不能修改"):
            declarations.change_subject(a.user, claim, "general")
        # The proof is the list itself: no upload is asked for before submission.
        assert not any("证明材料" in p for p in declarations.submission_problems(declaration))
        declarations.delete_claim(a.user, claim)
        db.session.commit()
        row_ = db.session.scalar(sa.select(QualifiedRow))
        db.session.refresh(row_)
        assert row_.claim_id is None  # dropped; importing again does not bring it back
        lists.import_list(user, plan, list_file([row(a)]), "list.xlsx")
        assert db.session.scalar(sa.select(sa.func.count(Claim.id))) == 0


def test_submitted_declaration_gets_no_claim(app, setting, make_submitted_declaration):
    user, plan, (a, b, c) = setting
    make_submitted_declaration(a, year=plan.end_date.year)
    with app.test_request_context():
        summary = lists.import_list(user, plan, list_file([row(a)]), "list.xlsx")
        assert (summary.matched, summary.not_attached) == (0, 1)
        assert db.session.scalar(sa.select(QualifiedRow.status)) is ListRowStatus.SUBMITTED
        declaration = db.session.scalar(sa.select(Declaration))
        assert all(not c.prepared for c in declaration.claims)


def test_unreadable_and_wrong_layout_are_refused(app, setting):
    user, plan, _ = setting
    with app.test_request_context():
        with pytest.raises(Refusal, match="无法读取"):
            lists.import_list(user, plan, b"not a workbook", "list.xlsx")
        with pytest.raises(Refusal, match="无法读取"):
            lists.import_list(user, plan, b"PK\x03\x04broken", "list.xlsx")


def test_template_has_the_layout_and_no_formula(app, setting):
    from io import BytesIO

    from openpyxl import load_workbook

    user, plan, _ = setting
    plan.title = '=HYPERLINK("http://x")'
    with app.test_request_context():
        sheet = load_workbook(BytesIO(lists.template(plan))).active
        values = [[c for c in r if c is not None] for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["继续教育合格人员简明情况汇总表"]
    assert values[3][1].startswith("'=")
    assert values[4] == list(lists.LIST_HEADERS)


def test_list_cli(app, runner, setting, tmp_path):
    user, plan, (a, b, c) = setting
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(list_file([row(a), row(b)]))
    bad.write_bytes(list_file([row(a), row(b, hours=30)]))
    result = runner.invoke(args=["providers", "import-list", plan.filing_no, str(bad)])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["errors"] == [{"row": 7, "message": "培训学时30超过备案计划的12学时"}]
    result = runner.invoke(args=["providers", "import-list", plan.filing_no, str(good)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["matched"], summary["errors"]) == (2, 2, [])
    missing = runner.invoke(args=["providers", "import-list", plan.filing_no, "/nonexistent.xlsx"])
    assert missing.exit_code == 2 and "无法读取" in missing.stderr
    garbage = tmp_path / "x.xlsx"
    garbage.write_bytes(b"hello")
    assert (
        runner.invoke(args=["providers", "import-list", plan.filing_no, str(garbage)]).exit_code
        == 2
    )


def test_the_reviewer_sees_the_claim_came_from_a_filed_plan(app, setting):
    from portal.review import service as review

    user, plan, (a, b, c) = setting
    with app.test_request_context():
        lists.import_list(user, plan, list_file([row(a)]), "list.xlsx")
        claim = db.session.scalar(sa.select(Claim))
        declarations.submit(a.user, claim.declaration)  # no upload needed for a prepared claim
        [(badge, _, text)] = review.filing_notes(claim.declaration)[claim.id]
        assert badge == "ok" and text == f"由施教机构报送，来自已备案培训计划 {plan.filing_no}"


def test_a_registered_year_is_not_sent_to_anyone(
    app, setting, make_registered_declaration, make_submitted_declaration
):
    """20.15: a row for a year already registered says nobody needs to act; a submitted one
    still names who may."""
    user, plan, (a, b, c) = setting
    make_registered_declaration(a, plan.end_date.year)
    make_submitted_declaration(b, year=plan.end_date.year)
    with app.test_request_context():
        summary = lists.import_list(user, plan, list_file([row(a), row(b)]), "list.xlsx")
        messages = {o.row: o.message for o in summary.outcomes}
        assert "已登记" in messages[6] and "无需处理" in messages[6]
        assert "请本人或核验人员处理" in messages[7]


@pytest.mark.parametrize(
    ("hours", "facts", "claimed"),
    [
        (12, {"days": 2, "half_days": 0}, 12),  # the whole plan (2 days × 6 hours)
        (6, {"days": 1, "half_days": 0}, 6),  # one day of two
        (9, {"days": 1, "half_days": 1}, 9),  # a day and part of the next: 6 + 3
        (2, {"days": 0, "half_days": 1}, 3),  # part of a day: 不足1天按3学时
    ],
)
def test_a_row_with_fewer_hours_is_a_claim_of_those_hours(app, setting, hours, facts, claimed):
    """Issue 22.4 (附件2 gives hours per trainee): 0 < hours ≤ the plan's is partial attendance,
    converted as anhui-2025 第十二条（十） says; more than the plan stays an error of the row."""
    user, plan, (a, b, c) = setting
    with app.test_request_context():
        summary = lists.import_list(user, plan, list_file([row(a, hours=hours)]), "list.xlsx")
        assert summary.imported and not summary.errors
        claim = db.session.scalar(sa.select(Claim))
        assert (claim.kind, claim.facts) == ("training", facts) and claim.hours == claimed


def test_a_row_of_zero_or_more_hours_than_the_plan_is_an_error(app, setting):
    user, plan, (a, b, c) = setting
    with app.test_request_context():
        content = list_file([row(a, hours=0), row(b, hours=13)])
        summary = lists.import_list(user, plan, content, "list.xlsx")
        assert [(e.row, e.message) for e in summary.errors] == [
            (6, "培训学时应大于0（未参加培训的人员不列入名单）"),
            (7, "培训学时13超过备案计划的12学时"),
        ]
        assert not summary.imported


def test_hefei_takes_the_hours_the_list_reports(app, setting, make_registered_declaration):
    from portal.declarations.models import Declaration as D

    user, plan, (a, b, c) = setting
    a.keeps_old_rules = True
    db.session.add(D(professional=a, year=plan.end_date.year, rule_set="hefei-2021"))
    db.session.commit()
    with app.test_request_context():
        lists.import_list(user, plan, list_file([row(a, hours=7)]), "list.xlsx")
        claim = db.session.scalar(sa.select(Claim))
        assert (claim.kind, claim.facts) == ("training.decided", {"decided_hours": 7})
