from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SearchField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from portal.board import service as board_service
from portal.board.service import BOARD_STATE_CHOICES, OUTCOMES
from portal.fields import Select, bounded_int


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BatchForm(FlaskForm):
    declarations = MultiCheckboxField("公示的申报", coerce=bounded_int, validate_choice=False)
    start = DateField(
        "公示开始日期",
        validators=[InputRequired("请选择公示开始日期")],
        description="如不是工作日，自其后第一个工作日起算；公示期共5个工作日",
    )
    title = StringField(
        "公示标题（可选）",
        validators=[Length(max=200, message="标题不超过200字")],
        description="留空则自动生成",
    )

    def validate_start(self, field):
        if field.data and field.data < board_service.local_today():
            raise ValidationError("公示开始日期不能早于今天")

    def validate_declarations(self, field):
        if not field.data:
            raise ValidationError("请至少选择一份核验通过的申报")


class ObjectionForm(FlaskForm):
    name = StringField(
        "您的姓名",
        validators=[DataRequired("请填写姓名"), Length(max=50, message="姓名不超过50字")],
    )
    contact = StringField(
        "联系电话",
        validators=[
            DataRequired("请填写联系电话"),
            Regexp(r"^[0-9+\- ]{7,20}$", message="请填写有效的电话号码"),
        ],
    )
    content = TextAreaField(
        "异议内容",
        validators=[
            DataRequired("请填写异议内容"),
            Length(min=10, max=2000, message="异议内容应为10至2000字"),
        ],
        description="请写明异议事项及事实依据，可附线索；我们将依法保护反映人的信息",
    )


class ObjectionDecisionForm(FlaskForm):
    outcome = RadioField(
        "处理结果",
        choices=list(OUTCOMES.items()),
        validators=[DataRequired("请选择处理结果")],
    )
    reason = TextAreaField(
        "处理理由", validators=[DataRequired("请填写处理理由"), Length(max=1000)]
    )


class CloseForm(FlaskForm):
    """The "close due publicity" button: nothing to fill in but the CSRF token."""


class BoardFilterForm(FlaskForm):
    """The public board's search and filters (a GET form: no CSRF token, no session)."""

    class Meta:
        csrf = False

    q = SearchField("搜索", validators=[Optional(), Length(max=50)])
    batch = Select("公示批次", coerce=bounded_int, validate_choice=False, default=0)
    state = Select(
        "状态",
        choices=[("", "全部"), *BOARD_STATE_CHOICES.items()],
        validators=[Optional()],
        validate_choice=False,
    )
    archived = BooleanField("含往期公示")
