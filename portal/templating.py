"""Template globals and filters: navigation by role, local time, hours."""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, has_request_context, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.clock import current_year, local_time
from portal.rules import RuleError, get_rule_set, rule_set_for_year
from portal.settings import get_setting

# (label, endpoint, roles); roles None: everyone.
NAVIGATION = [
    ("我的申报", "declarations.index", {Role.PROFESSIONAL}),
    ("我的证书", "certificates.mine", {Role.PROFESSIONAL}),
    ("个人信息", "profile.show", {Role.PROFESSIONAL}),
    ("学时自查", "verification.self_check", {Role.PROFESSIONAL}),
    ("本单位情况", "dashboard.index", {Role.UNIT_REVIEWER}),
    ("申报核验", "review.index", {Role.UNIT_REVIEWER, Role.BUREAU_OFFICER}),
    ("专业科目核验", "review.index", {Role.AUTHORITY_OFFICER}),
    ("人员确认", "review.people", {Role.UNIT_REVIEWER, Role.BUREAU_OFFICER}),
    ("人员档案", "people.index", {Role.UNIT_REVIEWER, Role.BUREAU_OFFICER}),
    ("单位变更", "people.moves", {Role.UNIT_REVIEWER, Role.BUREAU_OFFICER}),
    ("培训备案", "providers.index", {Role.PROVIDER, Role.UNIT_REVIEWER, Role.AUTHORITY_OFFICER}),
    ("培训备案审核", "providers.filings", {Role.BUREAU_OFFICER, Role.AUTHORITY_OFFICER}),
    ("学时验证", "verification.index", {Role.UNIT_REVIEWER, Role.BUREAU_OFFICER}),
    ("待复核", "city.queue", {Role.CITY_OFFICER}),
    ("验证复核", "verification.index", {Role.CITY_OFFICER}),
    ("年度学时核验", "review.index", {Role.CITY_OFFICER}),
    ("公示管理", "publicity.batches", {Role.BUREAU_OFFICER}),
    ("本单位公示", "publicity.unit_batches", {Role.UNIT_REVIEWER}),
    (
        "统计",
        "stats.index",
        {Role.UNIT_REVIEWER, Role.BUREAU_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_VIEWER},
    ),
    ("批量打印证书", "certificates.bulk", {Role.UNIT_REVIEWER, Role.BUREAU_OFFICER}),
    ("数据交换", "exchange.index", {Role.BUREAU_OFFICER, Role.CITY_OFFICER}),
    ("工作日历", "workdays.index", {Role.BUREAU_OFFICER}),
    ("本局设置", "bureau_settings.index", {Role.BUREAU_OFFICER}),
    ("单位管理", "units.index", {Role.ADMIN, Role.BUREAU_OFFICER}),
    ("施教机构", "providers.directory", {Role.ADMIN, Role.BUREAU_OFFICER}),
    ("职称系列", "series.index", {Role.ADMIN, Role.BUREAU_OFFICER}),
    ("账号管理", "admin.users", {Role.ADMIN}),
    ("系统设置", "admin.settings", {Role.ADMIN}),
    ("接口密钥", "admin.api_keys", {Role.ADMIN}),
    ("审计日志", "audit.index", {Role.AUDITOR}),
    ("公示公告", "board.index", None),
]


# Entries shown only while a bureau setting is on.
NAV_SETTINGS = {"publicity.unit_batches": "UNIT_PUBLICITY"}


def _nav_items(role: Role | None) -> list[tuple[str, str, str]]:
    """(label, href, endpoint) of a role's items (None: not logged in); built once per role
    and script root, since every page shows them."""
    cache = current_app.extensions.setdefault("navigation", {})
    key = (role, request.script_root)
    if key not in cache:
        cache[key] = [
            (label, url_for(endpoint), endpoint)
            for label, endpoint, roles in NAVIGATION
            if roles is None or (role is not None and role in roles)
        ]
    return cache[key]


def navigation() -> list[tuple[str, str, bool]]:
    """(label, href, current) for the user's role; the current item is the longest matching href."""
    user = current_user._get_current_object()
    items = [
        (label, href)
        for label, href, endpoint in _nav_items(user.role if user.is_authenticated else None)
        if endpoint not in NAV_SETTINGS or get_setting(NAV_SETTINGS[endpoint])
    ]
    matching = [href for _, href in items if request.path.startswith(href.rstrip("/") or "/")]
    current = max(matching, key=len, default=None)
    return [(label, href, href == current) for label, href in items]


def rule_set_name(rule_set_id: str) -> str:
    """The rule set's Chinese name for pages; the id itself if it is unknown."""
    try:
        return get_rule_set(rule_set_id).name
    except RuleError:
        return rule_set_id


@dataclass(frozen=True)
class CurrentRequirement:
    year: int
    rule_set_name: str
    text: str


def current_requirement() -> CurrentRequirement:
    """This year's requirement, from the rule set the year uses by default."""
    year = current_year()
    rule_set = rule_set_for_year(year)
    first = rule_set.default_years[0] or year
    return CurrentRequirement(first, rule_set.name, rule_set.requirement.text)


def unread_notifications() -> int:
    """The bell's count for the logged-in user."""
    from portal.notifications.service import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


STORAGE_WATCHERS = {Role.BUREAU_OFFICER, Role.ADMIN}


def storage_warning() -> str | None:
    """The banner's text for the bureau officer and the admin while the disk is short of space
    or the instance cannot be written; None otherwise (and for everybody else)."""
    if not current_user.is_authenticated or current_user.role not in STORAGE_WATCHERS:
        return None
    from portal.settings import get_setting
    from portal.storage import service as storage

    state = storage.state()
    if not state.writable:
        return (
            "存储异常：数据库或实例目录无法写入，系统暂时只能查看、不能保存任何更改。"
            "请立即检查服务器磁盘空间和目录权限。"
        )
    if state.low:
        free = state.free_bytes // (1024 * 1024)
        limit = int(get_setting("STORAGE_MIN_FREE_BYTES")) // (1024 * 1024)
        return (
            f"存储空间不足：数据库和证明材料所在磁盘仅剩 {free} MB（告警阈值 {limit} MB），"
            "写满后将无法保存，请尽快清理或扩容。"
        )
    return None


def form_token() -> str:
    """A one-time token for a create form (hidden field form_token): a repeat is not saved twice."""
    from portal.formtokens import service as formtokens

    return formtokens.issue(current_user) if current_user.is_authenticated else ""


def footer_bureau() -> str:
    """The bureau the page is of: config BUREAU_NAME; in an instance of several counties, the
    bureau of the county acted for (the officer's, the public page's) when the tree names it."""
    from portal.jurisdictions import scope
    from portal.jurisdictions import service as jurisdictions

    if not jurisdictions.is_single_county():
        node = jurisdictions.get(scope.home_county())
        if node is not None and node.bureau_name:
            return node.bureau_name
    return current_app.config["BUREAU_NAME"]


_PLACEHOLDER = 9876543210123


def row_link(endpoint: str, key: str) -> Callable[[int], str]:
    """url_for(endpoint, key=id) for the rows of a list, built once: the URL of a placeholder
    id split around it, each row's id set in between (url_for's very text: the int converter
    writes str(id)); url_for itself when the placeholder's digits are not found once."""
    url = url_for(endpoint, **{key: _PLACEHOLDER})
    if url.count(str(_PLACEHOLDER)) != 1:
        return lambda value: url_for(endpoint, **{key: value})
    head, _, tail = url.partition(str(_PLACEHOLDER))
    return lambda value: f"{head}{int(value)}{tail}"


def kept_url_for(kept: Callable[[tuple], str], endpoint: str, **values) -> str:
    """Templates' url_for: the same URL, kept per app (`kept`, see register) for the same
    endpoint, values (with their types: page=1 and page=True are different URLs) and script
    root. A page builds 20–30 links (navigation, filters, pager), each ~20 µs to build. The map
    does not change while the app runs, and no url_defaults or subdomains make a URL depend
    on anything else; what does (a blueprint-relative endpoint, _external, _anchor and the
    like) is built anew."""
    if not has_request_context() or endpoint.startswith(".") or any(k[0] == "_" for k in values):
        return url_for(endpoint, **values)
    key = (request.script_root, endpoint, tuple((k, type(v), v) for k, v in values.items()))
    try:
        return kept(key)
    except TypeError:  # a value that cannot be a key (a list of values)
        return url_for(endpoint, **values)


def _built(key: tuple) -> str:
    _script_root, endpoint, values = key
    return url_for(endpoint, **{k: v for k, _type, v in values})


def register(app) -> None:
    kept = functools.lru_cache(maxsize=4096)(_built)
    app.jinja_env.globals["url_for"] = functools.partial(kept_url_for, kept)
    app.jinja_env.globals.update(
        footer_bureau=footer_bureau,
        navigation=navigation,
        current_requirement=current_requirement,
        unread_notifications=unread_notifications,
        storage_warning=storage_warning,
        form_token=form_token,
        row_link=row_link,
    )
    app.jinja_env.filters["rule_set_name"] = rule_set_name
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
