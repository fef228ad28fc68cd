"""Training plans (培训计划备案), qualified lists (合格人员简明情况汇总表) and courseware records."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.extensions import db
from portal.jobs.models import Job
from portal.jurisdictions.models import InJurisdiction
from portal.models_base import UTCDateTime, utcnow
from portal.units.models import Authority, Provider, Unit


class PlanState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {"pending": "待审核", "accepted": "已备案", "refused": "不予备案"}[self.value]


class PlanForm(enum.StrEnum):
    FACE = "face"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return {"face": "集中面授", "online": "网络在线"}[self.value]


class TrainingPlan(InJurisdiction, db.Model):
    """A plan filed by a provider, or by a unit or an authority for its own internal training."""

    __jurisdiction_from__ = ("unit",)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authority.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(20))  # general | professional
    series: Mapped[str] = mapped_column(sa.String(50), default="")  # 职称系列 it serves
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    days: Mapped[int]
    hours_per_day: Mapped[int]
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    form: Mapped[PlanForm] = mapped_column(sa.Enum(PlanForm, native_enum=False, length=10))
    expected_trainees: Mapped[int] = mapped_column(default=0)
    teachers: Mapped[str] = mapped_column(sa.Text, default="")
    programme_name: Mapped[str] = mapped_column(sa.String(255), default="")
    programme_stored: Mapped[str] = mapped_column(sa.String(80), default="")
    state: Mapped[PlanState] = mapped_column(
        sa.Enum(PlanState, native_enum=False, length=10), default=PlanState.PENDING, index=True
    )
    filing_no: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_on: Mapped[date] = mapped_column(sa.Date)
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")

    provider: Mapped[Provider | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    authority: Mapped[Authority | None] = relationship()
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def hours(self) -> int:
        return self.days * self.hours_per_day

    @property
    def organiser_name(self) -> str:
        for organiser in (self.provider, self.unit, self.authority):
            if organiser is not None:
                return organiser.name
        return ""

    @property
    def audit_name(self) -> str:
        return f"培训计划“{self.title}”（{self.filing_no or self.organiser_name}）"


class ListRowStatus(enum.StrEnum):
    MATCHED = "matched"  # a prepared claim was attached
    UNMATCHED = "unmatched"  # nobody on record with this ID number: stays for the bureau
    SUBMITTED = "submitted"  # the person's declaration of the year was no longer a draft
    NO_KIND = "no_kind"  # the declaration's rule set has no kind for it

    @property
    def label(self) -> str:
        return LIST_ROW_LABELS[self]


LIST_ROW_LABELS = {
    ListRowStatus.MATCHED: "已报送",
    ListRowStatus.UNMATCHED: "未匹配人员",
    ListRowStatus.SUBMITTED: "年度申报已提交，未加入",
    ListRowStatus.NO_KIND: "认定规则无此类条目，未加入",
}


class QualifiedRow(db.Model):
    """One trainee of a plan's qualified list; the (plan, ID number) pair is imported once."""

    __scoped_through__ = ("plan_id",)  # no county of its own: its parent's (scope.py)

    __table_args__ = (sa.UniqueConstraint("plan_id", "id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("training_plan.id"), index=True)
    id_number: Mapped[str] = mapped_column(sa.String(18))
    name: Mapped[str] = mapped_column(sa.String(50))
    unit_name: Mapped[str] = mapped_column(sa.String(200), default="")
    title_name: Mapped[str] = mapped_column(sa.String(50), default="")
    hours: Mapped[int]
    result: Mapped[str] = mapped_column(sa.String(20), default="")
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[ListRowStatus] = mapped_column(
        sa.Enum(ListRowStatus, native_enum=False, length=12)
    )
    professional_id: Mapped[int | None] = mapped_column(sa.ForeignKey("professional.id"))
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claim.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    plan: Mapped[TrainingPlan] = relationship()


class CoursewareRecord(InJurisdiction, db.Model):
    """One courseware completion (网络课件学习记录); imported once per person, course and date."""

    __table_args__ = (sa.UniqueConstraint("id_number", "course", "studied_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    id_number: Mapped[str] = mapped_column(sa.String(18))
    name: Mapped[str] = mapped_column(sa.String(50))
    course: Mapped[str] = mapped_column(sa.String(200))
    hours: Mapped[int | None]
    subject: Mapped[str] = mapped_column(sa.String(20))
    studied_on: Mapped[date] = mapped_column(sa.Date)
    score: Mapped[int | None]
    status: Mapped[ListRowStatus] = mapped_column(
        sa.Enum(ListRowStatus, native_enum=False, length=12)
    )
    professional_id: Mapped[int | None] = mapped_column(sa.ForeignKey("professional.id"))
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claim.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    provider: Mapped[Provider | None] = relationship()


class ImportKind(enum.StrEnum):
    LIST = "list"  # a plan's qualified list (附件2)
    COURSEWARE = "courseware"  # courseware completions

    @property
    def label(self) -> str:
        return {"list": "合格人员名单", "courseware": "网络课件学习记录"}[self.value]


class ProviderImport(InJurisdiction, db.Model):
    """One uploaded list or courseware file, imported by a background job. The job keeps the
    progress, the summary (row errors included) and, as its result file, the workbook of the
    rows received with their outcome; `unmatched_file` is the workbook, in the upload layout,
    of the rows that did not become prepared claims (to correct and resend)."""

    __jurisdiction_from__ = ("plan",)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(sa.Enum(ImportKind, native_enum=False, length=12))
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("job.id"), unique=True)
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_plan.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    clean_rows: Mapped[bool] = mapped_column(default=False)
    unmatched_file: Mapped[str] = mapped_column(sa.String(100), default="")  # under instance/jobs/
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    job: Mapped[Job] = relationship()
    plan: Mapped[TrainingPlan | None] = relationship()
    provider: Mapped[Provider | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def audit_name(self) -> str:
        return f"{self.kind.label}导入 #{self.id}（{self.filename}）"
