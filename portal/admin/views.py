"""Admin pages: staff accounts and run-time settings (units are portal.units.views)."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import ROLE_LABELS, Role, User
from portal.admin import service
from portal.admin.forms import (
    ApiKeyForm,
    ResetPasswordForm,
    UserForm,
    settings_form,
    settings_values,
)
from portal.exchange import keys
from portal.exchange.models import ApiKey
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import Refusal
from portal.review import service as review
from portal.security import is_htmx, page_number, require_roles
from portal.settings import get_setting, setting_at

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(bp, Role.ADMIN)
PER_PAGE = 30


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


# --- staff accounts ----------------------------------------------------------------------


@bp.get("/users")
def users():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "staff")
    query = sa.select(User).order_by(User.role, User.username)
    if q:
        query = query.where(sa.or_(User.username.contains(q), User.name.contains(q)))
    if role == "staff":
        query = query.where(User.role != Role.PROFESSIONAL)
    elif role in Role.__members__.values():
        query = query.where(User.role == Role(role))
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    template = "admin/_users.html" if is_htmx() else "admin/users.html"
    return render_template(template, page=page, q=q, role=role, roles=ROLE_LABELS, now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserForm()
    if request.method == "POST" and request.form.get("role") == Role.AUDITOR.value:
        service.check_auditor_apart(current_user, Role.AUDITOR, "user.create")
    if form.validate_on_submit():
        user = service.create_user(current_user, form.data_for_service())
        flash(f"已创建账号“{user.username}”。请将初始密码当面告知本人。", "success")
        return redirect(url_for("admin.users"), code=303)
    return render_template("admin/user_form.html", form=form), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/active")
def user_active(user_id):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    try:
        service.set_user_active(current_user, user, active)
    except Refusal as error:
        flash(error.message, "error")
    else:
        flash(f"已{'启用' if active else '停用'}账号“{user.username}”。", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/unlock")
def user_unlock(user_id):
    user = db.get_or_404(User, user_id)
    service.unlock(current_user, user)
    flash(f"已解锁账号“{user.username}”。", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def user_password(user_id):
    user = db.get_or_404(User, user_id)
    service.check_auditor_apart(current_user, user.role, "user.reset_password", user)
    form = ResetPasswordForm(user)
    if form.validate_on_submit():
        service.reset_password(current_user, user, form.password.data)
        flash(f"已为“{user.username}”设置临时密码，并解除锁定。", "success")
        return redirect(url_for("admin.users"), code=303)
    status = 422 if form.errors else 200
    return render_template("admin/user_password.html", form=form, user=user), status


# --- settings ----------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """The run-time settings; in an instance of several counties, the per-county ones also
    for each city (its counties' default) and each county (?jurisdiction=CODE)."""
    levels = service.settings_levels()
    level = request.args.get("jurisdiction", "")
    if level and level not in dict(levels):
        abort(404)
    specs = service.settings_of(level)
    form = settings_form({spec.key: setting_at(spec.key, level) for spec in specs}, specs)
    if form.validate_on_submit():
        changes = service.save_settings(current_user, settings_values(form, specs), level)
        flash("已保存：" + "；".join(changes) if changes else "没有修改任何设置。", "success")
        return redirect(url_for("admin.settings", jurisdiction=level or None), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "admin/settings.html",
        form=form,
        specs=specs,
        levels=levels,
        level=level,
        two_step_gaps=two_step_gaps(),
    ), status


# --- API keys (/api/v1/) -------------------------------------------------------------------


@bp.route("/api-keys", methods=["GET", "POST"])
def api_keys():
    """The consumers' keys; a new key is shown on this answer only (never stored in clear)."""
    form = ApiKeyForm()
    secret, created = None, None
    if form.validate_on_submit():
        try:
            created, secret = keys.create_key(current_user, form.name.data, form.scope.data)
        except Refusal as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            form = ApiKeyForm(formdata=None)
    status = 422 if form.errors else 200
    return render_template(
        "admin/api_keys.html", form=form, keys=keys.list_keys(), secret=secret, created=created
    ), status


@bp.post("/api-keys/<int:key_id>/revoke")
def api_key_revoke(key_id):
    key = db.get_or_404(ApiKey, key_id)
    try:
        keys.revoke_key(current_user, key)
    except Refusal as error:
        flash(error.message, "error")
    else:
        flash(f"已吊销“{key.name}”的接口密钥，此后用它调取数据一律被拒绝。", "success")
    return redirect(url_for("admin.api_keys"), code=303)


def two_step_gaps() -> str:
    """With two steps on: which authorities have no officer (issue 20.4), as one warning."""
    if not get_setting("TWO_STEP_REVIEW"):
        return ""
    names = review.authorities_without_officers()
    if not names:
        return ""
    return (
        f"已开启分两步核验，但以下行业主管部门没有经办人账号：{'、'.join(names)}。"
        "其主管职称系列人员的专业科目改由所在单位（自由职业者、非公企业人员由县人社局）核验；"
        "如需由主管部门核验，请先为其开设经办人账号。"
    )
