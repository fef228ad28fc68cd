"""Run-time settings: a value saved by an admin in the Setting table wins over app.config.

Other packages read them with get_setting("EVIDENCE_MAX_FILE_BYTES") and the like.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g

from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.models_base import json_rows
from portal.settings.models import INSTANCE, Setting


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    kind: str  # "int" | "mb" (stored in bytes, edited in MB) | "bool" | "choice"
    minimum: int = 0
    maximum: int = 0
    help: str = ""
    group: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, Chinese label) of a "choice" setting
    too_small: str = ""  # the message below the minimum, where the law sets it
    off_value: int | None = None  # a value outside the range that turns the setting off

    def range_message(self) -> str:
        off = f"（或 {self.off_value}）" if self.off_value is not None else ""
        return f"应在{self.minimum}–{self.maximum}之间{off}"

    def problem(self, value) -> str:
        """Why a value cannot be saved ("" if it can): integers within their bounds."""
        if self.kind not in ("int", "mb"):
            return ""
        if isinstance(value, bool) or not isinstance(value, int):
            return "请填写整数"
        number = value // (1024 * 1024) if self.kind == "mb" else value
        if number == self.off_value:
            return ""
        if number < self.minimum and self.too_small:
            return self.too_small
        if not self.minimum <= number <= self.maximum:
            return self.range_message()
        return ""


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "PASSWORD_MIN_LENGTH", "密码最少位数", "int", 8, 64, "等保2.0要求不少于8位", "密码与登录"
    ),
    SettingSpec(
        "PASSWORD_MIN_CLASSES",
        "密码至少包含的字符类别数",
        "int",
        2,
        4,
        "类别：大写字母、小写字母、数字、符号",
        "密码与登录",
    ),
    SettingSpec("LOGIN_MAX_FAILURES", "连续登录失败锁定次数", "int", 3, 20, "", "密码与登录"),
    SettingSpec("LOGIN_LOCK_MINUTES", "账号锁定时长（分钟）", "int", 1, 1440, "", "密码与登录"),
    SettingSpec(
        "LOGIN_MAX_FAILURES_PER_ADDRESS",
        "同一网络地址允许的失败次数",
        "int",
        5,
        1000,
        "在锁定时长内超过此数，该地址暂停登录，但不锁定被尝试的账号",
        "密码与登录",
    ),
    SettingSpec("IDLE_TIMEOUT_MINUTES", "无操作自动退出（分钟）", "int", 5, 480, "", "密码与登录"),
    SettingSpec(
        "AUDIT_RETENTION_MONTHS",
        "审计日志保存期限（月）",
        "int",
        6,
        120,
        "0 表示永久保存（默认）；设置期限时不少于6个月（《网络安全法》第二十一条、等保2.0），"
        "更早的审计记录每晚清理；其中说明已登记年度的记录清理前先导出到文件（由审计员保管），"
        "清理本身记入审计日志，保留的记录仍可校验完整性",
        "安全审计",
        off_value=0,
    ),
    SettingSpec(
        "EVIDENCE_MAX_FILE_BYTES", "单个证明材料大小上限（MB）", "mb", 1, 60, "", "证明材料"
    ),
    SettingSpec(
        "EVIDENCE_MAX_DECLARATION_BYTES",
        "每份申报证明材料合计上限（MB）",
        "mb",
        1,
        1000,
        "",
        "证明材料",
    ),
    SettingSpec(
        "EVIDENCE_QUOTA_UNCONFIRMED_BYTES",
        "待确认人员的证明材料合计上限（MB）",
        "mb",
        1,
        1000,
        "自行注册、单位尚未确认的人员，确认前上传的证明材料合计不超过此数",
        "证明材料",
    ),
    SettingSpec(
        "EVIDENCE_QUOTA_PERSON_BYTES",
        "每人证明材料合计上限（MB）",
        "mb",
        1,
        100000,
        "每名专业技术人员历年上传的证明材料合计不超过此数",
        "证明材料",
    ),
    SettingSpec(
        "ALLOW_TRANSITION_RULE_SET",
        "允许2025–2030年度选择合肥2021旧办法",
        "bool",
        help="过渡期内专业技术人员可选择按《合肥市专业技术人员继续教育学时核定明细表》认定",
        group="学时认定",
    ),
    SettingSpec(
        "HIGHEST_ONLY_SCOPE",
        "就高原则的认定范围",
        "choice",
        help="第二十一条4“每个年度认定仅能选择一项”：按一项条款（该条款内的多条申报累计）"
        "或仅一条申报认定",
        group="学时认定",
        choices=(("clause", "一项条款（默认）"), ("claim", "一条申报")),
    ),
    SettingSpec(
        "TRAINING_PLAN_LEAD_DAYS",
        "培训计划提前备案天数",
        "int",
        0,
        90,
        "施教机构应在培训开始前提前备案的天数（按日历日计算；最后一天不是工作日的，"
        "须在此前最后一个工作日备案）",
        "学时认定",
    ),
    SettingSpec(
        "UNFILED_TRAINING_REFUSED",
        "未经备案的专业科目培训不予认定",
        "bool",
        help="选“是”（默认，001 三、003 二）：没有有效备案号的专业科目培训计0学时，核验人员只能按"
        "县外备案（国家级、省级基地或外省备案）并写明依据后认定；选“否”：仅向核验人员提示",
        group="学时认定",
    ),
    SettingSpec(
        "PLAN_DECIDED_BY",
        "培训计划备案的审核部门",
        "choice",
        help="选“行业主管部门”：计划所服务的职称系列由哪个行业主管部门主管，即由该部门审核，"
        "人社局只能查看；未填写职称系列或系列无主管部门的计划仍由人社局审核",
        group="学时认定",
        choices=(("bureau", "人社局（默认）"), ("authority", "职称系列的行业主管部门")),
    ),
    SettingSpec(
        "CYCLE_MAKEUP",
        "学时验证按“顺延至下一年度补学”认定",
        "bool",
        help="是：某年度不足的学时只能由下一年度补足（2021年地矿局、合肥市通知）；"
        "否（默认）：任职周期内年度学时平均达到规定学时即可，不得在一个年度内突击完成，"
        "单一年度计入不超过下项倍数（皖人社秘〔2019〕157号、淮北市2025年通知）",
        group="学时验证",
    ),
    SettingSpec(
        "CYCLE_CAP_FACTOR",
        "学时验证单一年度计入上限（年度要求的倍数）",
        "int",
        1,
        5,
        "不按顺延补学认定时，一个年度的学时最多按几个年度的要求计入",
        "学时验证",
    ),
    SettingSpec(
        "TENURE_YEARS_FULL_SENIOR",
        "申报正高职称的任职周期（年）",
        "int",
        1,
        10,
        "学时验证默认年度：任现职起至最近一个已完成年度，最多此年数（文件未作规定，可按本地职称评审要求修改）",
        "学时验证",
    ),
    SettingSpec(
        "TENURE_YEARS_DEPUTY_SENIOR",
        "申报副高职称的任职周期（年）",
        "int",
        1,
        10,
        "学时验证默认年度：任现职起至最近一个已完成年度，最多此年数（文件未作规定，可按本地职称评审要求修改）",
        "学时验证",
    ),
    SettingSpec(
        "TENURE_YEARS_INTERMEDIATE",
        "申报中级职称的任职周期（年）",
        "int",
        1,
        10,
        "学时验证默认年度：任现职起至最近一个已完成年度，最多此年数（文件未作规定，可按本地职称评审要求修改）",
        "学时验证",
    ),
    SettingSpec(
        "TENURE_YEARS_JUNIOR",
        "申报初级（助理级）职称的任职周期（年）",
        "int",
        1,
        10,
        "学时验证默认年度：任现职起至最近一个已完成年度，最多此年数（文件未作规定，可按本地职称评审要求修改）",
        "学时验证",
    ),
    SettingSpec(
        "TENURE_YEARS_ASSISTANT",
        "申报员级职称的任职周期（年）",
        "int",
        1,
        10,
        "学时验证默认年度：任现职起至最近一个已完成年度，最多此年数（文件未作规定，可按本地职称评审要求修改）",
        "学时验证",
    ),
    SettingSpec(
        "STORAGE_MIN_FREE_BYTES",
        "存储空间告警阈值（MB）",
        "mb",
        10,
        102400,
        "实例目录（数据库、证明材料）所在磁盘的剩余空间低于此值，或目录无法写入时，"
        "人社局经办人和管理员在每个页面顶部看到警示",
        "系统",
    ),
    SettingSpec(
        "BACKUP_KEEP",
        "保留的每晚备份份数",
        "int",
        1,
        365,
        "每晚 02:00 自动备份数据库、证明材料和密钥到服务器的备份目录；超过此份数时删除最早的",
        "系统",
    ),
    SettingSpec(
        "FORM_TOKEN_HOURS",
        "防重复提交标记有效期（小时）",
        "int",
        1,
        168,
        "申报条目、证明材料、培训计划、名单等表单打开后在此时间内提交有效；"
        "同一表单重复提交只保存一次，超时须刷新页面重新填写",
        "系统",
    ),
    SettingSpec(
        "TWO_STEP_REVIEW",
        "年度学时分两步核验",
        "bool",
        help="是：先由行业主管部门（或用人单位，按职称系列设置）核验专业科目学时，"
        "再由县人社局核验公需科目和总学时（2025年度办法）；否：由单位或人社局一次核验",
        group="核验与公示",
    ),
    SettingSpec(
        "UNIT_PUBLICITY",
        "允许用人单位公示本单位人员",
        "bool",
        help="是：单位经办人可将本单位核验通过的申报自行公示（第十四条）；否：由人社局统一公示",
        group="核验与公示",
    ),
    SettingSpec(
        "PUBLICITY_WORKING_DAYS",
        "公示期（工作日）",
        "int",
        5,
        30,
        "公示期不少于5个工作日（第十四条）",
        "核验与公示",
        too_small="公示期不得少于5个工作日（第十四条）。",
    ),
)
SPECS = {spec.key: spec for spec in SETTINGS}


# Settings a county may set for itself, over its city's, over the instance's (issue 24.3).
PER_COUNTY_GROUPS = frozenset({"学时认定", "学时验证", "核验与公示"})
PER_COUNTY_KEYS = frozenset({"BUREAU_NAME", "ONLINE_GENERAL_STUDY_ENDS"})


def is_per_county(key: str) -> bool:
    spec = SPECS.get(key)
    return key in PER_COUNTY_KEYS or (spec is not None and spec.group in PER_COUNTY_GROUPS)


def _saved() -> dict[tuple[str, str], object]:
    """The saved values, read once per request, all in one query (a handful of rows per
    county): every logged-in page asks for several. A logged-in request has them already: the
    account's statement brought them along (saved_rows(), keep())."""
    saved = g.get("_settings")
    if saved is None:
        rows = db.session.execute(
            sa.select(Setting.jurisdiction_code, Setting.key, Setting.value)
        ).all()
        saved = keep(rows)
    return saved


