"""The statistics' figures pinned: the page, the Excel file and `flask stats` on a county with
people in every state, declarations in every status, every title series and level, every unit
type and freelancers; claims capped, elected (highest-only), duplicate works, claims approved
with their parts stored and older ones without (evaluated again), a paper year, hours that
cannot be split, two rule sets labelling the same kind differently, and another year.

`pinned_stats.json` holds the figures as the statistics computed them when every figure was
still added up in Python, row by row (before they were grouped in SQL): any change to how they
are computed must give the same figures. Keys that are database ids are replaced by labels, so
that the file does not depend on the order rows were given ids in."""

import json
import re
from datetime import UTC, date, datetime
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from portal.accounts.models import PersonStatus, PersonTitle, Role
from portal.declarations.models import ClaimDecision, DeclarationStatus
from portal.extensions import db
from portal.review import service as review
from portal.stats import service
from portal.units.models import Authority, TitleLevel, TitleSeries, UnitType
from tests.hostile import plain_pdf

PINNED = Path(__file__).with_name("pinned_stats.json")
YEAR = 2025

TRAINING = {"kind": "training", "facts": {"days": 10}, "subject": "professional"}  # 60 h


def courseware(hours):
    return {"kind": "courseware", "facts": {"hours": hours}, "subject": "general"}


def patent(rank=1):
    return {
        "kind": "patent.invention",
        "facts": {"rank": rank},
        "subject": "professional",
        "details": {
            "title": "一种教学用具",
            "date": f"{YEAR}-03-01",
            "patent_no": "ZL2023101234567",
        },
    }


def book_anhui(title):
    return {
        "kind": "book",
        "facts": {"authorship": "sole"},
        "subject": "professional",
        "details": {"title": title, "date": f"{YEAR}-02-01"},
    }


def book_hefei(title):
    return {
        "kind": "book",
        "facts": {"chars": 120000},
        "subject": "professional",
        "details": {"title": title, "date": f"{YEAR}-02-01"},
    }


SELF_STUDY = {"kind": "self_study", "facts": {"hours": 30}, "subject": "general"}
CONFERENCE = {"kind": "conference", "facts": {"paper_chars": 5000}, "subject": "professional"}


