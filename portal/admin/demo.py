"""The demo county: `flask --app portal demo` loads it, idempotently.

Everything is looked up by a natural key (a name, a USCC, a user name, an ID number) and created
only when missing, so running the command again changes nothing and duplicates nothing; rows an
operator has changed since are left as they are.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import FileStorage

from portal import clock
from portal.accounts import people as person_ops
from portal.accounts.idnumbers import birth_date, make_id_number, make_uscc
from portal.accounts.models import Employment, PersonStatus, PersonTitle, Professional, Role, User
from portal.accounts.service import hash_password
from portal.admin import demo_flow
from portal.board import service as board
from portal.certificates import service as certificates
from portal.certificates.fonts import FontNotFound, certificate_font
from portal.clock import LOCAL_TZ
from portal.declarations import paper
from portal.declarations import service as declarations
from portal.declarations.models import ClaimDecision, Declaration
from portal.extensions import db
from portal.jurisdictions.models import Jurisdiction
from portal.providers import lists as qualified_lists
from portal.providers import service as providers
from portal.providers.models import TrainingPlan
from portal.review import service as review
from portal.settings.models import Setting
from portal.units.models import Authority, Provider, TitleLevel, TitleSeries, Unit, UnitType
from portal.verification import demo as verification_demo

# 9 characters of 4 classes: meets the 等保 2.0 default policy
# Demo data only, printed by `flask demo` (bandit B105 accepted).
DEMO_PASSWORD = "Demo@2025"  # nosec B105
COUNTY = "示范县"
AREA = "341822"  # the county's administrative division code, used in the USCCs

# Seed 002 附件: 专业技术系列行业主管部门一览表 (序号, 系列, 主管部门), in its order.
AUTHORITIES: list[tuple[str, str]] = [
    ("市教体局", "教师"),
    ("市卫健委", "卫生"),
    ("市住建局", "建设"),
    ("市水利局", "水利水电"),
    ("市农业农村局", "农业（农机）"),
    ("市自然资源和规划局", "林业"),
    ("市经信局", "经济、电子信息"),
    ("市交通局", "交通工程"),
    ("市委党校", "党校教师"),
    ("市生态环境分局", "环境"),
    ("市财政局", "会计"),
    ("市文化旅游局", "群文、艺术、文博"),
    ("市融媒体中心", "电视工程、播音、编辑"),
]

# Seed 001 附件1: 市级继续教育基地情况一览表, all 32 rows (序号, 名称, 联系电话). Rows 14 and 16
# are the same school with the same telephone number, so the list names 31 distinct providers.
PROVIDER_ROWS: list[tuple[int, str, str]] = [
    (1, "合肥工业学校", "62611533"),
    (2, "合肥市职工大学", "64296916"),
    (3, "肥东县教师继续教育中心", "13965038008"),
    (4, "合肥市包河区电教与装备中心", "63357439"),
    (5, "合肥高新区人力资源开发管理中心", "65396569"),
    (6, "安徽广播电视大学合肥分校", "62691076"),
    (7, "合肥东方英才人才有限公司", "19965200624"),
    (8, "合肥宏景软件有限公司", "63632001"),
    (9, "合肥幼儿师范高等专科学校", "62520133"),
    (10, "长丰县城关中学", "62726528"),
    (11, "合肥学院", "62158551"),
    (12, "合肥市银屏广播电视艺术培训学校", "18110978724"),
    (13, "合肥市蜀山区教育体育局电教馆", "17305601008"),
    (14, "合肥皖博职业培训学校", "63685609"),
    (15, "合肥市食品药品检验中心", "62809215"),
    (16, "合肥皖博职业培训学校", "63685609"),
    (17, "安徽合肥技师学院", "69126489"),
    (18, "庐阳区电教馆", "65699984"),
    (19, "合肥市农业经济技术服务管理总站", "62936912"),
    (20, "合肥市职业技术学院", "15209891936"),
    (21, "长丰县技工学校", "66671944"),
    (22, "安徽省环安人才服务有限公司", "65748882"),
    (23, "合肥生态建设职业培训学校", "65171672"),
    (24, "肥西师范学校", "13866112690"),
    (25, "黄麓师范学校", "18256583067"),
    (26, "庐江教师进修学校", "13637295200"),
    (27, "合肥市第三十八中学", "18214742265"),
    (28, "合肥特殊教育中心", "13955166638"),
    (29, "合肥市卫生人力资源培训管理服务中心", "63671347"),
    (30, "合肥市人力资源培训中心", "62630462"),
    (31, "合肥建筑业培训中心", "65396286"),
    (32, "合肥市财政干部教育中心", "65690323"),
]
PROVIDER_NAMES: list[str] = list(dict.fromkeys(name for _, name, _ in PROVIDER_ROWS))
PROVIDER_CATEGORY = "市级继续教育基地"

# The HR clerk (单位经办人) of each state-owned unit.
REVIEWER_NAMES = {
    "yz": "孔令华",
    "xx": "石慧",
    "yy": "龚建民",
    "zy": "陆晓云",
    "sl": "温国栋",
    "ct": "秦丽",
    "js": "邵长春",
    "cz": "毛小燕",
    "ny": "江德胜",
}


@dataclass(frozen=True)
class DemoUnit:
    key: str  # short name used below and in reviewer user names
    name: str
    type: UnitType
    authority: str
    sequence: int  # makes the organisation code, hence the USCC, stable


UNITS: list[DemoUnit] = [
    DemoUnit("yz", "示范县第一中学", UnitType.INSTITUTION, "市教体局", 1),
    DemoUnit("xx", "示范县实验小学", UnitType.INSTITUTION, "市教体局", 2),
    DemoUnit("yy", "示范县人民医院", UnitType.INSTITUTION, "市卫健委", 3),
    DemoUnit("zy", "示范县中医院", UnitType.INSTITUTION, "市卫健委", 4),
    DemoUnit("sl", "示范县水利工程管理站", UnitType.INSTITUTION, "市水利局", 5),
    DemoUnit("ct", "示范县城市建设投资有限公司", UnitType.STATE_ENTERPRISE, "市住建局", 6),
    DemoUnit("js", "示范县交通建设有限公司", UnitType.STATE_ENTERPRISE, "市交通局", 7),
    DemoUnit("cz", "示范县财政局", UnitType.ORGAN, "市财政局", 8),
    DemoUnit("ny", "示范县农业农村局", UnitType.ORGAN, "市农业农村局", 9),
    DemoUnit("dz", "安徽示范电子科技有限公司", UnitType.PRIVATE_ENTERPRISE, "市经信局", 10),
    DemoUnit("kj", "示范县正信会计师事务所有限公司", UnitType.PRIVATE_ENTERPRISE, "市财政局", 11),
    DemoUnit("xh", "示范县建筑业协会", UnitType.SOCIAL_ORG, "市住建局", 12),
]

# USCC 登记管理部门码 + 机构类别码 (GB 32100): 11 机关, 12 事业单位, 91 企业, 51 社会团体.
_USCC_PREFIX = {
    UnitType.ORGAN: "11",
    UnitType.INSTITUTION: "12",
    UnitType.STATE_ENTERPRISE: "91",
    UnitType.PRIVATE_ENTERPRISE: "91",
    UnitType.SOCIAL_ORG: "51",
}

# Title names by series and level (正高, 副高, 中级, 初级, 员级); None: the level does not exist.
TITLES: dict[str, tuple[str | None, ...]] = {
    "教师": ("正高级教师", "高级教师", "一级教师", "二级教师", "三级教师"),
    "卫生": ("主任医师", "副主任医师", "主治医师", "医师", "医士"),
    "护理": ("主任护师", "副主任护师", "主管护师", "护师", "护士"),
    "建设": ("正高级工程师", "高级工程师", "工程师", "助理工程师", "技术员"),
    "水利水电": ("正高级工程师", "高级工程师", "工程师", "助理工程师", "技术员"),
    "交通工程": ("正高级工程师", "高级工程师", "工程师", "助理工程师", "技术员"),
    "会计": ("正高级会计师", "高级会计师", "会计师", "助理会计师", None),
    "经济": ("正高级经济师", "高级经济师", "经济师", "助理经济师", None),
    "农业": ("农业技术推广研究员", "高级农艺师", "农艺师", "助理农艺师", "技术员"),
    "电子信息": ("正高级工程师", "高级工程师", "工程师", "助理工程师", "技术员"),
}
LEVELS = ("正高", "副高", "中级", "初级", "员级")

# The demo's series names that are part of a seed 002 row (the others are rows themselves).
SERIES_ROW = {
    "护理": "卫生",
    "经济": "经济、电子信息",
    "电子信息": "经济、电子信息",
    "农业": "农业（农机）",
}
# Age at which a title of each level is obtained (正高 … 员级), for the demo's dates.
TITLE_AGE = (44, 37, 30, 25, 22)
LAST_TITLE_YEAR = 2024

# Earlier employment: name → (earlier unit key, day the earlier period began, day of the move).
EARLIER_UNIT: dict[str, tuple[str, date, date]] = {
    "余慧敏": ("yz", date(2012, 9, 1), date(2023, 3, 1)),  # teacher moved between schools
    "汪丽萍": ("kj", date(2013, 7, 1), date(2022, 9, 1)),  # accountant: private firm → organ
}
# Came from another province (004 第十四条): the province's rules apply from this day.
TRANSFER_IN = {"夏雨": date(2024, 7, 1), "冯丽": date(2023, 3, 1)}
DEMO_HIRED = date(2015, 9, 1)  # the start of everyone else's current employment

# Which series each unit employs.
UNIT_SERIES: dict[str, tuple[str, ...]] = {
    "yz": ("教师",),
    "xx": ("教师",),
    "yy": ("卫生", "护理"),
    "zy": ("卫生", "护理"),
    "sl": ("水利水电",),
    "ct": ("建设", "会计"),
    "js": ("交通工程", "经济"),
    "cz": ("会计", "经济"),
    "ny": ("农业",),
    "dz": ("电子信息", "经济"),
    "kj": ("会计",),
    "xh": ("建设",),
}

# 60 people: name, unit key (None: freelance), birth date.
PEOPLE: list[tuple[str, str | None, date]] = [
    ("王晓梅", "yz", date(1979, 3, 14)),
    ("李建国", "yz", date(1968, 11, 2)),
    ("张丽娟", "yz", date(1985, 6, 21)),
    ("刘志强", "yz", date(1990, 9, 8)),
    ("陈静", "yz", date(1993, 1, 27)),
    ("杨帆", "yz", date(1996, 4, 3)),
    ("赵雪芳", "xx", date(1982, 7, 16)),
    ("黄磊", "xx", date(1975, 12, 5)),
    ("周婷婷", "xx", date(1991, 2, 19)),
    ("吴海燕", "xx", date(1987, 10, 30)),
    ("徐明", "xx", date(1998, 5, 11)),
    ("孙立新", "yy", date(1966, 8, 23)),
    ("胡文华", "yy", date(1972, 4, 9)),
    ("朱晓东", "yy", date(1980, 1, 15)),
    ("高玉兰", "yy", date(1984, 3, 28)),
    ("林少华", "yy", date(1989, 12, 12)),
    ("何佳", "yy", date(1994, 6, 6)),
    ("郭子豪", "yy", date(1997, 8, 17)),
    ("马春花", "zy", date(1970, 2, 24)),
    ("罗志远", "zy", date(1978, 9, 1)),
    ("梁燕", "zy", date(1986, 11, 20)),
    ("宋雨萱", "zy", date(1995, 7, 4)),
    ("郑国平", "sl", date(1969, 5, 18)),
    ("谢文斌", "sl", date(1983, 10, 7)),
    ("韩冬梅", "sl", date(1992, 12, 25)),
    ("唐建华", "ct", date(1974, 6, 13)),
    ("冯丽", "ct", date(1981, 8, 29)),
    ("于洋", "ct", date(1988, 3, 2)),
    ("董卫东", "ct", date(1993, 9, 22)),
    ("萧红梅", "js", date(1977, 1, 9)),
    ("程远航", "js", date(1985, 4, 26)),
    ("曹敏", "js", date(1990, 11, 14)),
    ("袁德胜", "cz", date(1971, 7, 31)),
    ("邓晓琳", "cz", date(1984, 2, 8)),
    ("许文静", "cz", date(1991, 5, 17)),
    ("傅家伟", "ny", date(1967, 10, 19)),
    ("沈玉珍", "ny", date(1976, 12, 3)),
    ("曾凡军", "ny", date(1987, 7, 28)),
    ("彭丽华", "ny", date(1995, 3, 10)),
    ("吕志刚", "dz", date(1983, 9, 5)),
    ("苏晨", "dz", date(1990, 1, 23)),
    ("卢思远", "dz", date(1994, 8, 14)),
    ("蒋雯", "dz", date(1997, 11, 29)),
    ("蔡国庆", "kj", date(1973, 4, 16)),
    ("贾淑芬", "kj", date(1982, 6, 30)),
    ("丁浩然", "kj", date(1992, 10, 11)),
    ("魏建军", "xh", date(1972, 3, 7)),
    ("薛梅", "xh", date(1986, 5, 24)),
    ("叶志华", "xh", date(1993, 2, 15)),
    ("阎春生", "yz", date(1964, 12, 20)),
    ("余慧敏", "xx", date(1988, 8, 2)),
    ("潘德明", "yy", date(1976, 10, 26)),
    ("杜晓燕", "zy", date(1983, 1, 31)),
    ("戴志勇", "sl", date(1979, 7, 12)),
    ("夏雨", "ct", date(1996, 9, 18)),
    ("钟建平", "js", date(1968, 4, 4)),
    ("汪丽萍", "cz", date(1989, 6, 9)),
    ("田野", None, date(1985, 12, 1)),  # freelance 会计
    ("任晓光", None, date(1978, 2, 13)),  # freelance 建设
    ("姜海波", None, date(1991, 4, 22)),  # freelance 经济
]
FREELANCE_SERIES = {"田野": "会计", "任晓光": "建设", "姜海波": "经济"}
# People who registered themselves and wait for their unit (or the bureau) to confirm them.
PENDING = {"杨帆", "徐明", "郭子豪", "蒋雯", "姜海波", "叶志华"}


@dataclass(frozen=True)
class Login:
    role: Role
    username: str
    name: str
    note: str = ""


def _org_code(sequence: int) -> str:
    """A 9-character organisation code (GB 11714) with its own check character."""
    body = f"MA{sequence:06d}"
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    remainder = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(remainder, str(remainder))


def demo_uscc(unit: DemoUnit) -> str:
    return make_uscc(_USCC_PREFIX[unit.type] + AREA + _org_code(unit.sequence))


FEMALE = {
    "王晓梅", "张丽娟", "陈静", "赵雪芳", "周婷婷", "吴海燕", "高玉兰", "何佳", "马春花", "梁燕",
    "宋雨萱", "韩冬梅", "冯丽", "萧红梅", "曹敏", "邓晓琳", "许文静", "沈玉珍", "彭丽华", "蒋雯",
    "贾淑芬", "薛梅", "余慧敏", "杜晓燕", "汪丽萍",
}  # fmt: skip


def demo_id_number(index: int, name: str, born: date) -> str:
    """Stable per person; the sequence's last digit is odd for men and even for women."""
    return make_id_number(born, 100 + index * 2 + (0 if name in FEMALE else 1))


