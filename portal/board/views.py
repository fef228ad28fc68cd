"""The public board (/board) and the objection form, open to anyone without an account; the
officer's publicity pages are portal.publicity.views."""

from flask import Blueprint, flash, redirect, render_template, url_for

from portal.audit.service import client_ip, record_refusal
from portal.board import forms, service
from portal.refusal import TOO_MANY, Refusal

bp = Blueprint("board", __name__)


@bp.get("/board")
def index():
    today = service.local_today()
    return render_template(
        "board/index.html", shown=service.board_batches(today), today=today, running=service.running
    )


@bp.route("/board/objection/<int:declaration_id>", methods=["GET", "POST"])
def raise_objection(declaration_id):
    declaration = service.objectable(declaration_id)
    form = forms.ObjectionForm()
    if form.validate_on_submit():
        try:
            service.raise_objection(
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
        flash("您的异议已提交，我们将依法核查处理。感谢您的监督。", "success")
        return redirect(url_for("board.index"), 303)
    status = 422 if form.errors else 200
    return render_template("board/objection.html", form=form, declaration=declaration), status
