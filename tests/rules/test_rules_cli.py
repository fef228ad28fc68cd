"""`rules evaluate` and `rules list` end to end through click's test runner."""

import json

import pytest
from click.testing import CliRunner
from rules_examples import SINGLE_EXAMPLES, YEAR_EXAMPLES

from portal.rules.cli import rules


def _runner():
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()


def run(payload):
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return _runner().invoke(rules, ["evaluate"], input=text)


def test_contract_example():
    result = run(
        {
            "rule_set": "anhui-2025",
            "year": 2025,
            "claims": [
                {"kind": "award.provincial", "facts": {"grade": "second", "rank": 2},
                 "subject": "professional"},
                {"kind": "courseware", "facts": {"hours": 12}, "subject": "general"},
            ],
        }
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert [{k: c[k] for k in ("hours", "full_year", "counted")} for c in out["claims"]] == [
        {"hours": 37, "full_year": False, "counted": True},
        {"hours": 12, "full_year": False, "counted": True},
    ]
    assert {k: out[k] for k in ("general", "professional", "total", "compliant")} == {
        "general": 12,
        "professional": 37,
        "total": 49,
        "compliant": False,
    }
    assert out["claims"][0]["clause"] == "第十二条（一）"
    assert result.stderr == ""


@pytest.mark.parametrize(("kind", "facts", "expected"), SINGLE_EXAMPLES)
def test_single_examples(kind, facts, expected):
    result = run({"rule_set": "anhui-2025", "year": 2025,
                  "claims": [{"kind": kind, "facts": facts}]})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (claim,) = json.loads(result.stdout)["claims"]
    if expected == "FULL":
        assert (claim["hours"], claim["full_year"], claim["counted"]) == (90, True, True)
    else:
        assert (claim["hours"], claim["full_year"]) == (expected, False)
        assert claim["counted"] is (expected > 0)


def test_year_examples():
    out = json.loads(
        run(
            {
                "rule_set": "anhui-2025",
                "year": 2025,
                "claims": [
                    {"kind": "training", "facts": {"days": 3}, "subject": "professional"},
                    {"kind": "patent.invention", "facts": {"rank": 1},
                     "subject": "professional"},
                    {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"},
                ],
            }
        ).stdout
    )  # fmt: skip
    assert [c["counted"] for c in out["claims"]] == [False, True, True]
    assert out["claims"][0]["reason"] == "highest_only"
    assert (out["professional"], out["general"], out["total"], out["compliant"]) == (
        50, 30, 80, False)  # fmt: skip
    out = json.loads(
        run({"rule_set": "anhui-2025", "year": 2025,
             "claims": [{"kind": "exam.qualification", "facts": {},
                         "subject": "professional"}]}).stdout
    )  # fmt: skip
    assert (out["professional"], out["general"], out["total"], out["compliant"]) == (
        90, 0, 90, True)  # fmt: skip


def test_full_claim_totals():
    out = json.loads(
        run({"rule_set": "anhui-2025", "year": 2025,
             "claims": [{"kind": "paper.sci", "subject": "general"}]}).stdout
    )  # fmt: skip
    assert (out["general"], out["professional"], out["total"], out["compliant"]) == (
        30, 60, 90, True)  # fmt: skip


def test_rule_set_chosen_by_year():
    out = json.loads(
        run({"year": 2015, "claims": [{"kind": "aid", "subject": "professional"}]}).stdout
    )
    assert out["rule_set"] == "hefei-2021"
    assert (out["claims"][0]["hours"], out["claims"][0]["full_year"]) == (90, True)
    assert out["requirement"] == {"general": 30, "professional": 60, "total": 90}


BAD = [
    ("{not json", None),
    ("[]", None),
    ({"rule_set": "mars-2099", "year": 2025, "claims": []}, None),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": {}}, None),
    ({"rule_set": "anhui-2025", "year": "2025", "claims": []}, None),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": [{"kind": "nope"}]}, ("0", "kind")),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": [{"facts": {}}]}, ("0", "kind")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "lecture", "facts": {}},
                 {"kind": "award.national", "facts": {"grade": "second", "rank": 0}}]},
     ("1", "rank")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "award.national", "facts": {"grade": "fourth", "rank": 1}}]},
     ("0", "grade")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "training", "facts": {"days": -2}}]}, ("0", "days")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "training", "facts": {}}]}, ("0", "days")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "training", "facts": {"days": 1}, "subject": "both"}]},
     ("0", "subject")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "training", "facts": [1]}]}, ("0", "facts")),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": ["training"]}, ("0", None)),
    ({"rule_set": "hefei-2021", "year": 2021,
      "claims": [{"kind": "public_course", "facts": {"courses": 1}, "subject": "professional"}]},
     ("0", "subject")),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "where"), BAD)
def test_bad_input_exits_2_with_one_line(payload, where):
    result = run(payload)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    if where:
        index, fact = where
        assert f"claims[{index}]" in lines[0]
        if fact:
            assert fact in lines[0]


def test_list():
    result = _runner().invoke(rules, ["list"])
    assert result.exit_code == 0
    assert "anhui-2025" in result.stdout and "hefei-2021" in result.stdout
    assert "国家级科技奖励" in result.stdout and "继续医学教育学分" in result.stdout
    assert "每年不少于90学时，其中专业科目不少于60学时" in result.stdout
    assert "每年公需科目不少于30学时、专业科目不少于60学时" in result.stdout


def test_request_that_is_not_utf8_exits_2():
    result = _runner().invoke(rules, ["evaluate"], input=b"\xff\xfe{}")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == "错误：请求不是UTF-8编码的JSON"


def test_chinese_in_the_request_is_read_as_utf8():
    request = {"rule_set": "anhui-2025", "year": 2025, "claims": [
        {"kind": "training", "facts": {"days": 1}, "subject": "professional",
         "details": {"title": "中文标题"}}]}  # fmt: skip
    result = _runner().invoke(
        rules, ["evaluate"], input=json.dumps(request, ensure_ascii=False).encode("utf-8")
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["professional"] == 6


@pytest.mark.parametrize(
    ("claims", "counted", "general", "professional", "total", "compliant"), YEAR_EXAMPLES
)
def test_year_examples_table(claims, counted, general, professional, total, compliant):
    result = run({"rule_set": "anhui-2025", "year": 2025, "claims": claims})
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert [c["counted"] for c in out["claims"]] == counted
    assert (out["general"], out["professional"], out["total"], out["compliant"]) == (
        general, professional, total, compliant)  # fmt: skip


ELECTION = [
    {"kind": "training", "facts": {"days": 2}, "subject": "professional", "elected": True},
    {"kind": "training", "facts": {"days": 1}, "subject": "professional"},
    {"kind": "patent.invention", "facts": {"rank": 1}, "subject": "professional"},
]


@pytest.mark.parametrize(
    ("policy", "counted", "professional"),
    [
        (None, [True, True, False], 18),
        ({"highest_only": "clause"}, [True, True, False], 18),
        ({"highest_only": "claim"}, [True, False, False], 12),
    ],
)
def test_election_and_policy(policy, counted, professional):
    request = {"rule_set": "anhui-2025", "year": 2025, "claims": ELECTION}
    if policy is not None:
        request["policy"] = policy
    result = run(request)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert [c["counted"] for c in out["claims"]] == counted
    assert out["professional"] == professional
    unelected = [{k: v for k, v in c.items() if k != "elected"} for c in ELECTION]
    out = json.loads(run({**request, "claims": unelected}).stdout)
    assert [c["counted"] for c in out["claims"]] == [False, False, True]


def test_policy_ignored_by_hefei():
    result = run({"rule_set": "hefei-2021", "year": 2024, "policy": {"highest_only": "claim"},
                  "claims": [{"kind": "paper.indexed", "subject": "professional"},
                             {"kind": "award.city", "facts": {"grade": "first"},
                              "subject": "professional", "elected": True}]})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["professional"] == 100


def test_accepted_hours_in_the_request():
    result = run({"rule_set": "anhui-2025", "year": 2025, "claims": [
        {"kind": "patent.invention", "facts": {"rank": 1}, "subject": "professional",
         "accepted_hours": 20},
        {"kind": "training", "facts": {"days": 5}, "subject": "professional"}]})  # fmt: skip
    out = json.loads(result.stdout)
    assert [(c["table_hours"], c["hours"], c["counted"]) for c in out["claims"]] == [
        (50, 20, False),
        (30, 30, True),
    ]


BAD_NEW = [
    ({"rule_set": "anhui-2025", "year": 2025, "claims": [
        {"kind": "training", "facts": {"days": 1}, "elected": True},
        {"kind": "lecture", "elected": True}]}, ("1", "elected")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "training", "facts": {"days": 1}, "elected": "yes"}]}, ("0", "elected")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "courseware", "facts": {"minutes": 100}}]}, ("0", "minutes")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "lecture", "facts": {"count": 2}}]}, ("0", "count")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "aid.expert_service", "facts": {"activities": 2}}]},
     ("0", "activities")),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": [
        {"kind": "project", "facts": {"level": "city", "role": "host"}}]}, ("0", "completed")),
    ({"rule_set": "hefei-2021", "year": 2022,
      "claims": [{"kind": "aid", "facts": {"year": 2021}}]}, ("0", "year")),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": [
        {"kind": "courseware", "facts": {"score": 120}}]}, ("0", "score")),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": [
        {"kind": "training", "facts": {"days": 1}, "accepted_hours": -1}]},
     ("0", "accepted_hours")),
    ({"rule_set": "anhui-2025", "year": 2025, "policy": {"highest_only": "year"},
      "claims": []}, None),
    ({"rule_set": "anhui-2025", "year": 2025, "policy": "claim", "claims": []}, None),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "where"), BAD_NEW)
def test_new_bad_input_exits_2(payload, where):
    test_bad_input_exits_2_with_one_line(payload, where)
