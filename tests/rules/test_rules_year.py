"""The year's evaluation: the worked examples of spec/rules.md and the policies."""

import pytest
from rules_examples import SINGLE_EXAMPLES, YEAR_EXAMPLES

from portal.rules import (
    GENERAL,
    PROFESSIONAL,
    Claim,
    Requirement,
    RuleError,
    claim_from_mapping,
    evaluate_claim,
    evaluate_year,
    get_rule_set,
)

G, P = GENERAL, PROFESSIONAL


@pytest.mark.parametrize(("kind", "facts", "expected"), SINGLE_EXAMPLES)
def test_single_examples_through_evaluate_year(anhui, kind, facts, expected):
    result = evaluate_year(anhui, 2025, [Claim(kind, facts, subject=PROFESSIONAL)])
    (claim,) = result.claims
    if expected == "FULL":
        assert (claim.hours, claim.full_year, claim.counted) == (90, True, True)
        assert (result.general, result.professional, result.total) == (30, 60, 90)
        assert result.compliant and result.full_year
    else:
        assert (claim.hours, claim.full_year, claim.counted) == (expected, False, expected > 0)
        assert (result.general, result.professional, result.total) == (0, expected, expected)
        assert result.compliant is (expected >= 90)


@pytest.mark.parametrize(
    ("claims", "counted", "general", "professional", "total", "compliant"), YEAR_EXAMPLES
)
def test_year_examples_through_evaluate_year(
    anhui, claims, counted, general, professional, total, compliant
):
    result = evaluate_year(anhui, 2025, [claim_from_mapping(c) for c in claims])
    assert [c.counted for c in result.claims] == counted
    assert (result.general, result.professional, result.total) == (general, professional, total)
    assert result.compliant is compliant


def test_year_example_highest_only(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("training", {"days": 3}, subject=PROFESSIONAL),
            Claim("patent.invention", {"rank": 1}, subject=PROFESSIONAL),
            Claim("courseware", {"hours": 30}, subject=GENERAL),
        ],
    )
    training, patent, courseware = result.claims
    assert (training.hours, training.counted, training.reason) == (18, False, "highest_only")
    assert "第二十一条4" in training.reason_text and "第2项" in training.reason_text
    assert (result.chosen, result.chosen_by, result.scope) == ("第十二条（一）", "best", "clause")
    assert (patent.counted, patent.counted_hours) == (True, 50)
    assert (courseware.counted, courseware.counted_hours) == (True, 30)
    assert (result.professional, result.general, result.total) == (50, 30, 80)
    assert not result.compliant
    assert (result.missing_professional, result.missing_total) == (10, 10)
    assert result.shortfall_text() == "还差 10 专业科目学时、10 总学时"


def test_year_example_exam(anhui):
    result = evaluate_year(anhui, 2025, [Claim("exam.qualification", {}, subject=PROFESSIONAL)])
    assert (result.professional, result.general, result.total) == (90, 0, 90)
    assert result.compliant and not result.full_year
    assert result.shortfall_text() == "已达标"
    assert (result.missing_professional, result.missing_total) == (0, 0)


def test_contract_request(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("award.provincial", {"grade": "second", "rank": 2}, subject=PROFESSIONAL),
            Claim("courseware", {"hours": 12}, subject=GENERAL),
        ],
    )
    assert [(c.hours, c.full_year, c.counted) for c in result.claims] == [
        (37, False, True),
        (12, False, True),
    ]
    assert (result.general, result.professional, result.total) == (12, 37, 49)
    assert not result.compliant


def test_general_never_counts_as_professional(anhui):
    result = evaluate_year(anhui, 2025, [Claim("exam.qualification", {}, subject=GENERAL)])
    assert (result.general, result.professional, result.total) == (90, 0, 90)
    assert not result.compliant
    assert result.shortfall_text() == "还差 60 专业科目学时"


def test_professional_above_sixty_counts_toward_total_in_anhui(anhui):
    result = evaluate_year(anhui, 2025, [Claim("courseware", {"hours": 120}, subject=P)])
    assert (result.general, result.professional, result.total) == (0, 120, 120)
    assert result.compliant


