"""People pages: the staff page of a person (titles, employment, years), employer changes,
and the professional's own profile."""

from functools import partial

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts import activation
from portal.accounts import people as operations
from portal.accounts.models import MoveStatus, Role
from portal.accounts.permissions import can_confirm_move, can_manage_person, can_review
from portal.declarations import paper
from portal.declarations import service as declarations
from portal.extensions import db
from portal.people import forms, service
from portal.refusal import Refusal, forbidden, not_found
from portal.security import is_htmx, page_number, require_roles
from portal.units.models import TitleLevel, TitleSeries, Unit
from portal.units.service import active_unit_choices

bp = Blueprint("people", __name__, url_prefix="/people")
require_roles(bp, Role.UNIT_REVIEWER, Role.BUREAU_OFFICER)

profile_bp = Blueprint("profile", __name__, url_prefix="/profile")
require_roles(profile_bp, Role.PROFESSIONAL)


def _on_form(form, error: Refusal, default: str) -> None:
    """A refusal of the service shown beside its field (or above the form)."""
    if not error.on_form:
        raise error
    field = getattr(form, error.field or default, None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _unit(unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise not_found()
    return unit


# --- the staff page -----------------------------------------------------------------------


@bp.get("/")
def index():
    form = forms.SearchForm(request.args)
    form.validate()
    q = "" if form.q.errors else (form.q.data or "")
    people = service.people_of(current_user, q, page_number())
    template = "people/_list.html" if is_htmx() else "people/index.html"
    return render_template(
        template,
        form=form,
        people=people,
        filters={"q": q},
        bulk_form=_bulk_form(),
        moved_out=partial(service.moved_out, current_user._get_current_object()),
    )


def _bulk_form(formdata=None):
    if current_user.role is not Role.BUREAU_OFFICER:
        return None
    return forms.BulkTransitionForm(formdata=formdata, before=operations.TRANSITION_CUTOFF)


@bp.post("/transition-mark")
def mark_transition():
    form = forms.BulkTransitionForm()
    if form.validate_on_submit():
        result = operations.mark_old_rules_by_title(current_user, form.before.data)
        flash(
            f"已为{result['marked']}人设置“老人老办法”标记"
            + (
                f"；{result['undated']}人的职称没有取得时间，请逐人核实。"
                if result["undated"]
                else "。"
            ),
            "success",
        )
        return redirect(url_for("people.index"), 303)
    if current_user.role is not Role.BUREAU_OFFICER:
        raise forbidden("只有人社局经办人可以批量设置新老办法标记。")
    search = forms.SearchForm(formdata=None)
    return render_template("people/index.html", form=search, people=[], bulk_form=form), 422


def _show(person, status=200, **forms_given):
    manage = can_manage_person(current_user, person)
    context = {
        "person": person,
        "years": service.visible_years(current_user, person),
        "full": manage,  # a former unit sees only the years it reviewed
        "title_form": forms_given.get("title_form") or (forms.TitleForm() if manage else None),
        "transfer_form": forms_given.get("transfer_form")
        or (
            forms.TransferInForm(formdata=None, transfer_in_date=person.transfer_in_date)
            if current_user.role is Role.BUREAU_OFFICER
            else None
        ),
        "pending_move": operations.pending_move(person) if manage else None,
        "transition_form": forms_given.get("transition_form")
        or (
            forms.TransitionMarkForm(formdata=None, keeps_old_rules=person.keeps_old_rules)
            if current_user.role is Role.BUREAU_OFFICER
            else None
        ),
        "activation_form": forms.ConfirmMoveForm()
        if activation.open_to_activation(person) and activation.may_issue(current_user, person)
        else None,
        "late_form": forms_given.get("late_form")
        or (
            forms.LateYearForm(formdata=None) if current_user.role is Role.BUREAU_OFFICER else None
        ),
        "late_years": declarations.late_years(person),
        "paper_form": forms_given.get("paper_form")
        or (forms.PaperYearForm(formdata=None) if _keeps_paper(person) else None),
    }
    return render_template("people/show.html", **context), status


@bp.get("/evidence-usage")
def evidence_usage():
    """The bureau's view of the quotas (issue 23.4): whose evidence takes the most room."""
    if current_user.role is not Role.BUREAU_OFFICER:
        raise forbidden("只有县人社局经办人可以查看证明材料占用情况。")
    from portal.declarations import evidence
    from portal.settings import get_setting

    return render_template(
        "people/evidence_usage.html",
        rows=evidence.largest_users(),
        human_size=evidence.human_size,
        quota=get_setting("EVIDENCE_QUOTA_PERSON_BYTES"),
        unconfirmed_quota=get_setting("EVIDENCE_QUOTA_UNCONFIRMED_BYTES"),
    )


@bp.get("/<int:person_id>")
def show(person_id):
    return _show(service.get_person(current_user, person_id))


@bp.post("/<int:person_id>/titles")
def add_title(person_id):
    person = service.get_person(current_user, person_id)
    if not can_manage_person(current_user, person):
        raise forbidden("只有人员所在单位或人社局可以登记职称。")
    form = forms.TitleForm()
    if form.validate_on_submit():
        try:
            operations.add_title(
                current_user,
                person,
                db.session.get(TitleSeries, int(form.series.data)),
                TitleLevel(form.level.data),
                form.obtained.data,
                form.appointed.data,
                form.name.data or "",
            )
        except Refusal as error:
            _on_form(form, error, "obtained")
        else:
            flash("已登记职称。", "success")
            return redirect(url_for("people.show", person_id=person.id) + "#titles", 303)
    return _show(person, 422, title_form=form)


@bp.post("/<int:person_id>/transfer-in")
def transfer_in(person_id):
    person = service.get_person(current_user, person_id)
    form = forms.TransferInForm()
    if form.validate_on_submit():
        operations.set_transfer_in_date(current_user, person, form.transfer_in_date.data)
        flash("已保存调入日期。", "success")
        return redirect(url_for("people.show", person_id=person.id), 303)
    return _show(person, 422, transfer_form=form)


@bp.post("/<int:person_id>/late-years")
def open_late_year(person_id):
    person = service.get_person(current_user, person_id)
    if current_user.role is not Role.BUREAU_OFFICER:
        raise forbidden("只有人社局经办人可以开放补登记年度。")
    form = forms.LateYearForm()
    if form.validate_on_submit():
        try:
            late = declarations.open_late_year(
                current_user, person, form.year.data, form.note.data or ""
            )
        except Refusal as error:
            _on_form(form, error, "year")
        else:
            flash(f"已开放{late.year}年度补登记，本人可在“我的申报”中填写。", "success")
            return redirect(url_for("people.show", person_id=person.id), 303)
    return _show(person, 422, late_form=form)


@bp.post("/<int:person_id>/activation-code")
def issue_activation_code(person_id):
    person = service.get_person(current_user, person_id)
    if not forms.ConfirmMoveForm().validate_on_submit():  # the CSRF token alone
        return redirect(url_for("people.show", person_id=person.id), 303)
    code = activation.issue(current_user, person)
    return render_template("people/activation_code.html", person=person, code=code)


@bp.post("/<int:person_id>/transition-mark")
def transition_mark(person_id):
    person = service.get_person(current_user, person_id)
    form = forms.TransitionMarkForm()
    if form.validate_on_submit():
        operations.set_keeps_old_rules(current_user, person, form.keeps_old_rules.data)
        flash("已保存新老办法标记。", "success")
        return redirect(url_for("people.show", person_id=person.id), 303)
    return _show(person, 422, transition_form=form)


def _keeps_paper(person) -> bool:
    """Paper years are entered by the bureau, or by the unit for its people."""
    return current_user.role is Role.BUREAU_OFFICER or can_review(current_user, person)


@bp.post("/<int:person_id>/paper-years")
def enter_paper_year(person_id):
    person = service.get_person(current_user, person_id)
    form = forms.PaperYearForm()
    if form.validate_on_submit():
        try:
            declaration = paper.enter_paper_year(
                current_user,
                person,
                form.year.data,
                form.general.data,
                form.professional.data,
                form.file.data,
                registrar=form.registrar.data or "",
                registered_on=form.registered_on.data,
                reason=form.reason.data or "",
            )
        except Refusal as error:
            db.session.rollback()
            _on_form(form, error, "year")
        else:
            flash(f"已录入{declaration.year}年度纸质证书学时。", "success")
            return redirect(url_for("people.show", person_id=person.id) + "#years", 303)
    return _show(person, 422, paper_form=form)


# --- employer changes ----------------------------------------------------------------------


def _entry_units() -> list[tuple[str, str]]:
    """The units a staff user may enter a newcomer for: their own unit, or (the bureau) any."""
    if current_user.role is Role.UNIT_REVIEWER:
        unit = current_user.unit
        return [(str(unit.id), unit.name)] if unit is not None else []
    return [("", "请选择"), *active_unit_choices(), (forms.FREELANCE, "自由职业（无工作单位）")]


def _moves_page(entry_form=None, refuse_forms=None, status=200):
    moves = operations.moves_to_confirm(current_user)
    refuse_forms = refuse_forms or {}
    for m in moves:
        refuse_forms.setdefault(m.id, forms.RefuseMoveForm(formdata=None, prefix=f"m{m.id}"))
    return render_template(
        "people/moves.html",
        moves=moves,
        entry_form=entry_form or forms.MoveEntryForm(formdata=None, unit_choices=_entry_units()),
        confirm_form=forms.ConfirmMoveForm(),
        refuse_forms=refuse_forms,
    ), status


@bp.get("/moves")
def moves():
    return _moves_page()


@bp.post("/moves")
def enter_move():
    form = forms.MoveEntryForm(unit_choices=_entry_units())
    if form.validate_on_submit():
        try:
            # the whole ID number finds a person of another county too: a move between counties
            person = service.find_by_id_number(form.id_number.data, across=True)
            done = operations.request_move(
                current_user, person, _unit(form.unit_id), form.started_on.data
            )
        except Refusal as error:
            _on_form(form, error, "id_number")
        else:
            flash(_entered_note(person.name, done), "success")
            return redirect(url_for("people.moves"), 303)
    return _moves_page(entry_form=form, status=422)


def _entered_note(name: str, done) -> str:
    if done.status is MoveStatus.PENDING:
        return f"已登记{name}的单位变更，等待本人、原单位或县人社局确认。"
    return f"{name}的单位变更已确认" + (
        "，到期生效（待生效）。" if done.status is MoveStatus.SCHEDULED else "。"
    )


def _confirm(move_id: int, back: str):
    """Confirm a move (the moves page, or the person on the profile page)."""
    move_request = operations.get_move(current_user, move_id)
    if forms.ConfirmMoveForm().validate_on_submit():
        try:
            operations.confirm_move(current_user, move_request)
        except Refusal as error:
            if not error.on_form:
                raise
            flash(error.message, "warning")
        else:
            flash(
                f"已确认{move_request.professional.name}的单位变更"
                + ("，到期生效。" if move_request.status is MoveStatus.SCHEDULED else "。"),
                "success",
            )
    return redirect(url_for(back), 303)


@bp.post("/moves/<int:move_id>/confirm")
def confirm_move(move_id):
    return _confirm(move_id, "people.moves")


def _refuse(move_id: int, back: str, again):
    """Refuse a move with a reason; without one, `again(form)` shows the page once more."""
    move_request = operations.get_move(current_user, move_id)
    form = forms.RefuseMoveForm(prefix=f"m{move_request.id}")
    if form.validate_on_submit():
        try:
            operations.refuse_move(current_user, move_request, form.reason.data)
        except Refusal as error:
            if not error.on_form:
                raise
            flash(error.message, "warning")
        else:
            flash(f"已不予确认{move_request.professional.name}的单位变更。", "success")
        return redirect(url_for(back), 303)
    return again(form)


@bp.post("/moves/<int:move_id>/refuse")
def refuse_move(move_id):
    return _refuse(
        move_id,
        "people.moves",
        lambda form: _moves_page(refuse_forms={move_id: form}, status=422),
    )


# --- the professional's own profile --------------------------------------------------------


def _own_person():
    person = current_user.professional
    if person is None:
        raise not_found()
    return person


def _profile(status=200, phone_form=None, move_form=None, refuse_form=None):
    person = _own_person()
    pending = operations.pending_move(person)
    return render_template(
        "people/profile.html",
        person=person,
        years=service.declarations_of(person),
        full=True,
        phone_form=phone_form or forms.PhoneForm(formdata=None, phone=person.phone),
        move_form=move_form or forms.MoveRequestForm(formdata=None),
        pending_move=pending,
        refuse_form=refuse_form
        or forms.RefuseMoveForm(formdata=None, prefix=f"m{pending.id}" if pending else ""),
        may_confirm=pending is not None
        and pending.status is MoveStatus.PENDING
        and can_confirm_move(current_user, pending),
    ), status


@profile_bp.get("/", endpoint="show")
def own_profile():
    return _profile()


@profile_bp.post("/phone")
def phone():
    form = forms.PhoneForm()
    if form.validate_on_submit():
        try:
            operations.set_phone(current_user, _own_person(), form.phone.data)
        except Refusal as error:
            _on_form(form, error, "phone")
        else:
            flash("已更新联系电话。", "success")
            return redirect(url_for("profile.show"), 303)
    return _profile(422, phone_form=form)


@profile_bp.post("/move")
def request_move():
    form = forms.MoveRequestForm()
    if form.validate_on_submit():
        try:
            operations.request_move(
                current_user, _own_person(), _unit(form.unit_id), form.started_on.data
            )
        except Refusal as error:
            _on_form(form, error, "unit")
        else:
            flash("已提交单位变更申请，新单位（或人社局）确认后生效。", "success")
            return redirect(url_for("profile.show"), 303)
    return _profile(422, move_form=form)


@profile_bp.post("/move/<int:move_id>/confirm", endpoint="confirm_move")
def confirm_own_move(move_id):
    """The person confirms a move entered by the new unit."""
    return _confirm(move_id, "profile.show")


@profile_bp.post("/move/<int:move_id>/refuse", endpoint="refuse_move")
def refuse_own_move(move_id):
    return _refuse(move_id, "profile.show", lambda form: _profile(422, refuse_form=form))
