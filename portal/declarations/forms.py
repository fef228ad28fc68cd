"""Claim forms generated from the rules metadata: one form class per (rule set, kind, year).

Facts become fields by type (int → number input with min/max, choice → select, bool →
checkbox, or a yes/no radio choice when the fact is required, so that nothing silently means
"no"); the kind's identifying details become text/date fields checked by format (ISSN
checksum, ISBN checksum, DOI, CN number, patent number, dates within the declaration year).
After the field checks the rules engine evaluates the claim; a RuleError is shown beside the
fact it names.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from flask_wtf import FlaskForm
from stdnum import isbn as stdnum_isbn
from stdnum import issn as stdnum_issn
from stdnum.exceptions import ValidationError as StdnumError
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal import rules
from portal.clock import LOCAL_TZ
from portal.fields import Select, bounded_int
from portal.models_base import utcnow

DETAIL_LABELS = {**rules.DETAIL_LABELS, "date": "取得（完成）日期"}
DETAIL_HINTS = {
    "issn": "如 1000-0054",
    "cn": "如 34-1065/R",
    "doi": "如 10.1000/xyz123",
    "isbn": "如 978-7-04-012345-6",
    "patent_no": "如 ZL 2023 1 0123456.7",
    "plan_no": "已备案的培训请填写或搜索备案号（可输入培训主题查找）；未经备案的专业科目培训不予认定学时",
}
CN_NUMBER = re.compile(r"^(?:CN)?(\d{2})-?(\d{4})/([A-Z]{1,2}\d{0,3}(?:\.\d+)?)$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# 专利申请号/专利号: ZL + 12 digits (since 2003) or 8 digits (before), a dot, a check character;
# also publication numbers such as CN 1234567 A / CN 212345678 U.
PATENT_NO = re.compile(r"^(?:ZL|CN)?(?:\d{12}|\d{8})\.?[\dX]$|^CN\d{7,9}[ABUSY]\d?$")
SUBJECT_CHOICES = [
    ("", "请选择"),
    (rules.GENERAL, rules.SUBJECT_LABELS[rules.GENERAL]),
    (rules.PROFESSIONAL, rules.SUBJECT_LABELS[rules.PROFESSIONAL]),
]


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def local_today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


class ChineseIntegerField(IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = bounded_int(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError("请填写整数") from None


class ChineseDateField(DateField):
    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = date.fromisoformat(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError("日期格式应为 年-月-日，如 2025-03-15") from None


class YesNoField(RadioField):
    """A required yes/no choice ("true" / "false"), none ticked until the person chooses."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("choices", [("true", "是"), ("false", "否")])
        super().__init__(label, validators, **kwargs)

    def process_data(self, value):
        if isinstance(value, bool):  # a stored fact
            value = "true" if value else "false"
        super().process_data(value)


def normalise_issn(value: str) -> str:
    return stdnum_issn.format(value)


def normalise_isbn(value: str) -> str:
    return stdnum_isbn.compact(value)


def normalise_doi(value: str) -> str:
    value = value.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    return value.strip()


def normalise_cn(value: str) -> str:
    compact = re.sub(r"\s+", "", value).upper()
    match = CN_NUMBER.match(compact)
    return f"{match.group(1)}-{match.group(2)}/{match.group(3)}" if match else value.strip()


def normalise_patent(value: str) -> str:
    return re.sub(r"[\s]+", "", value).upper()


def _stdnum_ok(module, value: str) -> bool:
    try:
        module.validate(value)
    except StdnumError:
        return False
    return True


DETAIL_CHECKS = {
    "issn": (
        lambda v: _stdnum_ok(stdnum_issn, v),
        "ISSN 无效：应为 8 位（如 1000-0054），最后一位是校验位",
    ),
    "isbn": (
        lambda v: _stdnum_ok(stdnum_isbn, v),
        "ISBN 无效：应为 10 位或 13 位书号（如 978-7-04-012345-6），校验位须正确",
    ),
    "doi": (
        lambda v: bool(DOI.match(normalise_doi(v))),
        "DOI 格式应为 10.xxxx/…（如 10.1000/xyz123）",
    ),
    "cn": (
        lambda v: bool(CN_NUMBER.match(re.sub(r"\s+", "", v).upper())),
        "国内统一刊号格式应为“地区号-序号/分类号”，如 34-1065/R",
    ),
    "patent_no": (
        lambda v: bool(PATENT_NO.match(normalise_patent(v))),
        "专利号格式应为 ZL + 12 位数字 + 校验位（如 ZL 2023 1 0123456.7）",
    ),
}


