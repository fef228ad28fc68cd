"""专业技术人员继续教育学时登记管理系统: the application factory."""

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal import config
from portal.extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a committed record survives a power cut
        cursor.close()


# How stale the idle clock may be: a session's last_seen is written at most this often (seconds),
# so the idle timeout ends a session between IDLE_TIMEOUT_MINUTES and that plus this step.
LAST_SEEN_STEP = 30


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        # Elsewhere than <checkout>/instance (e.g. /var/lib/portal); also used by restore tests.
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, test_config)
    from portal.security import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    from portal import pagecache
    from portal.pagecache import PublicPageCache

    pagecache.init_app(app)  # where the generation shared by every process lives
    # Public pages for visitors without a cookie, without Flask (inside ProxyFix: its host/scheme)
    app.wsgi_app = PublicPageCache(app, app.wsgi_app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        from portal.security import FromTrustedProxies

        # request.remote_addr becomes the client's address as the nearest proxies saw it, when
        # the request came from one of them (TRUSTED_PROXY_ADDRESSES)
        app.wsgi_app = FromTrustedProxies(
            app.wsgi_app, proxies, app.config["TRUSTED_PROXY_ADDRESSES"]
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    from portal.jobs import queue

    queue.init_app(app)
    _import_models()
    _import_tasks()
    _register_blueprints(app)
    _register_cli(app)
    _register_hooks(app)

    from portal import errors, templating

    errors.register(app)
    templating.register(app)
    if not app.testing:
        from portal import heap

        heap.settle()  # the app's heap out of the collector's way (see portal/heap.py)
    return app


def _import_models() -> None:
    """Every model class must be imported before create_all and migrations look at metadata."""
    from portal.accounts import models as _accounts  # noqa: F401
    from portal.audit import models as _audit  # noqa: F401
    from portal.board import models as _board  # noqa: F401
    from portal.certificates import models as _certificates  # noqa: F401
    from portal.declarations import models as _declarations  # noqa: F401
    from portal.exchange import models as _exchange  # noqa: F401
    from portal.formtokens import models as _formtokens  # noqa: F401
    from portal.jobs import models as _jobs  # noqa: F401
    from portal.jurisdictions import models as _jurisdictions  # noqa: F401
    from portal.jurisdictions import service as _tree  # noqa: F401 (seeds the tree on create_all)
    from portal.notifications import models as _notifications  # noqa: F401
    from portal.providers import models as _providers  # noqa: F401
    from portal.settings import models as _settings  # noqa: F401
    from portal.stats import models as _stats  # noqa: F401
    from portal.units import models as _units  # noqa: F401
    from portal.verification import models as _verification  # noqa: F401
    from portal.workdays import models as _workdays  # noqa: F401


def _import_tasks() -> None:
    """Every huey task must be declared before the consumer (or a request) enqueues it."""
    from portal.admin import audit_tasks as _audit_tasks  # noqa: F401
    from portal.admin import tasks as _admin_tasks  # noqa: F401
    from portal.board import tasks as _board_tasks  # noqa: F401
    from portal.certificates import tasks as _certificate_tasks  # noqa: F401
    from portal.dashboard import tasks as _dashboard_tasks  # noqa: F401
    from portal.exchange import tasks as _exchange_tasks  # noqa: F401
    from portal.people import tasks as _people_tasks  # noqa: F401
    from portal.providers import overdue as _overdue_lists  # noqa: F401
    from portal.stats import tasks as _stats_tasks  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from portal.accounts.views import bp as accounts
    from portal.admin.bureau_settings import bp as bureau_settings
    from portal.admin.views import bp as admin
    from portal.api.views import bp as api
    from portal.audit.views import bp as audit
    from portal.board.views import bp as board
    from portal.certificates.views import bp as certificates
    from portal.city.views import bp as city
    from portal.dashboard.views import bp as dashboard
    from portal.declarations.views import bp as declarations
    from portal.exchange.views import bp as exchange
    from portal.jobs.views import bp as jobs
    from portal.main import bp as main
    from portal.notifications.views import bp as notifications
    from portal.people.views import bp as people
    from portal.people.views import profile_bp as profile
    from portal.providers.views import bp as providers
    from portal.publicity.views import bp as publicity
    from portal.review.views import bp as review
    from portal.stats.views import bp as stats
    from portal.units.views import bp as units
    from portal.units.views import series_bp as series
    from portal.verification.views import bp as verification
    from portal.workdays.views import bp as workdays

    for blueprint in (
        main,
        accounts,
        declarations,
        review,
        people,
        profile,
        board,
        publicity,
        certificates,
        units,
        series,
        admin,
        bureau_settings,
        audit,
        workdays,
        providers,
        jobs,
        stats,
        notifications,
        dashboard,
        exchange,
        verification,
        city,
        api,
    ):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from portal.admin.cli import backup, create_admin, demo, restore, settings
    from portal.audit.cli import audit
    from portal.board.cli import publicity
    from portal.cli_support import in_jurisdiction
    from portal.exchange.cli import api_keys, export, import_
    from portal.jobs.cli import jobs
    from portal.people.cli import people
    from portal.providers.cli import providers
    from portal.rules.cli import rules
    from portal.stats.cli import jurisdictions, stats
    from portal.verification.cli import verification
    from portal.workdays.cli import workdays

    for command in (
        demo,
        create_admin,
        rules,
        workdays,
        publicity,
        people,
        providers,
        backup,
        restore,
        jobs,
        stats,
        jurisdictions,
        export,
        import_,
        api_keys,
        verification,
        settings,
        audit,
    ):
        app.cli.add_command(command)
    # A county's work takes --jurisdiction (its scope); the instance's (demo, accounts,
    # backups, the audit log, rules) and stats (its own option) do not.
    for command in (workdays, publicity, people, providers, export, import_, verification):
        in_jurisdiction(command)


def _register_hooks(app: Flask) -> None:
    from portal.security import reject_nul_bytes, set_security_headers
    from portal.storage import service as storage

    app.before_request(reject_nul_bytes)

    @login_manager.user_loader
    def load_user(user_id: str):
        from portal.accounts.service import load_account

        ident, _, token = user_id.partition(":")
        return load_account(int(ident), token) if ident.isdigit() else None

    @app.before_request
    def fresh_request_state():
        """g belongs to the app context, which a test or script may reuse for many requests:
        never carry the previous request's user, settings or commit decision over."""
        for name in ("_login_user", "_settings", "_unread", "idle_logged_out"):
            g.pop(name, None)

    from portal.jurisdictions import public, scope

    scope.install_app(app)  # after the request state is fresh, before any hook that queries
    public.install(app)  # a county's public pages: its path prefix or host, its public scope

    @app.before_request
    def idle_timeout():
        if not current_user.is_authenticated:
            return
        from portal.audit.service import record
        from portal.settings import get_setting

        now = datetime.now(UTC).timestamp()
        limit = timedelta(minutes=get_setting("IDLE_TIMEOUT_MINUTES")).total_seconds()
        last = session.get("last_seen")
        # 等保: an absolute lifetime too (SESSION_MAX_HOURS, 12 by default), however busy
        started = session.setdefault("logged_in_at", now)
        too_long = now - started > app.config["SESSION_MAX_HOURS"] * 3600
        if too_long or (last is not None and now - last > limit):
            detail = "登录超过最长时长，自动退出" if too_long else "长时间无操作，自动退出"
            record("auth.timeout", current_user._get_current_object(), detail=detail)
            storage.commit_if_possible()  # the event stands whatever the page then answers
            logout_user()
            session.clear()
            flash("登录已超时，请重新登录", "warning")
            g.idle_logged_out = True
            return
        if last is None or now - last >= LAST_SEEN_STEP:
            # Not on every request: an unchanged session is not signed and sent again.
            session["last_seen"] = now

    @app.before_request
    def forced_password_change():
        """等保 2.0: a password an administrator typed opens only the change form."""
        from portal.accounts.service import needs_password_change

        if g.get("idle_logged_out") or not needs_password_change(current_user, request.endpoint):
            return None
        target = url_for("accounts.password")
        if request.headers.get("HX-Request"):
            return "", 204, {"HX-Redirect": target}
        flash("您的密码由管理员设置，请先修改密码后再使用系统。", "warning")
        return redirect(target, code=303 if request.method != "GET" else 302)

    @app.after_request
    def commit_session(response):
        """The request boundary commits once; an error status rolls everything back. When the
        storage cannot take the commit, a page that only read (or a login) is still shown
        without what it could not record; a write answers 503 with nothing kept.
        The headers are set first: they ask whether someone is logged in, which after the
        commit (objects expired) would load the account again."""
        response = set_security_headers(response)
        if response.status_code < 400:
            try:
                db.session.commit()
            except Exception as error:
                if not storage.is_storage_error(error):
                    raise
                from portal.errors import storage_unavailable

                if request.method in ("GET", "HEAD") or storage.read_only_tolerant():
                    db.session.rollback()
                    storage.mark_unwritable(error)
                else:
                    response = set_security_headers(app.make_response(storage_unavailable(error)))
        else:
            db.session.rollback()
        return response
