"""The jurisdiction rule (style.md 17): one do_orm_execute criteria keeps a county's staff inside
their county, a city officer inside the city's counties; the professional, the admin and the
auditor are not scoped; `unscoped()` and the execution option see across on purpose."""

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import Jurisdiction, JurisdictionLevel
from portal.settings import get_setting, set_setting
from portal.units.models import Unit
from tests.conftest import logged_in
from tests.jurisdictions.conftest import CITY, OTHER_CITY, OTHER_COUNTY, PROVINCE, A, B


@pytest.fixture
def units(two_counties, make_unit):
    return {code: make_unit(name=f"单位{code}", jurisdiction_code=code)
            for code in (A, B, OTHER_COUNTY)}  # fmt: skip


def _names(**options):
    statement = sa.select(Unit.name).order_by(Unit.name)
    if options:
        statement = statement.execution_options(**options)
    return db.session.scalars(statement).all()


def test_the_install_has_its_county_its_city_and_its_province(ctx):
    rows = {j.code: (j.level, j.parent_code) for j in Jurisdiction.query.all()}
    assert rows == {
        PROVINCE: (JurisdictionLevel.PROVINCE, None),
        CITY: (JurisdictionLevel.CITY, PROVINCE),
        A: (JurisdictionLevel.COUNTY, CITY),
    }
    assert jurisdictions.is_single_county()
    assert jurisdictions.counties_of(CITY) == [A]


def test_new_records_belong_to_the_home_county(ctx, make_unit, two_counties):
    assert make_unit().jurisdiction_code == A  # the install's
    with scope.use(B):
        unit = Unit(name="郎溪单位", uscc="91341821MA2N00001X", type="institution")
        db.session.add(unit)
        db.session.flush()
        assert unit.jurisdiction_code == B


def test_a_county_sees_only_its_own_rows(units):
    b_id = units[B].id
    db.session.expunge_all()  # as a new request: nothing loaded yet
    with scope.use(A):
        assert _names() == [f"单位{A}"]
        assert db.session.get(Unit, b_id) is None  # by id too
        assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 1  # and in counts
    with scope.use(B):
        assert _names() == [f"单位{B}"]


def test_a_statement_built_once_is_scoped_anew_in_each_scope(units, monkeypatch):
    """A statement kept between requests runs under each request's scope: its scoped form is
    kept per scope, never one scope's form under another's (nor past the forms it keeps)."""
    monkeypatch.setattr(scope, "SCOPED_FORMS_KEPT", 2)
    statement = sa.select(Unit.name).order_by(Unit.name)
    seen = []
    for code in (A, B, A, CITY, B, OTHER_COUNTY, A):
        with scope.use(code):
            seen.append(db.session.scalars(statement).all())
    assert seen == [
        [f"单位{A}"], [f"单位{B}"], [f"单位{A}"], [f"单位{B}", f"单位{A}"], [f"单位{B}"],
        [f"单位{OTHER_COUNTY}"], [f"单位{A}"],
    ]  # fmt: skip
    assert len(scope._scoped_forms[statement]) == 2
    assert db.session.scalars(statement).all() == sorted(f"单位{c}" for c in (A, B, OTHER_COUNTY))


def test_a_city_sees_its_counties_and_not_another_citys(units):
    assert jurisdictions.counties_of(CITY) == [B, A]
    assert jurisdictions.counties_of(PROVINCE) == [OTHER_COUNTY, B, A]
    with scope.use(CITY):
        assert _names() == [f"单位{B}", f"单位{A}"]
        assert scope.counties() == (B, A)
    with scope.use(PROVINCE):
        assert len(_names()) == 3


def test_seeing_across_is_said_on_purpose(units):
    with scope.use(A):
        assert len(_names(all_jurisdictions=True)) == 3
        with scope.unscoped():
            assert len(_names()) == 3
        assert len(_names()) == 1  # and ends with its block


def test_an_unknown_code_sees_nothing(units):
    with scope.use("999999"):
        assert _names() == []


def test_relationships_carry_the_criteria(units, make_user):
    """A county officer's account is seen with its city's and province's officers (they are
    told of the county's work), not another county's."""
    a_officer = make_user(Role.BUREAU_OFFICER, jurisdiction_code=A)
    b_officer = make_user(Role.BUREAU_OFFICER, jurisdiction_code=B)
    city_officer = make_user(Role.CITY_OFFICER, jurisdiction_code=CITY)
    with scope.use(A):
        seen = set(db.session.scalars(sa.select(User.id).where(User.role != Role.ADMIN)))
    assert a_officer.id in seen and city_officer.id in seen and b_officer.id not in seen


