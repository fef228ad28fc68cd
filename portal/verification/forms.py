"""Forms of the verification pages."""

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.extensions import db
from portal.fields import Integer, Select, bounded_int, strip
from portal.units.models import TITLE_LEVEL_LABELS, TitleLevel, TitleSeries
from portal.verification.models import VerificationKind
from portal.verification.service import Request

YEARS = NumberRange(2000, 2100, "年度无效")


class FindPersonForm(FlaskForm):
    """Find the person to verify by ID number (a GET form)."""

    class Meta:
        csrf = False

    id_number = SearchField(
        "身份证号码", validators=[DataRequired("请输入身份证号码"), Length(max=18)], filters=[strip]
    )


class _Years:
    application_year = Integer("申报年度", validators=[DataRequired("请输入申报年度"), YEARS])
    first_year = Integer("起始年度", validators=[DataRequired("请输入起始年度"), YEARS])
    last_year = Integer("截止年度", validators=[DataRequired("请输入截止年度"), YEARS])
    level = Select(
        "申报级别",
        choices=[(level.value, label) for level, label in TITLE_LEVEL_LABELS.items()],
        validators=[DataRequired("请选择申报级别")],
    )
    cross_major = BooleanField("所学专业与申报专业不一致（跨专业申报）")
    # Registered professional claims in the applied speciality (choices: the cycle's claims,
    # checked by the service).
    speciality = SelectMultipleField(
        "所申报专业的专业科目条目", coerce=bounded_int, validate_choice=False
    )


class VerificationForm(FlaskForm, _Years):
    """What to verify; shown with the computation, posted to issue."""

    kind = Select(
        "验证类型",
        choices=[(kind.value, kind.label) for kind in VerificationKind],
        validators=[DataRequired("请选择验证类型")],
    )
    series = Select("申报职称系列", validators=[DataRequired("请选择职称系列")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows = db.session.execute(
            sa.select(TitleSeries.id, TitleSeries.name).order_by(TitleSeries.name)
        ).all()
        self.series.choices = [(str(i), name) for i, name in rows]

    @property
    def kind_value(self) -> VerificationKind:
        return VerificationKind(self.kind.data)

    @property
    def level_value(self) -> TitleLevel:
        return TitleLevel(self.level.data)

    def to_request(self) -> Request:
        return Request(
            kind=self.kind_value,
            series=db.session.get(TitleSeries, int(self.series.data)),
            level=self.level_value,
            application_year=self.application_year.data,
            first_year=self.first_year.data,
            last_year=self.last_year.data,
            cross_major=bool(self.cross_major.data),
            speciality_claims=tuple(self.speciality.data or ()),
        )


class SelfCheckForm(FlaskForm, _Years):
    """The professional's own check (a GET form: nothing is kept)."""

    class Meta:
        csrf = False

    application_year = Integer("申报年度", validators=[Optional(), YEARS])

    def to_request(self) -> Request:
        """A cycle check with no series: the professional asks for their own years."""
        return Request(
            kind=VerificationKind.CYCLE,
            series=None,
            level=TitleLevel(self.level.data),
            application_year=self.application_year.data or self.last_year.data,
            first_year=self.first_year.data,
            last_year=self.last_year.data,
            cross_major=bool(self.cross_major.data),
            speciality_claims=tuple(self.speciality.data or ()),
        )


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        "退回理由",
        validators=[DataRequired("请写明退回理由"), Length(max=500, message="不超过500字")],
        filters=[strip],
    )
