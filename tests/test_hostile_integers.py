"""Issue 23.7: 2**64 in every integer query and form value the issue lists answers like any
other wrong number (the default, or the field's message), never a 500 (OverflowError)."""

import pathlib
import re

import pytest

from portal.accounts.models import Role
from portal.fields import bounded_int
from tests.test_hostile_input import _client, users  # noqa: F401 (fixture)

HUGE = str(2**64)
TWENTY_NINES = "9" * 20

# (who asks, method, url, form)
REQUESTS = [
    ("anon", "GET", "/board?page={n}", None),
    ("anon", "GET", "/board?batch={n}", None),
    (Role.BUREAU_OFFICER, "GET", "/verification/?page={n}", None),
    (Role.BUREAU_OFFICER, "GET", "/providers/unmatched?page={n}", None),
    (Role.BUREAU_OFFICER, "GET", "/stats/?unit={n}", None),
    (Role.BUREAU_OFFICER, "GET", "/stats/?series={n}", None),
    (Role.BUREAU_OFFICER, "GET", "/stats/?authority={n}", None),
    (Role.BUREAU_OFFICER, "GET", "/stats/export.xlsx?unit={n}", None),
    (Role.BUREAU_OFFICER, "GET", "/board/batches?unit={n}", None),
    (Role.BUREAU_OFFICER, "GET", "/review/?page={n}", None),
    (Role.UNIT_REVIEWER, "GET", "/review/?page={n}", None),
    (Role.UNIT_REVIEWER, "GET", "/dashboard/?page={n}", None),
    (Role.PROFESSIONAL, "POST", "/declarations/2025/elect", {"claim": "{n}"}),
    (Role.BUREAU_OFFICER, "POST", "/board/batches", {"declarations": "{n}", "start": "2099-01-05"}),
]


@pytest.mark.parametrize("value", [HUGE, TWENTY_NINES, str(-(2**64))])
@pytest.mark.parametrize(
    ("actor", "method", "url", "form"),
    REQUESTS,
    ids=[
        f"{m} {u.split('?')[0]}{'?' + u.split('?')[1] if '?' in u else ''}"
        for _, m, u, _ in REQUESTS
    ],
)
def test_huge_integers_never_answer_500(app, users, actor, method, url, form, value):  # noqa: F811
    app.config["WTF_CSRF_ENABLED"] = False
    client = _client(app, users.get(actor))
    data = {k: v.format(n=value) for k, v in (form or {}).items()}
    response = client.open(url.format(n=value), method=method, data=data)
    assert response.status_code < 500, response.text[:500]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" 7 ", 7), ("-3", -3), (str(2**31 - 1), 2**31 - 1)],
)
def test_bounded_int_takes_ordinary_numbers(text, expected):
    assert bounded_int(text) == expected


@pytest.mark.parametrize("text", [HUGE, str(2**31), str(-(2**31)), "1e3", "", "x", "9" * 5000])
def test_bounded_int_refuses_the_rest(text):
    with pytest.raises(ValueError):
        bounded_int(text)


def test_no_view_or_form_converts_integers_any_other_way():
    """One bounded integer type: no `type=int`, `coerce=int` or bare IntegerField outside
    portal/fields.py (the command line's click options are bounded by their own checks)."""
    root = pathlib.Path(__file__).resolve().parent.parent / "portal"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name in ("fields.py", "cli.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"type=int\b|coerce=int\b|\bIntegerField\(", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
