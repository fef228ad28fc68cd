"""Provider pages: a filer's home and plans (providers, and units for their own trainings), the
bureau's filings, lists received and rows not matched, and the provider directory."""

import io

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from portal.accounts.models import Role
from portal.declarations import evidence as files
from portal.extensions import db, login_manager
from portal.fields import bounded_int
from portal.formtokens.service import once
from portal.jobs import service as jobs
from portal.providers import lists, overdue, service, study_end, tasks
from portal.providers.forms import (
    DecisionForm,
    ListUploadForm,
    PlanFilingForm,
    ProviderForm,
    StudyEndForm,
)
from portal.providers.models import PlanState
from portal.refusal import Refusal, not_found
from portal.security import is_htmx, page_number
from portal.units.models import Provider

bp = Blueprint("providers", __name__, url_prefix="/providers")

FILERS = {Role.PROVIDER, Role.UNIT_REVIEWER, Role.AUTHORITY_OFFICER}
OFFICER = {Role.BUREAU_OFFICER}
DECIDERS = {Role.BUREAU_OFFICER, Role.AUTHORITY_OFFICER}
# Who may open each page; which plan is whose is checked by the service (404 otherwise).
ROLES = {
    "providers.index": FILERS,
    "providers.new_plan": FILERS,
    "providers.plan": FILERS | DECIDERS,
    "providers.programme": FILERS | DECIDERS,
    "providers.list_template": FILERS | OFFICER,
    "providers.upload_list": FILERS | OFFICER,
    "providers.import_status": FILERS | OFFICER,
    "providers.import_received": FILERS | OFFICER,
    "providers.import_unmatched": FILERS | OFFICER,
    "providers.decide": DECIDERS,
    "providers.filings": DECIDERS,
    "providers.unmatched": OFFICER,
    "providers.courseware": {Role.PROVIDER, Role.BUREAU_OFFICER},
    "providers.set_study_end": OFFICER,
    "providers.search": {Role.PROFESSIONAL, Role.UNIT_REVIEWER, Role.BUREAU_OFFICER},
    "providers.directory": {Role.ADMIN, Role.BUREAU_OFFICER},
    "providers.new_provider": {Role.ADMIN},
    "providers.edit_provider": {Role.ADMIN},
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
def _gate():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in ROLES.get(request.endpoint, ()):
        abort(403)


# --- the filer's side ----------------------------------------------------------------------


@bp.get("/")
def index():
    """The provider's (or unit's) home: its organisation, plans, lists and the bureau's word."""
    organiser = current_user.provider or current_user.unit or current_user.authority
    plans = service.plans(current_user)
    return render_template(
        "providers/index.html",
        organiser=organiser,
        plans=plans,
        lead=service.lead_days(),
        list_counts=lists.list_counts(plans),
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@once
def new_plan():
    form = PlanFilingForm()
    if form.validate_on_submit():
        try:
            plan = service.file_plan(
                current_user, form.data_for_service(), request.files.get("programme")
            )
        except Refusal as refusal:
            if not refusal.on_form:
                raise
            getattr(form, refusal.field or "title").errors.append(refusal.message)
        else:
            flash(f"已提交培训计划“{plan.title}”，等待人社局审核。", "success")
            for twin in service.same_plans(plan):
                flash(
                    f"注意：已有同名、同日期的培训计划（{twin.filing_no or twin.state.label}，"
                    f"{twin.filed_on:%Y-%m-%d}提交），如为重复提交，请联系人社局不予备案其中一份。",
                    "warning",
                )
            return redirect(url_for("providers.plan", plan_id=plan.id), code=303)
    status = 422 if form.errors else 200
    page = render_template(
        "providers/plan_form.html",
        form=form,
        lead=service.lead_days(),
        series_names=sorted(service.series_owners()),
    )
    return page, status


@bp.get("/plans/<int:plan_id>")
def plan(plan_id):
    return _plan_page(service.get_plan(current_user, plan_id))


def _plan_page(plan, status=200, upload_form=None, decision_form=None):
    may_report = service.owns(current_user, plan) or current_user.role is Role.BUREAU_OFFICER
    return render_template(
        "providers/plan.html",
        plan=plan,
        rows=lists.rows_of_plan(plan),
        imports=tasks.imports_of_plan(plan) if may_report else [],
        may_report=may_report,
        upload_form=upload_form or ListUploadForm(formdata=None),
        decision_form=decision_form or DecisionForm(formdata=None),
        officer=current_user.role in DECIDERS,
        may_decide=service.may_decide(current_user, plan),
        twins=service.same_plans(plan) if plan.state is PlanState.PENDING else [],
        decider=service.deciding_authority(plan),
        last_day=service.last_filing_day(plan.start_date),
    ), status


@bp.get("/plans/<int:plan_id>/programme")
def programme(plan_id):
    plan = service.get_plan(current_user, plan_id)
    if not plan.programme_stored:
        abort(404)
    try:
        return files.send(
            plan.programme_stored, as_attachment=True, download_name=plan.programme_name
        )
    except FileNotFoundError:
        abort(404)


@bp.get("/plans/<int:plan_id>/template.xlsx")
def list_template(plan_id):
    plan = service.get_plan(current_user, plan_id)
    return send_file(
        io.BytesIO(lists.template(plan)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"合格人员名单-{plan.filing_no or plan.id}.xlsx",
    )


@bp.post("/plans/<int:plan_id>/list")
@once
def upload_list(plan_id):
    """Store the list and queue its import; the import's page shows the progress and result."""
    plan = service.get_plan(current_user, plan_id)
    form = ListUploadForm()
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        form.file.errors = ["请选择合格人员名单文件（.xlsx）"]
        return _plan_page(plan, 422, upload_form=form)
    try:
        entry = tasks.submit_list(
            current_user, plan, upload.read(), upload.filename, form.clean_rows.data
        )
    except Refusal as refusal:
        if not refusal.on_form:
            raise
        form.file.errors = [refusal.message]
        return _plan_page(plan, 422, upload_form=form)
    return redirect(url_for("providers.import_status", import_id=entry.id), code=303)


@bp.get("/imports/<int:import_id>")
def import_status(import_id):
    """An import's progress (polled by htmx until its job finishes), then what it did."""
    entry = tasks.get_import(current_user, import_id)
    template = "providers/_import_status.html" if is_htmx() else "providers/import.html"
    return render_template(template, entry=entry, job=entry.job)


@bp.get("/imports/<int:import_id>/received.xlsx")
def import_received(import_id):
    """The rows received with their outcome (the import job's result file)."""
    entry = tasks.get_import(current_user, import_id)
    response = jobs.send_result(entry.job, mimetype=XLSX)
    if response is None:
        raise not_found("该导入任务还没有接收结果。")
    return response


@bp.get("/imports/<int:import_id>/unmatched.xlsx")
def import_unmatched(import_id):
    """The rows not taken, in the upload layout, to correct and resend."""
    entry = tasks.get_import(current_user, import_id)
    name = f"{entry.kind.label}-未匹配与有误-{entry.job_id}.xlsx"
    response = entry.unmatched_file and jobs.send_stored(
        entry.unmatched_file, mimetype=XLSX, as_attachment=True, download_name=name
    )
    if not response:
        raise not_found("该次导入没有未匹配或有误的记录。")
    return response


# --- the bureau's side ---------------------------------------------------------------------


@bp.post("/plans/<int:plan_id>/decide")
def decide(plan_id):
    plan = service.get_plan(current_user, plan_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            service.decide_plan(
                current_user, plan, form.decision.data == "accept", form.reason.data or ""
            )
        except Refusal as refusal:
            if not refusal.on_form:
                raise
            if refusal.field is None:  # the plan was decided meanwhile: said above the page
                flash(refusal.message, "warning")
                return _plan_page(plan, refusal.status)
            form.reason.errors = [refusal.message]
        else:
            flash(f"{plan.state.label}：{plan.title}。", "success")
            return redirect(url_for("providers.filings"), code=303)
    return _plan_page(plan, 422, decision_form=form)


@bp.get("/filings")
def filings():
    state = request.args.get("state", "pending")
    chosen = PlanState(state) if state in PlanState.__members__.values() else None
    plans = service.plans(current_user, chosen, deciding=True)
    template = "providers/_filings.html" if is_htmx() else "providers/filings.html"
    return render_template(
        template,
        plans=plans,
        state=state,
        states=list(PlanState),
        list_counts=lists.list_counts(plans),
        last_days=service.last_filing_days(plans),
        deciders=service.deciders(plans),
        authority=current_user.authority if current_user.role is Role.AUTHORITY_OFFICER else None,
        authorities_decide=service.authorities_decide(),
        overdue=overdue.overdue_lists() if current_user.role is Role.BUREAU_OFFICER else [],
    )


@bp.get("/unmatched")
def unmatched():
    kind = request.args.get("kind", "list")
    kind = kind if kind in lists.UNMATCHED_KINDS else "list"
    page = lists.unmatched_rows(kind, page_number())
    return render_template(
        "providers/unmatched.html", page=page, kind=kind, kinds=lists.UNMATCHED_KINDS
    )


@bp.route("/courseware", methods=["GET", "POST"])
@once
def courseware():
    form = ListUploadForm()
    if request.method == "POST":
        upload = request.files.get("file")
        if not form.validate_on_submit() or upload is None or not upload.filename:
            form.file.errors = ["请选择学习记录文件（.xlsx 或 .csv）"]
        else:
            try:
                entry = tasks.submit_courseware(
                    current_user, upload.read(), upload.filename, form.clean_rows.data
                )
            except Refusal as refusal:
                if not refusal.on_form:
                    raise
                form.file.errors = [refusal.message]
            else:
                return redirect(url_for("providers.import_status", import_id=entry.id), code=303)
    status = 422 if form.file.errors else 200
    return _courseware_page(form, status=status)


def _courseware_page(form=None, end_form=None, status=200):
    bureau = current_user.role is Role.BUREAU_OFFICER
    return render_template(
        "providers/courseware.html",
        form=form or ListUploadForm(formdata=None),
        imports=tasks.courseware_imports(current_user),
        study_ends=sorted(study_end.study_ends().items()) if bureau else [],
        end_form=(end_form or StudyEndForm(formdata=None)) if bureau else None,
    ), status


@bp.post("/courseware/study-end")
def set_study_end():
    """The bureau sets when a year's online 公需 study ends."""
    form = StudyEndForm()
    if form.validate_on_submit():
        try:
            study_end.set_study_end(current_user, form.year.data, form.day.data)
        except Refusal as error:
            field = form.day if error.field == "day" else form.year
            field.errors = [*field.errors, error.message]
        else:
            flash("已保存公需科目网络学习截止日期。", "success")
            return redirect(url_for("providers.courseware") + "#study-end", 303)
    return _courseware_page(end_form=form, status=422)


@bp.get("/plans/search")
def search():
    """Accepted plans by filing number or title: options for a training claim's 备案号."""
    plans = service.search_accepted(
        request.args.get("q", "") or request.args.get("plan_no", ""),
        year=request.args.get("year", type=bounded_int),
    )
    return render_template("providers/_plan_options.html", plans=plans)


# --- the provider directory ----------------------------------------------------------------


@bp.get("/directory")
def directory():
    providers = db.session.scalars(
        db.select(Provider).order_by(Provider.active.desc(), Provider.name)
    ).all()
    return render_template("providers/directory.html", providers=providers)


@bp.route("/directory/new", methods=["GET", "POST"])
def new_provider():
    return _provider_form(None)


@bp.route("/directory/<int:provider_id>/edit", methods=["GET", "POST"])
def edit_provider(provider_id):
    return _provider_form(db.get_or_404(Provider, provider_id))


def _provider_form(provider):
    form = ProviderForm(obj=provider) if request.method == "GET" else ProviderForm()
    if provider is not None and request.method == "GET":
        form.level.data = provider.level.value
    if form.validate_on_submit():
        try:
            saved = service.save_provider(current_user, provider, form.data_for_service())
        except Refusal as refusal:
            form.name.errors = [refusal.message]
        else:
            flash(f"已保存“{saved.name}”。", "success")
            return redirect(url_for("providers.directory"), code=303)
    status = 422 if form.errors else 200
    return render_template("providers/provider_form.html", form=form, provider=provider), status
