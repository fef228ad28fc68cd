"""`flask --app portal stats --year 2025 [--jurisdiction CODE]`: the year's statistics of a county
or a city as JSON (the page's numbers: its snapshot, or computed now when filtered)."""

import json

import click

from portal.cli_support import needs_schema, refusals_exit
from portal.extensions import db
from portal.refusal import INVALID, Refusal
from portal.stats import service, snapshots
from portal.units.models import TitleLevel


def _level(value: str | None) -> TitleLevel | None:
    if not value:
        return None
    level = TitleLevel.from_label(value) or TitleLevel._value2member_map_.get(value)
    if level is None:
        labels = "、".join(v.label for v in TitleLevel)
        raise Refusal(f"职称级别“{value}”无效，应为{labels}之一。", INVALID, field="level")
    return level


@click.command("stats")
@click.option("--year", required=True, help="统计年度，例如 2025")
@click.option(
    "--jurisdiction", default=None, help="县或市的行政区划代码（默认本县），见 flask jurisdictions"
)
@click.option(
    "--unit", "unit_id", type=int, default=None, help="只统计该单位（单位编号；0 为自由职业）"
)
@click.option(
    "--series", "series_id", type=int, default=None, help="只统计该职称系列（编号；0 为未填写职称）"
)
@click.option("--level", default=None, help="只统计该职称级别，例如 中级")
@click.option(
    "--recompute", is_flag=True, help="先重新计算该辖区该年度的统计（与统计页“重新计算”相同）"
)
@click.option(
    "--authority", "authority_id", type=int, default=None, help="只统计该行业主管部门（编号）"
)
@needs_schema
@refusals_exit
def stats(year, jurisdiction, unit_id, series_id, level, recompute, authority_id):
    """People, declared, registered, compliant, completion rate, hours; by unit, unit type,
    title series, level and authority (the title of the year), kind, form; a city's by county
    too. When they were computed ("computed_at"; null: computed now, for a filter)."""
    filters = service.Filters(
        _year(year),
        unit_id=unit_id,
        series_id=series_id,
        title_level=_level(level),
        authority_id=authority_id,
    )
    if recompute:
        snapshots.recompute(None, jurisdiction, filters.year)
    result = snapshots.figures(None, filters, jurisdiction, page=None)
    db.session.commit()  # a snapshot computed now is kept
    click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))


def _year(value: str) -> int:
    try:
        return service.check_year(int(str(value).strip()))
    except ValueError:
        raise Refusal(
            f"年度“{str(value)[:20]}”无效，应为 2000–2100 之间的年份。", INVALID, field="year"
        ) from None


@click.command("jurisdictions")
@needs_schema
def jurisdictions():
    """The province, cities and counties as JSON: code, name, level, parent and people (the
    professionals on record in a county, summed for a city or the province)."""
    click.echo(json.dumps(snapshots.jurisdiction_people(), ensure_ascii=False, indent=2))