def test_professional_never_stands_in_for_general_in_hefei(hefei):
    result = evaluate_year(hefei, 2023, [Claim("title_language", {"mode": "training"}, subject=P)])
    assert (result.general, result.professional, result.total) == (0, 120, 120)
    assert not result.compliant
    assert (result.missing_general, result.missing_professional, result.missing_total) == (
        30,
        0,
        0,
    )
    assert result.shortfall_text() == "还差 30 公需科目学时"


def test_hefei_general_short_only(hefei):
    result = evaluate_year(
        hefei, 2023, [Claim("project.city", {"role": "main", "rank": 1}, subject=P)]
    )
    assert (result.professional, result.total, result.compliant) == (60, 60, False)
    assert (result.missing_general, result.missing_professional, result.missing_total) == (
        30,
        0,
        30,
    )
    assert result.shortfall_text() == "还差 30 公需科目学时"


def test_anhui_total_short_only(anhui):
    result = evaluate_year(anhui, 2025, [Claim("courseware", {"hours": 60}, subject=P)])
    assert (result.missing_general, result.missing_professional, result.missing_total) == (
        0,
        0,
        30,
    )
    assert result.shortfall_text() == "还差 30 总学时"


def test_requirement_is_data_of_the_rule_set(anhui, hefei):
    assert anhui.requirement == Requirement(general=0, professional=60, total=90)
    assert hefei.requirement == Requirement(general=30, professional=60, total=90)
    assert (anhui.requirement.label, hefei.requirement.label) == ("90/60", "30/60")
    assert anhui.requirement.total_is_own and not hefei.requirement.total_is_own
    assert "90" in anhui.requirement.text and "30" in hefei.requirement.text
    assert evaluate_year(anhui, 2025, []).requirement is anhui.requirement
    assert evaluate_year(hefei, 2024, []).requirement is hefei.requirement
    assert evaluate_year(hefei, 2024, []).as_dict()["requirement"] == {
        "general": 30,
        "professional": 60,
        "total": 90,
    }


def _anhui_year(anhui, general, professional):
    claims = []
    if general:
        claims.append(Claim("courseware", {"hours": general}, subject=G))
    if professional:
        claims.append(Claim("courseware", {"hours": professional}, subject=P))
    return evaluate_year(anhui, 2025, claims)


def _hefei_year(hefei, general, professional):
    claims = []
    if general:
        claims.append(Claim("training.decided", {"decided_hours": general}, subject=G))
    if professional:
        claims.append(Claim("training.decided", {"decided_hours": professional}, subject=P))
    return evaluate_year(hefei, 2024, claims)


@pytest.mark.parametrize(
    ("general", "professional", "anhui_ok", "hefei_ok"),
    [
        (30, 60, True, True),
        (29, 61, True, False),
        (29, 60, False, False),
        (31, 59, False, False),
        (30, 59, False, False),
        (0, 90, True, False),
        (0, 89, False, False),
        (90, 0, False, False),
        (90, 59, False, False),
        (40, 100, True, True),
        (20, 100, True, False),
    ],
)
def test_requirement_edges(anhui, hefei, general, professional, anhui_ok, hefei_ok):
    """anhui-2025: 专业 >= 60 and total >= 90; hefei-2021: 公需 >= 30 and 专业 >= 60."""
    assert _anhui_year(anhui, general, professional).compliant is anhui_ok
    assert _hefei_year(hefei, general, professional).compliant is hefei_ok


def test_hefei_full_year_aid(hefei):
    result = evaluate_year(hefei, 2022, [Claim("aid", {}, subject=P)])
    assert (result.general, result.professional, result.total) == (30, 60, 90)
    assert result.full_year and result.compliant


