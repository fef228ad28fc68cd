from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, NumberRange, ValidationError

from portal.certificates.service import normalise_code
from portal.fields import Integer, Select, bounded_int


class VerifyForm(FlaskForm):
    """The public look-up by verification code: a GET form, nothing changes, no CSRF token."""

    class Meta:
        csrf = False

    code = StringField(
        "查验码",
        validators=[DataRequired("请输入证书上印制的查验码。")],
        description="10 位字母或数字，印在证书二维码旁，例如 ABCDE-23456；不区分大小写。",
    )

    def validate_code(self, field):
        if normalise_code(field.data) is None:
            raise ValidationError(
                "查验码应为 10 位字母或数字（不含 0、1、I、L、O），请核对后重新输入。"
            )


class BulkPrintForm(FlaskForm):
    """A unit's (or, for the bureau, any unit's) registered people of a year, as one PDF."""

    unit = Select("单位", coerce=bounded_int, validators=[DataRequired("请选择单位。")])
    year = Integer(
        "登记年度",
        validators=[
            DataRequired("请填写年度。"),
            NumberRange(2000, 2100, "年度应在 2000–2100 之间。"),
        ],
    )
