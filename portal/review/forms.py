from flask_wtf import FlaskForm
from wtforms import RadioField, SearchField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.declarations.models import ClaimDecision, DeclarationStatus
from portal.fields import Integer, Select
from portal.providers.service import FILED_ELSEWHERE
from portal.settings import get_setting


class ReviewFilterForm(FlaskForm):
    """The queue's filters (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    year = Integer("年度", validators=[Optional(), NumberRange(2000, 2100, "年度无效")])
    status = Select(
        "状态",
        choices=[
            ("", "全部待核验"),
            (DeclarationStatus.SUBMITTED.value, DeclarationStatus.SUBMITTED.label),
            (DeclarationStatus.NEEDS_EVIDENCE.value, DeclarationStatus.NEEDS_EVIDENCE.label),
            (
                DeclarationStatus.PROFESSIONAL_CHECKED.value,
                DeclarationStatus.PROFESSIONAL_CHECKED.label,
            ),
        ],
        validators=[Optional()],
    )
    q = SearchField("姓名", validators=[Optional(), Length(max=50)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not get_setting("TWO_STEP_REVIEW"):  # the second step's state only in two steps
            self.status.choices = [
                c for c in self.status.choices if c[0] != DeclarationStatus.PROFESSIONAL_CHECKED
            ]


class ClaimDecisionForm(FlaskForm):
    """One claim's decision; `claimed` (the table hours) bounds a reduction."""

    decision = RadioField(
        "认定结果",
        choices=[(d.value, d.label) for d in ClaimDecision],
        validators=[DataRequired("请选择认定结果")],
    )
    accepted_hours = Integer(
        "核减后学时", validators=[Optional()], render_kw={"min": 0, "inputmode": "numeric"}
    )
    reason = TextAreaField("理由", validators=[Length(max=500, message="理由不超过500字")])
    filed_elsewhere = Select(
        "县外备案来源",
        choices=[("", "（不是县外备案的培训）"), *FILED_ELSEWHERE.items()],
        validators=[Optional()],
        description="未经本县备案的专业科目培训，仅在国家级、省级基地或外省备案时可认定，并须在理由中写明依据",
    )

    def __init__(self, *args, claimed: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.claimed = claimed

    def validate_accepted_hours(self, field):
        if self.decision.data != ClaimDecision.REDUCED.value:
            return
        if field.data is None:
            raise ValidationError("请填写核减后认定的学时")
        if not 0 <= field.data < self.claimed:
            raise ValidationError(f"核减后学时应不少于0且少于申报的{self.claimed}学时")

    def validate_reason(self, field):
        needs_reason = (ClaimDecision.REDUCED.value, ClaimDecision.REFUSED.value)
        if self.decision.data in needs_reason and not (field.data or "").strip():
            raise ValidationError("核减或不予认定须填写理由")


class ApproveForm(FlaskForm):
    note = TextAreaField("核验意见（可选）", validators=[Length(max=500)])


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "不予通过理由",
        validators=[DataRequired("请填写不予通过的理由"), Length(max=500)],
        description="例如：证明材料弄虚作假（第十四条、第二十条）",
    )


class EvidenceRequestForm(FlaskForm):
    note = TextAreaField(
        "需补充的材料",
        validators=[DataRequired("请写明需要补充哪些证明材料"), Length(max=500)],
    )


class ConfirmPersonForm(FlaskForm):
    """The confirm button: nothing to fill in but the CSRF token."""


class RefusePersonForm(FlaskForm):
    reason = TextAreaField(
        "不予确认理由", validators=[DataRequired("请填写不予确认的理由"), Length(max=200)]
    )