def _title(series: str, index: int) -> tuple[str, str]:
    names = TITLES[series]
    # A spread over the levels, weighted to 中级 and 初级 as in a real county.
    pattern = (2, 3, 1, 2, 3, 0, 2, 1, 3, 4, 2, 1)
    level = pattern[index % len(pattern)]
    while names[level] is None:
        level -= 1
    return LEVELS[level], names[level]  # type: ignore[return-value]


def _person_title(series_rows, series: str, level: str, name: str, born: date, index: int):
    level_index = LEVELS.index(level)
    year = min(born.year + TITLE_AGE[level_index], LAST_TITLE_YEAR)
    obtained = date(year, 1 + index % 12, 1)
    # Two in three were appointed (聘任) some months later; the others not (yet).
    appointed = date(year + (obtained.month > 6), 1 + (obtained.month + 3) % 12, 1)
    return PersonTitle(
        series=series_rows[SERIES_ROW.get(series, series)],
        level=TitleLevel.from_label(level),
        name=name,
        obtained=obtained,
        appointed=appointed if index % 3 else None,
    )


def _employments(name: str, unit: Unit | None, units: dict[str, Unit]) -> list[Employment]:
    """The person's periods, the last one open at their current unit."""
    if name not in EARLIER_UNIT:
        started = TRANSFER_IN.get(name, DEMO_HIRED)
        return [Employment(unit=unit, started_on=started)]
    earlier, began, moved = EARLIER_UNIT[name]
    return [
        Employment(
            unit=units[earlier], started_on=began, ended_on=date.fromordinal(moved.toordinal() - 1)
        ),
        Employment(unit=unit, started_on=moved),
    ]


