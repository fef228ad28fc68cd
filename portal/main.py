"""The home page: sends each role to where its work is."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts.models import Role

bp = Blueprint("main", __name__)

HOME_BY_ROLE = {
    Role.PROFESSIONAL: "declarations.index",
    Role.UNIT_REVIEWER: "dashboard.index",
    Role.BUREAU_OFFICER: "review.index",
    Role.PROVIDER: "providers.index",
    Role.ADMIN: "admin.users",
    Role.AUDITOR: "audit.index",
    Role.CITY_OFFICER: "city.queue",
    Role.AUTHORITY_OFFICER: "review.index",
    Role.PROVINCE_VIEWER: "stats.index",
}


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        endpoint = HOME_BY_ROLE.get(current_user.role)
        if endpoint is not None:
            return redirect(url_for(endpoint))
    return render_template("index.html")
