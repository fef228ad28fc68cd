import re

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)
from wtforms.validators import Optional as OptionalValidator

from portal.accounts.models import ROLE_LABELS, Role, User
from portal.accounts.service import password_problems, policy_text
from portal.exchange.models import KeyScope
from portal.extensions import db
from portal.fields import Integer, Select, strip
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from portal.settings import SETTINGS
from portal.units.models import Authority, Provider
from portal.units.service import active_unit_choices

STAFF_ROLES = (
    Role.UNIT_REVIEWER,
    Role.BUREAU_OFFICER,
    Role.CITY_OFFICER,
    Role.PROVINCE_VIEWER,
    Role.AUTHORITY_OFFICER,
    Role.PROVIDER,
    Role.ADMIN,
)  # not the auditor: created and reset from the command line alone (三员分立, issue 23.6)
# The level of the jurisdiction an account of the role belongs to (else a county)
ACCOUNT_LEVELS = {
    Role.CITY_OFFICER: (JurisdictionLevel.CITY, "市"),
    Role.PROVINCE_VIEWER: (JurisdictionLevel.PROVINCE, "省"),
}
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")
_PHONE = re.compile(r"^[0-9-]{7,20}$")


class _PasswordPair:
    """Mixin: a new password and its confirmation, checked against the policy."""

    def check_policy(self, field, username: str):
        problems = password_problems(field.data or "", username=username)
        if problems:
            raise ValidationError("；".join(problems))


