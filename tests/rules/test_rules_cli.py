"""`rules evaluate` and `rules list` end to end through click's test runner."""

import json

import pytest
from click.testing import CliRunner
from rules_examples import SINGLE_EXAMPLES

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
    assert out["claims"][0]["hours"] == 72


BAD = [
    ("{not json", None),
    ("[]", None),
    ({"rule_set": "mars-2099", "year": 2025, "claims": []}, None),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": {}}, None),
    ({"rule_set": "anhui-2025", "year": "2025", "claims": []}, None),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": [{"kind": "nope"}]}, ("0", "kind")),
    ({"rule_set": "anhui-2025", "year": 2025, "claims": [{"facts": {}}]}, ("0", "kind")),
    ({"rule_set": "anhui-2025", "year": 2025,
      "claims": [{"kind": "lecture", "facts": {"count": 1}},
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
