from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.fields import Integer


class WorkdayForm(FlaskForm):
    day = DateField("日期", validators=[InputRequired("请选择日期")])
    kind = RadioField(
        "类型",
        choices=[("rest", "法定节假日/休息日"), ("work", "调休上班")],
        validators=[DataRequired("请选择类型")],
    )
    note = StringField(
        "说明",
        validators=[Length(max=100, message="说明不超过100字")],
        description="例如：2027年国庆节放假；国务院办公厅通知 国办发明电〔2026〕×号",
    )

    @property
    def is_workday(self) -> bool:
        return self.kind.data == "work"


class DeleteForm(FlaskForm):
    """The delete button: nothing to fill in but the CSRF token."""


class CalculatorForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField("起始日期", validators=[InputRequired("请选择起始日期")])
    n = Integer(
        "之后第几个工作日",
        default=5,
        validators=[InputRequired("请填写天数"), NumberRange(1, 366, "天数应在1至366之间")],
    )