def test_highest_only_ties_go_to_earliest(anhui):
    claims = [
        Claim("paper.journal", {"authorship": "first"}, subject=P, key="a"),
        Claim("conference", {"paper_chars": 2001}, subject=G, key="b"),
    ]
    # 20 professional against 18 general: the total decides.
    result = evaluate_year(anhui, 2025, claims)
    assert [c.counted for c in result.claims] == [True, False]
    claims = [
        Claim("paper.journal", {"authorship": "other"}, subject=P, key="a"),
        Claim("lecture", {}, subject=P, key="b"),
        Claim("lecture", {}, subject=P, key="c"),
    ]
    # 10 against two lectures of 5 (one clause item: 10): a full tie, the earliest item counts.
    result = evaluate_year(anhui, 2025, claims)
    assert [c.counted for c in result.claims] == [True, False, False]
    result = evaluate_year(anhui, 2025, claims[::-1])
    assert [c.counted for c in result.claims] == [True, True, False]
    assert result.chosen == "第十二条（十一）"


def test_compliance_decides_before_the_total(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("exam.qualification", {}, subject=G),  # 120 general: not compliant
            Claim("training", {"days": 10}, subject=P),  # 60 professional: compliant
            Claim("courseware", {"hours": 30}, subject=G),
        ],
    )
    assert [c.counted for c in result.claims] == [False, True, True]
    assert (result.general, result.professional, result.compliant) == (30, 60, True)


def test_professional_hours_decide_a_tied_total(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("courseware", {"hours": 60}, subject=P),
            Claim("exam.qualification", {}, subject=G),
            Claim("degree", {}, subject=P),
        ],
    )
    assert [c.counted for c in result.claims] == [True, False, True]
    assert (result.general, result.professional) == (0, 150)


def test_a_full_year_item_is_ninety_when_comparing(anhui):
    # Both compliant; the same total of 90: the exam's 90 professional beat the full year's 60.
    result = evaluate_year(
        anhui,
        2025,
        [Claim("paper.sci", {}, subject=P), Claim("exam.qualification", {}, subject=P)],
    )
    assert [c.counted for c in result.claims] == [False, True]
    assert (result.general, result.professional, result.full_year) == (0, 90, False)
    # Against 90 general hours the full year wins: it makes the year compliant.
    result = evaluate_year(
        anhui,
        2025,
        [Claim("exam.qualification", {}, subject=G), Claim("paper.sci", {}, subject=P)],
    )
    assert [c.counted for c in result.claims] == [False, True]
    assert (result.general, result.professional, result.total) == (30, 60, 90)
    assert result.compliant and result.full_year


def test_clause_item_adds_up_and_claim_scope_does_not(anhui):
    claims = [
        Claim("training", {"days": 5}, subject=P),
        Claim("patent.invention", {"rank": 1}, subject=P),
        Claim("training", {"days": 5}, subject=P),
    ]
    result = evaluate_year(anhui, 2025, claims)
    assert [c.counted for c in result.claims] == [True, False, True]
    assert result.professional == 60
    assert result.scope == "clause"
    result = evaluate_year(anhui, 2025, claims, highest_only_scope="claim")
    assert [c.counted for c in result.claims] == [False, True, False]
    assert result.professional == 50
    assert result.scope == "claim"


def test_clause_item_keeps_its_cap(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("overseas.training", {"days": 10}, subject=P),
            Claim("book", {"authorship": "sole"}, subject=P),
            Claim("overseas.training", {"days": 10}, subject=P),
        ],
    )
    overseas, book, second = result.claims
    assert (overseas.counted_hours, book.counted_hours, second.counted_hours) == (60, 0, 30)
    assert second.reason == "cap" and "90" in second.reason_text
    assert result.professional == 90


def test_unknown_scope_is_an_error(anhui):
    with pytest.raises(RuleError) as caught:
        evaluate_year(anhui, 2025, [], highest_only_scope="year")
    assert caught.value.fact == "highest_only"


def test_election_chooses_a_lower_item(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("training", {"days": 3}, subject=P, elected=True),
            Claim("patent.invention", {"rank": 1}, subject=P),
        ],
    )
    training, patent = result.claims
    assert (training.counted_hours, training.elected) == (18, True)
    assert (patent.counted, patent.reason) == (False, "highest_only")
    assert "本人选择" in patent.reason_text
    assert (result.chosen_by, result.professional) == ("elected", 18)


