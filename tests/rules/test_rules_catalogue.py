"""Every kind of both catalogues at its edges, every invalid value, and the kinds' metadata."""

import ast
from pathlib import Path

import pytest

from portal.rules import (
    DETAIL_VOCABULARY,
    GENERAL,
    PROFESSIONAL,
    Claim,
    RuleError,
    evaluate_claim,
    get_rule_set,
    rule_set_for_year,
    rule_set_ids,
    validate_facts,
)

FULL = "FULL"

ANHUI_KINDS = [
    "award.national", "award.provincial", "patent.invention", "patent.utility", "patent.design",
    "aid.assignment", "aid.expert_service", "overseas.training", "paper.journal", "paper.sci",
    "paper.ei", "book", "project", "report", "conference", "exam.qualification", "degree",
    "training", "lecture", "courseware",
]  # fmt: skip
HEFEI_KINDS = [
    "public_course", "title_computer", "title_language", "training.national", "training.decided",
    "degree_course", "self_study", "conference.national", "conference.provincial",
    "project.national", "project.provincial", "project.city", "book", "paper", "paper.indexed",
    "aid", "qualification", "teacher_training", "key_teacher", "principal_training",
    "patent.invention", "patent.utility_design", "award.provincial", "award.city",
    "new_technology", "medical_credit",
]  # fmt: skip

A, H = "anhui-2025", "hefei-2021"


def _project_rows():
    table = {
        "ministry": {"host": 50, "main": 40, "participant": 10},
        "province": {"host": 40, "main": 30, "participant": 10},
        "city": {"host": 30, "main": 20, "participant": 10},
        "other": {"host": 10, "main": 10, "participant": 0},
    }
    for level, roles in table.items():
        for role, hours in roles.items():
            yield (A, "project", {"level": level, "role": role, "completed": True}, hours)
            yield (A, "project", {"level": level, "role": role, "completed": False}, 0)


def _rank_rows(rule_set, kind, extra, first, last_rank):
    """First rank, the last rank earning hours, the rank reaching 0 and one beyond."""
    rows = [(rule_set, kind, {**extra, "rank": 1}, first)]
    base = 90 if first == FULL else first
    rows.append((rule_set, kind, {**extra, "rank": last_rank}, base - 3 * (last_rank - 1)))
    rows.append((rule_set, kind, {**extra, "rank": last_rank + 1}, 0))
    rows.append((rule_set, kind, {**extra, "rank": last_rank + 2}, 0))
    return rows


