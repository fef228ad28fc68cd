"""The pull API's declarations and the OpenAPI 3.1 document made from them.

Each view of portal.api.views is wrapped by `operation(...)`, which holds what the route takes
(query parameters and body, as JSON Schema), the scope of key it needs and the schema of its
answer. The same declaration does the work and the documentation: the wrapper checks the key,
parses and validates the parameters with it, and `document()` hands it to apispec (with the
Flask plugin, which reads each route's path from the app's URL map), so the published document
cannot drift from what the routes do. The answers' schemas are portal.exchange.format's (the
published JSON Schema of the exchange file) and the few below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

import jsonschema
from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Response, current_app, jsonify, request

from portal.audit.service import client_ip
from portal.exchange import format as fmt_
from portal.exchange import keys
from portal.exchange.models import KeyScope
from portal.refusal import Refusal

TITLE = "继续教育学时登记数据接口"
VERSION = "1"


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict
    description: str
    required: bool = False
    where: str = "query"  # or "path"


@dataclass
class Operation:
    method: str
    summary: str
    description: str
    response: str  # a component below
    scope: KeyScope | None = None  # None: public (the format and this document)
    params: tuple[Param, ...] = ()
    body: dict | None = None
    errors: dict[int, str] = field(default_factory=dict)


OPERATIONS: list = []  # the wrapped views, in declaration order


class BadParameter(Exception):
    pass


def _parse(operation: Operation, view_args: dict) -> dict:
    """The declared parameters (and body) from the request, validated by their schemas."""
    values = {}
    for param in operation.params:
        if param.where == "path":
            values[param.name] = view_args[param.name]
            continue
        raw = request.args.get(param.name)
        if raw is None:
            if param.required:
                raise BadParameter(f"缺少参数 {param.name}。")
            values[param.name] = param.schema.get("default")
            continue
        value = raw
        if param.schema.get("type") == "integer":
            try:
                value = int(raw)
            except ValueError:
                raise BadParameter(f"参数 {param.name} 应为整数。") from None
        errors = list(jsonschema.Draft202012Validator(param.schema).iter_errors(value))
        if errors:
            raise BadParameter(f"参数 {param.name} 无效：{param.description}。")
        values[param.name] = value
    if operation.body is not None:
        body = request.get_json(silent=True)
        if body is None or list(jsonschema.Draft202012Validator(operation.body).iter_errors(body)):
            raise BadParameter("请求内容应为 JSON，格式见接口文档。")
        values["body"] = body
    return values


def error(message: str, status: int = 400):
    return jsonify({"error": message}), status


def operation(method: str, summary: str, response: str, **kwargs):
    """Declare a view of the API (see the module's description)."""
    declared = Operation(method=method, summary=summary, response=response, **kwargs)

    def decorator(view):
        @wraps(view)
        def wrapped(**view_args):
            key = None
            if declared.scope is not None:
                try:
                    key = keys.authorise(
                        request.headers.get("Authorization"), client_ip(), declared.scope
                    )
                except keys.KeyRefused as refused:
                    return Response(status=refused.status)  # nothing else
            try:
                values = _parse(declared, view_args)
            except BadParameter as bad:
                return error(str(bad))
            try:
                answer = view(key=key, **values) if key is not None else view(**values)
            except Refusal as refusal:
                return error(refusal.message, 400 if refusal.status == 422 else refusal.status)
            if isinstance(answer, tuple):
                return answer
            response = jsonify(answer)
            if key is not None:
                response.headers["X-Personal-Data"] = "1"  # never cached (security headers)
            return response

        wrapped.operation = declared
        OPERATIONS.append(wrapped)
        return wrapped

    return decorator


# --- the document ----------------------------------------------------------------------------

_ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {"type": "string", "description": "中文说明"}},
}
_COUNTY = fmt_.DOCUMENT_SCHEMA["properties"]["county"]
_RECORDS = {"type": "array", "items": {"$ref": "#/components/schemas/ExportRecord"}}
_YEAR_SINCE = {
    "year": {"type": ["integer", "null"]},
    "since": {"type": ["string", "null"], "format": "date-time"},
}