@pytest.mark.parametrize(("scope", "counted"), [("clause", [True, True]), ("claim", [True, False])])
def test_election_in_each_scope(anhui, scope, counted):
    claims = [
        Claim("training", {"days": 2}, subject=P, elected=True),
        Claim("training", {"days": 1}, subject=P),
        Claim("book", {"authorship": "sole"}, subject=P),
    ]
    result = evaluate_year(anhui, 2025, claims, highest_only_scope=scope)
    assert [c.counted for c in result.claims] == [*counted, False]


def test_two_elections_are_an_error(anhui):
    claims = [
        Claim("training", {"days": 2}, subject=P, elected=True),
        Claim("courseware", {"hours": 1}, subject=G, elected=True),  # not a conversion claim
        Claim("training", {"days": 1}, subject=P, elected=True),
    ]
    with pytest.raises(RuleError) as caught:
        evaluate_year(anhui, 2025, claims)
    assert (caught.value.claim_index, caught.value.fact) == (2, "elected")
    assert "第1项与第3项" in str(caught.value)


def test_elected_courseware_elects_nothing(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("training", {"days": 2}, subject=P),
            Claim("courseware", {"hours": 1}, subject=G, elected=True),
            Claim("degree", {}, subject=P),
        ],
    )
    assert [c.counted for c in result.claims] == [False, True, True]
    assert result.chosen_by == "best"


def test_hefei_ignores_elections(hefei):
    result = evaluate_year(
        hefei,
        2022,
        [
            Claim("paper.indexed", {}, subject=P, elected=True),
            Claim("award.city", {"grade": "first"}, subject=P, elected=True),
        ],
    )
    assert all(c.counted for c in result.claims)
    assert (result.professional, result.scope, result.chosen) == (100, "", "")


def test_elected_claim_that_cannot_count_elects_nothing(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("training", {"days": 2}, subject=P, elected=True, accepted_hours=0),
            Claim("book", {"authorship": "other"}, subject=P),
        ],
    )
    assert [(c.counted, c.reason) for c in result.claims] == [(False, "refused"), (True, None)]
    assert result.chosen_by == "best"


def test_reduction_changes_the_winner(anhui):
    claims = [
        Claim("patent.invention", {"rank": 1}, subject=P),
        Claim("training", {"days": 5}, subject=P),
    ]
    assert [c.counted for c in evaluate_year(anhui, 2025, claims).claims] == [True, False]
    claims[0] = Claim("patent.invention", {"rank": 1}, subject=P, accepted_hours=20)
    result = evaluate_year(anhui, 2025, claims)
    patent, training = result.claims
    assert (patent.table_hours, patent.hours, patent.counted, patent.reason) == (
        50,
        20,
        False,
        "highest_only",
    )
    assert (training.counted_hours, result.professional) == (30, 30)


def test_reduced_claim_counts_with_reason(anhui):
    result = evaluate_year(
        anhui, 2025, [Claim("training", {"days": 5}, subject=P, accepted_hours=24)]
    )
    (claim,) = result.claims
    assert (claim.table_hours, claim.hours, claim.counted_hours) == (30, 24, 24)
    assert claim.reason == "reduced" and "24" in claim.reason_text
    assert claim.accepted_hours == 24
    # Accepting as many hours as the table gives, or more, is no reduction.
    result = evaluate_year(
        anhui, 2025, [Claim("training", {"days": 5}, subject=P, accepted_hours=40)]
    )
    assert (result.claims[0].hours, result.claims[0].reason) == (30, None)


def test_refused_claim_never_counts(anhui, hefei):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("paper.sci", {}, subject=P, accepted_hours=0, elected=True),
            Claim("courseware", {"hours": 5}, subject=G, accepted_hours=0),
        ],
    )
    assert [(c.counted, c.counted_hours, c.reason) for c in result.claims] == [
        (False, 0, "refused"),
        (False, 0, "refused"),
    ]
    assert (result.total, result.full_year, result.compliant) == (0, False, False)
    assert result.claims[0].table_full_year and not result.claims[0].full_year
    result = evaluate_year(hefei, 2022, [Claim("aid", {}, subject=P, accepted_hours=0)])
    assert result.total == 0