def _get_or_add(model, defaults: dict, **key):
    row = db.session.scalar(sa.select(model).filter_by(**key))
    if row is None:
        row = model(**key, **defaults)
        db.session.add(row)
        db.session.flush()
    return row


def _user(role: Role, username: str, name: str, **fields) -> User:
    return _get_or_add(
        User,
        {
            "password_hash": hash_password(DEMO_PASSWORD),
            "role": role,
            "name": name,
            "password_changed_at": datetime.now(UTC),
            **fields,
        },
        username=username,
    )


def load() -> list[Login]:
    """Load the demo county into the current session and flush; the caller commits."""
    logins: list[Login] = []
    bureau_name = current_app.config["BUREAU_NAME"]
    _get_or_add(Setting, {"value": {"value": bureau_name}}, key="BUREAU_NAME")  # as set_setting
    county = db.session.get(Jurisdiction, current_app.config["JURISDICTION_CODE"])
    county.name, county.bureau_name = COUNTY, bureau_name  # 示范县, not GB/T 2260's 广德县

    authorities = {name: _get_or_add(Authority, {}, name=name) for name, _ in AUTHORITIES}
    series_rows = {
        series: _get_or_add(TitleSeries, {"authority": authorities[name]}, name=series)
        for name, series in AUTHORITIES
    }
    phones = {name: phone for _, name, phone in PROVIDER_ROWS}
    for name in PROVIDER_NAMES:
        _get_or_add(Provider, {"category": PROVIDER_CATEGORY, "phone": phones[name]}, name=name)

    units: dict[str, Unit] = {}
    for spec in UNITS:
        units[spec.key] = _get_or_add(
            Unit,
            {
                "name": spec.name,
                "type": spec.type,
                "county": COUNTY,
                "authority": authorities[spec.authority],
            },
            uscc=demo_uscc(spec),
        )

    admin = _user(Role.ADMIN, "admin", "系统管理员")
    logins.append(Login(Role.ADMIN, admin.username, admin.name))
    auditor = _user(Role.AUDITOR, "auditor", "安全审计员")
    logins.append(Login(Role.AUDITOR, auditor.username, auditor.name))
    officer = _user(Role.BUREAU_OFFICER, "bureau", "方卫国", phone="05636040320")
    logins.append(Login(Role.BUREAU_OFFICER, officer.username, officer.name, bureau_name))
    reviewers: dict[str, User] = {}
    for spec in UNITS:
        if spec.type.reviewed_by_bureau:
            continue  # non-public units and social organisations are reviewed by the bureau
        reviewer = _user(
            Role.UNIT_REVIEWER, f"unit-{spec.key}", REVIEWER_NAMES[spec.key], unit=units[spec.key]
        )
        reviewers[spec.key] = reviewer
        logins.append(Login(Role.UNIT_REVIEWER, reviewer.username, reviewer.name, spec.name))
    provider = db.session.scalar(sa.select(Provider).filter_by(name=PROVIDER_NAMES[0]))
    provider_user = _user(Role.PROVIDER, "provider", "合肥工业学校培训科", provider=provider)
    logins.append(Login(Role.PROVIDER, provider_user.username, provider_user.name, provider.name))

    people: dict[str, Professional] = {}
    series_seen: dict[str, int] = {}
    for index, (name, unit_key, born) in enumerate(PEOPLE):
        series = FREELANCE_SERIES[name] if unit_key is None else None
        if series is None:
            choices = UNIT_SERIES[unit_key]
            series = choices[index % len(choices)]
        level, title_name = _title(series, series_seen.get(series, 0))
        series_seen[series] = series_seen.get(series, 0) + 1
        id_number = demo_id_number(index, name, born)
        pending = name in PENDING
        unit = units[unit_key] if unit_key else None
        confirmer = officer if unit is None or unit.reviewed_by_bureau else reviewers[unit_key]
        people[name] = _get_or_add(
            Professional,
            {
                "name": name,
                "phone": f"139{5630000 + index * 37:08d}",
                "birth_date": birth_date(id_number),
                "unit": unit,
                "title_series": series,
                "title_level": level,
                "title_name": title_name,
                "status": PersonStatus.PENDING if pending else PersonStatus.CONFIRMED,
                "confirmed_by": None if pending else confirmer,
                "confirmed_at": None if pending else datetime(2025, 3, 3, 1, 30, tzinfo=UTC),
                "transfer_in_date": TRANSFER_IN.get(name),
            },
            id_number=id_number,
        )
        person = people[name]
        if not person.titles:
            person.titles.append(_person_title(series_rows, series, level, title_name, born, index))
        if not person.employments:
            person.employments.extend(_employments(name, unit, units))

    # Professionals who log in (with their ID number): one of each situation.
    with_accounts = [
        ("王晓梅", "事业单位教师，已登记2024年度"),
        ("朱晓东", "医院医生，2025年度待核验"),
        ("唐建华", "国有企业工程师"),
        ("吕志刚", "非公企业（人社局核验）"),
        ("田野", "自由职业（人社局核验）"),
        ("杨帆", "自行注册，待单位确认"),
        ("冯丽", "国有企业，2023年自外省调入（此前年度不要求学时）"),
        ("彭丽华", "机关，2025年度突击完成两年学时（学时验证未通过）"),
        ("阎春生", "中学教师（副高），2025年度待市人社局核验公需科目和总学时"),
        ("于洋", "国有企业，2025年度按合肥办法申报本公司内部培训（计0学时）；已调往交通建设公司"),
    ]
    for name, note in with_accounts:
        person = people[name]
        if person.user is None:
            person.user = _user(
                Role.PROFESSIONAL, person.id_number, person.name, phone=person.phone
            )
        logins.append(Login(Role.PROFESSIONAL, person.user.username, person.name, note))

    _declarations(people, reviewers, officer)
    _training_plans(provider_user, officer, people)
    _paper_years(people, reviewers, officer)
    # Seed 003: people whose title predates 2025-06-12 keep the old rules, by the bulk rule.
    if not any(person.keeps_old_rules for person in people.values()):
        person_ops.mark_old_rules_by_title(officer)
    city_code = county.parent_code  # the city's officers and its authorities (市教体局, 市卫健委)
    city = _user(
        Role.CITY_OFFICER, "city", "孙立新", phone="05512668000", jurisdiction_code=city_code
    )
    logins.append(Login(Role.CITY_OFFICER, city.username, city.name, "市人力资源和社会保障局"))
    for username, name, authority in (
        ("authority-edu", "钱文静", "市教体局"),
        ("authority-health", "周海燕", "市卫健委"),
    ):
        officer_of = _user(
            Role.AUTHORITY_OFFICER,
            username,
            name,
            authority=authorities[authority],
            jurisdiction_code=city_code,
        )
        logins.append(Login(Role.AUTHORITY_OFFICER, officer_of.username, name, authority))
    province_code = db.session.get(Jurisdiction, city_code).parent_code
    province = _user(
        Role.PROVINCE_VIEWER,
        "province",
        "韩明",
        phone="05512872000",
        jurisdiction_code=province_code,
    )
    logins.append(Login(Role.PROVINCE_VIEWER, province.username, province.name, "省人社厅（只读）"))
    demo_flow.load(people, reviewers, officer, _declare, logins)
    verification_demo.load(people, reviewers, officer, _declare)
    db.session.flush()
    return logins


