"""The unit form of the bureau's unit pages."""

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.accounts.idnumbers import clean_uscc
from portal.extensions import db
from portal.fields import Select, strip
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.units.models import UNIT_TYPE_LABELS, Authority, FirstReview, Unit


class UnitForm(FlaskForm):
    name = StringField(
        "单位名称",
        validators=[DataRequired("请输入单位名称"), Length(2, 200, "单位名称应为2–200个字")],
        filters=[strip],
    )
    uscc = StringField(
        "统一社会信用代码",
        validators=[DataRequired("请输入统一社会信用代码")],
        filters=[strip],
        description="18位，末位为校验码",
    )
    type = Select(
        "单位类型",
        choices=[("", "请选择")] + [(t.value, label) for t, label in UNIT_TYPE_LABELS.items()],
        validators=[DataRequired("请选择单位类型")],
        description="非公企业、社会团体的人员由县人社局核验",
    )
    county = StringField(
        "所在县区", validators=[Length(max=100, message="不超过100个字")], filters=[strip]
    )
    authority = Select("行业主管部门", default="")
    # The admin's new unit in an instance of several counties (a bureau's are its county's).
    jurisdiction = Select("所属县（市、区）", validators=[DataRequired("请选择所属县（市、区）")])

    def __init__(self, *args, unit: Unit | None = None, choose_county: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        if choose_county and unit is None and not jurisdictions.is_single_county():
            self.jurisdiction.choices = [("", "请选择")] + [
                (node.code, node.name) for node in jurisdictions.counties()
            ]
        else:
            del self.jurisdiction
        authorities = db.session.execute(
            sa.select(Authority.id, Authority.name).order_by(Authority.name)
        ).all()
        self.authority.choices = [("", "（无）")] + [(str(i), name) for i, name in authorities]

    def validate_uscc(self, field):
        try:
            field.data = clean_uscc(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from error
        same = [Unit.uscc == field.data]
        if self.unit is not None:
            same.append(Unit.id != self.unit.id)
        other = db.session.scalar(sa.select(Unit.name).where(*same))
        if other is not None:
            raise ValidationError(f"该统一社会信用代码已被“{other}”使用")
        if scope.elsewhere(Unit, *same):
            raise ValidationError(f"该统一社会信用代码已被{scope.ELSEWHERE}的单位使用")

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "uscc": self.uscc.data,
            "type": self.type.data,
            "county": self.county.data or "",
            "authority_id": int(self.authority.data) if self.authority.data else None,
            **({"jurisdiction_code": self.jurisdiction.data} if "jurisdiction" in self else {}),
        }


class AuthorityForm(FlaskForm):
    name = StringField(
        "行业主管部门名称",
        validators=[DataRequired("请输入名称"), Length(2, 100, "名称应为2–100个字")],
        filters=[strip],
    )


class SeriesForm(FlaskForm):
    name = StringField(
        "职称系列名称",
        validators=[DataRequired("请输入名称"), Length(1, 100, "名称不超过100个字")],
        filters=[strip],
    )
    authority = Select("行业主管部门", validators=[DataRequired("请选择行业主管部门")])
    first_review = Select(
        "分两步核验时专业科目由谁核验",
        choices=[(f.value, f.label) for f in FirstReview],
        default=FirstReview.AUTHORITY.value,
        validators=[DataRequired("请选择专业科目的核验单位")],
        description="仅在系统设置“年度学时分两步核验”为“是”时适用",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        authorities = db.session.execute(
            sa.select(Authority.id, Authority.name).order_by(Authority.name)
        ).all()
        self.authority.choices = [("", "请选择")] + [(str(i), name) for i, name in authorities]