def keep(rows) -> dict[tuple[str, str], object]:
    """The request's saved values, from (jurisdiction_code, key, value) rows. Other rows
    (markers such as the county generator's) have no "value"."""
    g._settings = {
        (code, k): v["value"] for code, k, v in rows if isinstance(v, dict) and "value" in v
    }
    return g._settings


def saved_rows(dialect: str) -> sa.ColumnElement:
    """Every saved row as one JSON array of [jurisdiction_code, key, value] (NULL or [] when
    there are none), for a statement that reads something else too: the logged-in account's
    brings the request's settings along instead of a round trip of their own (on PostgreSQL
    about half a millisecond of each page's CPU). dialect: the database's (SQL differs)."""
    # SQLite stores the value as text: json() makes it JSON again
    value = Setting.value if dialect == "postgresql" else sa.func.json(Setting.value)
    aggregate = json_rows(dialect, Setting.jurisdiction_code, Setting.key, value)
    return sa.type_coerce(sa.select(aggregate).scalar_subquery(), sa.JSON)


def get_setting(key: str, county: str | None = None):
    """The saved value, or app.config[key]. A per-county setting is looked up for `county` (by
    default the request's: the account's county, or the one a command names), then its city,
    then the province, then the instance-wide value."""
    saved = _saved()
    if is_per_county(key):
        county = county or scope.home_county()
        for code in (county, *jurisdictions.ancestors(county)) if county else ():
            if (code, key) in saved:
                return saved[(code, key)]
    if (INSTANCE, key) in saved:
        return saved[(INSTANCE, key)]
    return current_app.config[key]