# Each demo declaration: (person, year, rule set, claims, the steps it goes through).
# A claim is (kind, subject, facts, details).
TEACHER_2024 = [
    ("public_course", "general", {"courses": 1}, {"title": "2024年度公需科目（网络培训）"}),
    (
        "training.decided",
        "professional",
        {"decided_hours": 48},
        {"title": "2024年示范县初中数学骨干教师培训", "issuer": "合肥工业学校"},
    ),
    (
        "training.decided",
        "professional",
        {"decided_hours": 24},
        {"title": "新课标背景下的作业设计专题研修", "issuer": "肥东县教师继续教育中心"},
    ),
]
# The teacher's 2024 trainings were filed outside the county: the reviewer says where (22.1).
TEACHER_2024_FILED = [
    ("", ""),
    ("provincial", "合肥工业学校为省级继续教育基地，结业证书已核验"),
    ("other_county", "肥东县教师继续教育中心的培训经肥东县人社局备案，备案通知已核验"),
]
DOCTOR_2025 = [
    ("courseware", "general", {"hours": 30}, {"title": "2025年度公需科目网络课件"}),
    (
        "training",
        "professional",
        {"days": 8},
        {
            "title": "基层医院急危重症救治能力提升培训",
            "issuer": "合肥市卫生人力资源培训管理服务中心",
        },
    ),
    (
        "training",
        "professional",
        {"days": 3},
        {"title": "安徽省医学会心血管病学年会", "issuer": "安徽省医学会"},
    ),
]


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment of the demo's past, in the bureau's time zone."""
    return datetime(year, month, day, hour, tzinfo=LOCAL_TZ)


def _declarations(people: dict[str, Professional], reviewers: dict[str, User], officer: User):
    """The demo's declarations, made by the services a user's clicks call (so a broken service
    breaks the demo): the teacher's 2024 year goes the whole way to registration, the doctor's
    2025 year waits for review."""
    teacher, doctor = people["王晓梅"], people["朱晓东"]
    if _declared(teacher, 2024) is None:
        declaration = _declare(teacher, 2024, "hefei-2021", TEACHER_2024, _at(2024, 11, 4))
        with clock.travel(_at(2024, 11, 6)):
            for claim, why in zip(declaration.claims, TEACHER_2024_FILED, strict=True):
                review.decide_claim(
                    reviewers["yz"],
                    claim,
                    ClaimDecision.ACCEPTED,
                    reason=why[1],
                    filed_elsewhere=why[0],
                )
            review.approve(reviewers["yz"], declaration, "材料齐全，予以认定。")
        with clock.travel(_at(2024, 11, 7)):
            board.open_batch(
                officer,
                [declaration.id],
                date(2024, 11, 8),
                "示范县2024年度专业技术人员继续教育学时公示（第1批）",
            )
        with clock.travel(_at(2024, 11, 15, 16)):
            board.close_due(user=officer)
    if _declared(doctor, 2025) is None:
        _declare(doctor, 2025, "anhui-2025", DOCTOR_2025, _at(2025, 11, 20, 14))


# Years before the portal, from paper 继续教育证书: (person, {year: (公需, 专业)}). With the
# portal years they give five-year cycles (2021–2025) to verify; 唐建华 fell short in 2022.
PAPER_YEARS = [
    ("陈静", {2021: (30, 64), 2022: (32, 60), 2023: (30, 72), 2024: (30, 66)}),
    ("朱晓东", {2021: (30, 60), 2022: (30, 66), 2023: (36, 60), 2024: (30, 62)}),
    ("赵雪芳", {2021: (30, 60), 2022: (24, 48), 2023: (30, 60), 2024: (30, 70)}),
    ("周婷婷", {2021: (30, 60), 2022: (30, 60), 2023: (30, 64), 2024: (30, 60)}),
]


PAPER_REASON_2024 = (
    "本人2024年度参加的培训已由原单位在纸质证书上登记，未在本系统申报；经核对原件补录。"
)


def _paper_years(people: dict[str, Professional], reviewers: dict[str, User], officer: User):
    """Entered by the person's unit (the bureau for those it reviews), as the page does, with
    the booklet's registering body and date; 2024, a year the portal reviewed (the teacher's),
    only by the bureau with its written reason (issue 22.3)."""
    by_unit = {reviewer.unit_id: reviewer for reviewer in reviewers.values()}
    registrar = certificates.bureau_name()
    for name, years in PAPER_YEARS:
        person = people[name]
        for year, (general, professional) in years.items():
            if _declared(person, year) is not None:
                continue
            late = paper.could_be_reviewed(year)
            clerk = officer if late else by_unit.get(person.unit_id, officer)
            title = f"{year}年度继续教育证书（纸质）"
            with clock.travel(_at(2025, 3, 10)):
                paper.enter_paper_year(
                    clerk,
                    person,
                    year,
                    general,
                    professional,
                    _demo_evidence(person, year, title),
                    registrar=registrar,
                    registered_on=date(year + 1, 1, 10),
                    reason=PAPER_REASON_2024 if late else "",
                )


def _declared(person: Professional, year: int) -> Declaration | None:
    return db.session.scalar(sa.select(Declaration).filter_by(professional_id=person.id, year=year))


def _declare(person: Professional, year: int, rule_set: str, claims: list, at: datetime):
    """Open, fill (one demo PDF per claim) and submit a declaration as the person would."""
    user = person.user
    with clock.travel(at):
        declaration = declarations.open_declaration(user, year, rule_set)
        for kind, subject, facts, details in claims:
            claim = declarations.add_claim(user, declaration, kind, facts, details, subject)
            declarations.add_evidence(user, claim, _demo_evidence(person, year, details["title"]))
        declarations.submit(user, declaration)
    return declaration


def _demo_evidence(person, year: int, title: str) -> FileStorage:
    """A one-page PDF standing in for a scanned proof, uploaded like a person's file."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A5, invariant=1)
    try:
        page.setFont(certificate_font().family + "_00", 14)  # the name fonts.py registers
        lines = ["演示证明材料", f"{person.name}  {year}年度", title]
    except FontNotFound:  # no CJK font on this machine: the file is still a valid PDF
        page.setFont("Helvetica", 14)
        lines = ["Demo evidence", f"{year}"]
    for number, line in enumerate(lines):
        page.drawString(40, 520 - 28 * number, line)
    page.save()
    buffer.seek(0)
    return FileStorage(buffer, filename=f"{title}.pdf", content_type="application/pdf")