EDGES = [
    # anhui-2025 (一): special and first grade: every awardee.
    (A, "award.national", {"grade": "special", "rank": 1}, FULL),
    (A, "award.national", {"grade": "special", "rank": 40}, FULL),
    (A, "award.national", {"grade": "first", "rank": 1}, FULL),
    (A, "award.national", {"grade": "first", "rank": 9}, FULL),
    (A, "award.national", {"grade": "second", "rank": 2}, 87),
    *_rank_rows(A, "award.national", {"grade": "second"}, FULL, 30),
    (A, "award.national", {"grade": "third", "rank": 3}, 44),
    *_rank_rows(A, "award.national", {"grade": "third"}, 50, 17),
    (A, "award.provincial", {"grade": "special", "rank": 1}, 50),
    (A, "award.provincial", {"grade": "first", "rank": 4}, 50),
    (A, "award.provincial", {"grade": "first", "rank": 99}, 50),
    *_rank_rows(A, "award.provincial", {"grade": "second"}, 40, 14),
    *_rank_rows(A, "award.provincial", {"grade": "third"}, 30, 10),
    (A, "award.provincial", {"grade": "third", "rank": 11}, 0),
    *_rank_rows(A, "patent.invention", {}, 50, 17),
    (A, "patent.utility", {"rank": 2}, 37),
    *_rank_rows(A, "patent.utility", {}, 40, 14),
    *_rank_rows(A, "patent.design", {}, 40, 14),
    # (二)
    (A, "aid.assignment", {}, FULL),
    (A, "aid.expert_service", {}, 20),  # one activity per claim
    # (三): 6 a day, 3 a part day, at most 90.
    (A, "overseas.training", {"days": 0}, 0),
    (A, "overseas.training", {"days": 0, "half_days": 1}, 3),
    (A, "overseas.training", {"days": 2, "half_days": 1}, 15),
    (A, "overseas.training", {"days": 14, "half_days": 1}, 87),
    (A, "overseas.training", {"days": 14, "half_days": 2}, 90),
    (A, "overseas.training", {"days": 15}, 90),
    (A, "overseas.training", {"days": 20}, 90),
    (A, "overseas.training", {"days": 366, "half_days": 366}, 90),
    # (四)
    (A, "paper.journal", {"authorship": "sole"}, 30),
    (A, "paper.journal", {"authorship": "first"}, 20),
    (A, "paper.journal", {"authorship": "other"}, 10),
    (A, "paper.sci", {}, FULL),
    (A, "paper.ei", {"role": "first"}, 40),
    (A, "paper.ei", {"role": "corresponding"}, 40),
    (A, "paper.ei", {"role": "other"}, 20),
    (A, "book", {"authorship": "sole"}, 70),
    (A, "book", {"authorship": "first"}, 50),
    (A, "book", {"authorship": "other"}, 30),
    # (五)
    *_project_rows(),
    # (六)
    *_rank_rows(A, "report", {"level": "province"}, 40, 14),
    (A, "report", {"level": "city", "rank": 2}, 17),
    *_rank_rows(A, "report", {"level": "city"}, 20, 7),
    # (七)
    (A, "conference", {}, 8),
    (A, "conference", {"paper_chars": 0}, 8),
    (A, "conference", {"paper_chars": 1}, 13),
    (A, "conference", {"paper_chars": 2000}, 13),
    (A, "conference", {"paper_chars": 2001}, 18),
    (A, "conference", {"paper_chars": 2400}, 18),
    # (八) (九): 90 hours, not the full year.
    (A, "exam.qualification", {}, 90),
    (A, "degree", {}, 90),
    # (十) (十一)
    (A, "training", {"days": 0}, 0),
    (A, "training", {"days": 3}, 18),
    (A, "training", {"days": 1, "half_days": 1}, 9),
    (A, "training", {"days": 30}, 180),
    (A, "lecture", {}, 5),  # one lecture per claim
    # (十二): labelled hours, else 1; a score below 60 earns nothing.
    (A, "courseware", {}, 1),
    (A, "courseware", {"hours": 1}, 1),
    (A, "courseware", {"hours": 12}, 12),
    (A, "courseware", {"hours": 12, "score": 60}, 12),
    (A, "courseware", {"hours": 12, "score": 100}, 12),
    (A, "courseware", {"hours": 12, "score": 59}, 0),
    (A, "courseware", {"hours": 12, "score": 0}, 0),
    (A, "courseware", {"score": 60}, 1),
    (A, "courseware", {"score": 59}, 0),
    # hefei-2021 附件3
    (H, "public_course", {"courses": 0}, 0),
    (H, "public_course", {"courses": 1}, 30),
    (H, "public_course", {"courses": 2}, 60),
    (H, "public_course", {"courses": 1, "score": 60}, 30),
    (H, "public_course", {"courses": 1, "score": 59}, 0),
    (H, "public_course", {"courses": 2, "score": 0}, 0),
    (H, "title_computer", {"modules": 2, "mode": "training"}, 48),
    (H, "title_computer", {"modules": 2, "mode": "exam"}, 30),
    (H, "title_computer", {"modules": 0, "mode": "exam"}, 0),
    (H, "title_language", {"mode": "training"}, 120),
    (H, "title_language", {"mode": "exam"}, 45),
    (H, "training.national", {"days": 21}, 120),
    (H, "training.national", {"days": 25, "decided_hours": 10}, 120),
    (H, "training.national", {"days": 20, "decided_hours": 40}, 40),
    (H, "training.national", {"days": 3, "decided_hours": 0}, 0),
    (H, "training.decided", {"decided_hours": 16}, 16),
    (H, "training.decided", {"decided_hours": 0}, 0),
    (H, "degree_course", {"courses": 3}, 45),
    (H, "degree_course", {"courses": 0}, 0),
    (H, "self_study", {"hours": 20}, 20),
    (H, "self_study", {"hours": 36}, 36),
    (H, "self_study", {"hours": 0}, 0),
    (H, "conference.national", {}, 6),
    (H, "conference.national", {"paper_chars": 2000}, 11),
    (H, "conference.national", {"paper_chars": 2001}, 14),
    (H, "conference.provincial", {"paper_chars": 0}, 5),
    (H, "conference.provincial", {"paper_chars": 1}, 8),
    (H, "conference.provincial", {"paper_chars": 3000}, 10),
    (H, "project.national", {"role": "main", "rank": 1}, 72),
    (H, "project.national", {"role": "main", "rank": 2}, 60),
    (H, "project.national", {"role": "main", "rank": 3}, 50),
    (H, "project.national", {"role": "main", "rank": 4}, 40),
    (H, "project.national", {"role": "main", "rank": 5}, 36),
    (H, "project.national", {"role": "main", "rank": 6}, 0),
    (H, "project.national", {"role": "sub", "rank": 1}, 40),
    (H, "project.national", {"role": "sub", "rank": 2}, 35),
    (H, "project.national", {"role": "sub", "rank": 3}, 30),
    (H, "project.national", {"role": "sub", "rank": 4}, 0),
    (H, "project.provincial", {"role": "main", "rank": 1}, 72),
    (H, "project.provincial", {"role": "main", "rank": 3}, 50),
    (H, "project.provincial", {"role": "main", "rank": 4}, 0),
    (H, "project.provincial", {"role": "sub", "rank": 1}, 30),
    (H, "project.provincial", {"role": "sub", "rank": 2}, 25),
    (H, "project.provincial", {"role": "sub", "rank": 3}, 20),
    (H, "project.provincial", {"role": "sub", "rank": 4}, 0),
    (H, "project.city", {"role": "main", "rank": 1}, 60),
    (H, "project.city", {"role": "main", "rank": 2}, 50),
    (H, "project.city", {"role": "main", "rank": 3}, 40),
    (H, "project.city", {"role": "main", "rank": 4}, 0),
    (H, "project.city", {"role": "sub", "rank": 1}, 25),
    (H, "project.city", {"role": "sub", "rank": 3}, 15),
    (H, "project.city", {"role": "sub", "rank": 4}, 0),
    (H, "book", {"chars": 9999}, 0),
    (H, "book", {"chars": 10000}, 5),
    (H, "book", {"chars": 25000}, 10),
    (H, "paper", {"level": "national", "chars": 999}, 0),
    (H, "paper", {"level": "national", "chars": 1000}, 5),
    (H, "paper", {"level": "national", "chars": 3500}, 15),
    (H, "paper", {"level": "provincial", "chars": 3500}, 9),
    (H, "paper.indexed", {}, 40),
    (H, "aid", {}, FULL),  # 按每年90学时的标准登记: the full year
    (H, "qualification", {}, 90),
    (H, "teacher_training", {}, 60),
    (H, "key_teacher", {"level": "40"}, 40),
    (H, "key_teacher", {"level": 72}, 72),
    (H, "key_teacher", {"level": "120"}, 120),
    (H, "principal_training", {}, 120),
    (H, "patent.invention", {"rank": 1}, 72),
    (H, "patent.invention", {"rank": 2}, 60),
    (H, "patent.invention", {"rank": 3}, 50),
    (H, "patent.invention", {"rank": 4}, 0),
    (H, "patent.utility_design", {"rank": 1}, 60),
    (H, "patent.utility_design", {"rank": 2}, 50),
    (H, "patent.utility_design", {"rank": 3}, 40),
    (H, "patent.utility_design", {"rank": 4}, 0),
    (H, "award.provincial", {"grade": "first"}, 72),
    (H, "award.provincial", {"grade": "second"}, 60),
    (H, "award.provincial", {"grade": "third"}, 40),
    (H, "award.city", {"grade": "first"}, 60),
    (H, "award.city", {"grade": "second"}, 45),
    (H, "award.city", {"grade": "third"}, 36),
    (H, "new_technology", {"level": "international"}, 60),
    (H, "new_technology", {"level": "national", "rank": 2}, 48),
    (H, "new_technology", {"level": "provincial", "rank": 3}, 36),
    (H, "new_technology", {"level": "international", "rank": 4}, 0),
    (H, "medical_credit", {"credits": 0}, 0),
    (H, "medical_credit", {"credits": 10}, 30),
]


