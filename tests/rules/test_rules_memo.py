"""evaluate_year remembers its results (issue 24.9): a repeated evaluation gives the same
result without running the engine again, and any change of an argument is evaluated afresh."""

import pytest

from portal.rules import PROFESSIONAL, Claim, RuleError, engine, evaluate_year


def training(days, **fields):
    return Claim("training", {"days": days}, subject=PROFESSIONAL, key="7", **fields)


def test_a_repeat_is_not_evaluated_again(anhui, monkeypatch):
    first = evaluate_year(anhui, 2025, [training(3)])
    runs = []
    monkeypatch.setattr(engine, "_prepare", lambda *a: runs.append(a) or pytest.fail("ran"))
    assert evaluate_year(anhui, 2025, [training(3)]) is first
    assert runs == []


@pytest.mark.parametrize(
    "changed",
    [
        lambda: training(4),  # a fact
        lambda: Claim("training", {"days": 3}, subject=PROFESSIONAL, key="8"),  # the claim
        lambda: training(3, accepted_hours=6),  # the reviewer's bound
        lambda: training(3, duplicate=True),
        lambda: training(3, unfiled=True),
    ],
)
def test_any_change_is_evaluated_afresh(anhui, changed):
    remembered = evaluate_year(anhui, 2025, [training(3)])
    fresh = evaluate_year(anhui, 2025, [changed()])
    engine._remembered.cache_clear()
    assert fresh == evaluate_year(anhui, 2025, [changed()])  # as without the memo
    assert fresh != remembered


def test_equal_values_of_another_type_are_not_taken_for_each_other(anhui):
    """1 == True in Python, but the engine refuses a bool as the reviewer's hours."""
    assert evaluate_year(anhui, 2025, [training(3, accepted_hours=1)]).professional == 1
    with pytest.raises(RuleError):
        evaluate_year(anhui, 2025, [training(3, accepted_hours=True)])


def test_the_rule_set_is_part_of_the_question(anhui, hefei):
    assert evaluate_year(anhui, 2025, [training(3)]).rule_set == "anhui-2025"
    with pytest.raises(RuleError):  # hefei-2021 has no "training" kind
        evaluate_year(hefei, 2025, [training(3)])


def test_an_unhashable_fact_is_still_judged_by_the_engine(anhui):
    with pytest.raises(RuleError):
        evaluate_year(anhui, 2025, [Claim("training", {"days": [3]}, subject=PROFESSIONAL)])
