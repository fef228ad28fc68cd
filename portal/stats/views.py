"""The statistics page (bureau: the county; a unit reviewer: their own unit) and its Excel file."""

from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from portal.accounts.models import Role
from portal.clock import current_year
from portal.fields import bounded_int
from portal.paging import PER_PAGE, Window
from portal.security import is_htmx, page_number, require_roles
from portal.stats import service, tables
from portal.units.models import TitleLevel, UnitType

bp = Blueprint("stats", __name__, url_prefix="/stats")
require_roles(bp, Role.BUREAU_OFFICER, Role.UNIT_REVIEWER)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    """The figures, the tables (units a page at a time: the whole list is the Excel file's) and
    the charts' data; an htmx request for another page of units gets that table alone."""
    stats = service.statistics(current_user, _filters())
    page = max(1, page_number())
    units = Window(
        [r.as_dict() for r in stats.by_unit[(page - 1) * PER_PAGE : page * PER_PAGE]],
        page,
        PER_PAGE,
        len(stats.by_unit) > page * PER_PAGE,
    )
    shown = {
        "args": {k: v for k, v in request.args.items() if k != "page"},
        "unit_columns": tables.PEOPLE_COLUMNS,
    }
    if is_htmx():
        return render_template("stats/_units.html", stats=stats, units=units, **shown)
    return render_template(
        "stats/index.html",
        stats=stats,
        units=units,
        **shown,
        tables=[
            (t, a, f, c, *tables.table_rows(stats, a))
            for t, a, f, c in tables.TABLES
            if a != "by_unit"
        ],
        charts=tables.chart_data(stats),
        choices=service.filter_choices(current_user),
        years=range(current_year() + 1, current_year() - 6, -1),
    )


@bp.get("/export.xlsx")
def export():
    stats = service.statistics(current_user, _filters())
    name = f"继续教育统计-{stats.filters.year}.xlsx"
    response = Response(tables.workbook(stats), mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=stats-{stats.filters.year}.xlsx; filename*=UTF-8''" + quote(name)
    )
    return response