def _id(row):
    rule_set, kind, facts, _ = row
    return f"{rule_set}:{kind}:{','.join(f'{k}={v}' for k, v in facts.items())}"


@pytest.mark.parametrize("row", EDGES, ids=[_id(r) for r in EDGES])
def test_edges(row):
    rule_set_id, kind, facts, expected = row
    result = evaluate_claim(get_rule_set(rule_set_id), Claim(kind, facts), year=2024)
    if expected == FULL:
        assert (result.hours, result.full_year, result.counted) == (90, True, True)
        assert result.counted_hours == 90
    else:
        assert (result.hours, result.full_year) == (expected, False)
        assert result.counted is (expected > 0)
    assert result.clause == get_rule_set(rule_set_id).kinds[kind].clause
    assert result.explanation
    if result.hours == 0:
        assert result.reason in ("zero", "not_completed", "failed")
        assert result.reason_text
    elif result.reason is None:
        assert result.reason_text == ""
        assert f"{result.hours}学时" in result.explanation


def test_table_covers_every_kind():
    covered = {(r[0], r[1]) for r in EDGES}
    expected = {(A, k) for k in ANHUI_KINDS} | {(H, k) for k in HEFEI_KINDS}
    assert covered == expected


def test_catalogues_complete_and_ordered():
    assert list(get_rule_set(A).kinds) == ANHUI_KINDS
    assert list(get_rule_set(H).kinds) == HEFEI_KINDS
    assert set(rule_set_ids()) == {A, H}