API_SCHEMAS = {
    "Error": _ERROR,
    "RegistrationPage": {
        "type": "object",
        "description": "一页已登记年度（按记录编号排序，同一页再次调取内容相同）",
        "required": ["format", "county", "year", "since", "page", "per_page", "total", "pages"]
        + ["next", "count", "records"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": fmt_.FORMAT},
            "county": _COUNTY,
            **_YEAR_SINCE,
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0, "description": "符合条件的记录总数"},
            "pages": {"type": "integer", "minimum": 0},
            "next": {"type": ["string", "null"], "description": "下一页的地址，最后一页为 null"},
            "count": {"type": "integer", "minimum": 0, "description": "本页记录数"},
            "records": _RECORDS,
        },
    },
    "PersonYears": {
        "type": "object",
        "description": "一人的全部已登记年度",
        "required": ["format", "county", "count", "records"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": fmt_.FORMAT},
            "county": _COUNTY,
            "count": {"type": "integer", "minimum": 0},
            "records": _RECORDS,
        },
    },
    "Verification": {
        "type": "object",
        "description": "学时验证单（身份证号码打码）：验证结论与各年度学时",
        "required": ["number", "kind", "person", "title", "body", "issued_at", "status"]
        + ["status_label", "superseded_by", "ok", "years", "reasons"],
        "properties": {
            "number": {"type": "string", "description": "验证单编号"},
            "kind": {"enum": ["cycle", "internal"]},
            "person": {
                "type": "object",
                "required": ["name", "id_number", "unit"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "id_number": {
                        "type": "string",
                        "pattern": r"^\d{6}\*+[0-9X]{4}$",
                        "description": "打码的身份证号码",
                    },
                    "unit": {"type": "string"},
                },
            },
            "title": {"type": "object"},
            "body": {"type": "string", "description": "出具单位"},
            "issued_at": {"type": "string", "format": "date-time"},
            # The sheet's standing as portal.verification keeps it (issued, sent, confirmed,
            # returned, ...): read through its service, so new standings pass unchanged.
            "status": {"type": "string"},
            "status_label": {"type": "string"},
            "superseded_by": {"type": ["string", "null"]},
            "city_note": {"type": ["string", "null"]},
            "ok": {"type": "boolean", "description": "是否满足申报条件"},
            "years": {"type": "array", "items": {"type": "object"}},
            "reasons": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ApiIndex": {
        "type": "object",
        "required": ["title", "version", "format", "openapi", "schema", "excel", "scopes"],
        "properties": {
            "title": {"type": "string"},
            "version": {"type": "string"},
            "format": {"const": fmt_.FORMAT},
            "openapi": {"type": "string"},
            "schema": {"type": "string"},
            "excel": {"type": "string"},
            "scopes": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "ExcelLayout": {
        "type": "object",
        "required": ["format", "sheets"],
        "properties": {
            "format": {"const": fmt_.FORMAT},
            "sheets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["title", "columns"],
                    "properties": {
                        "title": {"type": "string"},
                        "columns": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key", "heading"],
                                "properties": {
                                    "key": {"type": "string"},
                                    "heading": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "JsonSchema": {"type": "object", "description": "JSON Schema（2020-12）"},
    "OpenApi": {"type": "object", "description": "本文档"},
}

_DEFS = {"record": "ExportRecord", "claim": "ExportClaim", "step": "ExportStep"}


def _components_ref(node):
    """The format's schema with its `#/$defs/x` references pointed at the components."""
    if isinstance(node, dict):
        return {
            key: (
                "#/components/schemas/" + _DEFS[value.rsplit("/", 1)[1]]
                if key == "$ref" and value.startswith("#/$defs/")
                else _components_ref(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_components_ref(item) for item in node]
    return node


def format_components() -> dict:
    document = {
        k: v for k, v in fmt_.DOCUMENT_SCHEMA.items() if k not in ("$schema", "$id", "$defs")
    }
    return {
        "ExportDocument": _components_ref(document),
        "ExportRecord": _components_ref(fmt_.RECORD_SCHEMA),
        "ExportClaim": _components_ref(fmt_.CLAIM_SCHEMA),
        "ExportStep": _components_ref(fmt_.STEP_SCHEMA),
    }


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation_dict(declared: Operation) -> dict:
    responses = {
        "200": {
            "description": "成功",
            "content": {"application/json": {"schema": _ref(declared.response)}},
        }
    }
    if declared.params or declared.body is not None:
        responses["400"] = {
            "description": "参数无效",
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    for status, text in declared.errors.items():
        responses[str(status)] = {
            "description": text,
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    result = {
        "summary": declared.summary,
        "description": declared.description,
        "parameters": [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required or p.where == "path",
                "description": p.description,
                "schema": p.schema,
            }
            for p in declared.params
        ],
        "responses": responses,
    }
    if declared.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": declared.body}},
        }
    if declared.scope is not None:
        result["security"] = [{"apiKey": []}]
        result["x-scope"] = declared.scope.value
        result["description"] += f"（密钥范围：{declared.scope.value}，{declared.scope.label}）"
        responses["401"] = {"description": "密钥无效、缺失或已吊销（无响应内容）"}
        responses["403"] = {"description": "密钥范围不符（无响应内容）"}
        responses["429"] = {"description": "此网络地址失败次数过多，暂停调用（无响应内容）"}
    return result


def document() -> dict:
    """The OpenAPI 3.1 document of every declared route, as the app serves them."""
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[FlaskPlugin()],
        info={
            "description": "只读接口：已登记年度、个人登记年度、学时验证单。每个使用方有自己的"
            "密钥（Authorization: Bearer <密钥>），由系统管理员创建和吊销；每次调取都记入审计日志。"
        },
    )
    spec.components.security_scheme(
        "apiKey", {"type": "http", "scheme": "bearer", "description": "接口密钥（cek_ 开头）"}
    )
    for name, schema in {**format_components(), **API_SCHEMAS}.items():
        spec.components.schema(name, schema)
    for view in OPERATIONS:
        declared = view.operation
        spec.path(
            view=view, app=current_app, operations={declared.method: _operation_dict(declared)}
        )
    return spec.to_dict()
