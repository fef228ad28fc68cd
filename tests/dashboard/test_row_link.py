"""row_link (the list's per-row links from one url_for) writes url_for's very text."""

from flask import url_for

from portal.templating import row_link


def test_row_link_is_url_for(app):
    with app.test_request_context("/dashboard/", base_url="http://portal.test/sub"):
        link = row_link("review.show", "declaration_id")
        for value in (1, 7, 42, 123456789, 9876543210123):
            assert link(value) == url_for("review.show", declaration_id=value)
