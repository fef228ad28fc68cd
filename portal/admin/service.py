"""Admin operations on staff accounts and settings. Each one is audited with what
changed (before → after). Services flush, never commit."""

from datetime import datetime

from portal.accounts.models import ROLE_LABELS, Role, User
from portal.accounts.service import hash_password
from portal.audit.service import record
from portal.clock import local_time
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from portal.models_base import utcnow
from portal.refusal import CONFLICT, FORBIDDEN, INVALID, Refusal
from portal.settings import SETTINGS, SettingSpec, display, is_per_county, set_setting, setting_at
from portal.settings.models import INSTANCE
from portal.units.models import Authority, Unit

AUDITOR_APART = (
    "安全审计员账号只能在命令行（flask audit create-auditor / reset-auditor）创建和重置密码，"
    "系统管理员不能办理（三员分立）。"
)


def check_auditor_apart(actor: User | None, role: Role, action: str, obj=None) -> None:
    """三员分立 (issue 23.6): an auditor account is created or reset from the command line
    (actor None) or by another auditor, never by an admin; the refusal is audited as `action`."""
    if role is Role.AUDITOR and actor is not None and actor.role is not Role.AUDITOR:
        raise Refusal(AUDITOR_APART, FORBIDDEN, action=action, obj=obj, user=actor)


def create_user(actor: User | None, data: dict, now: datetime | None = None) -> User:
    check_auditor_apart(actor, Role(data["role"]), "user.create")
    data = dict(data)
    password = data.pop("password")
    user = User(
        **data,
        password_hash=hash_password(password),
        password_changed_at=now or utcnow(),
        must_change_password=True,  # the admin typed it: the holder replaces it first
    )
    db.session.add(user)
    db.session.flush()
    where = ""
    if user.unit_id:
        where = f"，单位：{db.session.get(Unit, user.unit_id).name}"
    elif user.provider_id:
        where = f"，施教机构ID：{user.provider_id}"
    elif user.authority_id:
        where = f"，行业主管部门：{db.session.get(Authority, user.authority_id).name}"
    if not jurisdictions.is_single_county() and user.role is not Role.ADMIN:
        where += f"，辖区：{jurisdictions.get(user.jurisdiction_code).name}"
    record(
        "user.create",
        user,
        user=actor,
        detail=f"账号：{user.username}，姓名：{user.name}，角色：{ROLE_LABELS[user.role]}{where}",
    )
    return user


def set_user_active(actor: User, user: User, active: bool) -> None:
    """Disabling also rotates the session token, so that open sessions end at once."""
    if user.id == actor.id and not active:
        raise Refusal("不能停用自己的账号", CONFLICT)
    if user.active == active:
        return
    user.active = active
    user.rotate_session()
    db.session.flush()
    record(
        "user.enable" if active else "user.disable",
        user,
        user=actor,
        detail=f"{user.username}：{'停用 → 启用' if active else '启用 → 停用'}",
    )


def reset_password(
    actor: User | None, user: User, password: str, now: datetime | None = None
) -> None:
    """A temporary password set by an admin; clears a lock and ends the user's sessions. The
    holder must replace it before any other page opens."""
    check_auditor_apart(actor, user.role, "user.reset_password", user)
    user.password_hash = hash_password(password)
    user.password_changed_at = now or utcnow()
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.rotate_session()
    db.session.flush()
    record(
        "user.reset_password",
        user,
        user=actor,
        username=None if actor is not None else "cli",
        detail=f"{user.username}：重置为临时密码",
    )


def unlock(actor: User, user: User) -> None:
    before = user.locked_until
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    record(
        "user.unlock",
        user,
        user=actor,
        detail=f"{user.username}：锁定至 {local_time(before) if before else '（未锁定）'} → 解锁",
    )


def settings_of(jurisdiction: str = INSTANCE) -> list[SettingSpec]:
    """The settings kept at a level: all of them instance-wide, the per-county ones for a
    county or a city (its counties' default)."""
    if jurisdiction == INSTANCE:
        return list(SETTINGS)
    return [spec for spec in SETTINGS if is_per_county(spec.key)]


def save_settings(actor: User, values: dict, jurisdiction: str = INSTANCE) -> list[str]:
    """Store the settings of the level (instance-wide, or a county's or city's own) that differ
    from the ones in force there; one audit event lists them."""
    specs = settings_of(jurisdiction)
    for spec in specs:
        problem = spec.problem(values[spec.key])
        if problem:
            raise Refusal(f"{spec.label}：{problem}", INVALID, field=spec.key)
    changes = []
    for spec in specs:
        before = setting_at(spec.key, jurisdiction)
        after = values[spec.key]
        if before != after:
            changes.append(f"{spec.label}：{display(spec, before)} → {display(spec, after)}")
            set_setting(spec.key, after, jurisdiction)
    if changes:
        db.session.flush()
        where = f"{jurisdictions.get(jurisdiction).name}：" if jurisdiction else ""
        record("settings.update", user=actor, detail=where + "；".join(changes))
    return changes


def settings_levels() -> list[tuple[str, str]]:
    """The levels the admin may keep settings at: the instance, and (only in an instance of
    several counties) each city's default for its counties and each county."""
    if jurisdictions.is_single_county():
        return []
    levels = [(INSTANCE, "全系统")]
    for node in sorted(jurisdictions.tree().values(), key=lambda n: n.code):
        if node.level is JurisdictionLevel.CITY and jurisdictions.counties_of(node.code):
            levels.append((node.code, f"{node.name}（全市默认）"))
        elif node.level is JurisdictionLevel.COUNTY:
            levels.append((node.code, node.name))
    return levels