def test_explanation_reads_like_the_table(anhui):
    result = evaluate_claim(anhui, Claim("award.national", {"grade": "third", "rank": 3}))
    assert result.explanation == "三等奖，第一获奖人50学时，第3位递减6学时，计44学时"


def test_project_not_completed_reason(anhui):
    facts = {"level": "ministry", "role": "host", "completed": "false"}
    result = evaluate_claim(anhui, Claim("project", facts, subject="professional"))
    assert (result.hours, result.counted, result.reason) == (0, False, "not_completed")
    assert "未结项" in result.reason_text


def test_self_study_cap_alone(hefei):
    result = evaluate_claim(hefei, Claim("self_study", {"hours": 40}, subject=GENERAL))
    assert (result.hours, result.counted, result.counted_hours, result.reason) == (
        40,
        True,
        36,
        "cap",
    )


def test_general_courseware_cap_alone(anhui):
    result = evaluate_claim(anhui, Claim("courseware", {"hours": 40}, subject=GENERAL))
    assert (result.counted_hours, result.reason) == (30, "cap")
    result = evaluate_claim(anhui, Claim("courseware", {"hours": 40}, subject=PROFESSIONAL))
    assert (result.counted_hours, result.reason) == (40, None)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("3", 3), (" 3 ", 3), (3, 3), (3.0, 3), ("+3", 3)],
)
def test_int_parsing(anhui, value, parsed):
    assert validate_facts(anhui, Claim("patent.invention", {"rank": value}))["rank"] == parsed


@pytest.mark.parametrize(
    ("value", "parsed"),
    [(True, True), ("true", True), ("y", True), ("1", True), ("on", True), (1, True),
     ("是", True), (False, False), ("false", False), ("n", False), ("0", False), ("off", False),
     (0, False), ("否", False)],
)  # fmt: skip
def test_bool_parsing(anhui, value, parsed):
    facts = {"level": "city", "role": "host", "completed": value}
    assert validate_facts(anhui, Claim("project", facts))["completed"] is parsed


