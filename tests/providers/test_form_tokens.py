"""One-time form tokens on the provider's create forms (plan filing, qualified list, courseware
records): sent twice with the same token, filed or imported once, the repeat answered as the first."""

import io
from datetime import date

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.providers.models import CoursewareRecord, QualifiedRow, TrainingPlan
from tests.conftest import PASSWORD
from tests.declarations.test_form_tokens import count, token_in
from tests.providers.conftest import list_file


@pytest.fixture
def provider(client, ctx, make_provider_user):
    user = make_provider_user()
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    return user


def test_a_plan_filed_twice_is_one_plan(client, provider):
    start = date(date.today().year + 1, 6, 1)
    data = {
        "title": "专业科目培训",
        "subject": "professional",
        "series": "教师",
        "start_date": start.isoformat(),
        "end_date": start.isoformat(),
        "days": "1",
        "hours_per_day": "6",
        "form": "face",
        "expected_trainees": "30",
        "form_token": token_in(client.get("/providers/plans/new")),
    }
    first = client.post("/providers/plans/new", data=data)
    again = client.post("/providers/plans/new", data=data)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert count(TrainingPlan) == 1


def test_a_list_uploaded_twice_is_imported_once(client, provider, make_plan, make_professional):
    plan = make_plan(provider)
    person = make_professional()
    content = list_file([(person.name, "某单位", person.id_number, "一级教师", 12, "合格")])
    token = token_in(client.get(f"/providers/plans/{plan.id}"))

    def send():
        return client.post(
            f"/providers/plans/{plan.id}/list",
            data={"file": (io.BytesIO(content), "list.xlsx"), "form_token": token},
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert count(QualifiedRow) == 1
    imports = sa.select(sa.func.count()).where(AuditEvent.action == "list.imported")
    assert db.session.scalar(imports) == 1


def test_courseware_uploaded_twice_answers_the_same_page(client, provider, make_professional):
    from openpyxl import Workbook

    person = make_professional()
    book = Workbook()
    book.active.append(
        ["身份证号码", "姓名", "课程名称", "标定学时", "科目", "学习日期", "考试成绩"]
    )
    book.active.append([person.id_number, person.name, "课程", 2, "专业科目", date.today(), 90])
    out = io.BytesIO()
    book.save(out)
    token = token_in(client.get("/providers/courseware"))

    def send():
        return client.post(
            "/providers/courseware",
            data={"file": (io.BytesIO(out.getvalue()), "records.xlsx"), "form_token": token},
        )

    first, again = send(), send()
    # The upload is queued as an import job; both answers lead to the same import page.
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert "报送1条" in client.get(first.headers["Location"]).text
    assert count(CoursewareRecord) == 1
    imports = sa.select(sa.func.count()).where(AuditEvent.action == "courseware.imported")
    assert db.session.scalar(imports) == 1
