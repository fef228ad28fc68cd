"""Security headers and role gates shared by every blueprint."""

from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from portal.fields import bounded_int

# The largest id or year an INTEGER column holds on PostgreSQL (4 bytes; every id and year here
# is one). SQLite would take 64 bits, but a larger number than this can never name a row.
MAX_ROUTE_INT = 2**31 - 1


MAX_PAGE = 10**9  # (page - 1) × page size stays far inside a 64-bit offset


def page_number() -> int:
    """The `page` query argument for db.paginate, bounded: a huge page never reaches SQL."""
    page = request.args.get("page", 1, type=bounded_int)
    return page if 1 <= page <= MAX_PAGE else 1


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that never matches a number beyond an INTEGER column: such a URL is a 404,
    not a database overflow (500). Registered app-wide as "int" before any blueprint."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ROUTE_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("HTTPS"):
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(current_app.config['HSTS_MAX_AGE'])}"
        )
    if request.endpoint != "static" and (
        current_user.is_authenticated or response.headers.get("X-Personal-Data")
    ):
        # Pages shown to a logged-in person carry personal data: never keep them in a cache.
        response.headers["Cache-Control"] = "no-store"
    response.headers.pop("X-Personal-Data", None)
    if request.headers.get("HX-Request") is not None or request.method == "GET":
        for header in HTMX_HEADERS:  # what is_htmx() reads: a cache must key on all of them
            response.vary.add(header)
    return response


def reject_nul_bytes():
    """before_request: a NUL byte has no business in any field or URL here, and PostgreSQL
    refuses it in text (a 500 from deep inside a query): answer 400 at the door."""
    values = [v for source in (request.args, request.form) for _, vs in source.lists() for v in vs]
    values += [v for v in (request.view_args or {}).values() if isinstance(v, str)]
    if any("\x00" in value for value in values):
        abort(400)


def require_roles(blueprint, *roles):
    """Gate a whole staff blueprint: login plus one of the roles, checked before every view."""

    @blueprint.before_request
    def _gate():
        if not current_user.is_authenticated:
            from portal.extensions import login_manager

            return login_manager.unauthorized()
        if current_user.role not in roles:
            abort(403)


def roles_required(*roles):
    """Gate a single view (for blueprints mixing public and staff views)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from portal.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


class FromTrustedProxies:
    """WSGI middleware: werkzeug's ProxyFix (the client's address and scheme from
    X-Forwarded-For/-Proto, `count` proxies deep) for connections from the configured proxy
    addresses only; any other connection keeps its own address and loses those headers."""

    FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                 "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")  # fmt: skip

    def __init__(self, wsgi_app, count: int, addresses) -> None:
        import ipaddress

        from werkzeug.middleware.proxy_fix import ProxyFix

        self.direct = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=count, x_proto=count)
        self.networks = [ipaddress.ip_network(a, strict=False) for a in addresses]

    def _trusted(self, address: str) -> bool:
        import ipaddress

        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self._trusted(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        for key in self.FORWARDED:
            environ.pop(key, None)
        return self.direct(environ, start_response)


HTMX_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")


def is_htmx() -> bool:
    """A fragment is wanted: htmx asked, not for a boosted link or form (which swaps the whole
    body) and not to restore history."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )
