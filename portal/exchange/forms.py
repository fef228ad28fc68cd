from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField
from wtforms.validators import DataRequired, NumberRange

from portal.fields import Integer, Select


class ExportForm(FlaskForm):
    year = Integer(
        "登记年度",
        validators=[
            DataRequired("请填写年度。"),
            NumberRange(2000, 2100, "年度应在 2000–2100 之间。"),
        ],
    )
    fmt = Select("格式", choices=[("xlsx", "Excel（.xlsx）"), ("json", "JSON")])


class ImportForm(FlaskForm):
    file = FileField(
        "人员名单（Excel .xlsx）", validators=[FileRequired("请选择要导入的 Excel 文件。")]
    )
    clean_rows = BooleanField("有错误时仅导入无误的行（默认：文件有任何错误则全部不导入）")
