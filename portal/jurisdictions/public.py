"""Public pages per county (issue 24.4): the board, objections, certificate and verification
checks and the registration page of one county, in an instance of several.

The scheme: a county's public pages are its path prefix `/c/<county code>/…` (/c/341821/board,
/c/341821/verify/<code>, /c/341821/register); a county with a host name of its own
(Jurisdiction.host) also answers on that host at the plain addresses. Plain addresses on any
other host are the install's own county (config JURISDICTION_CODE), so a single-county install
keeps its URLs, and /boards lists the counties' boards. The prefix is taken off the path by a
WSGI middleware and put in SCRIPT_NAME: every link a page makes (url_for) stays inside the
county, and the page cache keys (which hold the script root and the host) never mix two
counties. The public page's scope (scope.set_public) shows that county's records only.
"""

from __future__ import annotations

import re

from flask import Flask, abort, current_app, g, has_request_context, request, url_for

from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel

_PREFIX = re.compile(r"^/c/(\d{6})(/.*)?$")
ENVIRON_KEY = "portal.county_prefix"  # the code taken off the path
APP_ROOT_KEY = "portal.app_root"  # SCRIPT_NAME before the county's prefix was added

# The pages every visitor sees of one county.
PUBLIC_ENDPOINTS = frozenset(
    {
        "board.index",
        "board.raise_objection",
        "board.find_objection",
        "board.objection_status",
        "certificates.verify_form",
        "certificates.verify",
        "verification.check",
        "accounts.register",
    }
)


class CountyPrefix:
    """WSGI middleware: /c/<code>/rest → SCRIPT_NAME + /c/<code>, PATH_INFO /rest."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        match = _PREFIX.match(environ.get("PATH_INFO", ""))
        root = environ.get("SCRIPT_NAME", "")
        environ[APP_ROOT_KEY] = root
        if match:
            code, rest = match.group(1), match.group(2) or "/"
            environ[ENVIRON_KEY] = code
            environ["SCRIPT_NAME"] = f"{root}/c/{code}"
            environ["PATH_INFO"] = rest
        return self.wsgi_app(environ, start_response)


def _county_of_host(host: str) -> str | None:
    name = host.split(":", 1)[0].lower()
    for node in jurisdictions.counties():
        if node.host and node.host.lower() == name:
            return node.code
    return None


def county() -> str:
    """The county whose public pages this request shows: the path's, the host's, or the
    install's own."""
    code = request.environ.get(ENVIRON_KEY)
    if code:
        return code
    if not jurisdictions.is_single_county():
        return _county_of_host(request.host) or jurisdictions.default_county()
    return jurisdictions.default_county()


def prefix(code: str) -> str:
    """The path prefix of a county's public pages ("" for the install's own county, a single
    county and a county answering on its own host name)."""
    if jurisdictions.is_single_county() or code == jurisdictions.default_county():
        return ""
    return f"/c/{code}"


def url(endpoint: str, county: str, **values) -> str:
    """The absolute address of a county's public page (the QR code and the printed address):
    PUBLIC_BASE_URL (else this server), the county's own host or prefix, the page."""
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    path = path[len(root) :] if root and path.startswith(root) else path
    node = jurisdictions.get(county)
    base = current_app.config.get("PUBLIC_BASE_URL")
    if node is not None and node.host and not jurisdictions.is_single_county():
        scheme = base.split("://", 1)[0] if base else "https"
        return f"{scheme}://{node.host}{path}"
    if not base:
        if has_request_context():
            base = request.host_url.rstrip("/") + request.environ.get(APP_ROOT_KEY, "")
        else:
            base = url_for("main.index", _external=True).rstrip("/")
    return base.rstrip("/") + prefix(county) + path


def boards() -> list[tuple[jurisdictions.Node, str]]:
    """Each county of the instance with the address of its board, by code."""
    return [(node, url("board.index", node.code)) for node in jurisdictions.counties()]


def install(app: Flask) -> None:
    app.wsgi_app = CountyPrefix(app.wsgi_app)

    @app.before_request
    def _public_scope():
        code = request.environ.get(ENVIRON_KEY)
        if code is not None:
            node = jurisdictions.get(code)
            if node is None or node.level is not JurisdictionLevel.COUNTY:
                abort(404)
        if request.endpoint in PUBLIC_ENDPOINTS:
            g.public_county = county()
            scope.set_public(g.public_county)