def test_full_year_only_when_not_reduced(anhui):
    result = evaluate_year(anhui, 2025, [Claim("aid.assignment", {}, subject=P, accepted_hours=60)])
    (claim,) = result.claims
    assert (claim.hours, claim.full_year, claim.table_full_year) == (60, False, True)
    assert (result.general, result.professional, result.full_year) == (0, 60, False)
    result = evaluate_year(anhui, 2025, [Claim("aid.assignment", {}, subject=P, accepted_hours=90)])
    assert result.full_year and result.claims[0].full_year


def test_cap_fills_with_reduced_hours(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("courseware", {"hours": 25}, subject=G, accepted_hours=10),
            Claim("courseware", {"hours": 25}, subject=G),
        ],
    )
    first, second = result.claims
    assert (first.counted_hours, first.reason) == (10, "reduced")
    assert (second.counted_hours, second.reason) == (20, "cap")
    assert result.general == 30


@pytest.mark.parametrize("bad", [-1, "5", True, 2.5])
def test_accepted_hours_must_be_a_count(anhui, bad):
    with pytest.raises(RuleError) as caught:
        evaluate_year(anhui, 2025, [Claim("training", {"days": 1}, accepted_hours=bad)])
    assert (caught.value.claim_index, caught.value.fact) == (0, "accepted_hours")


def test_full_year_with_courseware(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("aid.assignment", {}, subject=PROFESSIONAL),
            Claim("courseware", {"hours": 12}, subject=GENERAL),
            Claim("training", {"days": 10}, subject=PROFESSIONAL),
        ],
    )
    aid, courseware, training = result.claims
    assert aid.counted and aid.full_year and aid.counted_hours == 90
    assert courseware.counted
    assert training.reason == "highest_only"
    assert (result.general, result.professional, result.total) == (30, 60, 90)
    assert result.compliant


def test_more_hours_outrank_the_full_year(anhui):
    """Both compliant: the year total decides, and a full-year claim is worth 90."""
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("aid.assignment", {}, subject=PROFESSIONAL),
            Claim("training", {"days": 20}, subject=PROFESSIONAL),
        ],
    )
    assert [c.counted for c in result.claims] == [False, True]
    assert (result.professional, result.total, result.full_year) == (120, 120, False)


def test_general_courseware_cap_over_the_year(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("courseware", {"hours": 20}, subject=GENERAL),
            Claim("courseware", {"hours": 8}, subject=PROFESSIONAL),
            Claim("courseware", {"hours": 15}, subject=GENERAL),
            Claim("courseware", {"hours": 5}, subject=GENERAL),
            Claim("courseware", {}, subject=PROFESSIONAL),
        ],
    )
    counted = [(c.counted, c.counted_hours, c.reason) for c in result.claims]
    assert counted == [
        (True, 20, None),
        (True, 8, None),
        (True, 10, "cap"),
        (False, 0, "cap"),
        (True, 1, None),
    ]
    assert "30学时" in result.claims[2].reason_text
    assert (result.general, result.professional) == (30, 9)


def test_courseware_is_not_subject_to_highest_only(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("courseware", {"hours": 40}, subject=PROFESSIONAL),
            Claim("courseware", {"hours": 25}, subject=PROFESSIONAL),
            Claim("lecture", {}, subject=PROFESSIONAL),
        ],
    )
    assert all(c.counted for c in result.claims)
    assert result.professional == 70


def test_hefei_accumulates_and_caps_self_study(hefei):
    result = evaluate_year(
        hefei,
        2022,
        [
            Claim("public_course", {"courses": 1}),
            Claim("self_study", {"hours": 20}, subject=PROFESSIONAL),
            Claim("patent.invention", {"rank": 1}, subject=PROFESSIONAL),
            Claim("self_study", {"hours": 20}, subject=GENERAL),
            Claim("self_study", {"hours": 5}, subject=GENERAL),
        ],
    )
    counted = [(c.counted, c.counted_hours, c.reason) for c in result.claims]
    assert counted == [
        (True, 30, None),
        (True, 20, None),
        (True, 72, None),
        (True, 16, "cap"),
        (False, 0, "cap"),
    ]
    assert (result.general, result.professional, result.total) == (46, 92, 138)
    assert result.compliant


