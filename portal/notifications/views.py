"""The inbox: every message of the logged-in user, newest first; opening one marks it read."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from portal.notifications import service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.before_request
@login_required
def _logged_in():
    return None


def link(notification) -> str | None:
    if not notification.endpoint:
        return None
    try:
        return url_for(notification.endpoint, **notification.args)
    except BuildError:
        return None


@bp.get("/")
def index():
    return render_template(
        "notifications/index.html", notifications=service.inbox(current_user), link=link
    )


@bp.post("/<int:notification_id>/read")
def read(notification_id):
    """Mark read and go where the message points (or back to the inbox)."""
    notification = service.mark_read(current_user, notification_id)
    return redirect(link(notification) or url_for("notifications.index"), 303)


@bp.post("/read-all")
def read_all():
    service.mark_all_read(current_user)
    return redirect(url_for("notifications.index"), 303)