@pytest.fixture
def pinned_county(
    ctx, make_unit, make_user, make_professional, make_submitted_declaration,
    make_registered_declaration,
):  # fmt: skip
    authorities = [Authority(name=n) for n in ("县教育局", "县卫健委", "县住建局")]
    db.session.add_all(authorities)
    edu, health, build = authorities
    series = {
        name: TitleSeries(name=name, authority=authority)
        for name, authority in (("教师", edu), ("卫生", health), ("工程", build), ("经济", build))
    }
    db.session.add_all(series.values())
    db.session.commit()
    units = {t: make_unit(name=f"{t.label}甲", type=t) for t in UnitType}
    units["second"] = make_unit(name="第二中学", type=UnitType.INSTITUTION)
    levels = list(TitleLevel)
    names = list(series)
    people = []

    def person(unit, status=PersonStatus.CONFIRMED, title=True):
        p = make_professional(unit=unit, status=status)
        i = len(people)
        people.append(p)
        if title:
            obtained = None if i % 7 == 3 else date(2010 + i % 10, 1 + i % 12, 1)
            db.session.add(
                PersonTitle(
                    professional=p,
                    series=series[names[i % len(names)]],
                    level=levels[i % len(levels)],
                    obtained=obtained,
                )
            )
            if i % 5 == 0:  # a later title, valid only from the next year
                db.session.add(
                    PersonTitle(
                        professional=p,
                        series=series[names[(i + 1) % len(names)]],
                        level=levels[(i + 2) % len(levels)],
                        obtained=date(YEAR + 1, 2, 1),
                    )
                )
            db.session.commit()
        return p

    def registered(p, claims, general, professional, stored, rule_set="anhui-2025", **decide):
        d = make_submitted_declaration(
            p,
            year=YEAR,
            claims=claims,
            rule_set=rule_set,
            status=DeclarationStatus.REGISTERED,
            general_hours=general,
            professional_hours=professional,
            total_hours=general + professional,
            compliant=general + professional >= 90 and professional >= 60,
            reviewed_at=datetime(YEAR, 12, 1, 2, len(people), tzinfo=UTC),
        )
        for position, (decision, hours) in decide.get("decisions", {}).items():
            d.claims[position].decision, d.claims[position].accepted_hours = decision, hours
        db.session.commit()
        if stored:
            d.keep_counted(review.accepted_year(d))
            db.session.commit()
        return d

    order = [*UnitType, "second", None]
    unit_of = lambda i: None if order[i % len(order)] is None else units[order[i % len(order)]]  # noqa: E731

    # Every status of a declaration, in units of every type.
    for i, status in enumerate(DeclarationStatus):
        p = person(unit_of(i))
        if status is DeclarationStatus.REGISTERED:
            registered(p, (TRAINING, courseware(28), courseware(10)), 30, 60, stored=True)
        else:
            make_submitted_declaration(
                p, year=YEAR, claims=(TRAINING, courseware(30)), status=status
            )
    # Nothing declared; not on record (pending, refused) with registered years of their own.
    for i in range(3):
        person(unit_of(i + 3))
    make_registered_declaration(person(units[UnitType.ORGAN], PersonStatus.PENDING), YEAR)
    make_registered_declaration(person(None, PersonStatus.REFUSED), YEAR)
    # No title at all.
    q = person(units["second"], title=False)
    registered(q, (TRAINING, courseware(20)), 20, 60, stored=True)
    person(None, title=False)
    # Capped and reduced, stored and not (before the parts were stored: evaluated again).
    for stored in (True, False):
        registered(
            person(units[UnitType.INSTITUTION]),
            (TRAINING, courseware(28), courseware(10)),
            30, 60, stored,
            decisions={2: (ClaimDecision.REDUCED, 5)},
        )  # fmt: skip
        registered(  # highest-only: the conference does not count beside the training
            person(units[UnitType.STATE_ENTERPRISE]),
            (TRAINING, CONFERENCE, courseware(30)),
            30, 60, stored,
        )  # fmt: skip
        registered(  # a refused claim
            person(units[UnitType.PRIVATE_ENTERPRISE]),
            (TRAINING, courseware(30), courseware(12)),
            30, 60, stored,
            decisions={2: (ClaimDecision.REFUSED, 0)},
        )  # fmt: skip
        registered(  # the full year (援藏); the courseware beside it adds nothing
            person(None),
            ({"kind": "aid.assignment", "subject": "professional"}, courseware(12)),
            30, 60, stored,
        )  # fmt: skip
    # The same patent: counted first for one person, a duplicate for the next (stored, as the
    # review approves it), and for a third approved before parts were stored (counted again).
    registered(person(units[UnitType.SOCIAL_ORG]), (patent(), courseware(30)), 30, 60, True)
    registered(person(units[UnitType.SOCIAL_ORG]), (patent(), courseware(30)), 30, 0, True)
    registered(person(units[UnitType.ORGAN]), (patent(), courseware(30)), 30, 60, False)
    # Parts stored for some claims only: evaluated again as a whole.
    mixed = registered(person(units["second"]), (TRAINING, courseware(30)), 30, 60, True)
    mixed.claims[1].counted_general = mixed.claims[1].counted_professional = None
    db.session.commit()
    # The same kind labelled differently by two rule sets.
    registered(person(units[UnitType.ORGAN]), (book_hefei("甲书"),), 0, 60, True, "hefei-2021")
    registered(person(units[UnitType.ORGAN]), (book_anhui("乙书"),), 0, 70, True)
    registered(person(None), (book_hefei("丙书"), SELF_STUDY), 30, 60, False, "hefei-2021")
    # Hours that cannot be split: no claims; a stored claim the rules refuse now.
    make_registered_declaration(person(units[UnitType.INSTITUTION]), YEAR, general=30)
    odd = registered(person(units["second"]), (courseware(30),), 10, 20, False)
    odd.claims[0].kind = "no.such.kind"
    db.session.commit()
    # A paper year.
    from werkzeug.datastructures import FileStorage

    from portal.declarations import paper

    bureau = make_user(Role.BUREAU_OFFICER)
    paper.enter_paper_year(
        bureau,
        person(units[UnitType.INSTITUTION]),
        YEAR,
        30,
        60,
        FileStorage(BytesIO(plain_pdf()), "2025.pdf"),
        registrar="示范县人力资源和社会保障局",
        registered_on=date(YEAR + 1, 1, 10),
        reason="测试：按纸质证书补录",
    )
    db.session.commit()
    # Another year.
    make_registered_declaration(people[0], YEAR - 1, general=90, professional=90)
    return {
        "units": units,
        "series": series,
        "authorities": authorities,
        "bureau": bureau,
        "reviewer": make_user(Role.UNIT_REVIEWER, unit=units[UnitType.INSTITUTION]),
    }


def _filter_sets(county) -> dict[str, service.Filters]:
    units, series = county["units"], county["series"]
    return {
        "all": service.Filters(YEAR),
        "previous_year": service.Filters(YEAR - 1),
        "next_year": service.Filters(YEAR + 1),
        "unit": service.Filters(YEAR, unit_id=units[UnitType.INSTITUTION].id),
        "freelance": service.Filters(YEAR, unit_id=0),
        "unit_type": service.Filters(YEAR, unit_type=UnitType.STATE_ENTERPRISE),
        "series": service.Filters(YEAR, series_id=series["教师"].id),
        "no_title": service.Filters(YEAR, series_id=0),
        "level": service.Filters(YEAR, title_level=TitleLevel.INTERMEDIATE),
        "authority": service.Filters(YEAR, authority_id=county["authorities"][2].id),
        "series_and_level": service.Filters(
            YEAR, series_id=series["工程"].id, title_level=TitleLevel.INTERMEDIATE
        ),
    }