@pytest.mark.parametrize(
    ("role", "code", "expected"),
    [
        (Role.BUREAU_OFFICER, A, (A,)),
        (Role.BUREAU_OFFICER, B, (B,)),
        (Role.UNIT_REVIEWER, A, (A,)),
        (Role.PROVIDER, B, (B,)),
        (Role.AUTHORITY_OFFICER, A, (A,)),
        (Role.CITY_OFFICER, CITY, (B, A)),
        (Role.CITY_OFFICER, OTHER_CITY, (OTHER_COUNTY,)),
        (Role.PROFESSIONAL, A, None),
        (Role.ADMIN, A, None),
        (Role.AUDITOR, A, None),
    ],
)
def test_each_request_is_scoped_by_its_account(app, units, make_user, role, code, expected):
    user = make_user(role, jurisdiction_code=code)
    seen = {}

    @app.get("/_scope_probe")
    def probe():
        seen["counties"] = scope.counties()
        seen["units"] = _names()
        return "ok"

    assert logged_in(app, user).get("/_scope_probe").status_code == 200
    assert seen["counties"] == expected
    assert len(seen["units"]) == (3 if expected is None else len(expected))
    assert scope.counties() is None  # the scope ended with the request


def test_a_county_setting_over_its_citys_over_the_instances(ctx, two_counties):
    assert get_setting("PUBLICITY_WORKING_DAYS", A) == 5  # config
    set_setting("PUBLICITY_WORKING_DAYS", 6)
    assert get_setting("PUBLICITY_WORKING_DAYS", B) == 6  # instance-wide
    set_setting("PUBLICITY_WORKING_DAYS", 7, CITY)
    assert get_setting("PUBLICITY_WORKING_DAYS", A) == 7  # the city's default
    assert get_setting("PUBLICITY_WORKING_DAYS", OTHER_COUNTY) == 6  # not another city's
    set_setting("PUBLICITY_WORKING_DAYS", 8, B)
    assert get_setting("PUBLICITY_WORKING_DAYS", B) == 8  # the county's own
    assert get_setting("PUBLICITY_WORKING_DAYS", A) == 7
    with scope.use(B):
        assert get_setting("PUBLICITY_WORKING_DAYS") == 8  # the current county by default


def test_instance_settings_are_not_per_county(ctx, two_counties):
    set_setting("PASSWORD_MIN_LENGTH", 12, B)  # a stray county row is never read
    assert get_setting("PASSWORD_MIN_LENGTH", B) == 8


def test_the_names_come_from_gb_t_2260():
    assert jurisdictions.official_name("341800") == "宣城市"
    assert jurisdictions.official_name("341882") == "广德市"
    assert jurisdictions.official_name("340000") == "安徽省"
    assert jurisdictions.official_name("999999") is None
    assert jurisdictions.official_name("3418") is None


def test_a_child_is_scoped_through_its_parent(units, make_professional):
    """A person's title (no county of its own) is seen only with its person, whichever scope
    came first (the criteria are cached per statement, their codes are not)."""
    from portal.accounts.models import PersonTitle
    from portal.units.models import Authority, TitleLevel, TitleSeries

    series = TitleSeries(name="中小学教师", authority=Authority(name="教体局"))
    titles = {}
    for code in (A, B):
        person = make_professional(unit=units[code], jurisdiction_code=code)
        title = PersonTitle(professional=person, series=series, level=TitleLevel.INTERMEDIATE)
        db.session.add(title)
        db.session.commit()
        titles[code] = title.id
    db.session.expunge_all()
    for code, other in ((A, B), (B, A), (A, B)):
        with scope.use(code):
            assert db.session.scalars(sa.select(PersonTitle.id)).all() == [titles[code]]
            assert db.session.get(PersonTitle, titles[other]) is None
        db.session.expunge_all()


def test_a_select_over_a_subquery_of_county_owned_rows_is_scoped(units, make_professional):
    """Columns of a subquery (the publicity page's "waiting per unit" counts) are scoped like
    the rows themselves."""
    from portal.accounts.models import Professional

    for code in (A, B, B):
        make_professional(unit=units[code], jurisdiction_code=code)
    per_unit = (
        sa.select(Professional.unit_id, sa.func.count(Professional.id).label("n"))
        .group_by(Professional.unit_id)
        .subquery()
    )
    with scope.use(A):
        rows = db.session.execute(sa.select(per_unit.c.unit_id, per_unit.c.n)).all()
        assert rows == [(units[A].id, 1)]
        assert db.session.scalar(sa.select(sa.func.sum(per_unit.c.n))) == 1
