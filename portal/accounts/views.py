"""Login, logout, own password, self-registration."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import activation, service
from portal.accounts.forms import ActivateForm, LoginForm, PasswordForm, RegisterForm
from portal.audit.service import client_ip, record
from portal.extensions import db, login_manager
from portal.refusal import Refusal
from portal.security import is_htmx
from portal.storage import service as storage

bp = Blueprint("accounts", __name__)


def _start_session(user) -> None:
    """A fresh session (nothing carried over from before the login) for this user."""
    session.clear()
    login_user(user)
    session["last_seen"] = session["logged_in_at"] = datetime.now(UTC).timestamp()


def _next_url() -> str:
    """Where to go after login: only a path on this site."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.netloc or "\\" in target:
        return url_for("main.index")
    return target


@login_manager.unauthorized_handler
def unauthorized():
    """Send anonymous visitors to the login page; after an idle timeout say so only once."""
    if not g.get("idle_logged_out"):
        flash(login_manager.login_message, "warning")
    target = url_for("accounts.login")
    if request.method == "GET":
        target = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@storage.tolerant  # a login that cannot record its time still logs in
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        with storage.unless_unwritable() as write:
            result = service.login(form.username.data, form.password.data, client_ip())
        if write.failed:
            result = service.login_read_only(form.username.data, form.password.data, client_ip())
        if result.user is not None:
            _start_session(result.user)
            return redirect(_next_url(), code=303)
        (form.password.errors if result.field_error else form.form_errors).append(result.error)
        status = result.status
        storage.commit_if_possible()  # the failed attempt counts for lockout whatever follows
    elif form.errors:
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
@storage.tolerant  # this browser is logged out even when the token cannot be rotated
def logout():
    user = current_user._get_current_object()
    user.rotate_session()
    record("auth.logout", user, user=user)
    logout_user()
    session.clear()
    flash("您已安全退出。", "success")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    user = current_user._get_current_object()
    form = PasswordForm(user)
    if form.validate_on_submit():
        if service.change_password(user, form.old_password.data, form.new_password.data):
            _start_session(user)  # the new session token; other sessions are now refused
            flash("密码已修改。其他设备上的登录已失效。", "success")
            return redirect(url_for("main.index"), code=303)
        form.old_password.errors.append("原密码不正确")
        db.session.commit()  # the failed attempt stays in the audit log
    status = 422 if form.errors else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            service.register(
                service.Registration(
                    id_number=form.id_number.data,
                    name=form.name.data,
                    phone=form.phone.data,
                    unit_id=form.unit_id,
                    title_series=form.title_series.data,
                    title_level=form.title_level.data,
                    title_name=form.title_name.data or "",
                    password=form.password.data,
                    works_since=form.works_since.data,
                ),
                ip=client_ip(),
            )
        except Refusal as error:
            if error.field is None:
                raise
            getattr(form, error.field).errors.append(error.message)
        else:
            # The same answer whether or not the ID number was known (never logged in here).
            flash(service.registration_note(form.unit_id), "success")
            return redirect(url_for("accounts.login"), code=303)
    status = 422 if form.errors else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/activate", methods=["GET", "POST"])
def activate():
    """Open an imported person's account with a one-time activation code."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = activation.activate(
                form.id_number.data, form.code.data, form.password.data, client_ip()
            )
        except Refusal as error:
            if not error.on_form:
                raise
            db.session.commit()  # the failed attempt counts towards the address throttle
            getattr(form, error.field or "code").errors.append(error.message)
        else:
            _start_session(user)
            flash("账号已开通，您的人员信息由单位登记，可以直接申报学时。", "success")
            return redirect(url_for("main.index"), code=303)
    status = 422 if form.errors else 200
    return render_template("accounts/activate.html", form=form), status
