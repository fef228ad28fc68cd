"""Every kind's generated form, of both rule sets: valid input saves the engine's hours; invalid
input answers 422 with the Chinese message beside the field and saves nothing."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from stdnum import ean
from werkzeug.datastructures import MultiDict

from portal import rules
from portal.clock import travel
from portal.declarations import forms
from portal.declarations.models import Claim
from portal.extensions import db
from tests.declarations.conftest import YEAR

KINDS = [
    pytest.param(rule_set_id, kind_id, id=f"{rule_set_id}:{kind_id}")
    for rule_set_id in rules.rule_set_ids()
    for kind_id in rules.get_rule_set(rule_set_id).kinds
]
VALID_ISBN = "978711154742" + ean.calc_check_digit("978711154742")
DETAILS = {
    "title": "测试成果名称",
    "date": f"{YEAR}-01-01",
    "issuer": "示范县人社局",
    "certificate_no": "ZS-2026-0001",
    "patent_no": "ZL 2023 1 0123456.7",
    "journal": "中国教育学刊",
    "issn": "0317-8471",
    "cn": "11-2606/G4",
    "doi": "10.1000/xyz123",
    "plan_no": "BA-2026-01",
    "isbn": VALID_ISBN,
}


def valid_facts(kind: rules.KindSpec) -> dict:
    facts = {}
    for spec in kind.facts:
        if spec.type == "int":
            value = YEAR if spec.name == "year" else max(spec.min or 0, 1)
            facts[spec.name] = value
        elif spec.type == "choice":
            facts[spec.name] = spec.choices[0][0]
        else:
            facts[spec.name] = True
    return facts


def form_data(kind: rules.KindSpec, facts: dict) -> dict:
    data = {k: ("y" if v is True else str(v)) for k, v in facts.items()}
    data.update({name: DETAILS[name] for name in kind.details})
    if kind.subject is None:
        data["subject"] = "professional"
    return data


def _open(client, rule_set_id):
    response = client.post("/declarations/open", data={"year": YEAR, "rule_set": rule_set_id})
    assert response.status_code == 303


def _claims(app):
    with app.app_context():
        return db.session.scalars(sa.select(Claim)).all()


@pytest.mark.parametrize(("rule_set_id", "kind_id"), KINDS)
def test_valid_input_saves_the_engines_hours(logged_in, app, rule_set_id, kind_id):
    _open(logged_in, rule_set_id)
    rule_set = rules.get_rule_set(rule_set_id)
    kind = rule_set.kinds[kind_id]
    page = logged_in.get(f"/declarations/{YEAR}/claims/new?kind={kind_id}")
    assert page.status_code == 200
    for spec in kind.facts:
        assert spec.label in page.text
    facts = valid_facts(kind)
    expected = rules.evaluate_claim(
        rule_set, rules.Claim(kind_id, facts, kind.subject or "professional"), year=YEAR
    )
    response = logged_in.post(
        f"/declarations/{YEAR}/claims/new?kind={kind_id}", data=form_data(kind, facts)
    )
    assert response.status_code == 303, re.findall(r'class="error"[^>]*>([^<]+)', response.text)
    [claim] = _claims(app)
    assert (claim.kind, claim.hours, claim.clause) == (kind_id, expected.hours, kind.clause)
    assert claim.details["title"] == "测试成果名称"
    page = logged_in.get(f"/declarations/{YEAR}")
    assert kind.label in page.text


def _invalid(kind: rules.KindSpec) -> tuple[str, str, str]:
    """(field, bad value, expected Chinese message) for one kind."""
    for spec in kind.facts:
        if spec.type == "int" and spec.min is not None:
            bad = spec.min - 1
            message = (
                f"应在{spec.min}到{spec.max}之间" if spec.max is not None else f"不能小于{spec.min}"
            )
            return spec.name, str(bad), message
    for spec in kind.facts:
        if spec.type == "choice" and spec.required:
            return spec.name, "", f"请选择“{spec.label}”"
    return "title", "", "请填写“名称（题目）”"


@pytest.mark.parametrize(("rule_set_id", "kind_id"), KINDS)
def test_invalid_input_is_refused_beside_the_field(logged_in, app, rule_set_id, kind_id):
    _open(logged_in, rule_set_id)
    kind = rules.get_rule_set(rule_set_id).kinds[kind_id]
    name, bad, message = _invalid(kind)
    data = form_data(kind, valid_facts(kind))
    data[name] = bad
    response = logged_in.post(f"/declarations/{YEAR}/claims/new?kind={kind_id}", data=data)
    assert response.status_code == 422
    # The message sits in the field's own block, right after its input.
    block = re.search(
        rf'<div class="field[^"]*has-error">(?:(?!<div class="field).)*?name="{name}".*?</div>',
        response.text,
        re.S,
    )
    assert block is not None and message in block.group(0)
    assert _claims(app) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("issn", "0317-8472", "ISSN 无效"),
        ("doi", "doi-without-prefix", "DOI 格式应为"),
        ("cn", "CN1234", "国内统一刊号格式"),
        ("date", f"{YEAR - 1}-12-31", f"应为{YEAR}年度内的日期"),
        ("date", f"{YEAR + 1}-01-01", "日期不能晚于今天"),
        ("date", "2026-13-01", "日期格式应为"),
        ("title", "", "请填写“名称（题目）”"),
        ("authorship", "gold", "不存在的取值"),
    ],
)
def test_detail_formats_of_a_paper(logged_in, app, field, value, message):
    _open(logged_in, "anhui-2025")
    kind = rules.get_rule_set("anhui-2025").kinds["paper.journal"]
    data = form_data(kind, valid_facts(kind))
    data[field] = value
    response = logged_in.post(f"/declarations/{YEAR}/claims/new?kind=paper.journal", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert _claims(app) == []


def test_isbn_and_patent_formats(logged_in, app):
    _open(logged_in, "anhui-2025")
    book = rules.get_rule_set("anhui-2025").kinds["book"]
    data = form_data(book, valid_facts(book))
    data["isbn"] = VALID_ISBN[:-1] + str((int(VALID_ISBN[-1]) + 1) % 10)
    response = logged_in.post(f"/declarations/{YEAR}/claims/new?kind=book", data=data)
    assert response.status_code == 422 and "ISBN 无效" in response.text
    patent = rules.get_rule_set("anhui-2025").kinds["patent.utility"]
    data = form_data(patent, valid_facts(patent))
    data["patent_no"] = "12345"
    response = logged_in.post(f"/declarations/{YEAR}/claims/new?kind=patent.utility", data=data)
    assert response.status_code == 422 and "专利号格式" in response.text
    assert _claims(app) == []


def test_patent_number_and_issn_are_stored_normalised(logged_in, app):
    _open(logged_in, "anhui-2025")
    kind = rules.get_rule_set("anhui-2025").kinds["patent.invention"]
    data = form_data(kind, {"rank": 2})
    data["patent_no"] = "zl 2023 1 0123456.7"
    assert (
        logged_in.post(f"/declarations/{YEAR}/claims/new?kind=patent.invention", data=data)
    ).status_code == 303
    [claim] = _claims(app)
    assert claim.details["patent_no"] == "ZL202310123456.7"
    assert claim.identity == "patent|patent_no:zl2023101234567"
    assert claim.hours == 47


def test_edit_claim_keeps_kind_and_reevaluates(logged_in, app):
    _open(logged_in, "anhui-2025")
    kind = rules.get_rule_set("anhui-2025").kinds["training"]
    logged_in.post(
        f"/declarations/{YEAR}/claims/new?kind=training", data=form_data(kind, {"days": 2})
    )
    [claim] = _claims(app)
    page = logged_in.get(f"/declarations/{YEAR}/claims/{claim.id}")
    assert page.status_code == 200 and 'value="2"' in page.text and "12" in page.text
    data = form_data(kind, {"days": 5, "half_days": 1})
    response = logged_in.post(f"/declarations/{YEAR}/claims/{claim.id}", data=data)
    assert response.status_code == 303
    [claim] = _claims(app)
    assert (claim.hours, claim.facts["days"]) == (33, 5)


def test_preview_returns_the_fragment_with_the_hours(logged_in):
    _open(logged_in, "anhui-2025")
    headers = {"HX-Request": "true"}
    response = logged_in.post(
        f"/declarations/{YEAR}/claims/preview?kind=training",
        data={"days": "3", "half_days": "1", "subject": "professional"},
        headers=headers,
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "21" in response.text and "学时" in response.text and "第十二条（十）" in response.text
    assert 'id="live-error-days"' in response.text and 'hx-swap-oob="true"' in response.text
    bad = logged_in.post(
        f"/declarations/{YEAR}/claims/preview?kind=award.provincial",
        data={"grade": "second", "rank": "0"},
        headers=headers,
    )
    assert bad.status_code == 200
    error = re.search(r'id="live-error-rank"[^>]*>([^<]*)<', bad.text)
    assert error and "不能小于1" in error.group(1)
    unknown = logged_in.post(f"/declarations/{YEAR}/claims/preview?kind=nope", headers=headers)
    assert unknown.status_code == 400


def test_preview_saves_nothing(logged_in, app):
    _open(logged_in, "anhui-2025")
    logged_in.post(f"/declarations/{YEAR}/claims/preview?kind=lecture", data={})
    assert _claims(app) == []


def _project(**overrides):
    data = {
        "level": "city",
        "role": "host",
        "subject": "professional",
        "title": "县域课题",
        "date": f"{YEAR}-01-01",
        "issuer": "示范县科技局",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_project_completed_is_a_required_yes_no_choice(logged_in, app):
    logged_in.post("/declarations/open", data={"year": YEAR})
    page = logged_in.get(f"/declarations/{YEAR}/claims/new?kind=project").text
    assert 'type="radio"' in page and 'name="completed"' in page and "checked" not in page
    response = logged_in.post(f"/declarations/{YEAR}/claims/new?kind=project", data=_project())
    assert response.status_code == 422
    assert "请选择“是否已结项”" in response.text
    response = logged_in.post(
        f"/declarations/{YEAR}/claims/new?kind=project", data=_project(completed="false")
    )
    assert response.status_code == 303
    with app.app_context():
        claim = db.session.scalars(sa.select(Claim)).one()
        assert claim.facts["completed"] is False and claim.hours == 0
    page = logged_in.get(f"/declarations/{YEAR}/claims/{claim.id}").text
    assert re.search(r"<input checked[^>]*value=\"false\"", page)


def test_courseware_offers_an_optional_score_and_no_minutes(logged_in, app):
    logged_in.post("/declarations/open", data={"year": YEAR})
    page = logged_in.get(f"/declarations/{YEAR}/claims/new?kind=courseware").text
    assert "考试成绩" in page and "分钟" not in page
    data = {"subject": "general", "title": "公需课", "date": f"{YEAR}-01-01", "score": "59"}
    response = logged_in.post(f"/declarations/{YEAR}/claims/new?kind=courseware", data=data)
    assert response.status_code == 303
    with app.app_context():
        claim = db.session.scalars(sa.select(Claim)).one()
        assert claim.facts == {"hours": None, "score": 59} and claim.hours == 0


def _frozen():
    return travel(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("day", "ok"),
    [("2025-01-01", True), ("2026-05-31", True), ("2026-06-01", False), ("2024-12-31", False)],
)
def test_2025_courseware_may_be_dated_up_to_2026_05_31(app, day, ok):
    form_class = forms.claim_form_class("anhui-2025", "courseware", 2025)
    assert "截至2026年5月31日" in form_class.date.kwargs["description"]
    with app.test_request_context(), _frozen():
        form = form_class(
            formdata=MultiDict({"subject": "general", "title": "公需课", "date": day}),
            meta={"csrf": False},
        )
        assert form.validate() is ok, form.errors
    if not ok:
        assert "应在2025年1月1日至2026年5月31日之间" in form.date.errors[0]


def test_other_kinds_stay_in_the_declaration_year(app):
    form_class = forms.claim_form_class("anhui-2025", "training", 2025)
    assert not form_class.date.kwargs.get("description")
    with app.test_request_context(), _frozen():
        form = form_class(
            formdata=MultiDict(
                {
                    "days": "1",
                    "subject": "general",
                    "title": "培训",
                    "date": "2026-01-02",
                    "issuer": "县局",
                }
            ),
            meta={"csrf": False},
        )
        assert not form.validate()
        assert "应为2025年度内的日期" in form.date.errors[0]


def test_hefei_public_course_offers_an_optional_score(app):
    form_class = forms.claim_form_class("hefei-2021", "public_course", 2024)
    with app.test_request_context(), _frozen():
        form = form_class(
            formdata=MultiDict(
                {"courses": "1", "score": "58", "title": "公需课", "date": "2024-06-01"}
            ),
            meta={"csrf": False},
        )
        assert form.validate(), form.errors
        assert (form.result.hours, form.result.reason) == (0, "failed")
        form = form_class(
            formdata=MultiDict({"courses": "1", "title": "公需课", "date": "2024-06-01"}),
            meta={"csrf": False},
        )
        assert form.validate() and form.result.hours == 30  # no exam: no score to give
