"""Chinese error pages; never a trace."""

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.audit.service import DENIED_ACTIONS, record_denied, record_refusal
from portal.extensions import db
from portal.refusal import Refusal
from portal.security import is_htmx
from portal.storage import service as storage

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页重试。"),
    403: ("没有权限", "您没有权限访问此页面或执行此操作。"),
    404: ("页面不存在", "您要找的页面不存在或已被移除。"),
    405: ("请求方式不允许", "请通过页面上的按钮或链接操作。"),
    409: ("不能办理", "该记录当前的状态不允许此操作。"),
    413: ("文件过大", "上传的文件超过了允许的大小，请压缩后重试。"),
    422: ("无法办理", "提交的内容有误，请检查后重试。"),
    429: ("操作过于频繁", "请稍后再试。"),
    500: ("系统错误", "系统暂时无法完成您的请求，已记录此问题，请稍后重试。"),
    503: ("暂时无法保存", storage.MESSAGE),
}


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    template = "_error.html" if is_htmx() else "error.html"
    return render_template(template, code=code, title=title, message=message or default), code


def refused(error: Refusal):
    """A refusal from a service, as a page or fragment; audited when it names an action (unless
    the storage cannot take it: the refusal is still answered)."""
    try:
        record_refusal(error)
    except Exception as failure:
        if not storage.is_storage_error(failure):
            raise
        db.session.rollback()
        storage.mark_unwritable(failure)
    return render_error(error.status, error.message)


def storage_unavailable(error: Exception):
    """The database or the instance folder cannot be written: nothing of the request is kept."""
    db.session.rollback()
    storage.mark_unwritable(error)
    return render_error(storage.UNAVAILABLE, storage.MESSAGE)


def register(app) -> None:
    app.register_error_handler(Refusal, refused)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        record_denied("access.csrf", f"CSRF 校验失败：{error.description}")
        return render_error(400, "页面已过期或来源无法验证，请刷新页面后重新提交。")

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        if _refused_access(error.code):
            db.session.rollback()  # nothing the refused request did stands
            action = DENIED_ACTIONS[error.code]
            record_denied(action, MESSAGES[error.code][1])
        return render_error(error.code if error.code in MESSAGES else 400)

    @app.errorhandler(Exception)
    def unexpected(error):
        if storage.is_storage_error(error):
            return storage_unavailable(error)
        db.session.rollback()
        app.logger.exception("unhandled error on %s", request.path)
        return render_error(InternalServerError.code)


def _refused_access(code: int) -> bool:
    """403 anywhere; 404 of a page's route (an object that does not exist or may not be seen:
    the two look the same), not of a URL that names no page or a missing static file; 429."""
    if code == 404:
        return request.url_rule is not None and request.endpoint != "static"
    return code in (403, 429)
