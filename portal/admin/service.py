"""Admin operations on units, staff accounts and settings. Each one is audited with what
changed (before → after). Services flush, never commit."""

from datetime import datetime

from portal.accounts.models import ROLE_LABELS, User
from portal.accounts.service import hash_password
from portal.admin.settings import SETTINGS, display, get_setting, set_setting
from portal.audit.service import record
from portal.extensions import db
from portal.models_base import utcnow
from portal.templating import local_time
from portal.units.models import UNIT_TYPE_LABELS, Authority, Unit, UnitType

UNIT_LABELS = {
    "name": "名称",
    "uscc": "统一社会信用代码",
    "type": "类型",
    "county": "县区",
    "authority_id": "行业主管部门",
}


class AdminError(ValueError):
    """A refused operation, with a Chinese message."""


def _unit_value(key: str, value) -> str:
    if key == "type":
        return UNIT_TYPE_LABELS[UnitType(value)] if value else ""
    if key == "authority_id":
        authority = db.session.get(Authority, value) if value else None
        return authority.name if authority else "（无）"
    return str(value or "")


def create_unit(actor: User, data: dict) -> Unit:
    unit = Unit(**{**data, "type": UnitType(data["type"])})
    db.session.add(unit)
    db.session.flush()
    detail = "；".join(f"{UNIT_LABELS[k]}：{_unit_value(k, v)}" for k, v in data.items())
    record("unit.create", unit, user=actor, detail=detail)
    return unit


def update_unit(actor: User, unit: Unit, data: dict) -> list[str]:
    """Apply the changed fields; returns the "字段：旧 → 新" lines (empty: nothing changed)."""
    changes = []
    for key, value in data.items():
        before = getattr(unit, key)
        if key == "type":
            value = UnitType(value)
        if before != value:
            changes.append(
                f"{UNIT_LABELS[key]}：{_unit_value(key, before)} → {_unit_value(key, value)}"
            )
            setattr(unit, key, value)
    if changes:
        db.session.flush()
        record("unit.update", unit, user=actor, detail="；".join(changes))
    return changes


def set_unit_active(actor: User, unit: Unit, active: bool) -> None:
    if unit.active == active:
        return
    unit.active = active
    db.session.flush()
    record(
        "unit.activate" if active else "unit.deactivate",
        unit,
        user=actor,
        detail=f"{unit.name}：{'停用 → 启用' if active else '启用 → 停用'}",
    )


def create_user(actor: User, data: dict, now: datetime | None = None) -> User:
    data = dict(data)
    password = data.pop("password")
    user = User(**data, password_hash=hash_password(password), password_changed_at=now or utcnow())
    db.session.add(user)
    db.session.flush()
    where = ""
    if user.unit_id:
        where = f"，单位：{db.session.get(Unit, user.unit_id).name}"
    elif user.provider_id:
        where = f"，施教机构ID：{user.provider_id}"
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
        raise AdminError("不能停用自己的账号")
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


def reset_password(actor: User, user: User, password: str, now: datetime | None = None) -> None:
    """A temporary password set by an admin; clears a lock and ends the user's sessions."""
    user.password_hash = hash_password(password)
    user.password_changed_at = now or utcnow()
    user.failed_logins = 0
    user.locked_until = None
    user.rotate_session()
    db.session.flush()
    record("user.reset_password", user, user=actor, detail=f"{user.username}：重置为临时密码")


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


def save_settings(actor: User, values: dict) -> list[str]:
    """Store the settings that differ from the current ones; one audit event lists them."""
    changes = []
    for spec in SETTINGS:
        before = get_setting(spec.key)
        after = values[spec.key]
        if before != after:
            changes.append(f"{spec.label}：{display(spec, before)} → {display(spec, after)}")
            set_setting(spec.key, after)
    if changes:
        db.session.flush()
        record("settings.update", user=actor, detail="；".join(changes))
    return changes
