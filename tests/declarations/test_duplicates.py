"""The same work or file claimed twice is flagged; a work counted elsewhere counts no more."""

import sqlalchemy as sa

from portal import rules
from portal.declarations import duplicates, service
from portal.declarations.models import ClaimDecision, DeclarationStatus
from portal.extensions import db
from tests.declarations.conftest import PDF_BYTES, YEAR, add_file

PATENT = {"title": "一种教学用具", "date": f"{YEAR}-03-01", "patent_no": "ZL202310123456.7"}


def patent(rank=1, number="ZL202310123456.7"):
    return {
        "kind": "patent.invention",
        "facts": {"rank": rank},
        "subject": "professional",
        "details": {**PATENT, "patent_no": number},
    }


def test_identity_is_normalised():
    kinds = rules.get_rule_set("anhui-2025").kinds
    assert (
        duplicates.identity_of(kinds["patent.invention"], {"patent_no": "ZL 2023 1 0123456.7"})
        == duplicates.identity_of(kinds["patent.utility"], {"patent_no": "zl202310123456.7"})
        == "patent|patent_no:zl2023101234567"
    )
    paper = kinds["paper.journal"]
    assert (
        duplicates.identity_of(paper, {"doi": "10.1000/ABC", "title": "x"}) == "paper|doi:101000abc"
    )
    assert (
        duplicates.identity_of(paper, {"issn": "0317-8471", "title": "论 教育"})
        == "paper|issn:03178471|title:论教育"
    )
    assert duplicates.identity_of(kinds["training"], {"title": "x"}) is None
    assert duplicates.identity_of(kinds["patent.invention"], {}) is None


def test_same_person_another_year(person, make_declaration):
    make_declaration(person, year=YEAR - 1, claims=[patent()], status=DeclarationStatus.SUBMITTED)
    current = make_declaration(person, claims=[patent()])
    flags = service.duplicate_flags(current)
    [message] = flags[current.claims[0].id]
    assert f"本人在{YEAR - 1}年度申报中已申报过同一专利" in message


def test_other_person_same_rank_flagged_different_rank_not(make_professional, make_declaration):
    make_declaration(make_professional(), claims=[patent(rank=1)])
    same = make_declaration(make_professional(), claims=[patent(rank=1)])
    other = make_declaration(make_professional(), claims=[patent(rank=2)])
    assert "以相同排名（第1位）" in service.duplicate_flags(same)[same.claims[0].id][0]
    assert service.duplicate_flags(other) == {}


def test_within_one_declaration_and_same_file(person, make_declaration):
    declaration = make_declaration(person, claims=[patent(), patent()])
    first, second = declaration.claims
    add_file(first, PDF_BYTES, "专利证书.pdf")
    add_file(second, PDF_BYTES, "专利证书副本.pdf")
    db.session.commit()
    flags = service.duplicate_flags(declaration)
    assert any("与本申报第2项是同一专利" in m for m in flags[first.id])
    assert any("与本申报第1项中的材料是同一文件" in m for m in flags[second.id])
    # the engine counts the work once within the year
    result = service.evaluate(declaration)
    assert [c.counted for c in result.claims] == [True, False]


def test_rejected_declarations_do_not_count_for_identity(make_professional, make_declaration):
    make_declaration(make_professional(), claims=[patent()], status=DeclarationStatus.REJECTED)
    mine = make_declaration(make_professional(), claims=[patent()])
    assert service.duplicate_flags(mine) == {}


def test_work_counted_elsewhere_is_not_counted_again(make_professional, make_declaration):
    paper = {
        "kind": "paper.journal",
        "facts": {"authorship": "first"},
        "subject": "professional",
        "details": {"title": "论继续教育", "doi": "10.1000/xyz123", "date": f"{YEAR}-01-01"},
    }
    make_declaration(make_professional(), claims=[paper], status=DeclarationStatus.REGISTERED)
    # Another person claiming the same first authorship: the work already counted for it
    mine = make_declaration(make_professional(), claims=[paper])
    result = service.evaluate(mine)
    [claim] = result.claims
    assert (claim.counted, claim.reason) == (False, "duplicate")
    assert result.professional == 0
    # A co-author of another place counts their own share (其他作者每人10学时)
    coauthor = make_declaration(
        make_professional(), claims=[{**paper, "facts": {"authorship": "other"}}]
    )
    [claim] = service.evaluate(coauthor).claims
    assert (claim.counted, claim.hours) == (True, 10)


def test_same_person_other_year_counted_is_a_duplicate(person, make_declaration):
    make_declaration(person, year=YEAR - 1, claims=[patent()], status=DeclarationStatus.REGISTERED)
    current = make_declaration(person, claims=[patent()])
    [claim] = service.evaluate(current).claims
    assert (claim.counted, claim.reason) == (False, "duplicate")


def test_co_inventor_of_another_rank_counts(make_professional, make_declaration):
    make_declaration(
        make_professional(), claims=[patent(rank=1)], status=DeclarationStatus.REGISTERED
    )
    second = make_declaration(make_professional(), claims=[patent(rank=2)])
    [claim] = service.evaluate(second).claims
    assert (claim.counted, claim.hours) == (True, 47)


def test_refused_claims_elsewhere_do_not_block(make_professional, make_declaration):
    claim = {**patent(), "decision": ClaimDecision.REFUSED}
    make_declaration(make_professional(), claims=[claim], status=DeclarationStatus.APPROVED)
    mine = make_declaration(make_professional(), claims=[patent(rank=2)])
    assert service.evaluate(mine).claims[0].counted


def test_flags_on_the_page(logged_in, person, make_declaration):
    make_declaration(person, year=YEAR - 1, claims=[patent()], status=DeclarationStatus.REGISTERED)
    make_declaration(person, claims=[patent()])
    page = logged_in.get(f"/declarations/{YEAR}")
    assert "duplicate-flag" in page.text and "同一专利" in page.text
    assert "该成果已在其他申报中认定过" in page.text  # anhui-2025: counted once


def test_history_page_shows_every_year(logged_in, person, make_declaration, app):
    make_declaration(
        person,
        year=YEAR - 2,
        rule_set="hefei-2021",
        claims=[{"kind": "public_course", "facts": {"courses": 1}}],
        status=DeclarationStatus.REGISTERED,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
    )
    make_declaration(person, year=YEAR - 1, status=DeclarationStatus.SUBMITTED)
    page = logged_in.get("/declarations/")
    assert page.status_code == 200
    text = page.text
    assert f'<td data-label="年度">{YEAR - 2}</td>' in text
    assert f'<td data-label="年度">{YEAR - 1}</td>' in text
    assert "已登记" in text and "待核验" in text
    assert "30 / 60 / <strong>90</strong>" in text
    assert f"填写{YEAR}年度申报" in text and f"填写{YEAR - 1}年度申报" not in text
    with app.app_context():
        from portal.declarations.models import Declaration

        assert db.session.scalar(sa.select(sa.func.count(Declaration.id))) == 2
