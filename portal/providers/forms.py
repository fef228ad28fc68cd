"""Forms of the provider pages: a plan filing, the bureau's decision, a provider entry."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.declarations.forms import ChineseDateField
from portal.fields import Integer, Select, strip
from portal.providers.models import PlanForm
from portal.rules import GENERAL, PROFESSIONAL, SUBJECT_LABELS
from portal.units.models import ProviderLevel


class PlanFilingForm(FlaskForm):
    title = StringField(
        "培训主题",
        validators=[DataRequired("请输入培训主题"), Length(2, 200, "培训主题应为2–200个字")],
        filters=[strip],
    )
    subject = Select(
        "科目",
        choices=[(PROFESSIONAL, SUBJECT_LABELS[PROFESSIONAL]), (GENERAL, SUBJECT_LABELS[GENERAL])],
        default=PROFESSIONAL,
    )
    series = StringField(
        "服务的职称系列",
        validators=[Length(max=50, message="不超过50个字")],
        filters=[strip],
        description="如：教师、卫生、会计；与职称系列名称一致时，按本局设置可由该系列的行业主管部门审核",
    )
    start_date = DateField("开始日期", validators=[InputRequired("请选择开始日期")])
    end_date = DateField("结束日期", validators=[InputRequired("请选择结束日期")])
    days = Integer("培训天数", validators=[InputRequired("请输入培训天数"), NumberRange(1, 366)])
    hours_per_day = Integer(
        "每天学时",
        validators=[InputRequired("请输入每天学时"), NumberRange(1, 12, "每天学时应为1–12")],
    )
    place = StringField(
        "培训地点", validators=[Length(max=200, message="不超过200个字")], filters=[strip]
    )
    form = Select("培训形式", choices=[(f.value, f.label) for f in PlanForm], default="face")
    expected_trainees = Integer(
        "预计培训人数", validators=[Optional(), NumberRange(0, 100000)], default=0
    )
    teachers = TextAreaField(
        "授课教师", validators=[Length(max=2000, message="不超过2000个字")], filters=[strip]
    )
    programme = FileField("培训方案（PDF、JPG或PNG）")

    def data_for_service(self) -> dict:
        return {
            "title": self.title.data,
            "subject": self.subject.data,
            "series": self.series.data or "",
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "days": self.days.data,
            "hours_per_day": self.hours_per_day.data,
            "place": self.place.data or "",
            "form": self.form.data,
            "expected_trainees": self.expected_trainees.data or 0,
            "teachers": self.teachers.data or "",
        }


class DecisionForm(FlaskForm):
    decision = Select("审核意见", choices=[("accept", "予以备案"), ("refuse", "不予备案")])
    reason = TextAreaField(
        "理由", validators=[Length(max=500, message="不超过500个字")], filters=[strip]
    )


class ListUploadForm(FlaskForm):
    file = FileField("合格人员名单（.xlsx）")
    clean_rows = BooleanField("有错误时只导入无误的行")


class StudyEndForm(FlaskForm):
    """The bureau's end of a year's online 公需 study (003 六(一))."""

    year = Integer("年度", validators=[InputRequired("请填写年度")])
    day = ChineseDateField(
        "网络学习截止日期", validators=[Optional()], description="留空即取消该年度的设置"
    )


class ProviderForm(FlaskForm):
    name = StringField(
        "机构名称",
        validators=[DataRequired("请输入机构名称"), Length(2, 200, "名称应为2–200个字")],
        filters=[strip],
    )
    contact = StringField("联系人", validators=[Length(max=50)], filters=[strip])
    phone = StringField("联系电话", validators=[Length(max=30)], filters=[strip])
    level = Select("基地级别", choices=[(level.value, level.label) for level in ProviderLevel])
    active = BooleanField("启用", default=True)

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "contact": self.contact.data or "",
            "phone": self.phone.data or "",
            "level": self.level.data,
            "active": bool(self.active.data),
        }
