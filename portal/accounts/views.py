"""Login, logout, self-registration."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import service
from portal.accounts.forms import LoginForm
from portal.audit.service import record

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            record("auth.login", user, user=user)
            return redirect(url_for("main.index"), code=303)
        record("auth.login", outcome="failure", username=form.username.data, commit_anyway=True)
        form.password.errors.append("账号或密码不正确")
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout():
    current_user.rotate_session()
    record("auth.logout", current_user)
    logout_user()
    flash("您已安全退出。", "success")
    return redirect(url_for("accounts.login"), code=303)


@bp.get("/register")
def register():
    return render_template("accounts/register.html")
