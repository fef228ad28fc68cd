"""Busy pages run a fixed number of queries, whatever the number of rows (issue 13).

Each page is rendered with a few rows and with many; the SQL statements are captured with the
`before_cursor_execute` event and the counts must be equal (no lazy load per row)."""

from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.board import service as board
from portal.certificates import service as certificates
from portal.declarations.models import DeclarationStatus
from portal.extensions import db

FEW, MANY = 5, 60
TODAY = date(2025, 9, 29)
TRAINING = {"kind": "training", "facts": {"days": 1}, "subject": "professional"}


@contextmanager
def captured(app):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def queries(app, client, url, **kwargs):
    db.session.expire_all()
    with captured(app) as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(statements)


@pytest.fixture
def people(make_unit, make_professional):
    units = [make_unit(name=f"单位{i}") for i in range(3)]

    def make(n, **kwargs):
        return [make_professional(unit=units[i % 3], account=False, **kwargs) for i in range(n)]

    return make


@pytest.fixture
def pinned_today(monkeypatch):
    monkeypatch.setattr(board, "local_today", lambda: TODAY)


def _approved(make_submitted_declaration, persons):
    return [
        make_submitted_declaration(
            p,
            status=DeclarationStatus.APPROVED,
            general_hours=30,
            professional_hours=60,
            total_hours=90,
            compliant=True,
        )
        for p in persons
    ]


def _publicise(officer, declarations):
    board.open_batch(
        officer, [d.id for d in declarations], date(2025, 9, 26), today=date(2025, 9, 25)
    )
    db.session.commit()


def test_board_queries_do_not_grow(
    app, client, make_user, people, make_submitted_declaration, pinned_today
):
    officer = make_user(Role.BUREAU_OFFICER)
    _publicise(officer, _approved(make_submitted_declaration, people(FEW)))
    few = queries(app, client, "/board")
    _publicise(officer, _approved(make_submitted_declaration, people(MANY)))
    assert queries(app, client, "/board") == few


def test_publicity_batches_queries_do_not_grow(
    app, client, auth, make_user, people, make_submitted_declaration, pinned_today
):
    officer = make_user(Role.BUREAU_OFFICER)
    auth.login(officer)
    _approved(make_submitted_declaration, people(FEW))
    few = queries(app, client, "/board/batches")
    # the account (with the settings and the bell), the eligible rows, the unit filter, the
    # working-day calendar twice, the batches with their counts, open objections, the schedule
    assert few <= 8
    _approved(make_submitted_declaration, people(MANY))
    assert queries(app, client, "/board/batches") == few


def test_review_queue_queries_do_not_grow(
    app, client, auth, make_unit, make_user, make_professional, make_submitted_declaration
):
    unit = make_unit(name="大单位")
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    auth.login(reviewer)

    def submit(n):
        for _ in range(n):
            make_submitted_declaration(make_professional(unit=unit, account=False))

    submit(FEW)
    few = queries(app, client, "/review/")
    assert few <= 3  # the account (with the settings and the bell), the counts, the page
    submit(MANY)
    assert queries(app, client, "/review/") == few


def test_declaration_page_queries_do_not_grow(
    app, client, auth, make_professional, make_submitted_declaration
):
    small = make_professional()
    make_submitted_declaration(small, year=2025, claims=[TRAINING] * 3)
    big = make_professional()
    make_submitted_declaration(big, year=2025, claims=[TRAINING] * 12)
    auth.login(small.user)
    few = queries(app, client, "/declarations/2025")
    auth.logout()
    auth.login(big.user)
    assert queries(app, client, "/declarations/2025") == few


def test_verify_queries_do_not_grow(app, client, make_professional, make_registered_declaration):
    def printed(years):
        person = make_professional()
        for year in years:
            make_registered_declaration(person, year)
        code = certificates.print_certificate(person.user, person).code
        db.session.commit()
        return code

    few = queries(app, client, f"/verify/{printed([2024])}")
    assert queries(app, client, f"/verify/{printed(range(2015, 2026))}") == few


def test_authority_queue_queries_do_not_grow(
    app, client, auth, make_unit, make_user, make_professional, make_submitted_declaration
):
    """The authority officer's first-step queue of a two-step review."""
    from portal.accounts.models import PersonTitle
    from portal.units.models import Authority, FirstReview, TitleLevel, TitleSeries

    authority = Authority(name="市教体局")
    series = TitleSeries(name="中小学教师", authority=authority)
    db.session.add(series)
    db.session.commit()
    unit = make_unit(name="大学校")
    auth.login(make_user(Role.AUTHORITY_OFFICER, authority=authority))

    def submit(n):
        for _ in range(n):
            person = make_professional(unit=unit, account=False)
            db.session.add(
                PersonTitle(professional=person, series=series, level=TitleLevel.INTERMEDIATE)
            )
            make_submitted_declaration(
                person, first_step=FirstReview.AUTHORITY, first_step_authority_id=authority.id
            )

    submit(FEW)
    few = queries(app, client, "/review/")
    submit(MANY)
    assert queries(app, client, "/review/") == few


def person_of_own_series(make_unit, make_professional, label, level):
    """A person in a unit of their own holding a title of a series of their own, whose
    authority is theirs alone too (so that a lazy load per row of any of them would show):
    (person, authority)."""
    from portal.accounts.models import PersonTitle
    from portal.units.models import Authority, TitleSeries

    authority = Authority(name=f"主管部门{label}")
    series = TitleSeries(name=f"系列{label}", authority=authority)
    person = make_professional(unit=make_unit(name=f"单位{label}"), account=False)
    db.session.add(
        PersonTitle(professional=person, series=series, level=level, obtained=date(2015, 1, 1),
                    appointed=date(2015, 1, 1))
    )  # fmt: skip
    db.session.flush()
    return person, authority