def test_dedupe_by_identity(anhui, hefei):
    claims = [
        Claim("patent.invention", {"rank": 3}, details={"patent_no": "ZL 2024 1 0001.2"}),
        Claim("patent.invention", {"rank": 1}, details={"patent_no": "zl202410001.2"}),
    ]
    result = evaluate_year(anhui, 2025, claims)
    assert [c.reason for c in result.claims] == ["duplicate", None]
    assert "第2项" in result.claims[0].reason_text
    # hefei: the same paper published and indexed counts once, at the highest hours.
    result = evaluate_year(
        hefei,
        2022,
        [
            Claim("paper", {"level": "national", "chars": 5000}, details={"title": "论 学时"}),
            Claim("paper.indexed", {}, details={"title": "论学时"}),
            Claim("paper", {"level": "national", "chars": 5000}, details={"title": "另一篇"}),
            Claim("paper", {"level": "national", "chars": 5000}),
        ],
    )
    assert [c.counted for c in result.claims] == [False, True, True, True]
    assert result.claims[0].reason == "duplicate"


def test_caller_marked_duplicate(hefei):
    result = evaluate_year(
        hefei,
        2022,
        [Claim("qualification", {}, subject=PROFESSIONAL, duplicate=True)],
    )
    (claim,) = result.claims
    assert (claim.hours, claim.counted, claim.counted_hours, claim.reason) == (
        90,
        False,
        0,
        "duplicate",
    )
    assert claim.reason_text
    assert result.total == 0


def test_error_names_claim_index(anhui):
    claims = [
        Claim("training", {"days": 1}),
        Claim("award.national", {"grade": "second", "rank": 0}),
    ]
    with pytest.raises(RuleError) as caught:
        evaluate_year(anhui, 2025, claims)
    error = caught.value
    assert (error.claim_index, error.fact) == (1, "rank")
    assert "claims[1]" in str(error) and "rank" in str(error) and "\n" not in str(error)


def test_empty_year(anhui):
    result = evaluate_year(anhui, 2025, [])
    assert (result.general, result.professional, result.total, result.compliant) == (
        0,
        0,
        0,
        False,
    )
    assert result.shortfall_text() == "还差 60 专业科目学时、90 总学时"


def test_key_echoed(anhui):
    result = evaluate_claim(anhui, Claim("lecture", {}, key="row-7"))
    assert result.key == "row-7"


def test_rule_sets_are_data(tmp_path):
    """A new rule set is a data file: a made-up one loads and evaluates without new code."""
    from portal.rules import load_rule_set

    rule_set = load_rule_set(
        {
            "id": "demo-2031",
            "name": "示例",
            "source": "示例文件",
            "effective_from": "2031-01-01",
            "requirement": {"general": 10, "professional": 20, "total": 40},
            "policy": {"highest_only": False, "caps": []},
            "kinds": [
                {
                    "id": "talk",
                    "label": "讲座",
                    "clause": "第一条",
                    "category": "其他",
                    "conversion": True,
                    "subject": None,
                    "facts": [
                        {"name": "count", "label": "次数", "type": "int", "required": True,
                         "min": 0},
                    ],
                    "details": ["title"],
                    "identity": [],
                    "description": "每次4学时，最多12学时。",
                    "formula": {"op": "sum", "cap": 12, "terms": [
                        {"op": "per", "fact": "count", "rate": 4}]},
                }
            ],
        }
    )  # fmt: skip
    assert evaluate_claim(rule_set, Claim("talk", {"count": 5})).hours == 12
    result = evaluate_year(rule_set, 2031, [Claim("talk", {"count": 3}, subject=P)])
    assert (result.requirement.label, result.compliant) == ("40/20", False)
    assert result.shortfall_text() == "还差 10 公需科目学时、8 专业科目学时、28 总学时"
    with pytest.raises(RuleError):
        load_rule_set({**_broken_kind(), "id": "broken"})
    with pytest.raises(RuleError):  # a rule set states its requirement
        load_rule_set({**_broken_kind(), "id": "x", "kinds": []})
    with pytest.raises(RuleError):
        load_rule_set(
            {
                **_broken_kind(),
                "id": "x",
                "kinds": [],
                "requirement": {"general": -1, "professional": 60, "total": 90},
            }
        )


