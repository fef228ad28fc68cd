"""Declarations (年度学时申报), their claims and evidence files."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import rules
from portal.accounts.models import Professional, User
from portal.extensions import db
from portal.jurisdictions.models import InJurisdiction
from portal.models_base import UTCDateTime, utcnow
from portal.units.models import Authority, FirstReview, Unit


class DeclarationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_EVIDENCE = "needs_evidence"  # reviewer asked for more evidence; only files may be added
    # Two-step review: the first step passed the professional claims; the bureau's turn.
    PROFESSIONAL_CHECKED = "professional_checked"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLICISED = "publicised"
    REGISTERED = "registered"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return DECLARATION_STATUS_LABELS[self]

    @property
    def locked(self) -> bool:
        """After submission claims never change (004 第二十一条 3)."""
        return self is not DeclarationStatus.DRAFT


DECLARATION_STATUS_LABELS = {
    DeclarationStatus.DRAFT: "草稿",
    DeclarationStatus.SUBMITTED: "待核验",
    DeclarationStatus.NEEDS_EVIDENCE: "待补充材料",
    DeclarationStatus.PROFESSIONAL_CHECKED: "专业科目已核验，待人社局核验",
    DeclarationStatus.APPROVED: "核验通过",
    DeclarationStatus.REJECTED: "核验未通过",
    DeclarationStatus.PUBLICISED: "公示中",
    DeclarationStatus.REGISTERED: "已登记",
    DeclarationStatus.REVOKED: "已撤销",
}


def status_label_of(status: DeclarationStatus, second_step_city: bool) -> str:
    """The state in words, naming the city when the second step is the city's (003 五(二))."""
    if status is DeclarationStatus.PROFESSIONAL_CHECKED and second_step_city:
        return status.label.replace("待人社局", "待市人社局")
    return status.label


class ReviewingBody(enum.StrEnum):
    """Who reviews a declaration (004 第十四条): the person's unit, or the bureau."""

    UNIT = "unit"
    BUREAU = "bureau"

    @property
    def label(self) -> str:
        return {"unit": "用人单位", "bureau": "县人社局"}[self.value]


class DeclarationSource(enum.StrEnum):
    """Where a year comes from: declared in the portal, entered from the paper 继续教育证书
    of a year before the portal (registered hours and a scan), or imported from the exchange
    file of another county where it was registered (`source_county` names it)."""

    PORTAL = "portal"
    PAPER = "paper"
    ELSEWHERE = "elsewhere"

    @property
    def label(self) -> str:
        return {"portal": "网上申报", "paper": "纸质证书录入", "elsewhere": "外县（市）登记"}[
            self.value
        ]