def test_choice_accepts_chinese_label(anhui):
    facts = validate_facts(anhui, Claim("award.national", {"grade": "二等奖", "rank": "2"}))
    assert facts == {"grade": "second", "rank": 2}


@pytest.mark.parametrize(
    ("rule_set_id", "kind", "facts", "fact"),
    [
        (A, "degree", {"year": 2025}, "year"),
        (A, "courseware", {"minutes": 100}, "minutes"),
        (A, "courseware", {"hours": 3, "minutes": 500}, "minutes"),
        (A, "lecture", {"count": 1}, "count"),
        (A, "aid.expert_service", {"activities": 2}, "activities"),
        (A, "training", {"days": 1, "note": ""}, "note"),
        (H, "aid", {"year": 2020}, "year"),
        (H, "qualification", {"year": 2015}, "year"),
    ],
)
def test_a_fact_the_kind_does_not_have_is_an_error(rule_set_id, kind, facts, fact):
    with pytest.raises(RuleError) as caught:
        evaluate_claim(get_rule_set(rule_set_id), Claim(kind, facts))
    assert caught.value.fact == fact
    assert fact in str(caught.value)


def test_project_completed_has_no_default(anhui):
    for value in (None, ""):
        facts = {"level": "city", "role": "host", "completed": value}
        with pytest.raises(RuleError) as caught:
            validate_facts(anhui, Claim("project", facts))
        assert caught.value.fact == "completed"
    assert anhui.kinds["project"].fact("completed").required


def test_hefei_claims_do_not_depend_on_the_year(hefei):
    for year in (2014, 2019, 2024):
        assert evaluate_claim(hefei, Claim("aid", {}), year=year).full_year
        assert evaluate_claim(hefei, Claim("qualification", {}), year=year).hours == 90


@pytest.mark.parametrize(("rule_set_id", "kind", "facts"), [
    (A, "courseware", {"hours": 5, "score": 40}),
    (H, "public_course", {"courses": 1, "score": 12}),
])  # fmt: skip
def test_failed_exam_reason(rule_set_id, kind, facts):
    result = evaluate_claim(get_rule_set(rule_set_id), Claim(kind, facts, subject=GENERAL))
    assert (result.hours, result.counted, result.reason) == (0, False, "failed")
    assert "60分" in result.reason_text


