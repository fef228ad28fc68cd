"""The year's evaluation: the worked examples of spec/rules.md and the policies."""

import pytest
from rules_examples import SINGLE_EXAMPLES

from portal.rules import (
    GENERAL,
    PROFESSIONAL,
    Claim,
    RuleError,
    evaluate_claim,
    evaluate_year,
    get_rule_set,
)


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


def test_professional_above_sixty_counts_toward_total(hefei):
    result = evaluate_year(
        hefei,
        2023,
        [
            Claim("title_language", {"mode": "training"}, subject=PROFESSIONAL),
        ],
    )
    assert (result.general, result.professional, result.total) == (0, 120, 120)
    assert result.compliant


def test_total_short_only(hefei):
    result = evaluate_year(
        hefei, 2023, [Claim("project.city", {"role": "main", "rank": 1}, subject=PROFESSIONAL)]
    )
    assert (result.professional, result.total, result.compliant) == (60, 60, False)
    assert (result.missing_professional, result.missing_total) == (0, 30)
    assert result.shortfall_text() == "还差 30 总学时"


def test_highest_only_ties_go_to_earliest(anhui):
    claims = [
        Claim("paper.journal", {"authorship": "first"}, subject=PROFESSIONAL, key="a"),
        Claim("lecture", {"count": 4}, subject=GENERAL, key="b"),
    ]
    result = evaluate_year(anhui, 2025, claims)
    assert [c.counted for c in result.claims] == [True, False]
    assert [c.key for c in result.claims] == ["a", "b"]
    result = evaluate_year(anhui, 2025, claims[::-1])
    assert [c.counted for c in result.claims] == [True, False]
    assert result.claims[0].key == "b"


def test_full_outranks_plain_ninety(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("exam.qualification", {}, subject=GENERAL),
            Claim("paper.sci", {}, subject=PROFESSIONAL),
        ],
    )
    assert [c.counted for c in result.claims] == [False, True]
    assert (result.general, result.professional, result.total) == (30, 60, 90)
    assert result.compliant and result.full_year


def test_full_year_with_courseware(anhui):
    result = evaluate_year(
        anhui,
        2025,
        [
            Claim("aid.assignment", {}, subject=PROFESSIONAL),
            Claim("courseware", {"hours": 12}, subject=GENERAL),
            Claim("training", {"days": 14}, subject=PROFESSIONAL),
        ],
    )
    aid, courseware, training = result.claims
    assert aid.counted and aid.full_year and aid.counted_hours == 90
    assert courseware.counted
    assert training.reason == "highest_only"
    assert (result.general, result.professional, result.total) == (30, 60, 90)
    assert result.compliant


def test_more_hours_outrank_the_full_year(anhui):
    """Highest-only compares hours: a full-year claim is worth 90 (spec/rules.md)."""
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
            Claim("lecture", {"count": 1}, subject=PROFESSIONAL),
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
        [Claim("qualification", {"year": 2020}, subject=PROFESSIONAL, duplicate=True)],
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
    result = evaluate_claim(anhui, Claim("lecture", {"count": 1}, key="row-7"))
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
    with pytest.raises(RuleError):
        load_rule_set({**_broken_kind(), "id": "broken"})


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