class Declaration(InJurisdiction, db.Model):
    __jurisdiction_from__ = ("professional",)

    __table_args__ = (
        sa.UniqueConstraint("professional_id", "year"),
        # A batch's records counted within the county scope (board.service.batches) from the
        # index alone: with batch_id only, PostgreSQL read each record's row for its county
        # (16 batches of 2,000: 8.6 ms; from this index 2.6 ms).
        sa.Index("ix_declaration_batch_county", "batch_id", "jurisdiction_code"),
        # The queues take the declarations in review by state; with the county next to it a
        # county's are read without the other counties' (the city on PostgreSQL: 500 rows
        # instead of 4,000 filtered, and no bitmap of the county's 37,500).
        sa.Index("ix_declaration_status_county", "status", "jurisdiction_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), index=True)
    year: Mapped[int]
    rule_set: Mapped[str] = mapped_column(sa.String(30))
    # Paper years: `reviewer` is who entered them, `reviewing_body` the bureau or the unit.
    source: Mapped[DeclarationSource] = mapped_column(
        sa.Enum(DeclarationSource, native_enum=False, length=10), default=DeclarationSource.PORTAL
    )
    # A year registered elsewhere: the registering county (bureau) as its exchange file named it.
    source_county: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    status: Mapped[DeclarationStatus] = mapped_column(
        sa.Enum(DeclarationStatus, native_enum=False, length=20),
        default=DeclarationStatus.DRAFT,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Recorded at submission, so that a later move changes neither reports nor rights.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    reviewing_body: Mapped[ReviewingBody | None] = mapped_column(
        sa.Enum(ReviewingBody, native_enum=False, length=10)
    )
    # Two-step review (fixed at submission; None: one step): who checks the professional
    # claims first (the authority below, or the person's reviewer), and who passed them.
    first_step: Mapped[FirstReview | None] = mapped_column(
        sa.Enum(FirstReview, native_enum=False, length=10)
    )
    first_step_authority_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("authority.id"), index=True
    )
    # Two steps, the person holding a 副高 or 正高 title in the year (fixed at submission): the
    # second step (公需 and total) is the city bureau's (seed 003 五(二)).
    second_step_city: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    first_reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    first_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_review_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Review outcome (in two steps: the bureau's second step)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    review_note: Mapped[str] = mapped_column(sa.Text, default="")
    # Hours as approved (set by review; what publicity shows and registration records)
    general_hours: Mapped[int | None]
    professional_hours: Mapped[int | None]
    total_hours: Mapped[int | None]
    compliant: Mapped[bool | None]
    # Publicity and registration
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_batch.id"))
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_on: Mapped[date | None] = mapped_column(sa.Date)
    # Paper years (据纸质证书登记): the booklet's own registering body and date; for a year the
    # portal could have reviewed, the bureau's written reason for entering it from paper.
    paper_registrar: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    paper_registered_on: Mapped[date | None] = mapped_column(sa.Date)
    paper_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    professional: Mapped[Professional] = relationship()
    unit: Mapped[Unit | None] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    first_step_authority: Mapped[Authority | None] = relationship()
    first_reviewer: Mapped[User | None] = relationship(foreign_keys=[first_reviewer_id])
    claims: Mapped[list["Claim"]] = relationship(
        back_populates="declaration", order_by="Claim.position", cascade="all, delete-orphan"
    )

    def keep_counted(self, year: rules.YearResult) -> None:
        """Store each claim's part of the approved figures `year` (evaluated on these claims,
        keyed by claim id): the statistics by content and form add them up."""
        shares = year.shares()
        for claim in self.claims:
            claim.counted_general, claim.counted_professional = shares.get(str(claim.id), (0, 0))

    @property
    def two_step(self) -> bool:
        return self.first_step is not None

    @property
    def status_label(self) -> str:
        return status_label_of(self.status, self.second_step_city)

    @property
    def second_step_label(self) -> str:
        """Who checks the general claims and the total in two steps."""
        return "市人社局" if self.second_step_city else "县人社局"

    @property
    def first_step_label(self) -> str:
        """Who checks the professional claims first: the authority's name, the unit or the
        bureau."""
        if self.first_step is FirstReview.AUTHORITY and self.first_step_authority is not None:
            return self.first_step_authority.name
        if self.reviewing_body is ReviewingBody.BUREAU:
            return ReviewingBody.BUREAU.label
        return ReviewingBody.UNIT.label

    @property
    def audit_name(self) -> str:
        return f"{self.professional.name} {self.year}年度申报"

    def __repr__(self) -> str:
        return f"<Declaration {self.id} {self.year} {self.status}>"


class ClaimDecision(enum.StrEnum):
    ACCEPTED = "accepted"
    REDUCED = "reduced"  # accepted with fewer hours, reason required
    REFUSED = "refused"  # reason required

    @property
    def label(self) -> str:
        return {"accepted": "认定", "reduced": "核减认定", "refused": "不予认定"}[self.value]


CLAIM_SOURCES = {
    "qualified_list": "由施教机构报送",
    "courseware": "由网络学习平台报送",
}


class Claim(db.Model):
    """申报条目: one activity or achievement; facts feed the rules engine."""

    __scoped_through__ = ("declaration_id",)  # no county of its own: its parent's (scope.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(sa.ForeignKey("declaration.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)  # order entered; highest-only ties
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(20))  # general | professional
    facts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Identifying details for the reviewer: title, date, issuer, certificate_no, patent_no,
    # journal, issn, cn, doi, plan_no, isbn
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Identity of the work for the "counts once" rule, normalised (e.g. "patent_no:CN2023...")
    identity: Mapped[str | None] = mapped_column(sa.String(300), index=True)
    # The work's normalised title (papers and books, e.g. "paper|title:..."): the same work
    # published in two places (第十二条（四）"只得折算一次") has two identities but one title.
    title_key: Mapped[str | None] = mapped_column(sa.String(300), index=True)
    hours: Mapped[int] = mapped_column(default=0)  # by the table, as last evaluated
    full_year: Mapped[bool] = mapped_column(default=False)
    clause: Mapped[str] = mapped_column(sa.String(60), default="")
    # 就高认定项: the conversion claim the professional chose to count under highest-only
    # (第二十一条4); at most one per declaration (the service clears the others).
    elected: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A prepared claim (报送条目): "" when the person entered it, else where it came from
    # (CLAIM_SOURCES); its facts and subject are locked, the person may keep or drop it.
    source: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_plan.id"), index=True)
    # Review, item by item
    decision: Mapped[ClaimDecision | None] = mapped_column(
        sa.Enum(ClaimDecision, native_enum=False, length=20)
    )
    accepted_hours: Mapped[int | None]
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # An unfiled training the reviewer accepted as filed outside the county (a FILED_ELSEWHERE
    # key of portal.providers.service; the why is in decision_reason).
    filed_elsewhere: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    # The hours this claim counted for in the declaration's approved totals, per subject (after
    # the reviewer's decision, the yearly caps and highest-only; rules.YearResult.shares):
    # written at approval, None before. The statistics by content and form add them up.
    counted_general: Mapped[int | None]
    counted_professional: Mapped[int | None]

    declaration: Mapped[Declaration] = relationship(back_populates="claims")
    evidence: Mapped[list["Evidence"]] = relationship(
        back_populates="claim", order_by="Evidence.id", cascade="all, delete-orphan"
    )

    def rule_claim(
        self,
        *,
        counted_elsewhere: bool = False,
        decided: bool = False,
        unfiled: bool = False,
        internal: bool = False,
    ) -> rules.Claim:
        """This claim as the rules engine takes it (the one conversion from a stored claim).

        decided: with the reviewer's bound (refused 0, reduced to the accepted hours), so the
        engine applies highest-only and the caps to what was accepted. unfiled, internal: see
        `portal.providers.service.training_marks`."""
        bound = None
        if decided and self.decision is ClaimDecision.REFUSED:
            bound = 0
        elif decided and self.decision is ClaimDecision.REDUCED:
            bound = self.accepted_hours
        return rules.Claim(
            kind=self.kind,
            facts=dict(self.facts or {}),
            subject=self.subject,
            key=str(self.id),
            duplicate=counted_elsewhere,
            details={k: str(v) for k, v in (self.details or {}).items() if v},
            elected=bool(self.elected),
            accepted_hours=bound,
            unfiled=unfiled,
            internal=internal,
        )

    @property
    def prepared(self) -> bool:
        """A prepared claim (报送条目): created from a qualified list or courseware record."""
        return bool(self.source)

    @property
    def source_label(self) -> str:
        return CLAIM_SOURCES.get(self.source, "")

    @property
    def kind_label(self) -> str:
        """The kind's name in the declaration's rule set (the code if the set no longer has it)."""
        from portal import rules

        try:
            return rules.get_rule_set(self.declaration.rule_set).kind(self.kind).label
        except rules.RuleError:
            return self.kind

    @property
    def audit_name(self) -> str:
        """王晓梅 2025年度申报 第3项（培训）, numbered as the declaration page shows it."""
        claims = self.declaration.claims
        number = claims.index(self) + 1 if self in claims else self.position
        return f"{self.declaration.audit_name} 第{number}项（{self.kind_label}）"


class Evidence(db.Model):
    """证明材料: a proof file stored under instance/ with a generated name."""

    __scoped_through__ = ("claim_id",)  # no county of its own: its parent's (scope.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claim.id"), index=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))  # kept for display (Chinese allowed)
    # Not unique: the claims a counted claim was split into (migration 0006) link one file.
    stored_name: Mapped[str] = mapped_column(sa.String(80), index=True)
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    after_submission: Mapped[bool] = mapped_column(default=False)

    claim: Mapped[Claim] = relationship(back_populates="evidence")

    @property
    def audit_name(self) -> str:
        return f"{self.claim.declaration.audit_name} 证明材料“{self.original_name}”"


class LateYear(db.Model):
    """补登记: a past year the bureau opened for one person, who then declares it through the
    normal path under that year's rule set."""

    __scoped_through__ = ("professional_id",)  # no county of its own: its parent's (scope.py)

    __table_args__ = (sa.UniqueConstraint("professional_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), index=True)
    year: Mapped[int]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    professional: Mapped[Professional] = relationship()
    opened_by: Mapped[User] = relationship()

    @property
    def audit_name(self) -> str:
        return f"{self.professional.name} {self.year}年度补登记"
