"""The provider list pages run a fixed number of queries whatever the number of rows: the
filings (the bureau's and an authority's), a plan's imports, the courseware imports."""

from datetime import date, timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.extensions import db
from portal.jobs.models import Job, JobState
from portal.providers.models import ImportKind, PlanForm, PlanState, ProviderImport, TrainingPlan
from portal.settings import set_setting
from portal.units.models import Authority, TitleSeries
from tests.perf.test_query_counts import FEW, MANY, queries


def add_plans(provider_user, n, series="教师"):
    start = date.today() + timedelta(days=60)
    for i in range(n):
        db.session.add(
            TrainingPlan(
                provider_id=provider_user.provider_id, title=f"培训{i}", subject="professional",
                series=series, start_date=start + timedelta(days=i), end_date=start + timedelta(days=i),
                days=1, hours_per_day=6, form=PlanForm.FACE, state=PlanState.PENDING,
                filed_on=date.today(), filed_by_id=provider_user.id,
            )
        )  # fmt: skip
    db.session.commit()


def add_imports(user, n, plan=None):
    for i in range(n):
        job = Job(
            kind="providers.import_list", title=f"导入{i}", state=JobState.DONE,
            created_by_id=user.id, message="已导入",
        )  # fmt: skip
        db.session.add(job)
        db.session.flush()
        db.session.add(
            ProviderImport(
                kind=ImportKind.LIST if plan else ImportKind.COURSEWARE, job_id=job.id,
                plan_id=getattr(plan, "id", None), provider_id=user.provider_id,
                filename=f"名单{i}.xlsx", created_by_id=user.id,
            )
        )  # fmt: skip
    db.session.commit()


def test_filings_queries_do_not_grow(app, client, auth, make_user, make_provider_user):
    provider = make_provider_user()
    officer = make_user(Role.BUREAU_OFFICER)
    authority = make_user(Role.AUTHORITY_OFFICER, authority=Authority(name="市教体局"))
    db.session.add(TitleSeries(name="教师", authority=authority.authority))
    with app.test_request_context():
        set_setting("PLAN_DECIDED_BY", "authority")
    db.session.commit()
    counts = {}
    for n in (FEW, MANY):
        add_plans(provider, n if n == FEW else MANY - FEW)
        for user in (officer, authority):
            auth.login(user)
            counts[(user.role, n)] = queries(app, client, "/providers/filings?state=all")
            auth.logout()
    assert counts[(Role.BUREAU_OFFICER, FEW)] == counts[(Role.BUREAU_OFFICER, MANY)]
    assert counts[(Role.AUTHORITY_OFFICER, FEW)] == counts[(Role.AUTHORITY_OFFICER, MANY)]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TrainingPlan.id))) == MANY


def test_import_lists_queries_do_not_grow(app, client, auth, make_provider_user, make_plan):
    provider = make_provider_user()
    plan = make_plan(provider)
    auth.login(provider)
    counts = []
    for n in (3, 17):  # 3, then 20: the pages show the last 20
        add_imports(provider, n, plan)
        add_imports(provider, n)
        counts.append(
            (
                queries(app, client, f"/providers/plans/{plan.id}"),
                queries(app, client, "/providers/courseware"),
            )
        )
    assert counts[0] == counts[1]
    page = client.get("/providers/courseware").text
    assert "名单16.xlsx" in page and "（最近20次）" in page


def test_unmatched_pages_are_paged_and_do_not_grow(
    app, client, auth, make_user, make_provider_user
):
    """The bureau's 未匹配人员: one page of 50 at a time, of the lists or of the courseware
    records, in a fixed number of queries."""
    from portal.providers.models import CoursewareRecord, ListRowStatus, QualifiedRow

    provider = make_provider_user()
    add_plans(provider, 1)
    plan = db.session.scalar(sa.select(TrainingPlan))
    auth.login(make_user(Role.BUREAU_OFFICER))

    def add(n, start):
        for i in range(start, start + n):
            db.session.add(
                QualifiedRow(
                    plan_id=plan.id, id_number=f"X{i:017d}", name=f"名单{i}", hours=6,
                    status=ListRowStatus.UNMATCHED,
                )
            )  # fmt: skip
            db.session.add(
                CoursewareRecord(
                    provider_id=provider.provider_id, id_number=f"Y{i:017d}", name=f"课件{i}",
                    course="课程", hours=1, subject="professional", studied_on=date(2025, 5, 1),
                    status=ListRowStatus.UNMATCHED,
                )
            )  # fmt: skip
        db.session.commit()

    add(FEW, 0)
    few = [queries(app, client, f"/providers/unmatched?kind={k}") for k in ("list", "courseware")]
    add(MANY, FEW)
    many = [queries(app, client, f"/providers/unmatched?kind={k}") for k in ("list", "courseware")]
    assert few == many
    first = client.get("/providers/unmatched").text
    assert "名单0<" in first and "名单49<" in first and "名单50<" not in first
    assert "课件0<" not in first and "下一页" in first
    second = client.get("/providers/unmatched?kind=courseware&page=2").text
    assert "课件50<" in second and "课件49<" not in second and "上一页" in second
