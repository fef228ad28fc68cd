"""Factories for the provider tests: a provider account, a plan, a qualified list file."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook

from portal.accounts.models import Role
from portal.extensions import db
from portal.providers.models import PlanForm, PlanState, TrainingPlan
from portal.units.models import Provider


@pytest.fixture
def make_provider_user(ctx, make_user):
    def make(name="测试继续教育基地"):
        provider = Provider(name=name, phone="62611533")
        db.session.add(provider)
        db.session.commit()
        return make_user(Role.PROVIDER, provider=provider)

    return make


@pytest.fixture
def make_plan(ctx):
    """An accepted plan that ended two days ago: 2 days × 6 hours = 12 hours."""

    def make(user, state=PlanState.ACCEPTED, **kwargs):
        end = kwargs.pop("end_date", date.today() - timedelta(days=2))
        plan = TrainingPlan(
            provider_id=user.provider_id,
            title=kwargs.pop("title", "中小学教师信息技术应用能力提升培训"),
            subject=kwargs.pop("subject", "professional"),
            start_date=kwargs.pop("start_date", end - timedelta(days=1)),
            end_date=end,
            days=kwargs.pop("days", 2),
            hours_per_day=kwargs.pop("hours_per_day", 6),
            form=PlanForm.FACE,
            state=state,
            filing_no=kwargs.pop(
                "filing_no", "BA2026-0001" if state is PlanState.ACCEPTED else None
            ),
            filed_on=end - timedelta(days=40),
            filed_by_id=user.id,
            **kwargs,
        )
        db.session.add(plan)
        db.session.commit()
        return plan

    return make


def list_file(rows, period=None, header_at=5) -> bytes:
    """A qualified list in the seed 001 附件2 layout; rows are (name, unit, id, title, hours,
    result) tuples; the header is on row `header_at` (data from the next row)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["继续教育合格人员简明情况汇总表"])
    sheet.append(["填报单位：测试继续教育基地"])
    sheet.append(["填表时间：  月  日"])
    sheet.append(["培训主题", "测试", "", "", "培训时间", period or ""])
    sheet.append(
        [
            "序 号",
            "姓 名",
            "单 位",
            "身 份 证 号 码",
            "技 术 职 称",
            "培 训 学 时",
            "考 试 结 果",
            "备 注",
        ]
    )
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row, ""])
    sheet.append(["联系人：", "", "", "联系电话："])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
