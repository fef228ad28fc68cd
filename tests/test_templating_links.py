"""The templates' links built faster write url_for's very text: row_link (a list's per-row
links from one url_for) and the templates' url_for (kept per app for the same arguments)."""

from flask import render_template_string, url_for
from markupsafe import escape

from portal.templating import row_link


def test_row_link_is_url_for(app):
    with app.test_request_context("/dashboard/", base_url="http://portal.test/sub"):
        link = row_link("review.show", "declaration_id")
        for value in (1, 7, 42, 123456789, 9876543210123):
            assert link(value) == url_for("review.show", declaration_id=value)


CALLS = [
    ("dashboard.index", {}),
    ("dashboard.index", {"year": 2025, "state": "short"}),
    ("dashboard.index", {"state": "short", "year": 2025}),
    ("review.index", {"page": 1}),
    ("review.index", {"page": True}),  # equal to 1 as a key, not as a URL
    ("review.index", {"page": 1.0}),
    ("review.index", {"q": "王 &?=/%"}),
    ("review.index", {"q": None}),
    ("review.show", {"declaration_id": 7}),
    ("review.index", {"status": ["SUBMITTED", "NEEDS_EVIDENCE"]}),  # not a key: built anew
    ("review.index", {"_external": True, "page": 2}),
    ("review.index", {"_anchor": "queue"}),
]


def _rendered(calls):
    return [
        render_template_string("{{ url_for(endpoint, **values) }}", endpoint=e, values=v)
        for e, v in calls
    ]


def test_the_templates_url_for_is_url_for(app):
    for base in ("http://portal.test/", "http://portal.test/sub", "https://other.test/x/y"):
        with app.test_request_context("/", base_url=base):
            expected = [str(escape(url_for(e, **v))) for e, v in CALLS]
            assert _rendered(CALLS) == _rendered(CALLS) == expected, base  # built, then kept
    with app.test_request_context("/review/", base_url="http://portal.test/sub"):
        assert render_template_string("{{ url_for('.index') }}") == "/sub/review/"