def _check_detail(name: str, value: str) -> str | None:
    """A Chinese error for a malformed identifying detail, else None."""
    check = DETAIL_CHECKS.get(name)
    if check is None or check[0](value):
        return None
    return check[1]


NORMALISERS = {
    "issn": normalise_issn,
    "isbn": normalise_isbn,
    "doi": normalise_doi,
    "cn": normalise_cn,
    "patent_no": normalise_patent,
}


# Online 公需 learning of a year that may be completed after it and still be declared in it
# (seed 003 六(一): "2025年度……公需科目学习，参加线上学习的时间截至2026年5月31日").
# Read as applying to every courseware claim of that year's declaration (an interpretation).
LATE_ONLINE_LEARNING = {2025: date(2026, 5, 31)}
LATE_KINDS = ("courseware",)


def last_day(kind: rules.KindSpec, year: int) -> date:
    """The latest date a claim of this kind may carry in a declaration of `year`: the year's
    end, or the later closing of the year's online learning for courseware. No fact moves a
    claim to another year."""
    if kind.id in LATE_KINDS and year in LATE_ONLINE_LEARNING:
        return LATE_ONLINE_LEARNING[year]
    return date(year, 12, 31)


def date_hint(kind: rules.KindSpec, year: int) -> str:
    end = last_day(kind, year)
    if end.year == year:
        return ""
    return (
        f"{year}年度公需科目线上学习截至{end.year}年{end.month}月{end.day}日，"
        f"此前完成的课件可在{year}年度申报"
    )


def subject_label(kind: rules.KindSpec) -> str:
    return "认定科目" if kind.conversion else "课程类别"


class ClaimFormBase(FlaskForm):
    """Set by claim_form_class: the rule set, the kind, the year, and the field groups."""

    rule_set: rules.RuleSet
    kind_spec: rules.KindSpec
    year: int
    fact_names: tuple[str, ...] = ()
    detail_names: tuple[str, ...] = ()
    result: rules.ClaimResult | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result = None

    # --- data out ---
    def facts(self) -> dict:
        return {name: self[name].data for name in self.fact_names}

    def details(self) -> dict:
        out = {}
        for name in self.detail_names:
            value = self[name].data
            if isinstance(value, date):
                value = value.isoformat()
            if value in (None, ""):
                continue
            value = str(value).strip()
            out[name] = NORMALISERS[name](value) if name in NORMALISERS else value
        return out

    def subject_value(self) -> str | None:
        if "subject" in self:
            return self.subject.data or None
        return self.kind_spec.subject

    def engine_claim(self) -> rules.Claim:
        return rules.Claim(
            kind=self.kind_spec.id,
            facts=self.facts(),
            subject=self.subject_value(),
            details=self.details(),
        )

    # --- validation ---
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in self.detail_names:
            field = self[name]
            if name == "date" or field.errors or not field.data:
                continue
            message = _check_detail(name, str(field.data))
            if message:
                field.errors.append(message)
                valid = False
        if "date" in self and self.date.data and not self.date.errors:
            day = self.date.data
            end = last_day(self.kind_spec, self.year)
            if day > local_today():
                self.date.errors.append("日期不能晚于今天")
                valid = False
            elif day.year != self.year and not (day.year == end.year and day <= end):
                message = f"应为{self.year}年度内的日期（本申报为{self.year}年度）"
                if end.year != self.year:
                    message = f"应在{self.year}年1月1日至{end.year}年{end.month}月{end.day}日之间"
                self.date.errors.append(message)
                valid = False
        if not valid:
            return False
        return self.evaluate_with_engine()

    def evaluate_with_engine(self, *, require_subject: bool = True) -> bool:
        try:
            self.result = rules.evaluate_claim(
                self.rule_set,
                self.engine_claim(),
                year=self.year,
                require_subject=require_subject,
            )
        except rules.RuleError as error:
            self.attach_rule_error(error)
            return False
        return True

    def attach_rule_error(self, error: rules.RuleError) -> None:
        if error.fact and error.fact in self:
            self[error.fact].errors = [*self[error.fact].errors, error.message]
        else:
            self.form_errors.append(error.message)

    def preview(self) -> tuple[rules.ClaimResult | None, dict[str, str]]:
        """Evaluate without the field checks: the hours, or errors by field for the preview."""
        errors: dict[str, str] = {}
        for name in self.fact_names:
            field = self[name]
            kept = list(field.errors)  # the page's own errors survive a preview
            if not field.validate(self):
                errors[name] = field.errors[0]
            field.errors = kept
        if errors:
            return None, errors
        try:
            result = rules.evaluate_claim(
                self.rule_set, self.engine_claim(), year=self.year, require_subject=False
            )
        except rules.RuleError as error:
            return None, {error.fact or "_": error.message}
        return result, {}


