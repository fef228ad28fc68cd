"""The statistics page (bureau: the county; city officer: the city with its counties, or one of
them; a unit reviewer: their own unit), its Excel file, and the bureau's "重新计算"."""

from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import current_year
from portal.fields import bounded_int
from portal.jurisdictions import service as places
from portal.security import is_htmx, page_number, require_roles
from portal.stats import rendered, service, snapshots, tables, tasks
from portal.units.models import TitleLevel, UnitType

bp = Blueprint("stats", __name__, url_prefix="/stats")
require_roles(bp, *service.STATISTICS_ROLES)
bp.record_once(lambda state: rendered.init_app(state.app))

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_TEXT = 50  # the unit search's longest text (a unit's name is at most 100)


def _filters() -> service.Filters:
    args = request.args
    unit_type, level = args.get("unit_type", ""), args.get("level", "")
    return service.Filters(
        year=args.get("year", type=bounded_int) or current_year(),
        unit_id=args.get("unit", type=bounded_int),
        unit_type=UnitType(unit_type) if unit_type in UnitType._value2member_map_ else None,
        series_id=args.get("series", type=bounded_int),
        title_level=TitleLevel(level) if level in TitleLevel._value2member_map_ else None,
        authority_id=args.get("authority", type=bounded_int),
    )


@bp.get("/")
def index():
    """The figures (the snapshot, or computed now for a filtered page), the tables (units a page
    at a time: the whole list is the Excel file's) and the charts' data; an htmx request for
    another page of units gets that table alone. A snapshot's figures are rendered once per
    revision (portal.stats.rendered); the rest of the page for each reader."""
    filters, page, htmx = _filters(), page_number(), is_htmx()
    place, snapshot = snapshots.source(current_user, filters, request.args.get("jurisdiction"))
    args = {k: v for k, v in request.args.items() if k != "page"}
    body = rendered.kept(
        rendered.key(snapshot, page, args, htmx),
        lambda: _figures(place, snapshot, filters, page, args, htmx),
    )
    if htmx:
        return body
    computed_at = snapshot.computed_at if snapshot is not None else None
    choices, unit_q = service.filter_choices(current_user), _unit_text()
    return render_template(
        "stats/index.html",
        body=body,
        place=place,
        f=filters,
        named=not places.is_single_county(),
        computed_at=computed_at,
        computed_text=tables.computed_text(computed_at),
        may_recompute=service.may_recompute(current_user),
        options=tables.options,
        choices=choices,
        unit_q=unit_q,
        units_found=tables.UNITS_FOUND,
        units=tables.unit_choices(choices["units"], unit_q, filters.unit_id),
        years=range(current_year() + 1, current_year() - 6, -1),
    )


def _unit_text() -> str:
    return request.args.get("unit_q", "").strip()[:UNIT_TEXT]


@bp.get("/units")
def units():
    """The unit filter's options for the search text (htmx, as the officer types in a county
    of too many units to list): the matching units and the selected one."""
    listed = service.unit_list(current_user)
    if not listed:
        abort(404)
    selected = request.args.get("unit", type=bounded_int)
    return render_template(
        "stats/_unit_options.html",
        units=tables.unit_choices(listed, _unit_text(), selected),
        selected=selected,
        options=tables.options,
    )


def _figures(place, snapshot, filters, page: int, args: dict, htmx: bool) -> str:
    """The figures' HTML: the next page of units (htmx), or the summary, charts and tables."""
    figures = snapshots.figures_of(current_user, place, snapshot, filters, page)
    shown = {
        "figures": figures,
        "stats": figures.statistics,
        "units": figures.units,
        "args": args,
        "unit_columns": tables.PEOPLE_COLUMNS,
    }
    if htmx:
        return render_template("stats/_units.html", **shown)
    return render_template(
        "stats/_figures.html",
        **shown,
        tables=[
            (t, a, f, c, *tables.table_rows(figures.statistics, a))
            for t, a, f, c in tables.TABLES
            if a != "by_unit"
        ],
        counties=_linked(tables.county_rows(figures), figures.statistics.filters.year),
        charts=tables.chart_data(figures),
    )


def _linked(counties, year: int):
    """The county rows, each linking to that county's own page."""
    if counties is None:
        return None
    rows, totals = counties
    for row in rows:
        row["href"] = url_for("stats.index", year=year, jurisdiction=row["key"])
    return rows, totals


@bp.get("/export.xlsx")
def export():
    figures = snapshots.figures(
        current_user, _filters(), request.args.get("jurisdiction"), page=None
    )
    year = figures.statistics.filters.year
    name = f"继续教育统计-{year}.xlsx"
    response = Response(tables.workbook(figures), mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=stats-{year}.xlsx; filename*=UTF-8''" + quote(name)
    )
    return response


@bp.post("/recompute")
def recompute():
    """The bureau's (or the city's) "重新计算": a job computing the snapshot again."""
    if not service.may_recompute(current_user):
        abort(403)
    year = request.form.get("year", type=bounded_int) or current_year()
    service.check_year(year)
    job = tasks.request_refresh(current_user, request.form.get("jurisdiction"), year)
    return redirect(url_for("jobs.show", job_id=job.id), 303)
