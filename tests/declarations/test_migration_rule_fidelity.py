"""Migration 0006 (rule fidelity) on a database holding claims stored at revision 812615c3a5ce.

The rows are made with the factories at the head revision, the schema is taken back to
812615c3a5ce and the facts are rewritten as the old rules stored them; then the upgrade runs.
"""

import pytest
import sqlalchemy as sa

from portal.declarations.models import (
    Claim,
    ClaimDecision,
    Declaration,
    DeclarationStatus,
    Evidence,
)
from portal.extensions import db

BEFORE = "812615c3a5ce"
LECTURE = {"kind": "lecture", "subject": "professional", "details": {"title": "讲座"}}
PROJECT = {"kind": "project", "facts": {"level": "city", "role": "host", "completed": True}}


@pytest.fixture
def migrated(ctx):
    """The test's database built by the migrations (create_all's tables dropped first)."""
    from flask_migrate import upgrade

    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


def _old_facts(facts_by_claim):
    """Back to 812615c3a5ce, then the facts as the old rules stored them."""
    from flask_migrate import downgrade

    db.session.commit()
    db.session.close()
    downgrade(revision=BEFORE)
    claim = sa.table("claim", sa.column("id", sa.Integer), sa.column("facts", sa.JSON))
    with db.engine.begin() as connection:
        for claim_id, facts in facts_by_claim.items():
            connection.execute(claim.update().where(claim.c.id == claim_id).values(facts=facts))


def _upgrade():
    from flask_migrate import upgrade

    upgrade()
    db.session.expire_all()


def _claims(declaration_id):
    return list(
        db.session.scalars(
            sa.select(Claim).where(Claim.declaration_id == declaration_id).order_by(Claim.position)
        )
    )


def test_draft_claims_follow_the_new_rules(migrated, make_declaration, person):
    draft = make_declaration(
        person=person,
        year=2025,
        evidence=True,
        claims=[
            {"kind": "courseware", "facts": {"hours": 3}, "subject": "general"},
            {"kind": "courseware", "facts": {}, "subject": "general"},
            LECTURE,
            {"kind": "aid.expert_service", "subject": "professional"},
            PROJECT,
            PROJECT,
        ],
    )
    ids, draft_id = [c.id for c in draft.claims], draft.id
    evidence_of_lecture = draft.claims[2].evidence[0].stored_name
    _old_facts(
        {
            ids[0]: {"hours": 3, "minutes": 200},
            ids[1]: {"hours": None, "minutes": 135},
            ids[2]: {"count": 4},
            ids[3]: {"activities": 2},
            ids[4]: {"level": "city", "role": "host", "completed": False},
            ids[5]: {"level": "city", "role": "host", "completed": True},
        }
    )
    _upgrade()
    claims = _claims(draft_id)
    assert [c.kind for c in claims] == [
        "courseware",
        "courseware",
        *["lecture"] * 4,
        *["aid.expert_service"] * 2,
        "project",
        "project",
    ]
    assert [c.position for c in claims] == list(range(1, 11))
    assert claims[0].facts == {"hours": 3} and claims[0].hours == 3  # labelled hours kept
    assert claims[1].facts == {} and claims[1].hours == 1  # minutes play no part
    lectures = claims[2:6]
    assert lectures[0].id == ids[2]
    assert all(c.facts == {} and c.hours == 5 for c in lectures)
    assert all(c.details == {"title": "讲座"} and c.subject == "professional" for c in lectures)
    assert [len(c.evidence) for c in lectures] == [1, 1, 1, 1]
    assert {c.evidence[0].stored_name for c in lectures} == {evidence_of_lecture}
    assert [c.hours for c in claims[6:8]] == [20, 20]
    assert claims[8].facts == {"level": "city", "role": "host"}  # the person must choose
    assert claims[9].facts["completed"] is True
    assert not any(c.elected for c in claims)


def test_submitted_claims_keep_their_decisions_and_hours(
    migrated, make_declaration, make_professional
):
    submitted = make_declaration(
        person=make_professional(),
        year=2025,
        status=DeclarationStatus.SUBMITTED,
        evidence=True,
        claims=[
            {**LECTURE, "decision": ClaimDecision.REDUCED},
            {**PROJECT, "decision": ClaimDecision.ACCEPTED},
            {**LECTURE, "decision": ClaimDecision.ACCEPTED},
        ],
    )
    ids, submitted_id = [c.id for c in submitted.claims], submitted.id
    claim = sa.table("claim", sa.column("id", sa.Integer), sa.column("accepted_hours", sa.Integer))
    db.session.commit()
    with db.engine.begin() as connection:
        connection.execute(claim.update().where(claim.c.id == ids[0]).values(accepted_hours=12))
        connection.execute(claim.update().where(claim.c.id == ids[1]).values(accepted_hours=0))
        connection.execute(claim.update().where(claim.c.id == ids[2]).values(accepted_hours=10))
    _old_facts(
        {ids[0]: {"count": 3}, ids[1]: {"level": "city", "role": "host"}, ids[2]: {"count": 1}}
    )
    _upgrade()
    claims = _claims(submitted_id)
    split = claims[:3]
    # 12 accepted hours of three lectures: 5 + 5 + 2, the reason kept on each
    assert [(c.decision, c.accepted_hours) for c in split] == [
        (ClaimDecision.ACCEPTED, 5),
        (ClaimDecision.ACCEPTED, 5),
        (ClaimDecision.REDUCED, 2),
    ]
    assert sum(c.accepted_hours for c in split) == 12
    assert claims[3].facts == {"level": "city", "role": "host", "completed": False}
    assert claims[4].facts == {} and claims[4].accepted_hours == 10  # one lecture: untouched
    assert db.session.get(Declaration, submitted_id).status is DeclarationStatus.SUBMITTED
    # three claims link one stored file; deleting rows never leaves a row without its file
    names = [c.evidence[0].stored_name for c in split]
    assert len(set(names)) == 1
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 5


def test_hefei_year_facts_are_dropped(migrated, make_declaration, person):
    declaration = make_declaration(
        person=person,
        year=2024,
        rule_set="hefei-2021",
        claims=[
            {"kind": "aid", "subject": "professional"},
            {"kind": "qualification", "subject": "professional"},
            {
                "kind": "paper",
                "facts": {"level": "national", "chars": 5000},
                "subject": "professional",
                "details": {"title": "论 课堂 教学"},
            },
        ],
    )
    ids, declaration_id = [c.id for c in declaration.claims], declaration.id
    _old_facts({ids[0]: {"year": 2024}, ids[1]: {"year": 2015}})
    with db.engine.begin() as connection:  # 812615c3a5ce had no title_key
        assert "title_key" not in {c["name"] for c in sa.inspect(connection).get_columns("claim")}
    _upgrade()
    claims = _claims(declaration_id)
    assert [c.facts for c in claims[:2]] == [{}, {}]
    assert claims[2].title_key == "paper|title:论课堂教学"  # filled for stored papers