def _broken_kind():
    return {
        "name": "坏",
        "source": "x",
        "effective_from": "2031-01-01",
        "kinds": [
            {
                "id": "k",
                "label": "k",
                "clause": "c",
                "category": "c",
                "conversion": True,
                "subject": None,
                "facts": [],
                "details": [],
                "identity": [],
                "description": "d",
                "formula": {"op": "per", "fact": "missing", "rate": 1},
            }
        ],
    }


def test_shipped_sets_load_identically():
    assert get_rule_set("anhui-2025") is get_rule_set("anhui-2025")


def test_a_cap_over_both_subjects_fills_with_professional_first(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("overseas.training", {"days": 0, "half_days": 11}, subject=G),
            Claim("overseas.training", {"days": 15}, subject=P),
        ],
    )
    general, professional = result.claims
    assert (general.counted_hours, general.reason) == (0, "cap")
    assert (professional.counted_hours, professional.reason) == (90, None)
    assert (result.general, result.professional, result.compliant) == (0, 90, True)


@pytest.mark.parametrize("ruleset", ["anhui", "hefei"])
def test_an_unfiled_training_counts_zero_under_every_rule_set(request, ruleset):
    """001 三: 未按要求进行备案备查的各类专业科目培训，人社部门不予认可 (the caller marks it)."""
    rule_set = request.getfixturevalue(ruleset)
    kind, facts = ("training", {"days": 2}) if ruleset == "anhui" else (
        "training.decided", {"decided_hours": 12})  # fmt: skip
    marked = evaluate_year(rule_set, 2024, [Claim(kind, facts, subject=P, unfiled=True)])
    (claim,) = marked.claims
    assert (claim.counted, claim.counted_hours, claim.reason) == (False, 0, "unfiled")
    assert claim.hours == 12 and "备案" in claim.reason_text and marked.total == 0
    plain = evaluate_year(rule_set, 2024, [Claim(kind, facts, subject=P)])
    assert plain.total == 12 and plain.claims[0].reason is None


def test_a_companys_training_for_its_staff_counts_zero_under_hefei_only(anhui, hefei):
    """001 附件3: 公司内部培训不算做继续教育学时 (hefei-2021's policy); anhui-2025 lets units
    file their own trainings (000 三), so it counts there."""
    assert not hefei.internal_training_counts and anhui.internal_training_counts
    claims = [
        Claim("training.decided", {"decided_hours": 24}, subject=P, internal=True),
        Claim("training.decided", {"decided_hours": 10}, subject=P),
    ]
    result = evaluate_year(hefei, 2024, claims)
    assert [(c.counted_hours, c.reason) for c in result.claims] == [(0, "internal"), (10, None)]
    assert "公司内部培训" in result.claims[0].reason_text and result.professional == 10
    result = evaluate_year(anhui, 2025, [Claim("training", {"days": 4}, subject=P, internal=True)])
    assert (result.claims[0].counted_hours, result.claims[0].reason) == (24, None)


def test_unfiled_wins_over_internal_and_duplicate(hefei):
    claim = Claim("training.decided", {"decided_hours": 6}, subject=P, unfiled=True,
                  internal=True, duplicate=True)  # fmt: skip
    assert evaluate_year(hefei, 2024, [claim]).claims[0].reason == "unfiled"
    claim = Claim("training.decided", {"decided_hours": 6}, subject=P, internal=True,
                  duplicate=True)  # fmt: skip
    assert evaluate_year(hefei, 2024, [claim]).claims[0].reason == "internal"