def setting_at(key: str, jurisdiction: str = INSTANCE):
    """The value in force at one level: a county's or city's (its own, else its city's, ...),
    or the instance's (INSTANCE: the saved instance-wide value, else config)."""
    if jurisdiction != INSTANCE and is_per_county(key):
        return get_setting(key, jurisdiction)
    saved = _saved()
    return saved[(INSTANCE, key)] if (INSTANCE, key) in saved else current_app.config[key]


def source_of(key: str, county: str) -> str:
    """Where a county's value of a per-county key comes from: its own code, an ancestor's
    code, or INSTANCE (the instance's saved value or config)."""
    saved = _saved()
    for code in (county, *jurisdictions.ancestors(county)):
        if (code, key) in saved:
            return code
    return INSTANCE


def has_own_setting(key: str, jurisdiction: str) -> bool:
    """Has this county (or city) saved its own value of the key?"""
    return (jurisdiction, key) in _saved()


def set_setting(key: str, value, jurisdiction: str = INSTANCE) -> None:
    """Save a value, instance-wide or for one county or city (no audit, no commit: use
    portal.admin.service.save_settings)."""
    row = db.session.get(Setting, (jurisdiction, key))
    if row is None:
        db.session.add(Setting(jurisdiction_code=jurisdiction, key=key, value={"value": value}))
    else:
        row.value = {"value": value}
    g.pop("_settings", None)


def display(spec: SettingSpec, value) -> str:
    if spec.kind == "bool":
        return "是" if value else "否"
    if spec.kind == "mb":
        return f"{value / 1024 / 1024:g} MB"
    if spec.kind == "choice":
        return dict(spec.choices).get(value, str(value))
    return str(value)