INVALID = [
    (A, "award.national", {"grade": "second", "rank": 0}, "rank"),
    (A, "award.national", {"grade": "second", "rank": -1}, "rank"),
    (A, "award.national", {"grade": "second", "rank": "abc"}, "rank"),
    (A, "award.national", {"grade": "second", "rank": "3位"}, "rank"),
    (A, "award.national", {"grade": "second", "rank": True}, "rank"),
    (A, "award.national", {"grade": "second", "rank": 1.5}, "rank"),
    (A, "award.national", {"grade": "second", "rank": [1]}, "rank"),
    (A, "award.national", {"grade": "second"}, "rank"),
    (A, "award.national", {"grade": "second", "rank": ""}, "rank"),
    (A, "award.national", {"grade": "second", "rank": None}, "rank"),
    (A, "award.national", {"grade": "fourth", "rank": 1}, "grade"),
    (A, "award.national", {"grade": 3, "rank": 1}, "grade"),
    (A, "award.national", {"grade": True, "rank": 1}, "grade"),
    (A, "award.national", {"rank": 1}, "grade"),
    (A, "award.provincial", {"grade": "excellent", "rank": 1}, "grade"),
    (A, "patent.invention", {"rank": 0}, "rank"),
    (A, "patent.utility", {}, "rank"),
    (A, "patent.design", {"rank": "first"}, "rank"),
    (A, "overseas.training", {"days": -1}, "days"),
    (A, "overseas.training", {"days": 1, "half_days": -1}, "half_days"),
    (A, "overseas.training", {"days": 367}, "days"),
    (A, "overseas.training", {"days": "2天"}, "days"),
    (A, "overseas.training", {}, "days"),
    (A, "paper.journal", {"authorship": "ghost"}, "authorship"),
    (A, "paper.journal", {}, "authorship"),
    (A, "paper.ei", {"role": "second"}, "role"),
    (A, "book", {"authorship": None}, "authorship"),
    (A, "project", {"level": "galaxy", "role": "host", "completed": True}, "level"),
    (A, "project", {"level": "city", "role": "boss", "completed": True}, "role"),
    (A, "project", {"level": "city", "role": "host", "completed": "maybe"}, "completed"),
    (A, "project", {"level": "city", "role": "host", "completed": 2}, "completed"),
    (A, "report", {"level": "county", "rank": 1}, "level"),
    (A, "report", {"level": "city", "rank": 0}, "rank"),
    (A, "conference", {"paper_chars": -5}, "paper_chars"),
    (A, "conference", {"paper_chars": "many"}, "paper_chars"),
    (A, "training", {"days": -3}, "days"),
    (A, "training", {"days": True}, "days"),
    (A, "project", {"level": "city", "role": "host"}, "completed"),
    (A, "lecture", {"count": 1}, "count"),
    (A, "aid.expert_service", {"activities": 1}, "activities"),
    (A, "courseware", {"hours": 0}, "hours"),
    (A, "courseware", {"minutes": 0}, "minutes"),
    (A, "courseware", {"minutes": 90}, "minutes"),
    (A, "courseware", {"hours": -1}, "hours"),
    (A, "courseware", {"hours": 1, "score": -1}, "score"),
    (A, "courseware", {"hours": 1, "score": 101}, "score"),
    (A, "courseware", {"score": "及格"}, "score"),
    (A, "no.such.kind", {}, "kind"),
    (A, "", {}, "kind"),
    (H, "public_course", {"courses": -1}, "courses"),
    (H, "public_course", {"courses": 1, "score": 101}, "score"),
    (H, "title_computer", {"modules": 1, "mode": "both"}, "mode"),
    (H, "title_computer", {"mode": "exam"}, "modules"),
    (H, "title_language", {}, "mode"),
    (H, "training.national", {"days": 5}, "decided_hours"),
    (H, "training.national", {"days": -5, "decided_hours": 5}, "days"),
    (H, "training.decided", {"decided_hours": -4}, "decided_hours"),
    (H, "training.decided", {}, "decided_hours"),
    (H, "degree_course", {"courses": "two"}, "courses"),
    (H, "self_study", {"hours": -1}, "hours"),
    (H, "conference.national", {"paper_chars": -1}, "paper_chars"),
    (H, "conference.provincial", {"paper_chars": 1.5}, "paper_chars"),
    (H, "project.national", {"role": "main", "rank": 0}, "rank"),
    (H, "project.provincial", {"role": "lead", "rank": 1}, "role"),
    (H, "project.city", {"role": "sub"}, "rank"),
    (H, "book", {"chars": -10000}, "chars"),
    (H, "paper", {"level": "city", "chars": 1000}, "level"),
    (H, "paper", {"level": "national"}, "chars"),
    (H, "aid", {"year": 1800}, "year"),
    (H, "qualification", {"year": 2020}, "year"),
    (H, "key_teacher", {"level": "50"}, "level"),
    (H, "patent.invention", {"rank": -3}, "rank"),
    (H, "patent.utility_design", {"rank": False}, "rank"),
    (H, "award.provincial", {"grade": "special"}, "grade"),
    (H, "award.city", {}, "grade"),
    (H, "new_technology", {"level": "global"}, "level"),
    (H, "new_technology", {"level": "national", "rank": 0}, "rank"),
    (H, "medical_credit", {"credits": -1}, "credits"),
]


@pytest.mark.parametrize("row", INVALID, ids=[_id(r) for r in INVALID])
def test_invalid_values(row):
    rule_set_id, kind, facts, fact = row
    with pytest.raises(RuleError) as caught:
        evaluate_claim(get_rule_set(rule_set_id), Claim(kind, facts))
    error = caught.value
    assert error.fact == fact
    assert error.claim_index is None
    assert "\n" not in str(error)
    assert fact in str(error)


