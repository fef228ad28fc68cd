"""The city officer's queue: /city/ (its counties' verifications to confirm and yearly second
steps, filtered by county and kind)."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from portal.accounts.models import Role
from portal.city import forms, service
from portal.jurisdictions import service as jurisdictions
from portal.security import is_htmx, page_number, require_roles

bp = Blueprint("city", __name__, url_prefix="/city")
require_roles(bp, Role.CITY_OFFICER)


@bp.get("/")
def queue():
    counties = service.counties_of(current_user)
    form = forms.CityQueueForm(request.args, counties)
    form.validate()
    county = form.county.data if not form.county.errors else None
    kind = form.kind.data if not form.kind.errors else None
    found = service.queue(current_user, county=county or None, kind=kind or None,
                          page=page_number())  # fmt: skip
    template = "city/_queue.html" if is_htmx() else "city/queue.html"
    return render_template(
        template,
        form=form,
        queue=found,
        kinds=service.KINDS,
        several=not jurisdictions.is_single_county(),
        filters={"county": county or "", "kind": kind or ""},
    )
