"""The public board (/board) and the objection form, open to anyone without an account; the
officer's publicity pages are portal.publicity.views."""

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from portal import pagecache
from portal.audit.service import client_ip, record_refusal
from portal.board import forms, service
from portal.jurisdictions import public
from portal.jurisdictions import service as jurisdictions
from portal.refusal import TOO_MANY, Refusal
from portal.security import is_htmx, page_number

bp = Blueprint("board", __name__)


@bp.get("/board")
def index():
    today = service.local_today()
    # A visitor without a cookie gets the same bytes as every other: cacheable, here and by a
    # proxy, and rendered without a CSRF token (which would open a session).
    public = not current_user.is_authenticated and not request.cookies
    response = make_response(_render(today, public))
    if public:
        pagecache.mark_public(response)  # the same bytes for every visitor without a cookie
    return response


def _render(today, public: bool) -> bytes:
    form = forms.BoardFilterForm(request.args)
    batches = service.board_batch_list(today)
    form.batch.choices = [(0, "全部批次")] + [(b.id, b.title) for b in batches]
    form.validate()
    wanted = service.BoardFilter(
        q=(form.q.data or "") if not form.q.errors else "",
        batch_id=form.batch.data or None,
        state=form.state.data or "",
        archived=bool(form.archived.data),
        page=page_number(),
    )
    filters = {k: v for k, v in request.args.items() if k != "page"}
    rows = _rows(today, wanted, filters)
    if is_htmx():
        return rows.encode()
    return render_template(
        "board/index.html",
        form=form,
        rows_html=rows,
        batches=[b for b in batches if service.running(b, today)],
        filters=filters,
        today=today,
        running=service.running,
        public_page=public,
        publicity_days=service.publicity_days(),
        county_name=None if jurisdictions.is_single_county() else service.county(),
    ).encode()


def _rows(today, wanted: service.BoardFilter, filters: dict) -> Markup:
    """The rows and pager: the same for every visitor (logged in or not), so kept in the
    board's cache for anyone; the query string decides them."""
    # the host and the script root name the county (portal.jurisdictions.public)
    key = ("rows", today, request.host, request.script_root, request.query_string)
    html = pagecache.get(key)
    if html is None:
        html = render_template(
            "board/_rows.html",
            rows=service.board_page(wanted, today),
            filters=filters,
            today=today,
            running=service.running,
        )
        pagecache.put(key, html)
    return Markup(html)  # nosec B704 (our own autoescaped template's output)


@bp.get("/boards")
def counties():
    """The city's page: each county's board (one county: its board)."""
    if jurisdictions.is_single_county():
        return redirect(url_for("board.index"), 303)
    return render_template("board/counties.html", boards=public.boards())


@bp.route("/board/objection/<int:declaration_id>", methods=["GET", "POST"])
def raise_objection(declaration_id):
    declaration = service.objectable(declaration_id)
    form = forms.ObjectionForm()
    if form.validate_on_submit():
        try:
            objection = service.raise_objection(
                declaration, form.name.data, form.contact.data, form.content.data, client_ip()
            )
        except Refusal as error:
            if error.status != TOO_MANY:
                raise
            record_refusal(error)
            form.form_errors.append(error.message)
            return render_template(
                "board/objection.html", form=form, declaration=declaration
            ), TOO_MANY
        flash(
            f"您的异议已提交，异议编号：{objection.reference}。请记下此编号，"
            "凭编号可随时在本页查看异议处理情况。感谢您的监督。",
            "success",
        )
        return redirect(url_for("board.objection_status", reference=objection.reference), 303)
    status = 422 if form.errors else 200
    return render_template("board/objection.html", form=form, declaration=declaration), status


@bp.get("/board/objection-status")
def find_objection():
    """The follow-up form: type the number the objection was given."""
    typed = request.args.get("reference", "").strip()
    if typed:
        reference = service.normal_reference(typed)
        if reference:
            return redirect(url_for("board.objection_status", reference=reference), 303)
        return render_template("board/objection_status.html", objection=None, typed=typed[:40]), 422
    return render_template("board/objection_status.html", objection=None, typed="")


@bp.get("/board/objection-status/<reference>")
def objection_status(reference):
    """Where an objection stands, by its number: never the objector's name, contact or text."""
    try:
        objection = service.objection_by_reference(reference)
    except Refusal as error:
        return render_template(
            "board/objection_status.html", objection=None, typed=reference[:40], error=error
        ), error.status
    return render_template(
        "board/objection_status.html",
        objection=objection,
        outcome=service.objection_outcome(objection),
    )
