"""Rule fidelity (issue 16): the elected claim, one claim per occurrence, facts the rules dropped

Revision ID: 6a1f0c9e2b16
Revises: 4c5a1e13b0d4
Create Date: 2026-11-30 13:40:00

Schema:
- claim.elected (就高认定项, default false);
- claim.title_key (indexed): the normalised title of a paper or book, filled for stored claims,
  so that the same work published in two places is found across years and people;
- evidence.stored_name is no longer unique (an index instead): a claim split below keeps its
  proof by new evidence rows that link the same stored file. The file is removed only when
  the last row naming it goes (portal.declarations.service).

Data (plain Core statements with JSON handled by SQLAlchemy: SQLite and PostgreSQL alike):
- anhui-2025 courseware: `minutes` dropped; the labelled `hours` are kept, else the claim
  counts 1 hour (no `hours` fact). Its stored table hours become that figure.
- anhui-2025 lecture (`count`) and aid.expert_service (`activities`): a claim of N occurrences
  becomes N claims, each worth one occurrence (5 or 20 hours), the copies placed right after
  the original, with the same subject, details and evidence (linked, not copied). A reviewer's
  decision is shared out: the accepted hours are given to the copies in order, one occurrence's
  worth each, so that they add up to what was accepted (a copy with the full occurrence is
  "accepted", with part of it "reduced", with none "refused"; the reason is kept on each). A
  count of 0 or 1 leaves one claim and its decision as they were.
- anhui-2025 project: `completed` is now a required choice. In a draft a `completed` that is not
  true is removed, since the old form's unticked box defaulted to "no": the person must choose
  again. In a submitted (or later) declaration nothing may change silently: a missing
  `completed` is written as false, which is what it counted as before (0 hours).
- hefei-2021 aid and qualification: the `year` fact is dropped (no fact moves a claim to
  another year).
Declarations' approved and registered hours are never touched.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a1f0c9e2b16'
down_revision = '4c5a1e13b0d4'
branch_labels = None
depends_on = None

ANHUI, HEFEI = "anhui-2025", "hefei-2021"
# Kinds whose claims name a paper or a book, by rule set, and their work group.
TITLED = {
    ANHUI: {"paper.journal": "paper", "paper.sci": "paper", "paper.ei": "paper", "book": "book"},
    HEFEI: {"paper": "paper", "paper.indexed": "paper", "book": "book"},
}
# kind -> (the count fact that multiplied it, the hours of one occurrence)
SPLIT = {"lecture": ("count", 5), "aid.expert_service": ("activities", 20)}

declaration = sa.table(
    "declaration",
    sa.column("id", sa.Integer),
    sa.column("rule_set", sa.String),
    sa.column("status", sa.String),
)
claim = sa.table(
    "claim",
    sa.column("id", sa.Integer),
    sa.column("declaration_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("subject", sa.String),
    sa.column("facts", sa.JSON),
    sa.column("details", sa.JSON),
    sa.column("identity", sa.String),
    sa.column("hours", sa.Integer),
    sa.column("full_year", sa.Boolean),
    sa.column("clause", sa.String),
    sa.column("created_at"),
    sa.column("decision", sa.String),
    sa.column("accepted_hours", sa.Integer),
    sa.column("decision_reason", sa.Text),
    sa.column("elected", sa.Boolean),
    sa.column("title_key", sa.String),
)
evidence = sa.table(
    "evidence",
    sa.column("id", sa.Integer),
    sa.column("claim_id", sa.Integer),
    sa.column("original_name", sa.String),
    sa.column("stored_name", sa.String),
    sa.column("content_type", sa.String),
    sa.column("size", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("uploaded_at"),
    sa.column("uploaded_by_id", sa.Integer),
    sa.column("after_submission", sa.Boolean),
)
CLAIM_COLUMNS = [c.name for c in claim.columns if c.name != "id"]
EVIDENCE_COLUMNS = [c.name for c in evidence.columns if c.name not in ("id", "claim_id")]


def upgrade():
    # ALTER TABLE ... ADD COLUMN: rebuilding the claim table would break its evidence's keys.
    with op.batch_alter_table('claim', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('elected', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('title_key', sa.String(length=300), nullable=True))
    op.create_index(op.f('ix_claim_title_key'), 'claim', ['title_key'], unique=False)
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_evidence_stored_name'), type_='unique')
        batch_op.create_index(batch_op.f('ix_evidence_stored_name'), ['stored_name'], unique=False)
    migrate_claims(op.get_bind())


def downgrade():
    # The split claims stay split (their count cannot be told apart from claims entered one by
    # one); restoring the unique constraint fails loudly while split claims share a file.
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_stored_name'))
        batch_op.create_unique_constraint(batch_op.f('uq_evidence_stored_name'), ['stored_name'])
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): rebuilding the claim table would break the
    # foreign keys of its evidence rows.
    op.drop_index(op.f('ix_claim_title_key'), table_name='claim')
    with op.batch_alter_table('claim', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('title_key')
        batch_op.drop_column('elected')


def _int(value):
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _normalise(value):
    """As portal.declarations.duplicates.normalise: letters and digits, case-folded."""
    return "".join(ch for ch in str(value or "").casefold() if ch.isalnum())


def _shares(accepted, per, n):
    """(decision, accepted hours) of each of n copies: the accepted hours in order."""
    left = max(0, accepted or 0)
    out = []
    for _ in range(n):
        share = min(per, left)
        left -= share
        decision = "ACCEPTED" if share == per else ("REFUSED" if share == 0 else "REDUCED")
        out.append((decision, share))
    return out


def migrate_claims(connection):
    rows = connection.execute(
        sa.select(claim, declaration.c.rule_set, declaration.c.status)
        .join(declaration, claim.c.declaration_id == declaration.c.id)
        .order_by(claim.c.declaration_id, claim.c.position, claim.c.id)
    ).mappings().all()
    by_declaration = {}
    for row in rows:
        by_declaration.setdefault(row["declaration_id"], []).append(row)
    for group in by_declaration.values():
        order, split = [], False
        for row in group:
            copies = _migrate_claim(connection, row)
            order.append(row["id"])
            order.extend(copies)
            split = split or bool(copies)
        if split:
            for position, claim_id in enumerate(order, start=1):
                connection.execute(
                    claim.update().where(claim.c.id == claim_id).values(position=position)
                )


def _migrate_claim(connection, row):
    """Fix one stored claim; returns the ids of the copies made of it."""
    facts = dict(row["facts"] or {})
    before = dict(facts)
    values = {}
    draft = str(row["status"]).upper() == "DRAFT"
    kind, rule_set = row["kind"], row["rule_set"]
    count, per = None, None
    if rule_set == ANHUI and kind == "courseware" and "minutes" in facts:
        facts.pop("minutes")
        labelled = _int(facts.get("hours"))
        if labelled is None:
            facts.pop("hours", None)
        values["hours"] = labelled if labelled is not None else 1
    elif rule_set == ANHUI and kind == "project":
        if draft and facts.get("completed") not in (True, "true", "True", 1):
            facts.pop("completed", None)
        elif not draft and "completed" not in facts:
            facts["completed"] = False
    elif rule_set == ANHUI and kind in SPLIT and SPLIT[kind][0] in facts:
        name, per = SPLIT[kind]
        count = _int(facts.pop(name))
        values["hours"] = per
    elif rule_set == HEFEI and kind in ("aid", "qualification"):
        facts.pop("year", None)
    if facts != before:
        values["facts"] = facts
    work = TITLED.get(rule_set, {}).get(kind)
    title = _normalise((row["details"] or {}).get("title"))
    if work and title:
        values["title_key"] = f"{work}|title:{title}"
    copies = []
    n = count if count is not None and count > 1 else 1
    decided = row["decision"] is not None
    shares = _shares(row["accepted_hours"], per, n) if n > 1 and decided else None
    if shares:
        values["decision"], values["accepted_hours"] = shares[0]
    if values:
        connection.execute(claim.update().where(claim.c.id == row["id"]).values(**values))
    if n == 1:
        return copies
    files = connection.execute(
        sa.select(evidence).where(evidence.c.claim_id == row["id"]).order_by(evidence.c.id)
    ).mappings().all()
    for i in range(1, n):
        data = {name: row[name] for name in CLAIM_COLUMNS}
        data.update(facts=facts, hours=per, elected=False)
        if shares:
            data["decision"], data["accepted_hours"] = shares[i]
        new_id = connection.execute(
            claim.insert().values(**data).returning(claim.c.id)  # SQLite 3.35+, PostgreSQL
        ).scalar_one()
        copies.append(new_id)
        for item in files:
            connection.execute(
                evidence.insert().values(
                    claim_id=new_id, **{name: item[name] for name in EVIDENCE_COLUMNS}
                )
            )
    return copies