@pytest.mark.parametrize(
    ("rule_set_id", "kind", "facts", "subject"),
    [
        (A, "training", {"days": 1}, "both"),
        (A, "training", {"days": 1}, 3),
        (H, "public_course", {"courses": 1}, "professional"),
        (H, "medical_credit", {"credits": 1}, "general"),
    ],
)
def test_invalid_subject(rule_set_id, kind, facts, subject):
    with pytest.raises(RuleError) as caught:
        evaluate_claim(get_rule_set(rule_set_id), Claim(kind, facts, subject=subject))
    assert caught.value.fact == "subject"


def test_subject_default_and_required(anhui, hefei):
    result = evaluate_claim(anhui, Claim("training", {"days": 1}))
    assert (result.subject, result.subject_defaulted) == (PROFESSIONAL, True)
    result = evaluate_claim(anhui, Claim("training", {"days": 1}, subject="公需"))
    assert (result.subject, result.subject_defaulted) == (GENERAL, False)
    assert evaluate_claim(hefei, Claim("public_course", {"courses": 1})).subject == GENERAL
    with pytest.raises(RuleError) as caught:
        evaluate_claim(anhui, Claim("training", {"days": 1}), require_subject=True)
    assert caught.value.fact == "subject"
    # A fixed subject needs no choice even when one is required.
    result = evaluate_claim(hefei, Claim("public_course", {"courses": 1}), require_subject=True)
    assert result.subject == GENERAL


def test_facts_must_be_a_mapping(anhui):
    with pytest.raises(RuleError) as caught:
        evaluate_claim(anhui, Claim("training", ["days", 1]))  # type: ignore[arg-type]
    assert caught.value.fact == "facts"


@pytest.mark.parametrize("rule_set_id", [A, H])
def test_kind_metadata_complete(rule_set_id):
    rule_set = get_rule_set(rule_set_id)
    for kind in rule_set.kinds.values():
        assert kind.label and kind.clause and kind.category and kind.description
        assert kind.subject in (None, GENERAL, PROFESSIONAL)
        assert set(kind.details) <= set(DETAIL_VOCABULARY)
        assert set(kind.identity) <= set(kind.details)
        assert "title" in kind.details
        for fact in kind.facts:
            assert fact.label and fact.type in ("int", "choice", "bool")
            if fact.type == "choice":
                assert fact.choices and all(label for _, label in fact.choices)
            if fact.type == "int":
                assert fact.min is not None


def test_anhui_policy_metadata(anhui, hefei):
    assert anhui.highest_only and anhui.general_courseware_cap == 30
    assert anhui.self_study_cap is None
    assert [k.id for k in anhui.kinds.values() if not k.conversion] == ["courseware"]
    assert all(k.clause.startswith("第十二条") for k in anhui.kinds.values())
    assert not hefei.highest_only and hefei.self_study_cap == 36
    assert hefei.general_courseware_cap is None
    assert hefei.kinds["public_course"].subject == GENERAL
    assert all(k.clause.startswith("附件3") for k in hefei.kinds.values())


@pytest.mark.parametrize(
    ("year", "elect", "allow", "expected"),
    [
        (2024, None, False, H),
        (2019, None, False, H),
        (2025, None, False, A),
        (2031, None, True, A),
        (2025, "anhui-2025", False, A),
        (2025, "hefei-2021", True, H),
        (2030, "hefei-2021", True, H),
        (2024, "hefei-2021", False, H),
    ],
)
def test_rule_set_for_year(year, elect, allow, expected):
    assert rule_set_for_year(year, elect, allow).id == expected


@pytest.mark.parametrize(
    ("year", "elect", "allow"),
    [
        (2025, "hefei-2021", False),
        (2031, "hefei-2021", True),
        (2024, "anhui-2025", True),
        (2025, "shanghai-2030", True),
    ],
)
def test_rule_set_for_year_refuses(year, elect, allow):
    with pytest.raises(RuleError):
        rule_set_for_year(year, elect, allow)


def test_unknown_rule_set():
    with pytest.raises(RuleError):
        get_rule_set("nowhere-1999")


def test_rules_package_is_pure():
    package = Path(__file__).resolve().parents[2] / "portal" / "rules"
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug"), path
                if top == "click":
                    assert path.name == "cli.py"
