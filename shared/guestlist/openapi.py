"""The OpenAPI 3.1 document, generated from the routes' declared contracts (`guestlist.edge`).

Schemas come from the same msgspec types the edge validates with, so the document and the
validation are one declaration. Errors the edge itself answers (400, 413, 422) and the
authorizer's refusals (401, 403, in API Gateway's own shape) are added per route.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from .edge import PATH_MAX, Contract
from .schemas.limits import ErrorBody, GatewayMessage

_REF = "#/components/schemas/{name}"
_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content", 302: "Redirect", 303: "See other",
                400: "Malformed request (`invalid_json`)", 401: "No or unknown key (API Gateway's answer)",
                403: "The key may not call this route (API Gateway's answer)", 404: "Not found (or another workspace's)",
                409: "Conflict with the current state",
                422: "A field is invalid (`unknown_field`, `too_long`, `invalid_field`, ...)", 429: "Too many requests",
                503: "Busy: retry later"}


def _schema_of(tp: Any, schemas: dict[Any, dict]) -> dict:
    if tp is None:
        return {}
    if isinstance(tp, tuple):
        return {"anyOf": [schemas[t] for t in tp]}
    return schemas[tp]


def _types(tp: Any) -> tuple:
    if tp is None or tp is str:
        return ()
    return tp if isinstance(tp, tuple) else (tp,)


def build_document(contracts: Iterable[Contract], *, title: str = "guestlist", version: str = "1.0",
                   server_url: str | None = None) -> dict:
    contracts = sorted(contracts, key=lambda c: (c.path, c.method))
    types = {ErrorBody, GatewayMessage}
    for c in contracts:
        for tp in (c.body, c.query, c.response, *c.responses.values()):
            types.update(_types(tp))
    ordered = sorted(types, key=repr)
    generated, components = msgspec.json.schema_components(ordered, ref_template=_REF)
    schemas = dict(zip(ordered, generated))
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Event guest lists: personal links for guests, check-in for door staff, events, "
                                "contacts and imports for organisers. Errors of our functions are "
                                '`{"error": {"code", "message", "field"?}}`.'},
        "paths": {},
        "components": {"schemas": components, "securitySchemes": {
            "key": {"type": "http", "scheme": "bearer",
                    "description": "An organiser key (one workspace) or a check-in key (one event's check-in routes)."}}},
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    for c in contracts:
        document["paths"].setdefault(c.path, {})[c.method.lower()] = _operation(c, schemas, components)
    return document


def _operation(c: Contract, schemas: dict, components: dict) -> dict:
    op: dict[str, Any] = {"operationId": _operation_id(c), "responses": {}}
    if c.summary:
        op["summary"] = c.summary
    if c.description:
        op["description"] = c.description
    if c.tag:
        op["tags"] = [c.tag]
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "string", "minLength": 1, "maxLength": PATH_MAX}} for name in c.path_params]
    if c.query is not None:
        parameters += _query_parameters(c.query, components)
    if parameters:
        op["parameters"] = parameters
    if c.body is not None:
        content = {"application/json": {"schema": _schema_of(c.body, schemas)}}
        if c.form:
            content["application/x-www-form-urlencoded"] = {"schema": _schema_of(c.body, schemas)}
        # an empty body is read as {}: it is required only when the schema has a required field
        op["requestBody"] = {"required": _has_required(c.body, components), "content": content}
    op["responses"][str(c.status)] = _response(c.status, c.response, c.content_type, schemas)
    for content_type in c.also:
        op["responses"][str(c.status)].setdefault("content", {})[content_type] = {"schema": {"type": "string"}}
    for status, tp in sorted(c.responses.items()):
        op["responses"][str(status)] = _response(status, tp, "application/json", schemas)
    statuses = set(c.errors) | set(c.html_errors) | {503}  # storage kept busy within the function's time: `busy`
    if c.body is not None:
        statuses |= {400, 413, 422}
    if c.query is not None:
        statuses.add(422)
    if c.path_params:
        statuses.add(404)
    for status in sorted(statuses):
        text = f"Body over {_size(c.max_bytes)} (`body_too_large`)" if status == 413 else _STATUS_TEXT.get(status, "Error")
        error_content: dict[str, Any] = {"application/json": {"schema": schemas[ErrorBody]}}
        if status in c.html_errors:
            text += "; a browser (a form post, `Accept: text/html`) gets an HTML page"
            error_content["text/html"] = {"schema": {"type": "string"}}
        op["responses"].setdefault(str(status), {"description": text, "content": error_content})
    if c.auth:
        op["security"] = [{"key": []}]
        gateway = {"application/json": {"schema": schemas[GatewayMessage]}}
        op["responses"]["401"] = {"description": _STATUS_TEXT[401], "content": gateway}
        # 403: the authorizer's refusal, or a function's own (a door key on an organiser-only list)
        forbidden = {"anyOf": [schemas[GatewayMessage], schemas[ErrorBody]]}
        if 403 not in c.responses:
            op["responses"]["403"] = {"description": _STATUS_TEXT[403], "content": {"application/json": {"schema": forbidden}}}
    return op


def _size(max_bytes: int) -> str:
    return f"{max_bytes >> 20} MiB" if max_bytes % (1 << 20) == 0 else f"{max_bytes >> 10} KiB"


def _response(status: int, response: Any, content_type: str, schemas: dict) -> dict:
    out: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "OK")}
    if 300 <= status < 400:
        out["headers"] = {"Location": {"required": True, "schema": {"type": "string"}}}
        return out
    if status == 204:
        return out
    if response is None and content_type == "application/json":
        return out
    schema = {"type": "string"} if response in (None, str) else _schema_of(response, schemas)
    out["content"] = {content_type: {"schema": schema}}
    return out


def _has_required(body: Any, components: dict) -> bool:
    component = components.get(getattr(body, "__name__", ""), {})
    return bool(component.get("required"))


def _query_parameters(query: Any, components: dict) -> list[dict]:
    component = components[query.__name__]
    required = set(component.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required, "schema": schema}
            for name, schema in component.get("properties", {}).items()]


def _operation_id(c: Contract) -> str:
    parts = [p.strip("{}") for p in c.path.strip("/").split("/") if p]
    return c.method.lower() + "_" + "_".join(p.replace("-", "_").replace(".", "_") for p in parts)
