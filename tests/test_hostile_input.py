"""Hostile input on every route: no answer is ever a 500 (issue 14).

Every rule of app.url_map gets each hostile value in each of its path arguments, and every route
gets them in the query string, for each role and the anonymous visitor. Huge integers used to
reach the database and overflow it; the bounded `int` converter now answers 404 before that.
"""

import re
from datetime import UTC, datetime

import pytest
from werkzeug.routing import IntegerConverter

from portal.accounts.models import Role
from portal.extensions import db
from portal.security import MAX_ROUTE_INT
from portal.units.models import Authority, Provider

HOSTILE = [
    "9" * 30,  # beyond 64 bits
    str(2**63),  # beyond SQLite's 64-bit INTEGER
    str(MAX_ROUTE_INT + 1),  # just beyond
    str(MAX_ROUTE_INT),  # the largest accepted: reaches the database, finds nothing
    "0",
    "-1",
    "%E4%B8%AD%E6%96%87",  # 中文
    "%F0%9F%98%80",  # an emoji (4-byte UTF-8)
    "%FF%FE",  # not UTF-8 at all
    "9" * 4000,  # very long digits
    "x" * 4000,  # very long text
    "%00",  # NUL byte
    "a%00b",
    "..%2F..%2Fetc%2Fpasswd",
    "../../etc/passwd",
    "%2E%2E",
]
# Posted to every route: the number fields of the portal's forms, and a NUL byte.
FORM = dict.fromkeys(
    ("year", "n", "accepted_hours", "hours", "days", "value", "unit", "person"), "9" * 30
) | {"q": "a\x00b", "name": "\x00", "form_token": "x" * 4000}
ACTORS = ["anon", *Role]
ARGUMENT = re.compile(r"<(?:[^>:]+:)?[^>]+>")


@pytest.fixture
def users(app, make_unit, make_user, make_professional, make_submitted_declaration):
    unit = make_unit()
    provider = Provider(name="测试施教机构")
    db.session.add(provider)
    db.session.commit()
    person = make_professional(unit=unit)
    make_submitted_declaration(person, year=2025)
    accounts = {
        Role.PROFESSIONAL: person.user,
        Role.UNIT_REVIEWER: make_user(Role.UNIT_REVIEWER, unit=unit),
        Role.BUREAU_OFFICER: make_user(Role.BUREAU_OFFICER),
        Role.PROVIDER: make_user(Role.PROVIDER, provider=provider),
        Role.ADMIN: make_user(Role.ADMIN),
        Role.AUDITOR: make_user(Role.AUDITOR),
        Role.CITY_OFFICER: make_user(Role.CITY_OFFICER),
        Role.AUTHORITY_OFFICER: make_user(
            Role.AUTHORITY_OFFICER, authority=Authority(name="县卫健委")
        ),
        Role.PROVINCE_VIEWER: make_user(Role.PROVINCE_VIEWER),
    }
    assert set(accounts) == set(Role)  # every role is fuzzed logged in, none as a visitor
    return {role: user.get_id() for role, user in accounts.items()}


def _client(app, session_id):
    """A client logged in by writing the session (the password check is deliberately slow)."""
    client = app.test_client()
    if session_id:
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
            session["last_seen"] = datetime.now(UTC).timestamp()
    return client


def _requests(app):
    """(method, url): each hostile value in every path argument, and in the query string."""
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for value in HOSTILE:
            query = f"?year={value}&page={value}&q={value}&start={value}&days={value}"
            for method in methods:
                if ARGUMENT.search(rule.rule):
                    yield method, ARGUMENT.sub(value, rule.rule)
                yield method, ARGUMENT.sub("1", rule.rule) + query


@pytest.mark.parametrize("actor", ACTORS, ids=str)
def test_no_route_answers_500_to_hostile_input(app, users, actor):
    client = _client(app, users.get(actor))
    failures = []
    for method, url in sorted(set(_requests(app))):
        response = client.open(url, method=method, data=FORM)
        if response.status_code >= 500:
            failures.append(f"{method} {url[:120]} -> {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("value", ["9" * 30, str(MAX_ROUTE_INT + 1)])
def test_huge_id_is_not_found(app, users, value):
    client = _client(app, users[Role.BUREAU_OFFICER])
    response = client.get(f"/board/batches/{value}")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("actor", [Role.BUREAU_OFFICER, Role.PROFESSIONAL, "anon"], ids=str)
def test_every_route_answers_404_to_an_id_beyond_64_bits(app, users, actor):
    """Each route with an integer in its path, every integer 2**64 and more: not found (the
    converter refuses it before any gate, view or query sees it)."""
    client = _client(app, users.get(actor))
    huge = str(2**64)
    wrong, routes = [], 0
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        routes += 1
        url = rule.rule
        for name, converter in rule._converters.items():
            value = huge if isinstance(converter, IntegerConverter) else "1"
            url = re.sub(rf"<(?:[^>:]+:)?{name}>", value, url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"year": "2025"})
            if response.status_code != 404:
                wrong.append(f"{method} {url} -> {response.status_code}")
    assert routes >= 50 and not wrong, "\n".join(wrong)


def test_largest_id_still_matches_and_finds_nothing(app, users):
    client = _client(app, users[Role.BUREAU_OFFICER])
    assert client.get(f"/board/batches/{MAX_ROUTE_INT}").status_code == 404
    assert app.url_map.converters["int"].__name__ == "BoundedIntConverter"


def test_nul_bytes_are_refused_at_the_door(app, users):
    client = _client(app, users[Role.ADMIN])
    assert client.get("/admin/users?q=a%00b").status_code == 400
    assert client.post("/login", data={"username": "a\x00b", "password": "x"}).status_code == 400
    assert client.get("/verify/AB%00CD").status_code in (400, 404)
    assert client.get("/admin/users?q=ab").status_code == 200