_ID_KEYED = ("by_unit", "by_title_series", "by_authority")


def _without_ids(result: dict) -> dict:
    """Id keys (units, series, authorities) as labels; freelancers and no title stay."""
    for table in _ID_KEYED:
        for row in result[table]:
            if row["key"] not in ("", "0"):
                row["key"] = "id:" + row["label"]
    return result


def _figures(county) -> dict:
    return {
        name: _without_ids(service.statistics(None, filters).as_json())
        for name, filters in _filter_sets(county).items()
    }


def test_the_figures_are_the_pinned_ones(pinned_county):
    assert _figures(pinned_county) == json.loads(PINNED.read_text(encoding="utf-8"))


def test_the_cli_prints_the_pinned_figures(pinned_county, runner):
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    for name, filters in _filter_sets(pinned_county).items():
        if filters.unit_type is not None:
            continue  # the CLI has no unit type option
        args = ["stats", "--year", str(filters.year)]
        for option, value in (
            ("--unit", filters.unit_id),
            ("--series", filters.series_id),
            ("--level", filters.title_level and filters.title_level.label),
            ("--authority", filters.authority_id),
        ):
            if value is not None:
                args += [option, str(value)]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        assert printed.pop("jurisdiction")["level"] == "county"
        # The unfiltered figures are the snapshot's (when computed); a filter's are computed now.
        unfiltered = service.Filters(filters.year) == filters
        assert (printed.pop("computed_at") is None) != unfiltered, name
        assert _without_ids(printed) == pinned[name], name


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", unescape(c)).strip()  # a linked label: its text
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in rows
    ]


def _expected_cells(rows: list[dict], totals: dict, kind: bool, content: bool) -> list[list[str]]:
    columns = (
        ["claims", "people", "general", "professional", "total"]
        if content
        else [
            "people", "declared", "registered", "compliant", "completion_rate",
            "general", "professional", "total",
        ]
    )  # fmt: skip

    def cell(row, key):
        if key == "completion_rate":
            return "%.1f%%" % (row[key] * 100)
        return str(row[key])

    out = [[r["label"], *([r["clause"]] if kind else []), *(cell(r, k) for k in columns)]
           for r in rows]  # fmt: skip
    out.append(["合计", *([""] if kind else []), *(cell(totals, k) for k in columns)])
    return out


@pytest.mark.parametrize("who", ["bureau", "reviewer"])
def test_the_page_and_the_workbook_show_the_pinned_figures(pinned_county, client, auth, who):
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    figures = pinned["all" if who == "bureau" else "unit"]
    auth.login(pinned_county[who])
    html = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    book = load_workbook(BytesIO(client.get(f"/stats/export.xlsx?year={YEAR}").data))
    summary = {
        "people": figures["people"],
        "completion_rate": "%.1f%%" % (figures["completion_rate"] * 100),
    }
    assert f'<dd id="fig-people">{summary["people"]}</dd>' in html
    assert f'<dd id="fig-rate">{summary["completion_rate"]}</dd>' in html
    overall = {k: figures[k] for k in ("people", "declared", "registered", "compliant")}
    overall |= {"completion_rate": figures["completion_rate"], **figures["hours"]}
    for title, table in (
        ("按单位", "by_unit"),
        ("按单位类型", "by_unit_type"),
        ("按职称系列", "by_title_series"),
        ("按职称级别", "by_title_level"),
        ("按行业主管部门", "by_authority"),
        ("按学习内容", "by_kind"),
        ("按学习形式", "by_form"),
    ):
        content = table in ("by_kind", "by_form")
        if content:
            totals = {"claims": sum(r["claims"] for r in figures[table]), "people": ""}
            for key in ("general", "professional", "total"):
                totals[key] = sum(r[key] for r in figures[table])
        else:
            totals = overall
        expected = _expected_cells(figures[table], totals, table == "by_kind", content)
        attribute = {"by_title_series": "by_series", "by_title_level": "by_level"}.get(table, table)
        assert _cells(html, f"table-{attribute}")[1:] == expected, table
        rate = None if content else 5  # the completion rate's column in the workbook
        sheet = [
            [
                "" if v is None else ("%.1f%%" % (v * 100) if i == rate else str(v))
                for i, v in enumerate(row)
            ]  # fmt: skip
            for row in book[title].iter_rows(min_row=2, values_only=True)
        ]
        assert sheet == expected, title


def write_pinned(county) -> None:  # pragma: no cover - run by hand, see the module's docstring
    PINNED.write_text(
        json.dumps(_figures(county), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