def ensure_schema() -> str:
    """Create the schema when the database has no tables: migrations if any, else create_all."""
    inspector = sa.inspect(db.engine)
    if inspector.get_table_names():
        return "existing"
    from pathlib import Path

    directory = Path(current_app.extensions["migrate"].directory)
    if any((directory / "versions").glob("*.py")):
        from flask_migrate import upgrade

        upgrade(directory=str(directory))
        return "migrated"
    db.create_all()
    return "created"


# The provider's plans: one accepted with its qualified list imported (prepared claims in the
# teachers' 2025 drafts, one trainee not on record), one refused, one waiting for the bureau.
ACCEPTED_PLAN = "2025年示范县中小学教师信息技术应用能力提升培训"
REFUSED_PLAN = "2025年会计人员职业道德专题讲座"
PENDING_PLAN = "示范县卫生专业技术人员急救技能培训"
LIST_PEOPLE = ["吴海燕", "李建国", "张丽娟"]
PARTIAL_HOURS = {"张丽娟": 6}  # one of the two days (issue 22.4)


def _plan(user: User, title: str, start: date, end: date, days: int, series: str, **extra):
    existing = db.session.scalar(sa.select(TrainingPlan).filter_by(title=title))
    if existing is not None:
        return None
    data = {
        "title": title,
        "subject": "professional",
        "series": series,
        "start_date": start,
        "end_date": end,
        "days": days,
        "hours_per_day": 6,
        "place": "合肥工业学校实训楼",
        "form": "face",
        "expected_trainees": 60,
        "teachers": "陈明（合肥工业学校）、周红（市教体局教研室）",
        **extra,
    }
    return providers.file_plan(user, data)  # filed on the (travelled) day it is called


