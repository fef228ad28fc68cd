"""The bureau's own settings, read only (`/settings/`): the values in force for the officer's
county and, in an instance of several counties, where each comes from (the county's own, the
city's default, the instance's). The admin keeps them (admin.settings)."""

from flask import Blueprint, render_template

from portal.accounts.models import Role
from portal.admin.service import settings_of
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.security import require_roles
from portal.settings import display, setting_at, source_of

bp = Blueprint("bureau_settings", __name__, url_prefix="/settings")
require_roles(bp, Role.BUREAU_OFFICER)


@bp.get("/")
def index():
    county = scope.home_county()
    several = not jurisdictions.is_single_county()
    rows = []
    for spec in settings_of(county):
        source = source_of(spec.key, county) if several else ""
        node = jurisdictions.get(source) if source else None
        rows.append((spec, display(spec, setting_at(spec.key, county)), node))
    return render_template("admin/bureau_settings.html", rows=rows, several=several)
