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


def paper(doi, title="基于核心素养的课堂教学研究", authorship="sole", journal="中国教育学刊"):
    return {
        "kind": "paper.journal",
        "facts": {"authorship": authorship},
        "subject": "professional",
        "details": {"title": title, "date": f"{YEAR}-03-01", "journal": journal, "doi": doi},
    }


def test_title_key_is_the_normalised_title_of_papers_and_books():
    kinds = rules.get_rule_set("anhui-2025").kinds
    assert (
        duplicates.title_key_of(kinds["paper.ei"], {"title": "论 教育！"}) == "paper|title:论教育"
    )
    assert duplicates.title_key_of(kinds["book"], {"title": "Data  Science"}) == (
        "book|title:datascience"
    )
    assert duplicates.title_key_of(kinds["patent.invention"], {"title": "x"}) is None
    assert duplicates.title_key_of(kinds["paper.sci"], {}) is None


def test_same_paper_in_two_journals_of_one_declaration(person, make_declaration):
    current = make_declaration(
        person,
        claims=[
            paper("10.1000/a1"),
            paper("10.2000/b2", title="基于核心素养的课堂教学研究 ", journal="x"),
        ],
    )
    first, second = current.claims
    assert first.identity != second.identity
    flags = service.duplicate_flags(current)
    assert flags[first.id] == [
        "与本申报第2项题目相同的论文，同一论文或著作多处发表或出版，只得折算一次（第十二条（四））"
    ]
    assert "与本申报第1项题目相同的论文" in flags[second.id][0]


def test_same_paper_title_across_years_and_people(make_professional, person, make_declaration):
    make_declaration(person, year=YEAR - 1, claims=[paper("10.1000/a1")],
                     status=DeclarationStatus.REGISTERED)  # fmt: skip
    make_declaration(make_professional(), claims=[paper("10.3000/c3")])  # the same place: sole
    make_declaration(make_professional(), claims=[paper("10.4000/d4", authorship="other")])
    make_declaration(make_professional(), year=YEAR - 1, claims=[paper("10.5000/e5")],
                     status=DeclarationStatus.REJECTED)  # fmt: skip
    current = make_declaration(person, claims=[paper("10.2000/b2")])
    flags = service.duplicate_flags(current)[current.claims[0].id]
    assert flags == [
        f"本人在{YEAR - 1}年度申报中已申报过题目相同的论文（已登记），"
        "同一论文或著作多处发表或出版，只得折算一次（第十二条（四））",
        f"其他人员在{YEAR}年度申报中申报了题目相同的论文，"
        "同一论文或著作多处发表或出版，只得折算一次（第十二条（四））",
    ]


def test_same_identity_is_not_flagged_twice_by_title(person, make_declaration):
    make_declaration(person, year=YEAR - 1, claims=[paper("10.1000/a1")],
                     status=DeclarationStatus.SUBMITTED)  # fmt: skip
    current = make_declaration(person, claims=[paper("10.1000/a1")])
    [message] = service.duplicate_flags(current)[current.claims[0].id]
    assert "同一论文（DOI相同）" in message


HEFEI_TRAINING = {
    "kind": "training.decided",
    "facts": {"decided_hours": 24},
    "subject": "professional",
    "details": {"title": "骨干教师培训", "date": f"{YEAR - 1}-05-06", "issuer": "合肥市教育局"},
}


def test_identical_hefei_claims_are_flagged(person, make_declaration):
    other_day = {
        **HEFEI_TRAINING,
        "details": {**HEFEI_TRAINING["details"], "date": f"{YEAR - 1}-05-07"},
    }
    other_issuer = {
        **HEFEI_TRAINING,
        "details": {**HEFEI_TRAINING["details"], "issuer": "合肥市 教育局"},
    }
    declaration = make_declaration(
        person,
        year=YEAR - 1,
        rule_set="hefei-2021",
        claims=[
            HEFEI_TRAINING,
            other_day,
            other_issuer,
            {**HEFEI_TRAINING, "facts": {"decided_hours": 12}},
        ],
    )
    first, second, third, fourth = declaration.claims
    flags = service.duplicate_flags(declaration)
    assert flags[first.id] == [
        "与本申报第3项的类别、认定依据、颁发（主办）单位和日期完全相同，请核实是否重复申报"
    ]
    assert "第1项" in flags[third.id][0]
    assert second.id not in flags and fourth.id not in flags
    # the engine, which knows no issuer or date, counts both
    result = service.evaluate(declaration)
    assert result.professional == 24 * 3 + 12


def test_counted_elsewhere_many_is_counted_elsewhere_of_each(
    make_professional, person, make_declaration
):
    """The batched form (one query for a page of declarations) finds what each finds alone."""
    other_paper = {
        "kind": "paper.journal",
        "facts": {"authorship": "first"},
        "subject": "professional",
        "details": {"title": "论继续教育", "doi": "10.1000/xyz123", "date": f"{YEAR}-01-01"},
    }
    make_declaration(person, year=YEAR - 1, claims=[patent()], status=DeclarationStatus.REGISTERED)
    make_declaration(make_professional(), claims=[other_paper], status=DeclarationStatus.REGISTERED)
    refused = {**patent(number="ZL202310999999.1"), "decision": ClaimDecision.REFUSED}
    make_declaration(make_professional(), claims=[refused], status=DeclarationStatus.APPROVED)
    drafts = [
        make_declaration(person, claims=[patent(), other_paper]),  # both counted before
        make_declaration(make_professional(), claims=[other_paper]),
        make_declaration(make_professional(), claims=[patent(rank=2)]),  # another rank counts
        make_declaration(make_professional(), claims=[patent(rank=2, number="ZL202310999999.1")]),
        make_declaration(make_professional(), claims=[]),
    ]
    alone = {d.id: duplicates.counted_elsewhere(d) for d in drafts}
    assert alone[drafts[0].id] == {c.id for c in drafts[0].claims}
    assert alone[drafts[1].id] == {drafts[1].claims[0].id}
    assert alone[drafts[2].id] == alone[drafts[3].id] == alone[drafts[4].id] == set()
    assert duplicates.counted_elsewhere_many(drafts) == alone