def _training_plans(user: User, officer: User, people: dict[str, Professional]) -> None:
    with clock.travel(_at(2025, 8, 25)):
        plan = _plan(user, ACCEPTED_PLAN, date(2025, 9, 15), date(2025, 9, 16), 2, "教师")
    if plan is not None:
        with clock.travel(_at(2025, 8, 27)):
            providers.decide_plan(officer, plan, True)
        rows = [
            (people[n].name, people[n].unit.name, people[n].id_number, people[n].title_name,
             PARTIAL_HOURS.get(n, plan.hours), "合格")
            for n in LIST_PEOPLE
        ]  # fmt: skip
        stranger = make_id_number(date(1988, 8, 8), 808)
        rows.append(("孙小兵", "外县某中学", stranger, "二级教师", plan.hours, "合格"))
        with clock.travel(_at(2025, 9, 20)):
            content = qualified_lists.template(plan, rows)
            qualified_lists.import_list(user, plan, content, "合格人员名单.xlsx")
    with clock.travel(_at(2025, 10, 9)):
        refused = _plan(user, REFUSED_PLAN, date(2025, 11, 10), date(2025, 11, 10), 1, "会计")
    if refused is not None:
        with clock.travel(_at(2025, 10, 11)):
            providers.decide_plan(
                officer, refused, False, "职业道德属公需科目内容，不属于专业科目培训备案范围。"
            )
    today = clock.local_today()
    start = date.fromordinal(today.toordinal() + 45)
    _plan(user, PENDING_PLAN, start, date.fromordinal(start.toordinal() + 2), 3, "卫生")
