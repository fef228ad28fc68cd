"""/api/v1/: the read-only pull API (JSON) for the provincial hour system and the title-review
system, and the published format. Each route is declared through portal.api.openapi.operation,
which checks the key and the parameters and makes /api/v1/openapi.json."""

import math

from flask import Blueprint, url_for

from portal.api import openapi
from portal.api.openapi import Param, operation
from portal.exchange import format as fmt_
from portal.exchange import keys, service
from portal.exchange.models import KeyScope
from portal.extensions import csrf, db
from portal.people.service import find_by_id_number
from portal.refusal import Refusal
from portal.verification import service as verifications
from portal.verification.models import Verification

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies, no forms: a key in the Authorization header is the credential

PER_PAGE, MAX_PER_PAGE = 100, 500


@bp.get("/")
@operation("get", "接口说明", "ApiIndex", description="版本、文档与格式的地址，密钥范围。")
def index():
    return {
        "title": openapi.TITLE,
        "version": "v1",
        "format": fmt_.FORMAT,
        "openapi": url_for("api.openapi_document"),
        "schema": url_for("api.export_schema"),
        "excel": url_for("api.excel_columns"),
        "scopes": {scope.value: scope.label for scope in KeyScope},
    }


@bp.get("/openapi.json")
@operation("get", "OpenAPI 3.1 文档", "OpenApi", description="由各接口的声明生成。")
def openapi_document():
    return openapi.document()


@bp.get("/schema/registration-export.json")
@operation(
    "get",
    "数据交换格式（JSON Schema）",
    "JsonSchema",
    description="导出文件（JSON）与各接口返回记录的格式，版本见 format 字段。",
)
def export_schema():
    return fmt_.DOCUMENT_SCHEMA


@bp.get("/schema/excel.json")
@operation("get", "数据交换格式（Excel 列）", "ExcelLayout", description="导出 Excel 两张表的列。")
def excel_columns():
    return fmt_.excel_layout()


@bp.get("/registrations")
@operation(
    "get",
    "已登记年度（分页）",
    "RegistrationPage",
    scope=KeyScope.REGISTRATIONS,
    description="某年度的已登记记录，或某时间以后登记或变化的记录（两者可同时给出），"
    "按记录编号排序分页。含完整身份证号码。",
    params=(
        Param("year", {"type": "integer", "minimum": 2000, "maximum": 2100}, "年度"),
        Param(
            "since",
            {"type": "string", "maxLength": 40},
            "起始时间，ISO 8601（不带时区时为北京时间）",
        ),
        Param("page", {"type": "integer", "minimum": 1, "default": 1}, "页码，从1开始"),
        Param(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE},
            f"每页记录数，不超过{MAX_PER_PAGE}",
        ),
    ),
)
def registrations(key, year, since, page, per_page):
    if year is None and since is None:
        return openapi.error("请给出年度（year）或起始时间（since）。")
    moment = service.parse_since(since) if since is not None else None
    total = service.count_records(year, moment)
    found = service.records(year, moment, offset=(page - 1) * per_page, limit=per_page)
    pages = math.ceil(total / per_page)
    what = (f"{year}年度" if year else "") + (f"{since}以后" if since else "")
    keys.audit_pull(key, f"已登记年度 {what} 第{page}页", len(found))
    args = {k: v for k, v in (("year", year), ("since", since)) if v is not None}
    return {
        "format": fmt_.FORMAT,
        "county": service.county(),
        "year": year,
        "since": moment.isoformat(timespec="seconds") if moment else None,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
        "next": url_for("api.registrations", page=page + 1, per_page=per_page, **args)
        if page < pages
        else None,
        "count": len(found),
        "records": found,
    }


@bp.post("/people/years")
@operation(
    "post",
    "个人已登记年度",
    "PersonYears",
    scope=KeyScope.PEOPLE,
    description="按身份证号码查询一人的全部已登记年度（职称评审用）。用 POST 提交号码，"
    "使它不出现在网址和访问日志中。没有该人员或没有登记年度时 records 为空。",
    body={
        "type": "object",
        "required": ["id_number"],
        "additionalProperties": False,
        "properties": {"id_number": {"type": "string", "maxLength": 40}},
    },
)
def person_years(key, body):
    try:
        person = find_by_id_number(body["id_number"])
    except Refusal as refusal:
        if refusal.status != 404:
            raise
        person = None
    found = service.records(person=person) if person is not None else []
    keys.audit_pull(key, "个人已登记年度", len(found))
    return {
        "format": fmt_.FORMAT,
        "county": service.county(),
        "count": len(found),
        "records": found,
    }


@bp.get("/verifications/<number>")
@operation(
    "get",
    "学时验证单",
    "Verification",
    scope=KeyScope.VERIFICATIONS,
    description="按编号查询一张学时验证单：验证结论、各年度学时与状态（是否被取代、市人社局复核），"
    "身份证号码打码。",
    params=(Param("number", {"type": "string", "maxLength": 30}, "验证单编号", where="path"),),
    errors={404: "没有该编号的学时验证单"},
)
def verification(key, number):
    found = db.session.scalar(db.select(Verification).filter_by(number=number.strip().upper()))
    keys.audit_pull(key, f"学时验证单 {number[:30]}", 1 if found else 0)
    if found is None:
        db.session.commit()  # the pull stands although the answer is 404
        return openapi.error("没有该编号的学时验证单。", 404)
    return verifications.as_json(found)
