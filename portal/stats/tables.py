"""The statistics tables: one list the page and the Excel workbook both follow."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.clock import LOCAL_TZ
from portal.spreadsheets import safe_row
from portal.stats.service import Statistics
from portal.stats.snapshots import CHART_UNITS, Figures

PEOPLE_COLUMNS = [
    ("people", "在册人数"),
    ("declared", "已申报"),
    ("registered", "已登记"),
    ("compliant", "达标人数"),
    ("completion_rate", "达标率"),
    ("general", "公需科目学时"),
    ("professional", "专业科目学时"),
    ("total", "总学时"),
]
CONTENT_COLUMNS = [
    ("claims", "条目数"),
    ("people", "人数"),
    ("general", "公需科目学时"),
    ("professional", "专业科目学时"),
    ("total", "认定学时合计"),
]

# (sheet and heading, Statistics attribute, first column's heading, columns)
TABLES = [
    ("按单位", "by_unit", "单位", PEOPLE_COLUMNS),
    ("按单位类型", "by_unit_type", "单位类型", PEOPLE_COLUMNS),
    ("按职称系列", "by_series", "职称系列", PEOPLE_COLUMNS),
    ("按职称级别", "by_level", "职称级别", PEOPLE_COLUMNS),
    ("按行业主管部门", "by_authority", "行业主管部门", PEOPLE_COLUMNS),
    ("按学习内容", "by_kind", "内容（第十二条）", CONTENT_COLUMNS),
    ("按学习形式", "by_form", "形式", CONTENT_COLUMNS),
]

PEOPLE_TABLES = {attribute for _, attribute, _, columns in TABLES if columns is PEOPLE_COLUMNS}


def table_rows(stats: Statistics, attribute: str) -> tuple[list[dict], dict]:
    """The table's rows as dicts and its totals row."""
    rows = [r.as_dict() for r in getattr(stats, attribute)]
    if attribute in PEOPLE_TABLES:  # a table of people has the totals even when empty
        totals = stats.overall.as_dict()
    else:
        totals = {"label": "合计", "claims": sum(r["claims"] for r in rows), "people": ""}
        for key in ("general", "professional", "total"):
            totals[key] = sum(r[key] for r in rows)
    return rows, totals


COUNTY_TABLE = ("按县（市、区）", "by_county", "县（市、区）", PEOPLE_COLUMNS)


def county_rows(figures: Figures) -> tuple[list[dict], dict] | None:
    """A city's breakdown by county (rows and totals: the city's own figures), or None."""
    if not figures.show_counties:
        return None
    return [r.as_dict() for r in figures.by_county], figures.statistics.overall.as_dict()


def options(choices, selected) -> Markup:
    """The <option>s of a filter (id, name pairs), built in one go: a county's thousand units
    cost a millisecond here, where a template loop takes twenty; and kept for the same
    choices and selection (compared in full, so a unit renamed or added makes new ones)."""
    return _options(tuple(map(tuple, choices)), selected)


@functools.lru_cache(maxsize=32)
def _options(choices: tuple[tuple[int, str], ...], selected) -> Markup:
    return Markup(  # nosec B704 (every value escaped or an int, built here)
        "".join(
            f'<option value="{int(key)}"{" selected" if key == selected else ""}>'
            f"{escape(name)}</option>"
            for key, name in choices
        )
    )


UNIT_LIST = 200  # up to this many units the filter lists them all; beyond, a search finds them
UNITS_FOUND = 50  # the units a search offers at most


@dataclass(frozen=True)
class UnitChoices:
    """The unit filter's options: every unit of a county of up to UNIT_LIST, else those whose
    name contains the search text (at most UNITS_FOUND, in name order), the selected one always
    among them."""

    units: list[tuple[int, str]]
    searched: bool  # a search field is offered (too many units to list)
    total: int  # the units there are
    found: int  # the units the search text matches (all of them without a search)


def unit_choices(units, text: str, selected: int | None) -> UnitChoices:
    """The unit filter's options out of all the county's units (id, name pairs, in name
    order), for the search `text` and the selected unit id."""
    units = [tuple(u) for u in units]
    if len(units) <= UNIT_LIST:
        return UnitChoices(units, False, len(units), len(units))
    text = text.strip()
    matching = [u for u in units if text and text in u[1]]
    offered = {u[0] for u in matching[:UNITS_FOUND]} | {selected}
    return UnitChoices([u for u in units if u[0] in offered], True, len(units), len(matching))


def computed_text(computed_at: datetime | None) -> str:
    """When the figures were computed (None: now, filtered), as the page and the workbook say
    it."""
    if computed_at is None:
        return "按筛选条件实时计算"
    return "计算于 " + computed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def chart_data(figures: Figures) -> dict:
    """What the charts draw, column by column (labels and numbers only): the completion rate of
    the largest units, people and compliant by title series, hours by kind, by form."""
    stats = figures.statistics
    units = stats.by_unit[:CHART_UNITS]  # by_unit comes largest first
    return {
        "units": {
            "labels": [r.label for r in units],
            "rates": [r.completion_rate for r in units],
            "all": figures.unit_count,
        },
        "series": {
            "labels": [r.label for r in stats.by_series],
            "people": [r.people for r in stats.by_series],
            "compliant": [r.compliant for r in stats.by_series],
        },
        "kinds": {
            "labels": [r.label for r in stats.by_kind],
            "general": [r.general for r in stats.by_kind],
            "professional": [r.professional for r in stats.by_kind],
        },
        "forms": [{"name": r.label, "value": r.total} for r in stats.by_form],
    }


def workbook(figures: Figures) -> bytes:
    """Every table of the page as one sheet each, with its totals row (a city's counties
    first)."""
    stats = figures.statistics
    book = Workbook()
    summary = book.active
    summary.title = "总体"
    place = figures.jurisdiction.name if figures.named else ""
    summary.append([f"{place}{stats.filters.year}年度继续教育统计"])
    summary["A1"].font = Font(bold=True)
    summary.append([computed_text(figures.computed_at)])
    overall = stats.overall.as_dict()
    for key, heading in PEOPLE_COLUMNS:
        summary.append([heading, overall[key]])
    counties = county_rows(figures)
    sheets = [(COUNTY_TABLE, counties)] if counties else []
    sheets += [(table, table_rows(stats, table[1])) for table in TABLES]
    for (title, attribute, first, columns), (rows, totals) in sheets:
        sheet = book.create_sheet(title)
        header = [first] + (["条款"] if attribute == "by_kind" else []) + [h for _, h in columns]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in [*rows, totals]:
            values = [row["label"]]
            if attribute == "by_kind":
                values.append(row.get("clause", ""))
            values += [row[key] for key, _ in columns]
            sheet.append(safe_row(values))
        sheet.column_dimensions["A"].width = 28
    out = BytesIO()
    book.save(out)
    return out.getvalue()