class UserForm(FlaskForm, _PasswordPair):
    username = StringField(
        "登录账号",
        validators=[DataRequired("请输入登录账号")],
        filters=[strip],
        description="字母开头，3–32位字母、数字或 _ . -",
    )
    name = StringField(
        "姓名",
        validators=[DataRequired("请输入姓名"), Length(max=50, message="不超过50个字")],
        filters=[strip],
    )
    phone = StringField("联系电话", validators=[OptionalValidator()], filters=[strip])
    role = Select(
        "角色",
        choices=[("", "请选择")] + [(r.value, ROLE_LABELS[r]) for r in STAFF_ROLES],
        validators=[DataRequired("请选择角色")],
    )
    unit = Select("所属单位", default="", description="单位经办人必填")
    provider = Select("所属施教机构", default="", description="施教机构账号必填")
    authority = Select("所属行业主管部门", default="", description="行业主管部门经办人必填")
    # Only in an instance of several counties: the county (the city for a city officer, the
    # province for the provincial viewer) the account works for; a unit reviewer's is their unit's.
    jurisdiction = Select("所属辖区", default="", description="单位经办人随所属单位")
    password = PasswordField(
        "初始密码", validators=[DataRequired("请设置初始密码"), Length(max=128)]
    )
    confirm = PasswordField(
        "确认密码",
        validators=[DataRequired("请再次输入密码"), EqualTo("password", "两次输入的密码不一致")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        providers = db.session.execute(
            sa.select(Provider.id, Provider.name).where(Provider.active).order_by(Provider.name)
        ).all()
        self.unit.choices = [("", "（无）")] + active_unit_choices()
        self.provider.choices = [("", "（无）")] + [(str(i), name) for i, name in providers]
        authorities = db.session.execute(
            sa.select(Authority.id, Authority.name).order_by(Authority.name)
        ).all()
        self.authority.choices = [("", "（无）")] + [(str(i), name) for i, name in authorities]
        self.password.description = policy_text()
        if jurisdictions.is_single_county():
            del self.jurisdiction
        else:
            self.jurisdiction.choices = [("", "请选择")] + [
                (node.code, f"{node.name}（{node.level.label}）")
                for node in sorted(jurisdictions.tree().values(), key=lambda n: n.code)
            ]

    def validate_username(self, field):
        if not _USERNAME.match(field.data or ""):
            raise ValidationError("账号应以字母开头，3–32位字母、数字或 _ . -")
        taken = db.session.scalar(
            sa.select(User.id).where(sa.func.lower(User.username) == field.data.lower())
        )
        if taken is not None:
            raise ValidationError("该账号已存在")

    def validate_phone(self, field):
        if field.data and not _PHONE.match(field.data):
            raise ValidationError("请输入有效的电话号码")

    def validate_unit(self, field):
        if self.role.data == Role.UNIT_REVIEWER and not field.data:
            raise ValidationError("单位经办人必须选择所属单位")

    def validate_provider(self, field):
        if self.role.data == Role.PROVIDER and not field.data:
            raise ValidationError("施教机构账号必须选择所属施教机构")

    def validate_authority(self, field):
        if self.role.data == Role.AUTHORITY_OFFICER and not field.data:
            raise ValidationError("行业主管部门经办人必须选择所属行业主管部门")

    def validate_jurisdiction(self, field):
        role = self.role.data
        if role in ("", Role.UNIT_REVIEWER, Role.ADMIN):
            return
        node = jurisdictions.get(field.data or "")
        wanted, word = ACCOUNT_LEVELS.get(role, (JurisdictionLevel.COUNTY, "县（市、区）"))
        if node is None or node.level is not wanted:
            raise ValidationError(f"请选择账号所属的{word}")

    def validate_password(self, field):
        self.check_policy(field, self.username.data or "")

    def data_for_service(self) -> dict:
        role = Role(self.role.data)
        return {
            "username": self.username.data,
            "name": self.name.data,
            "phone": self.phone.data or "",
            "role": role,
            "unit_id": int(self.unit.data) if role == Role.UNIT_REVIEWER else None,
            "provider_id": int(self.provider.data) if role == Role.PROVIDER else None,
            "authority_id": (int(self.authority.data) if role == Role.AUTHORITY_OFFICER else None),
            "password": self.password.data,
            **(
                {"jurisdiction_code": self.jurisdiction.data}
                if "jurisdiction" in self and role not in (Role.UNIT_REVIEWER, Role.ADMIN)
                else {}
            ),
        }


class ResetPasswordForm(FlaskForm, _PasswordPair):
    password = PasswordField(
        "临时密码", validators=[DataRequired("请设置临时密码"), Length(max=128)]
    )
    confirm = PasswordField(
        "确认密码",
        validators=[DataRequired("请再次输入密码"), EqualTo("password", "两次输入的密码不一致")],
    )

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.password.description = policy_text() + "。请当面或电话告知本人，并提醒其登录后修改"

    def validate_password(self, field):
        self.check_policy(field, self.user.username)


def settings_form(values: dict, specs=SETTINGS):
    """A form with one field per run-time setting (of `specs`), filled with the current values."""

    def _within(spec):
        """The setting's own check (its range, or its off value), in the units typed."""

        def check(form, field):
            value = field.data * 1024 * 1024 if spec.kind == "mb" else field.data
            if field.data is not None and (problem := spec.problem(value)):
                raise ValidationError(problem)

        return check

    class SettingsForm(FlaskForm):
        """Its fields are added below, one per setting."""

    for spec in specs:
        if spec.kind == "bool":
            field = BooleanField(spec.label, description=spec.help)
        elif spec.kind == "choice":
            field = Select(spec.label, choices=list(spec.choices), description=spec.help)
        else:
            field = Integer(
                spec.label,
                description=spec.help,
                validators=[InputRequired("请填写"), _within(spec)],
            )
        setattr(SettingsForm, spec.key, field)
    data = {
        spec.key: values[spec.key] // (1024 * 1024) if spec.kind == "mb" else values[spec.key]
        for spec in specs
    }
    return SettingsForm(data=data)


def settings_values(form, specs=SETTINGS) -> dict:
    """The submitted settings in stored units (bytes for MB fields)."""
    values = {}
    for spec in specs:
        value = form[spec.key].data
        if spec.kind == "bool":
            values[spec.key] = bool(value)
        elif spec.kind == "choice":
            values[spec.key] = str(value)
        elif spec.kind == "mb":
            values[spec.key] = int(value) * 1024 * 1024
        else:
            values[spec.key] = int(value)
    return values


class ApiKeyForm(FlaskForm):
    """A key for one system that pulls from /api/v1/ (shown once after creation)."""

    name = StringField(
        "使用方名称",
        validators=[DataRequired("请填写使用方名称"), Length(max=100, message="不超过100字")],
        filters=[strip],
        description="如“省专业技术人员继续教育学时管理系统”",
    )
    scope = Select(
        "范围",
        choices=[("", "请选择")] + [(s.value, s.label) for s in KeyScope],
        validators=[DataRequired("请选择范围")],
        description="只给使用方需要的范围：完整身份证号码只在“年度登记数据”中提供",
    )
