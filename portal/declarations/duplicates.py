"""The same work or file claimed twice (anhui-2025: 同一成果只认定一次).

A claim's identity (``Claim.identity``) is its work group plus the normalised identifying
details, e.g. ``patent|patent_no:zl2023101234567``. Normalising keeps letters and digits only,
case-folded, so "ZL 2023 1 0123456.7" and "zl202310123456.7" are the same patent. Papers are
identified by DOI when given, else by ISSN plus title, else by title; other works by the
details their kind names in ``KindSpec.identity`` (patent number, certificate number, title).

Flags (shown to the professional before submission and to the reviewer after):
- the same identity in another claim of the same person — this year or any other year;
- the same work published in two places (第十二条（四）"同一论文或著作多处发表或出版，只得折算一次"):
  a paper or book with the same normalised title (``Claim.title_key``) but another DOI, ISSN or
  journal, in this declaration, another year's, or another person's holding the same place
  (a flag for the reviewer: the engine counts a work once only by its identity);
- two identical claims in one declaration: same kind, facts, issuer and date (seed 001 附件3
  read for the portal; flagged in every rule set, the reviewer decides);
- the same identity claimed by another person with the same rank (or authorship), or for works
  that have no rank at all (a personal certificate);
- an evidence file whose SHA-256 equals a file of another claim, of any person.
Declarations that were rejected or revoked are ignored for identity matches (the claim never
counted) but not for file matches (a reused file is worth a look whatever happened).

``counted_elsewhere`` decides the engine's ``duplicate=True``: the identity already counted
in another declaration that was approved, publicised or registered — earlier than this one when
this one is itself approved — of the same person (another year), or of another person holding
the same place (same rank, both sole or first author, or a work without places). "Counts once"
is read per place: the table itself grants the second inventor 47 hours and every other
co-author 10, so co-authors and co-inventors of different places each count their own share.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from portal.declarations.models import Claim, Declaration, DeclarationStatus, Evidence
from portal.extensions import db
from portal.rules import DETAIL_LABELS, KindSpec

COUNTED_STATES = (
    DeclarationStatus.APPROVED,
    DeclarationStatus.PUBLICISED,
    DeclarationStatus.REGISTERED,
)
IGNORED_STATES = (DeclarationStatus.REJECTED, DeclarationStatus.REVOKED)
WORK_LABELS = {
    "patent": "专利",
    "paper": "论文",
    "book": "著作",
    "award": "奖项",
    "qualification": "资格证书",
    "degree": "学历（学位）证书",
}
POSITION_FACTS = ("rank", "authorship", "role")


def normalise(value: object) -> str:
    return "".join(ch for ch in str(value or "").casefold() if ch.isalnum())


def identity_of(kind: KindSpec, details: dict) -> str | None:
    """The normalised identity of the work a claim is about, or None (not a countable work)."""
    if not kind.identity:
        return None
    if kind.work == "paper":
        doi = normalise(details.get("doi"))
        if doi:
            return f"paper|doi:{doi}"
        issn, title = normalise(details.get("issn")), normalise(details.get("title"))
        if issn and title:
            return f"paper|issn:{issn}|title:{title}"
    parts = []
    for key in kind.identity:
        value = normalise(details.get(key))
        if not value:
            return None
        parts.append(f"{key}:{value}")
    return f"{kind.work}|" + "|".join(parts)


TITLED_WORKS = ("paper", "book")


def title_key_of(kind: KindSpec, details: dict) -> str | None:
    """The normalised title of a paper or book (e.g. "paper|title:..."), else None."""
    title = normalise(details.get("title"))
    if kind.work not in TITLED_WORKS or not title:
        return None
    return f"{kind.work}|title:{title}"


def _work_label(identity: str) -> str:
    return WORK_LABELS.get(identity.split("|", 1)[0], "成果")


def _what(identity: str) -> str:
    key = identity.split("|", 2)[1].split(":", 1)[0]
    label = {"doi": "DOI", "issn": "刊号和题目"}.get(key, DETAIL_LABELS.get(key, key))
    return f"同一{_work_label(identity)}（{label}相同）"


def _position(claim: Claim) -> tuple[str, object] | None:
    for name in POSITION_FACTS:
        if name in (claim.facts or {}):
            return (name, (claim.facts or {}).get(name))
    return None


def _conflicts(mine: Claim, theirs: Claim) -> bool:
    """Different people: a clash when both hold the same place, or the work has no places."""
    a, b = _position(mine), _position(theirs)
    if a is None or b is None:
        return True
    if a[0] != b[0]:
        return False
    if a[0] == "rank":
        return a[1] == b[1]
    return a[1] == b[1] and a[1] in ("sole", "first")  # two sole / first authors


def _others_with_identity(declaration: Declaration) -> list[tuple[Claim, Declaration]]:
    identities = {c.identity for c in declaration.claims if c.identity}
    if not identities:
        return []
    own = [c.id for c in declaration.claims if c.id is not None]
    query = (
        sa.select(Claim, Declaration)
        .join(Declaration, Claim.declaration_id == Declaration.id)
        .where(Claim.identity.in_(identities), Declaration.status.not_in(IGNORED_STATES))
    )
    if own:
        query = query.where(Claim.id.not_in(own))
    return [(row[0], row[1]) for row in db.session.execute(query)]


def duplicate_flags(declaration: Declaration) -> dict[int, list[str]]:
    """Chinese warnings per claim id (only claims with something to say are keys)."""
    flags: dict[int, list[str]] = defaultdict(list)
    claims = list(declaration.claims)
    number = {c.id: i + 1 for i, c in enumerate(claims)}
    # Within the declaration
    by_identity: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        if claim.identity:
            by_identity[claim.identity].append(claim)
    for identity, group in by_identity.items():
        for claim in group:
            for other in group:
                if other is not claim:
                    flags[claim.id].append(
                        f"与本申报第{number[other.id]}项是{_what(identity)}，同一成果只认定一次"
                    )
    # Across declarations
    for other, other_declaration in _others_with_identity(declaration):
        for claim in by_identity.get(other.identity, ()):
            if other_declaration.professional_id == declaration.professional_id:
                flags[claim.id].append(
                    f"本人在{other_declaration.year}年度申报中已申报过{_what(claim.identity)}"
                    f"（{other_declaration.status.label}）"
                )
            elif _conflicts(claim, other):
                place = _position(claim)
                at = f"以相同排名（第{place[1]}位）" if place and place[0] == "rank" else ""
                flags[claim.id].append(
                    f"其他人员{at}在{other_declaration.year}年度申报中申报了{_what(claim.identity)}"
                )
    _title_flags(declaration, claims, number, flags)
    _identical_flags(claims, number, flags)
    # Evidence files by hash
    files = [(claim, e) for claim in claims for e in claim.evidence]
    hashes = {e.sha256 for _, e in files}
    if hashes:
        rows = db.session.execute(
            sa.select(Evidence, Claim, Declaration)
            .join(Claim, Evidence.claim_id == Claim.id)
            .join(Declaration, Claim.declaration_id == Declaration.id)
            .where(Evidence.sha256.in_(hashes))
        )
        same: dict[str, list[tuple[Evidence, Claim, Declaration]]] = defaultdict(list)
        for row in rows:
            same[row[0].sha256].append((row[0], row[1], row[2]))
        for claim, evidence in files:
            numbers, years, others = [], [], False
            for other_file, other_claim, other_declaration in same[evidence.sha256]:
                if other_claim.id == claim.id or other_file.stored_name == evidence.stored_name:
                    continue  # the same stored file linked on purpose (a split claim)
                if other_declaration.id == declaration.id:
                    numbers.append(number.get(other_claim.id, 0))
                elif other_declaration.professional_id == declaration.professional_id:
                    years.append(other_declaration.year)
                else:
                    others = True
            name = f"证明材料“{evidence.original_name}”与"
            if numbers:
                listed = "、".join(str(n) for n in sorted(set(numbers)))
                flags[claim.id].append(f"{name}本申报第{listed}项中的材料是同一文件")
            if years:
                listed = "、".join(str(y) for y in sorted(set(years)))
                flags[claim.id].append(f"{name}本人{listed}年度申报中的材料是同一文件")
            if others:
                flags[claim.id].append(f"{name}其他人员申报中的材料是同一文件")
    return {k: list(dict.fromkeys(v)) for k, v in flags.items() if v}


def _title_flags(declaration, claims, number, flags) -> None:
    """The same paper or book (same normalised title) under another identity."""
    by_title: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        if claim.title_key:
            by_title[claim.title_key].append(claim)
    if not by_title:
        return
    for group in by_title.values():
        for claim in group:
            for other in group:
                if other is not claim and other.identity != claim.identity:
                    flags[claim.id].append(
                        f"与本申报第{number[other.id]}项{_same_title(claim)}，{ONCE}"
                    )
    query = (
        sa.select(Claim, Declaration)
        .join(Declaration, Claim.declaration_id == Declaration.id)
        .where(
            Claim.title_key.in_(list(by_title)),
            Declaration.id != declaration.id,
            Declaration.status.not_in(IGNORED_STATES),
        )
    )
    for other, other_declaration in db.session.execute(query):
        for claim in by_title[other.title_key]:
            if claim.identity and other.identity == claim.identity:
                continue  # already flagged as the same identity
            if other_declaration.professional_id == declaration.professional_id:
                flags[claim.id].append(
                    f"本人在{other_declaration.year}年度申报中已申报过{_same_title(claim)}"
                    f"（{other_declaration.status.label}），{ONCE}"
                )
            elif _conflicts(claim, other):
                flags[claim.id].append(
                    f"其他人员在{other_declaration.year}年度申报中申报了{_same_title(claim)}，{ONCE}"
                )


ONCE = "同一论文或著作多处发表或出版，只得折算一次（第十二条（四））"


def _same_title(claim: Claim) -> str:
    return f"题目相同的{WORK_LABELS.get(claim.title_key.split('|', 1)[0], '成果')}"


def _identical_flags(claims, number, flags) -> None:
    """Two claims of the same kind, facts, issuer and date in one declaration."""
    seen: dict[tuple, list[Claim]] = defaultdict(list)
    for claim in claims:
        details = claim.details or {}
        if not details.get("date") or not details.get("issuer"):
            continue  # nothing to compare: works are matched by their identity instead
        facts = tuple(sorted((k, repr(v)) for k, v in (claim.facts or {}).items()))
        issuer = normalise(details.get("issuer"))
        seen[(claim.kind, facts, issuer, details["date"])].append(claim)
    for group in seen.values():
        for claim in group:
            others = [str(number[o.id]) for o in group if o is not claim]
            if others:
                flags[claim.id].append(
                    f"与本申报第{'、'.join(others)}项的类别、认定依据、颁发（主办）单位和日期完全相同，"
                    "请核实是否重复申报"
                )


def counted_elsewhere(
    declaration: Declaration, others: list[tuple[Claim, Declaration]] | None = None
) -> set[int]:
    """Ids of this declaration's claims whose work already counted in another declaration.

    others: the claims sharing an identity with this declaration's (as _others_with_identity
    finds them), when the caller read them already (counted_elsewhere_many)."""
    found: set[int] = set()
    mine_counted = declaration.status in COUNTED_STATES
    by_identity: dict[str, list[Claim]] = defaultdict(list)
    for claim in declaration.claims:
        if claim.identity:
            by_identity[claim.identity].append(claim)
    if others is None:
        others = _others_with_identity(declaration)
    for other, other_declaration in others:
        if other_declaration.id == declaration.id:
            continue
        if other_declaration.status not in COUNTED_STATES:
            continue
        if other.decision is not None and other.decision.value == "refused":
            continue
        if mine_counted and not _earlier(other_declaration, declaration):
            continue
        same_person = other_declaration.professional_id == declaration.professional_id
        for claim in by_identity.get(other.identity, ()):
            if same_person or _conflicts(claim, other):
                found.add(claim.id)
    return found


def counted_elsewhere_many(declarations: list[Declaration]) -> dict[int, set[int]]:
    """counted_elsewhere() of each declaration (its claims loaded), one query for them all."""
    identities = {c.identity for d in declarations for c in d.claims if c.identity}
    sharing: dict[str, list[tuple[Claim, Declaration]]] = defaultdict(list)
    if identities:
        rows = db.session.execute(
            sa.select(Claim, Declaration)
            .join(Declaration, Claim.declaration_id == Declaration.id)
            .where(Claim.identity.in_(identities), Declaration.status.not_in(IGNORED_STATES))
        )
        for claim, other_declaration in rows:
            sharing[claim.identity].append((claim, other_declaration))
    found = {}
    for declaration in declarations:
        own = {c.id for c in declaration.claims}
        mine = {c.identity for c in declaration.claims if c.identity}
        others = [
            (claim, other_declaration)
            for identity in mine
            for claim, other_declaration in sharing[identity]
            if claim.id not in own
        ]
        found[declaration.id] = counted_elsewhere(declaration, others)
    return found


def _earlier(a: Declaration, b: Declaration) -> bool:
    def key(d: Declaration):
        stamp = d.reviewed_at or d.submitted_at
        return (stamp is None, stamp.timestamp() if stamp else 0, d.id)

    return key(a) < key(b)
