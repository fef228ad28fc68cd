"""flask --app portal demo | create-admin | backup DIR | restore DIR | settings show|set"""

import json
import re
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from portal.accounts.models import Role, User
from portal.accounts.service import hash_password, password_problems
from portal.admin.service import save_settings, settings_levels, settings_of
from portal.audit.service import record
from portal.cli_support import needs_schema, refusals_exit
from portal.extensions import db
from portal.refusal import INVALID, Refusal
from portal.settings import setting_at
from portal.settings.service import SPECS


@click.command("demo")
@with_appcontext
@click.option(
    "--county",
    "county",
    type=click.IntRange(min=30),
    help="另建 N 名专业技术人员的县域数据（性能测试用，可重复运行）",
)
@click.option(
    "--city",
    "city",
    type=click.IntRange(min=1),
    help="与 --county M 一起：建一个市的 N 个县（本县和同市的其他县），每县 M 人",
)
def demo(county, city):
    """Create the schema if needed and load the demo county (safe to run again); --county N
    adds N generated professionals for measuring the busy pages; --city C --county N builds
    C counties of the install's city with N each."""
    from portal.admin import demo as demo_data

    if city and not county:
        click.echo("--city 须与 --county（每县人数）一起使用。", err=True)
        sys.exit(2)
    schema = demo_data.ensure_schema()
    if schema == "migrated":
        click.echo("数据库结构已按迁移脚本创建 (flask db upgrade)。")
    elif schema == "created":
        click.echo("数据库结构已创建 (create_all)。")
    if city:
        _city_plan(city)  # a city larger than GB/T 2260's is refused before anything is loaded
    logins = demo_data.load()
    record("demo.load", detail="flask demo", username="cli")
    db.session.commit()
    click.echo(f"演示数据已就绪：{current_app.config['BUREAU_NAME']}，{demo_data.COUNTY}。")
    click.echo("")
    click.echo(f"演示账号 (demo logins), 密码 password: {demo_data.DEMO_PASSWORD}")
    rows = [(login.role.label, login.username, login.name, login.note) for login in logins]
    _table(("角色 role", "用户名 username", "姓名 name", "说明 note"), rows)
    if city:
        _demo_city(city, county)
    elif county:
        from portal.admin import county as county_data

        summary = county_data.load(county)
        db.session.commit()
        _county_line(summary, county)


def _county_line(summary: dict, n: int, name: str = "县域", reviewer: str = "unit-big") -> None:
    if summary["skipped"]:
        click.echo(f"{name}数据已存在（{summary['n']}人），未重复生成。")
    else:
        click.echo(
            f"{name}数据已生成：{n}人，{summary['units']}个单位，公示中"
            f"{summary['publicised']}份，已登记{summary['registered']}份，"
            f"{reviewer} 待核验{summary['waiting']}份；"
            f"待市人社局核验{summary['city_steps']}份；"
            f"证书{summary['certificates']}份，审计记录{summary['audit_events']}条。"
        )


def _city_plan(count: int) -> None:
    from portal.admin import county as county_data

    try:
        county_data.city_plan(count)
    except ValueError as error:
        click.echo(str(error), err=True)
        sys.exit(2)


def _demo_city(count: int, n: int) -> None:
    from portal.admin import county as county_data
    from portal.admin.demo import DEMO_PASSWORD

    plan, logins = county_data.prepare_city(count)
    rows = [(user.role.label, user.username, user.name, user.jurisdiction_code)
            for user in logins]  # fmt: skip
    db.session.commit()
    click.echo("")
    for county in plan:  # a county a transaction: a long run keeps the counties it finished
        summary = county_data.load(n, county)
        db.session.commit()
        _county_line(summary, n, f"{county.name}（{county.code}）", county.reviewer)
    click.echo("")
    click.echo(f"市、县账号 (city and county logins), 密码 password: {DEMO_PASSWORD}")
    _table(("角色 role", "用户名 username", "姓名 name", "区划 code"), rows)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        return "  ".join(cells).rstrip()

    click.echo(line(header))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(line(row))


@click.command("create-admin")
@with_appcontext
@click.option("--username", prompt="用户名 (username)", help="登录用户名")
@click.option("--name", prompt="姓名 (name)", help="姓名")
@click.option(
    "--password",
    prompt="密码 (password)",
    hide_input=True,
    confirmation_prompt="再次输入密码 (repeat)",
    help="至少8位，含大写字母、小写字母、数字、符号中的3类",
)
@refusals_exit
def create_admin(username: str, name: str, password: str):
    """Create an admin account."""
    user = create_staff_from_cli(Role.ADMIN, username, name, password)
    db.session.commit()
    click.echo(f"已创建系统管理员：{user.username}")


