"""Forms of the people pages: titles, transfer-in date, employer changes, own phone."""

import sqlalchemy as sa
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SearchField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.accounts.idnumbers import clean_id_number
from portal.declarations.forms import ChineseDateField
from portal.extensions import db
from portal.fields import Integer, Select, strip
from portal.units.models import TITLE_LEVEL_LABELS, TitleSeries
from portal.units.service import active_unit_choices

FREELANCE = "0"


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField("姓名", validators=[Optional(), Length(max=50)])


class TitleForm(FlaskForm):
    series = Select("职称系列", validators=[DataRequired("请选择职称系列")])
    level = Select(
        "职称级别",
        choices=[("", "请选择")] + [(k.value, v) for k, v in TITLE_LEVEL_LABELS.items()],
        validators=[DataRequired("请选择职称级别")],
    )
    name = StringField(
        "职称名称",
        validators=[Length(max=50, message="不超过50个字")],
        filters=[strip],
        description="如：一级教师、主治医师（可不填）",
    )
    obtained = ChineseDateField("取得时间", validators=[InputRequired("请填写取得时间")])
    appointed = ChineseDateField("聘任时间", validators=[Optional()], description="未聘任可不填")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        series = db.session.execute(
            sa.select(TitleSeries.id, TitleSeries.name).order_by(TitleSeries.name)
        ).all()
        self.series.choices = [("", "请选择")] + [(str(i), name) for i, name in series]


class TransferInForm(FlaskForm):
    transfer_in_date = ChineseDateField(
        "调入日期",
        validators=[Optional()],
        description="从外省（或中央单位）调入的日期；清空即取消",
    )


class PhoneForm(FlaskForm):
    phone = StringField("手机号码", validators=[DataRequired("请输入手机号码")], filters=[strip])


def _started_on():
    return ChineseDateField("到新单位工作的日期", validators=[InputRequired("请填写日期")])


class MoveRequestForm(FlaskForm):
    """The person asks to move to another unit (or to freelance)."""

    unit = Select("新工作单位", validators=[DataRequired("请选择新工作单位")])
    started_on = _started_on()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = (
            [("", "请选择")] + active_unit_choices() + [(FREELANCE, "自由职业（无工作单位）")]
        )

    @property
    def unit_id(self) -> int | None:
        return None if self.unit.data == FREELANCE else int(self.unit.data)


class MoveEntryForm(FlaskForm):
    """The new unit's reviewer (or the bureau) enters a person who came to work there."""

    id_number = StringField(
        "身份证号码", validators=[DataRequired("请输入身份证号码")], filters=[strip]
    )
    unit = Select("新工作单位", validators=[DataRequired("请选择新工作单位")])
    started_on = _started_on()

    def __init__(self, *args, unit_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = unit_choices or []

    def validate_id_number(self, field):
        try:
            field.data = clean_id_number(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from error

    @property
    def unit_id(self) -> int | None:
        return None if self.unit.data == FREELANCE else int(self.unit.data)


class ConfirmMoveForm(FlaskForm):
    """Only the CSRF token: confirming needs no input."""


class RefuseMoveForm(FlaskForm):
    reason = TextAreaField(
        "不予确认的理由",
        validators=[DataRequired("请填写理由"), Length(max=200, message="不超过200个字")],
        filters=[strip],
    )


class PaperYearForm(FlaskForm):
    """A year before the portal, from its paper 继续教育证书."""

    year = Integer("年度", validators=[InputRequired("请填写年度")])
    general = Integer(
        "公需科目学时",
        validators=[InputRequired("请填写学时"), NumberRange(0, 1000, "学时应为0–1000")],
    )
    professional = Integer(
        "专业科目学时",
        validators=[InputRequired("请填写学时"), NumberRange(0, 1000, "学时应为0–1000")],
    )
    file = FileField("证书扫描件", description="PDF、JPG 或 PNG")
    registrar = StringField(
        "登记单位",
        validators=[InputRequired("请填写纸质证书上的登记单位")],
        filters=[strip],
        description="纸质《继续教育证书》上登记（盖章）的单位",
    )
    registered_on = ChineseDateField(
        "登记日期",
        validators=[InputRequired("请填写纸质证书上的登记日期")],
        description="纸质证书上的登记日期",
    )
    reason = TextAreaField(
        "补录理由",
        validators=[Optional(), Length(max=500, message="不超过500字")],
        description="本系统启用后的年度按纸质证书补录时必填（仅县人社局可以补录），核验证书时公开显示",
    )


class TransitionMarkForm(FlaskForm):
    keeps_old_rules = BooleanField(
        "老人老办法：2025–2030年度可选择按原合肥市办法申报",
    )


class BulkTransitionForm(FlaskForm):
    before = ChineseDateField(
        "职称取得时间早于",
        validators=[InputRequired("请填写日期")],
        description="皖人社秘〔2025〕109号施行日为2025-06-12；只增加标记，不取消已有标记",
    )


class LateYearForm(FlaskForm):
    """补登记: open a past year for the person to declare."""

    year = Integer("补登记年度", validators=[InputRequired("请填写年度")])
    note = StringField(
        "说明",
        validators=[Length(max=200, message="不超过200个字")],
        filters=[strip],
        description="如：因病未能按时申报，经审核同意补登记",
    )