def _fact_field(spec: rules.FactSpec):
    description = spec.help
    if spec.type == "int":
        validators = [InputRequired(f"请填写“{spec.label}”") if spec.required else Optional()]
        render_kw = {"inputmode": "numeric"}
        if spec.min is not None or spec.max is not None:
            if spec.min is not None and spec.max is not None:
                message = f"应在{spec.min}到{spec.max}之间"
            elif spec.min is not None:
                message = f"不能小于{spec.min}"
            else:
                message = f"不能大于{spec.max}"
            validators.append(NumberRange(spec.min, spec.max, message=message))
            if spec.min is not None:
                render_kw["min"] = spec.min
            if spec.max is not None:
                render_kw["max"] = spec.max
        return ChineseIntegerField(
            spec.label,
            validators=validators,
            default=spec.default,
            description=description,
            render_kw=render_kw,
        )
    if spec.type == "choice":
        choices = list(spec.choices)
        validators = [DataRequired(f"请选择“{spec.label}”")] if spec.required else [Optional()]
        return Select(
            spec.label,
            choices=_options([("", "请选择"), *choices]),
            validators=validators,
            validate_choice=False,  # the engine names an impossible value in Chinese
            default=spec.default or "",
            description=description,
        )
    if spec.required:  # a choice to make: no default that silently means "no"
        return YesNoField(
            spec.label,
            validators=[InputRequired(f"请选择“{spec.label}”")],
            validate_choice=False,  # the engine names an impossible value in Chinese
            description=description,
        )
    return BooleanField(spec.label, default=bool(spec.default), description=description)


def _detail_field(name: str, required: bool, hint: str = ""):
    label = DETAIL_LABELS[name]
    hint = hint or DETAIL_HINTS.get(name, "")
    first = DataRequired(f"请填写“{label}”") if required else Optional()
    if name == "date":  # InputRequired keeps the "bad format" message of a given value
        first = InputRequired(f"请填写“{label}”") if required else Optional()
        return ChineseDateField(label, validators=[first], description=hint)
    length = 200 if name == "title" else 100
    return StringField(
        label,
        validators=[first, Length(max=length, message=f"不能超过{length}个字")],
        description=hint,
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


@functools.cache
def claim_form_class(rule_set_id: str, kind_id: str, year: int) -> type[ClaimFormBase]:
    rule_set = rules.get_rule_set(rule_set_id)
    kind = rule_set.kind(kind_id)
    attrs: dict = {"rule_set": rule_set, "kind_spec": kind, "year": year}
    for spec in kind.facts:
        attrs[spec.name] = _fact_field(spec)
    if kind.subject is None:
        attrs["subject"] = Select(
            subject_label(kind),
            choices=_options(SUBJECT_CHOICES),
            validators=[DataRequired(f"请选择“{subject_label(kind)}”")],
            validate_choice=False,
            default=kind.default_subject if kind.conversion else "",
            description=(
                "学时折算认定的条目可由本人选择计入公需科目或专业科目"
                if kind.conversion
                else "按课程本身的类别填写"
            ),
        )
    required = {"title", "date", *kind.identity}
    for name in kind.details:
        hint = date_hint(kind, year) if name == "date" else ""
        attrs[name] = _detail_field(name, name in required, hint)
    attrs["fact_names"] = tuple(spec.name for spec in kind.facts)
    attrs["detail_names"] = tuple(kind.details)
    safe = re.sub(r"\W", "_", f"{rule_set_id}_{kind_id}_{year}")
    return type(f"ClaimForm_{safe}", (ClaimFormBase,), attrs)


def claim_form(rule_set_id: str, kind_id: str, year: int, **kwargs) -> ClaimFormBase:
    return claim_form_class(rule_set_id, kind_id, year)(**kwargs)


def form_data_of(claim) -> dict:
    """A stored claim as form data (for editing)."""
    data = {**(claim.facts or {}), **(claim.details or {}), "subject": claim.subject}
    if data.get("date"):
        try:
            data["date"] = date.fromisoformat(data["date"])
        except ValueError:
            data["date"] = None
    return data