def create_staff_from_cli(role: Role, username: str, name: str, password: str) -> User:
    """An account made on the command line (the admin's first, the auditors'): checked like the
    page's, audited as done by "cli"."""
    username, name = username.strip(), name.strip()
    if not username or not name:
        raise Refusal("用户名和姓名不能为空", INVALID)
    problems = password_problems(password, username=username)
    if problems:
        raise Refusal("密码不符合要求：" + "；".join(problems), INVALID)
    if db.session.scalar(sa.select(User).filter_by(username=username)) is not None:
        raise Refusal(f"用户名“{username}”已存在", INVALID)
    user = User(username=username, name=name, role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    record("user.create", user, detail=f"命令行创建（{role.label}）{username}", username="cli")
    return user


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False))
@with_appcontext
@needs_schema
@refusals_exit
def backup(folder):
    """Back up the database, evidence files and keys into FOLDER (new or empty), with a
    manifest of sha256 sums. Safe while the portal runs."""
    from portal.admin import backup as backups

    record("backup.create", detail=f"备份到 {folder}", username="cli")
    db.session.commit()  # the copy holds this event: a restored instance shows when it was taken
    manifest = backups.create(folder)
    rows = sum(manifest["rows"].values())
    click.echo(
        f"备份完成：{folder}（{manifest['database']}，{rows} 行数据，"
        f"{len(manifest['files'])} 个文件，清单 manifest.json）"
    )
    if manifest["missing"]:
        click.echo(
            f"注意：数据库记录的证明材料中有 {len(manifest['missing'])} 个文件在备份时已不存在："
            + "、".join(manifest["missing"]),
            err=True,
        )


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@with_appcontext
@refusals_exit
def restore(folder):
    """Restore the backup in FOLDER into this empty instance, checking every file's sha256
    first and the rows of every table after."""
    from portal.admin import backup as backups

    manifest = backups.restore(folder)
    record(
        "backup.restore",
        detail=f"从 {folder} 恢复（备份于 {manifest['created_at']}）",
        username="cli",
    )
    db.session.commit()
    rows = sum(manifest["rows"].values())
    missing = manifest["missing_after_restore"]
    if missing:
        click.echo(
            f"恢复完成，但数据库记录的证明材料中有 {len(missing)} 个文件缺失："
            + "、".join(missing),
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"恢复完成：{rows} 行数据、{len(manifest['files'])} 个文件均与清单一致，"
        "数据库记录的每个证明材料文件都在。"
    )


settings = AppGroup("settings", help="系统设置 (run-time settings), as on the admin settings page.")

_TRUE, _FALSE = {"1", "true", "yes", "y", "是", "on"}, {"0", "false", "no", "n", "否", "off"}


def _parse_setting(spec, text: str):
    """A value typed on the command line in the page's units (MB for sizes)."""
    text = text.strip()
    if spec.kind == "bool":
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise Refusal(f"{spec.label}：应为“是”或“否”（true/false）", INVALID)
    if spec.kind == "choice":
        if text in dict(spec.choices):
            return text
        choices = "、".join(value for value, _ in spec.choices)
        raise Refusal(f"{spec.label}：应为 {choices} 之一", INVALID)
    if not re.fullmatch(r"[+-]?\d+", text):
        raise Refusal(f"{spec.label}：请填写整数", INVALID)
    return int(text) * 1024 * 1024 if spec.kind == "mb" else int(text)


_LEVEL = click.option(
    "--jurisdiction",
    default="",
    help="县（市、区）或市的行政区划代码：该县的设置或全市默认（仅学时认定、学时验证、"
    "核验与公示等按县设置的项）；默认为全系统设置",
)


def _level(jurisdiction: str) -> list:
    """The settings kept at the level named (as on the page's 设置范围), or a refusal."""
    if jurisdiction and jurisdiction not in dict(settings_levels()):
        raise Refusal(f"行政区划代码“{jurisdiction[:20]}”不是本系统的县或市。", INVALID)
    return settings_of(jurisdiction)


@settings.command("show")
@needs_schema
@refusals_exit
@_LEVEL
def settings_show(jurisdiction):
    """Print every setting of the level with the value in force there as JSON."""
    values = {spec.key: setting_at(spec.key, jurisdiction) for spec in _level(jurisdiction)}
    click.echo(json.dumps(values, ensure_ascii=False, indent=2))


@settings.command("set")
@needs_schema
@refusals_exit
@click.argument("key")
@click.argument("value")
@_LEVEL
def settings_set(key, value, jurisdiction):
    """Save one setting (sizes in MB, yes/no as true/false); the same checks as the page, e.g.
    PUBLICITY_WORKING_DAYS never below 5. Prints the changes as JSON; exit 2 on bad input."""
    specs = _level(jurisdiction)
    spec = SPECS.get(key)
    if spec is None or spec not in specs:
        raise Refusal(f"没有名为“{key}”的{'按县' if jurisdiction else ''}设置", INVALID)
    values = {s.key: setting_at(s.key, jurisdiction) for s in specs}
    values[key] = _parse_setting(spec, value)
    changes = save_settings(None, values, jurisdiction)
    db.session.commit()
    click.echo(
        json.dumps({"key": key, "value": values[key], "changes": changes}, ensure_ascii=False)
    )
