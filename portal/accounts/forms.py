import re

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from portal.accounts.idnumbers import birth_date, clean_id_number
from portal.accounts.service import password_problems, policy_text
from portal.clock import local_today
from portal.declarations.forms import ChineseDateField
from portal.fields import Select, strip
from portal.units.service import active_unit_choices

# 职称系列 (the usual series of the national title system) and levels.
TITLE_SERIES = (
    "教师",
    "卫生",
    "工程",
    "农业",
    "经济",
    "会计",
    "统计",
    "审计",
    "翻译",
    "新闻",
    "出版",
    "图书资料",
    "文物博物",
    "群众文化",
    "艺术",
    "工艺美术",
    "体育",
    "律师",
    "公证",
    "社会工作",
    "档案",
    "实验技术",
    "技工院校教师",
    "船舶",
    "民航飞行",
    "科学研究",
    "播音主持",
    "知识产权",
    "其他",
)
TITLE_LEVELS = ("正高级", "副高级", "中级", "初级", "员级")
FREELANCE = "0"  # the unit choice of people without an employer

_NAME = re.compile(r"^[\u4e00-\u9fa5·]{2,20}$")
_MOBILE = re.compile(r"^1\d{10}$")


class LoginForm(FlaskForm):
    username = StringField(
        "账号",
        validators=[DataRequired("请输入账号"), Length(max=64)],
        description="专业技术人员请使用身份证号码登录",
        filters=[strip],
    )
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


class PasswordForm(FlaskForm):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码")])
    new_password = PasswordField(
        "新密码", validators=[DataRequired("请输入新密码"), Length(max=128, message="密码过长")]
    )
    confirm = PasswordField(
        "确认新密码",
        validators=[
            DataRequired("请再次输入新密码"),
            EqualTo("new_password", "两次输入的密码不一致"),
        ],
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.new_password.description = policy_text()

    def validate_new_password(self, field):
        person = self.user.professional
        problems = password_problems(
            field.data,
            username=self.user.username,
            id_number=person.id_number if person else "",
        )
        if field.data and field.data == self.old_password.data:
            problems.append("新密码不能与原密码相同")
        if problems:
            raise ValidationError("；".join(problems))


def _chosen_password():
    """A password the person chooses, typed twice (declared where called, to keep field order)."""
    return (
        PasswordField(
            "密码", validators=[DataRequired("请设置密码"), Length(max=128, message="密码过长")]
        ),
        PasswordField(
            "确认密码",
            validators=[
                DataRequired("请再次输入密码"),
                EqualTo("password", "两次输入的密码不一致"),
            ],
        ),
    )


class RegisterForm(FlaskForm):
    id_number = StringField(
        "身份证号码",
        validators=[DataRequired("请输入身份证号码")],
        filters=[strip],
        description="18位居民身份证号码，注册后作为登录账号",
    )
    name = StringField("姓名", validators=[DataRequired("请输入姓名")], filters=[strip])
    phone = StringField("手机号码", validators=[DataRequired("请输入手机号码")], filters=[strip])
    unit = Select(
        "工作单位",
        validators=[DataRequired("请选择工作单位；没有工作单位请选择“自由职业”")],
        description="单位不在列表中时，请联系单位到人社局登记",
    )
    works_since = ChineseDateField(
        "何时起在该单位工作",
        validators=[InputRequired("请填写何时起在该单位工作（自由职业填开始自由职业的日期）")],
        description="工作经历从这一天算起，如 2018-09-01",
    )
    title_series = Select(
        "职称系列",
        choices=[("", "请选择")] + [(s, s) for s in TITLE_SERIES],
        validators=[DataRequired("请选择职称系列")],
    )
    title_level = Select(
        "职称级别",
        choices=[("", "请选择")] + [(s, s) for s in TITLE_LEVELS],
        validators=[DataRequired("请选择职称级别")],
    )
    title_name = StringField(
        "职称名称",
        validators=[Length(max=50, message="不超过50个字")],
        filters=[strip],
        description="如：一级教师、主治医师、工程师（可不填）",
    )
    password, confirm = _chosen_password()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = (
            [("", "请选择")] + active_unit_choices() + [(FREELANCE, "自由职业（无工作单位）")]
        )
        self.password.description = policy_text()

    def validate_id_number(self, field):
        try:
            field.data = clean_id_number(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def validate_name(self, field):
        if not _NAME.match(field.data or ""):
            raise ValidationError("姓名应为2–20个汉字（少数民族姓名可含“·”）")

    def validate_phone(self, field):
        if not _MOBILE.match(field.data or ""):
            raise ValidationError("请输入11位手机号码")

    def validate_works_since(self, field):
        if field.data is None:
            return
        if field.data > local_today():
            raise ValidationError("不能晚于今天")
        try:
            born = birth_date(self.id_number.data or "")
        except ValueError:
            return
        if field.data < born.replace(year=born.year + 16, day=min(born.day, 28)):
            raise ValidationError("不能早于年满16周岁的日期，请核对")

    def validate_password(self, field):
        problems = password_problems(field.data or "", id_number=self.id_number.data or "")
        if problems:
            raise ValidationError("；".join(problems))

    @property
    def unit_id(self) -> int | None:
        return None if self.unit.data == FREELANCE else int(self.unit.data)


class ActivateForm(FlaskForm):
    """An imported person opens their account with the code their unit handed out."""

    id_number = StringField(
        "身份证号码", validators=[DataRequired("请输入身份证号码")], filters=[strip]
    )
    code = StringField(
        "激活码",
        validators=[DataRequired("请输入激活码"), Length(max=40, message="激活码过长")],
        filters=[strip],
        description="单位或县人社局提供的12位激活码，如 ABCD-EFGH-JKLM",
    )
    password, confirm = _chosen_password()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.description = policy_text()
