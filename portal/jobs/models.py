"""A job's row: who asked, what for, how far it got, and where its result file is."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.jurisdictions.models import InJurisdiction
from portal.models_base import UTCDateTime, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}[
            self.value
        ]

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED)


class Job(InJurisdiction, db.Model):
    __jurisdiction_from__ = ("created_by",)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)  # e.g. certificates.bulk_print
    title: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[JobState] = mapped_column(
        sa.Enum(JobState, native_enum=False, length=20), default=JobState.QUEUED
    )
    # None for a periodic run: the system asked.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(500), default="")  # what it did, or the error
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result_file: Mapped[str] = mapped_column(sa.String(100), default="")  # under instance/jobs/
    result_name: Mapped[str] = mapped_column(sa.String(200), default="")  # download file name
    # The consumer process running it ("host:pid:start"), so that a consumer starting later can
    # tell a job whose consumer died (portal.jobs.service.sweep).
    worker: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped["User | None"] = relationship()  # noqa: F821 (accounts imports jobs)

    @property
    def percent(self) -> int:
        if self.state is JobState.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def audit_name(self) -> str:
        return f"后台任务 #{self.id}（{self.title}）"

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"
