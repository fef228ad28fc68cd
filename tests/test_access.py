"""Route × role × unit access table: who may open what, checked on the server for every route.

Scenario: professional P works in unit A (a state institution) and has a submitted 2025
declaration with one evidence file; Q works in unit B. RA reviews unit A, RB unit B.
Outcomes: "ok" (2xx, or a 303 after a successful post), "login" (redirect to /login),
403 (wrong role), 404 (an object of someone the user may not see: existence is not leaked).
"""

import os

import pytest

from portal.accounts.models import Role
from portal.units.models import Provider, UnitType

ACTORS = ["anon", "P", "Q", "RA", "RB", "officer", "provider", "admin", "auditor"]


@pytest.fixture
def world(app, make_unit, make_user, make_professional, make_submitted_declaration):
    from portal.extensions import db

    unit_a = make_unit(type=UnitType.INSTITUTION)
    unit_b = make_unit(type=UnitType.INSTITUTION)
    provider = Provider(name="测试继续教育基地")
    db.session.add(provider)
    db.session.commit()
    p = make_professional(unit=unit_a)
    q = make_professional(unit=unit_b)
    declaration = make_submitted_declaration(p, year=2025)
    evidence = declaration.claims[0].evidence[0]
    with open(os.path.join(app.config["UPLOAD_FOLDER"], evidence.stored_name), "wb") as f:
        f.write(b"%PDF-1.4\n%test\n")
    users = {
        "P": p.user,
        "Q": q.user,
        "RA": make_user(Role.UNIT_REVIEWER, unit=unit_a),
        "RB": make_user(Role.UNIT_REVIEWER, unit=unit_b),
        "officer": make_user(Role.BUREAU_OFFICER),
        "provider": make_user(Role.PROVIDER, provider=provider),
        "admin": make_user(Role.ADMIN),
        "auditor": make_user(Role.AUDITOR),
    }
    return {
        "users": {k: v.username for k, v in users.items()},
        "ids": {
            "decl": declaration.id,
            "claim": declaration.claims[0].id,
            "evidence": evidence.id,
            "person": p.id,
            "unit": unit_a.id,
        },
    }


def row(url, ok, forbidden=(), hidden=()):
    """ok: actors who get in; hidden: actors who get 404; every other logged-in actor gets 403."""
    expected = {}
    for actor in ACTORS:
        if actor == "anon":
            expected[actor] = "ok" if "anon" in ok else "login"
        elif actor in ok:
            expected[actor] = "ok"
        elif actor in hidden:
            expected[actor] = 404
        else:
            expected[actor] = 403
    return url, expected


STAFF_REVIEW = ("RA", "RB", "officer")
GET_TABLE = [
    row("/", ok=ACTORS),
    row("/board", ok=ACTORS),
    row("/verify", ok=ACTORS),
    row("/declarations/", ok=("P", "Q")),
    row("/declarations/2025", ok=("P",), hidden=("Q",)),
    row(
        "/declarations/evidence/{evidence}",
        ok=("P", "RA", "officer"),
        hidden=("Q", "RB", "provider", "admin", "auditor"),
    ),
    row("/certificates", ok=("P", "Q")),
    row("/review/", ok=STAFF_REVIEW),
    row("/review/people", ok=STAFF_REVIEW),
    row("/review/{decl}", ok=("RA",), hidden=("RB", "officer")),
    row("/board/batches", ok=("officer",)),
    row("/board/objections", ok=("officer",)),
    row("/workdays/", ok=("officer",)),
    row("/admin/units", ok=("admin", "officer")),
    row("/admin/units/{unit}/edit", ok=("admin", "officer")),
    row("/admin/users", ok=("admin",)),
    row("/admin/settings", ok=("admin",)),
    row("/audit/", ok=("auditor",)),
    row("/audit/export.csv", ok=("auditor",)),
    row("/password", ok=ACTORS[1:]),
]
# Freely reachable pages whose role gate answers differently (e.g. a redirect for the wrong role)
# are listed with their real behaviour rather than forced into the table's shape.
GET_TABLE_IDS = [url for url, _ in GET_TABLE]


def outcome(response) -> str | int:
    if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        return "login"
    if response.status_code < 400:
        return "ok"
    return response.status_code


def as_actor(client, auth, world, actor):
    if actor != "anon":
        response = auth.login(world["users"][actor])
        assert response.status_code == 303, f"{actor} could not log in"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("url", "expected"), GET_TABLE, ids=GET_TABLE_IDS)
def test_get_access(client, auth, world, actor, url, expected):
    as_actor(client, auth, world, actor)
    # Professionals have the anonymous-only / staff-only edges that are not 403:
    if url == "/declarations/2025" and actor == "Q":
        # Q has no 2025 declaration; opening one is a POST. The page must not show P's.
        response = client.get(url)
        assert response.status_code == 303  # offered to open it on the declarations page
        assert world["users"]["P"] not in response.text
        return
    response = client.get(url.format(**world["ids"]))
    assert outcome(response) == expected[actor], response.text[:300]


POST_TABLE = [
    row("/review/{decl}/approve", ok=("RA",), hidden=("RB", "officer")),
    row("/review/{decl}/reject", ok=("RA",), hidden=("RB", "officer")),
    row("/review/{decl}/request-evidence", ok=("RA",), hidden=("RB", "officer")),
    row("/review/{decl}/claims/{claim}", ok=("RA",), hidden=("RB", "officer")),
    row("/review/people/{person}/confirm", ok=("RA",), hidden=("RB", "officer")),
    row("/declarations/2025/claims/{claim}/delete", ok=("P",), hidden=("Q",)),
    row("/board/batches", ok=("officer",)),
    row("/board/close", ok=("officer",)),
    row("/admin/units/{unit}/active", ok=("admin", "officer")),
    row("/certificates/print", ok=("P", "Q")),
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("url", "expected"), POST_TABLE, ids=[u for u, _ in POST_TABLE])
def test_post_access(client, auth, world, actor, url, expected):
    """Gates come before validation: an empty post by a stranger is refused, not validated."""
    as_actor(client, auth, world, actor)
    response = client.post(url.format(**world["ids"]), data={})
    got = outcome(response)
    if expected[actor] == "ok":
        # Allowed through the gate: the empty form may be refused on its merits (422/409), never 403/404.
        assert got not in (403, 404, "login"), response.text[:300]
    else:
        assert got == expected[actor], response.text[:300]


def test_submitted_claims_cannot_be_deleted_even_by_owner(client, auth, world):
    auth.login(world["users"]["P"])
    response = client.post("/declarations/2025/claims/{claim}/delete".format(**world["ids"]))
    assert response.status_code in (403, 409, 422)
