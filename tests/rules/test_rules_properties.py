"""Invariants of the engine over generated claims (hypothesis)."""

import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.rules import (
    GENERAL,
    PROFESSIONAL,
    Claim,
    FactSpec,
    KindSpec,
    evaluate_claim,
    evaluate_year,
    get_rule_set,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RULE_SETS = [get_rule_set("anhui-2025"), get_rule_set("hefei-2021")]
KINDS = [(rs, kind) for rs in RULE_SETS for kind in rs.kinds.values()]
# Where more of a quantity may earn less: a national training over 20 days earns a flat 120,
# while a shorter one earns the decided hours, which may be higher.
NOT_MONOTONE = {("hefei-2021", "training.national", "days")}


def _fact_values(spec: FactSpec):
    if spec.type == "choice":
        return st.sampled_from([v for v, _ in spec.choices])
    if spec.type == "bool":
        return st.booleans()
    low = spec.min if spec.min is not None else 0
    high = spec.max if spec.max is not None else low + 60000
    return st.integers(min_value=low, max_value=min(high, low + 60000))


def facts_for(kind: KindSpec):
    return st.fixed_dictionaries({spec.name: _fact_values(spec) for spec in kind.facts})


def claims_for(rule_set, subject=None):
    kinds = list(rule_set.kinds.values())

    @st.composite
    def one(draw):
        kind = draw(st.sampled_from(kinds))
        facts = draw(facts_for(kind))
        if kind.subject is not None:
            chosen = kind.subject
        elif subject is not None and kind.conversion:
            chosen = subject
        else:
            chosen = draw(st.sampled_from([GENERAL, PROFESSIONAL]))
        return Claim(kind.id, facts, subject=chosen)

    return st.lists(one(), max_size=8)


def value(result):
    return (result.hours, result.full_year)


@pytest.mark.parametrize(("rule_set", "kind"), KINDS, ids=[f"{r.id}:{k.id}" for r, k in KINDS])
@SETTINGS
@given(data=st.data())
def test_never_negative_and_monotone(rule_set, kind, data):
    facts = data.draw(facts_for(kind))
    result = evaluate_claim(rule_set, Claim(kind.id, facts), year=2024)
    assert result.hours >= 0
    assert 0 <= result.counted_hours <= result.hours
    assert not result.full_year or result.hours == 90
    for spec in kind.facts:
        if spec.type == "int" and spec.name == "rank":
            worse = evaluate_claim(rule_set, Claim(kind.id, {**facts, "rank": facts["rank"] + 1}))
            assert value(worse) <= value(result)
        elif spec.type == "int" and (rule_set.id, kind.id, spec.name) not in NOT_MONOTONE:
            if spec.max is not None and facts[spec.name] >= spec.max:
                continue
            more = {**facts, spec.name: facts[spec.name] + 1}
            assert value(evaluate_claim(rule_set, Claim(kind.id, more), year=2024)) >= value(result)
        elif spec.type == "choice" and spec.ordered:
            values = [v for v, _ in spec.choices]
            position = values.index(facts[spec.name])
            for lower in values[position + 1 :]:
                other = evaluate_claim(rule_set, Claim(kind.id, {**facts, spec.name: lower}))
                assert value(other) <= value(result)


def _check_year(rule_set, result):
    counted = [c for c in result.claims if c.counted]
    for claim in result.claims:
        assert 0 <= claim.counted_hours <= claim.hours
        assert claim.counted == (claim.counted_hours > 0)
        assert claim.reason is None or claim.reason_text
    for cap in rule_set.caps:
        used = sum(
            c.counted_hours
            for c in counted
            if c.kind in cap.kinds and (cap.subject is None or c.subject == cap.subject)
        )
        assert used <= cap.hours
    if rule_set.highest_only:
        # One clause item (scope "clause") counts.
        assert len({c.clause for c in counted if rule_set.kinds[c.kind].conversion}) <= 1
    if result.full_year:
        assert (result.general, result.professional, result.total) == (30, 60, 90)
    else:
        assert result.total == result.general + result.professional
        assert result.total == sum(c.counted_hours for c in counted)
    assert result.requirement is rule_set.requirement
    assert result.compliant == (
        result.full_year or rule_set.requirement.met(result.general, result.professional)
    )
    assert result.missing_professional >= 0 and result.missing_total >= 0


@pytest.mark.parametrize("rule_set", RULE_SETS, ids=[r.id for r in RULE_SETS])
@SETTINGS
@given(data=st.data())
def test_year_invariants_and_order(rule_set, data):
    subject = data.draw(st.sampled_from([GENERAL, PROFESSIONAL]))
    claims = data.draw(claims_for(rule_set, subject))
    result = evaluate_year(rule_set, 2024, claims)
    _check_year(rule_set, result)
    shuffled = list(claims)
    random.Random(data.draw(st.integers(0, 2**16))).shuffle(shuffled)
    again = evaluate_year(rule_set, 2024, shuffled)
    _check_year(rule_set, again)
    # Conversion claims share one subject here, so order only breaks ties between equals.
    assert (again.general, again.professional, again.total) == (
        result.general,
        result.professional,
        result.total,
    )
    assert (again.full_year, again.compliant) == (result.full_year, result.compliant)


@pytest.mark.parametrize("rule_set", RULE_SETS, ids=[r.id for r in RULE_SETS])
@SETTINGS
@given(data=st.data())
def test_total_independent_of_order_with_any_subjects(rule_set, data):
    claims = data.draw(claims_for(rule_set))
    result = evaluate_year(rule_set, 2024, claims)
    again = evaluate_year(rule_set, 2024, claims[::-1])
    assert (again.total, again.full_year) == (result.total, result.full_year)


def _outcome(result):
    return (result.compliant, result.total, result.professional)


ANHUI = get_rule_set("anhui-2025")


@SETTINGS
@given(data=st.data())
def test_the_best_item_counts_without_election(data):
    """No other clause item, elected instead, would serve the person better."""
    claims = data.draw(claims_for(ANHUI))
    result = evaluate_year(ANHUI, 2025, claims)
    for index, claim in enumerate(claims):
        if not ANHUI.kinds[claim.kind].conversion:
            continue
        elected = list(claims)
        elected[index] = replace(claim, elected=True)
        other = evaluate_year(ANHUI, 2025, elected)
        assert _outcome(other) <= _outcome(result)
        if other.chosen_by == "elected":
            assert other.chosen == result.claims[index].clause
            assert all(
                c.clause == other.chosen
                for c in other.claims
                if c.counted and ANHUI.kinds[c.kind].conversion
            )


@SETTINGS
@given(data=st.data())
def test_claim_scope_counts_one_claim(data):
    claims = data.draw(claims_for(ANHUI))
    result = evaluate_year(ANHUI, 2025, claims, highest_only_scope="claim")
    _check_year(ANHUI, result)
    assert sum(1 for c in result.claims if c.counted and ANHUI.kinds[c.kind].conversion) <= 1
    # A clause item holding a full-year claim is reported as 30/60/90 whatever else it holds,
    # so the totals of the two scopes are not ordered; compliance is (the chosen claim's whole
    # clause item is at least as compliant as the claim alone).
    assert result.compliant <= evaluate_year(ANHUI, 2025, claims).compliant


@pytest.mark.parametrize("rule_set", RULE_SETS, ids=[r.id for r in RULE_SETS])
@SETTINGS
@given(data=st.data())
def test_reviewer_bound(rule_set, data):
    claims = data.draw(claims_for(rule_set))
    bounds = data.draw(
        st.lists(st.one_of(st.none(), st.integers(0, 120)), min_size=len(claims),
                 max_size=len(claims))
    )  # fmt: skip
    reviewed = [replace(c, accepted_hours=b) for c, b in zip(claims, bounds, strict=True)]
    before = evaluate_year(rule_set, 2024, claims)
    after = evaluate_year(rule_set, 2024, reviewed)
    _check_year(rule_set, after)
    for claim, bound in zip(after.claims, bounds, strict=True):
        assert claim.hours == (
            claim.table_hours if bound is None else min(bound, claim.table_hours)
        )
        assert claim.counted_hours <= claim.hours
        if bound == 0:
            assert not claim.counted
        if claim.full_year:
            assert bound is None or bound >= claim.table_hours
    # Accepting fewer hours never makes a year compliant that was not.
    assert after.compliant <= before.compliant
