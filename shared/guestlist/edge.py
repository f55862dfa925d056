"""The HTTP edge: each route declares its request and response schemas once, here.

Bodies and query strings are decoded, bounded and validated before a handler runs (400
`invalid_json`, 413 `body_too_large`, 422 `unknown_field` / `too_long` / `invalid_field`,
each naming the field), handlers receive typed values, and the OpenAPI document
(`guestlist.openapi`) is generated from the very same declarations, so it cannot drift.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

import msgspec
from aws_lambda_powertools.event_handler import Response

from .api import json_response
from .codes import Code
from .errors import InvalidRequest, MalformedRequest, NotFound, PayloadTooLarge
from .schemas.limits import storable_number

BODY_MAX_BYTES = 1 << 20
PATH_MAX = 256  # characters of a path parameter: identifiers are at most 256 (schemas.limits)
DEPTH_MAX = 32
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# Patterns stay strings, compiled by `re`'s cache on first use: a cold start compiles none (DESIGN.md s9).
_TOKENS = rb'"(?:[^"\\]|\\.)*"|[\[\]{}]'


class Contract(msgspec.Struct, frozen=True):
    """One route as the API promises it: what it takes, what it answers (a Struct: cheaper to declare than a dataclass)."""

    method: str
    path: str  # OpenAPI style: /events/{event_id}
    summary: str = ""
    description: str = ""
    body: Any = None
    query: Any = None
    status: int = 200
    response: Any = None
    content_type: str = "application/json"
    errors: tuple[int, ...] = ()
    auth: bool = True
    form: bool = False
    tag: str = ""
    # Other answers with their own schema: status -> a type, a tuple of types (any of), or None (no body).
    responses: dict[int, Any] = msgspec.field(default_factory=dict)
    # Further content types of the main answer, as text (the guest page: text/html beside JSON).
    also: tuple[str, ...] = ()
    max_bytes: int = BODY_MAX_BYTES
    # Error statuses a browser may get as an HTML page (a form post, `Accept: text/html`) beside the JSON error.
    html_errors: tuple[int, ...] = ()

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


# Every route declared in this process, by (method, path); the OpenAPI document reads it.
REGISTRY: dict[tuple[str, str], Contract] = {}


class Edge:
    """Declares routes on a Powertools resolver or Router with their schemas."""

    def __init__(self, app: Any, *, auth: bool = True, tag: str = ""):
        self.app = app
        self.auth = auth
        self.tag = tag

    def get(self, path: str, **kw: Any) -> Callable:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable:
        return self.route("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable:
        return self.route("PATCH", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable:
        return self.route("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable:
        return self.route("DELETE", path, **kw)

    def route(self, method: str, path: str, *, body: Any = None, query: Any = None, status: int = 200,
              response: Any = None, content_type: str = "application/json", errors: tuple[int, ...] = (),
              summary: str = "", description: str = "", auth: bool | None = None, form: bool = False,
              responses: dict[int, Any] | None = None, also: tuple[str, ...] = (), max_bytes: int = BODY_MAX_BYTES,
              html_errors: tuple[int, ...] = ()) -> Callable:
        contract = Contract(method=method, path=path.replace("<", "{").replace(">", "}"), summary=summary, description=description,
                            body=body, query=query, status=status, response=response, content_type=content_type,
                            errors=tuple(errors), auth=self.auth if auth is None else auth, form=form, tag=self.tag,
                            responses=dict(responses or {}), also=tuple(also), max_bytes=max_bytes,
                            html_errors=tuple(html_errors))

        def decorator(fn: Callable) -> Callable:
            @functools.wraps(fn)
            def handler(**params: str) -> Response:
                event = self.app.current_event
                kwargs: dict[str, Any] = {name: path_value(name, value) for name, value in params.items()}
                if contract.body is not None:
                    kwargs["body"] = decode_body(event, contract.body, form=contract.form, max_bytes=contract.max_bytes)
                if contract.query is not None:
                    kwargs["query"] = decode_query(event.query_string_parameters or {}, contract.query)
                result = fn(**kwargs)
                if isinstance(result, Response):
                    return result
                if isinstance(result, msgspec.Struct):
                    result = msgspec.to_builtins(result)
                return json_response(contract.status, result)

            REGISTRY[(contract.method, contract.path)] = contract
            self.app.route(path, method)(handler)
            return fn

        return decorator


# ------------------------------------------------------------------ decoding


def raw_body(event: Any) -> bytes:
    """The body's bytes as sent: API Gateway base64-encodes bodies it does not take for text."""
    body = event.body
    if not body:
        return b""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            raise MalformedRequest(Code.INVALID_JSON, "the request body is not valid base64") from None
    return body.encode("utf-8", "surrogatepass")


def path_value(name: str, value: str) -> str:
    """A path parameter as text. No stored id is longer than PATH_MAX or not UTF-8, so such a
    value is the same 404 as a missing id (and never reaches a storage key limit)."""
    text = unquote(value)
    if len(text) > PATH_MAX or not _encodable(text):
        raise NotFound(Code.NOT_FOUND, f"no such {name.replace('_', ' ')}")
    return text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_body(event: Any, schema: Any, *, form: bool = False, max_bytes: int = BODY_MAX_BYTES) -> Any:
    raw = raw_body(event)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(Code.BODY_TOO_LARGE, f"the request body is over {max_bytes // 1024} KiB")
    content_type = (event.headers or {}).get("content-type") or ""
    if form and content_type.startswith(FORM_CONTENT_TYPE):
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=1000)
        except (UnicodeDecodeError, ValueError):
            raise MalformedRequest(Code.INVALID_FORM, "the form body is not UTF-8 form data") from None
        fields: dict[str, Any] = {}
        for name, value in pairs:  # a multiselect posts its name once per ticked box: keep them all
            fields[name] = [*fields[name], value] if isinstance(fields.get(name), list) else \
                [fields[name], value] if name in fields else value
        return convert(fields, schema, strict=False)
    return decode_json(raw or b"{}", schema)


def decode_json(raw: bytes, schema: Any) -> Any:
    """A UTF-8 JSON object of at most DEPTH_MAX levels, validated against `schema`."""
    if _too_deep(raw):
        raise MalformedRequest(Code.INVALID_JSON, f"the request body is nested deeper than {DEPTH_MAX} levels")
    try:
        return _storable(msgspec.json.decode(raw, type=schema))
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "[...]" in message:  # a value of a free-form object (form answers): name its key
            message = _name_keys(message, msgspec.json.decode(raw), schema, strict=True)
        raise _invalid(message, "field") from None
    except msgspec.DecodeError:
        raise MalformedRequest(Code.INVALID_JSON, "the request body is not valid UTF-8 JSON") from None


def decode_query(params: dict[str, str], schema: Any) -> Any:
    for name, value in params.items():
        if not _encodable(name) or not _encodable(value):
            raise InvalidRequest(Code.INVALID_FIELD, f"query parameter {name!r}: not UTF-8 text", {"field": name})
    return convert(params, schema, strict=False, where="query parameter")


def convert(values: dict, schema: Any, *, strict: bool, where: str = "field") -> Any:
    try:
        return _storable(msgspec.convert(values, type=schema, strict=strict))
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "[...]" in message:
            message = _name_keys(message, values, schema, strict=strict)
        raise _invalid(message, where) from None


def _storable(value: Any, path: str = "") -> Any:
    """`value`, refused when a number in it is one DynamoDB cannot store (0 < |x| < 1e-130: schemas.limits);
    the schemas bound the rest, this is what JSON Schema says with `not` and msgspec cannot check."""
    if isinstance(value, float) and not storable_number(value):
        raise InvalidRequest(Code.INVALID_FIELD, f"field {path!r}: 0, or a number of magnitude 1e-130 to 1e125",
                             {"field": path})
    if isinstance(value, dict):
        for key, item in value.items():
            _storable(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _storable(item, f"{path}[{index}]")
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            _storable(getattr(value, name), f"{path}.{name}" if path else name)
    return value


_STEP = r"\.(\w+)|\[(\d+)\]"


def _name_keys(message: str, document: Any, schema: Any, *, strict: bool) -> str:
    """msgspec says `$.custom[...]` for a value of a dict; find which key, so the client is told its name.

    The dict on the path is narrowed to one key at a time until the same error comes back.
    """
    at = re.search(_AT, message)
    if not at or "[...]" not in at.group("path"):
        return message
    path = at.group("path")
    prefix, _, rest = path.partition("[...]")
    steps = [(m.group(1), m.group(2)) for m in re.finditer(_STEP, prefix)]
    node = document
    try:
        for name, index in steps:
            node = node[name] if name is not None else node[int(index)]
    except (KeyError, IndexError, TypeError):
        return message
    if not isinstance(node, dict):
        return message

    def with_only(key: str) -> Any:
        def rebuild(container: Any, remaining: list) -> Any:
            if not remaining:
                return {key: container[key]}
            (name, index), tail = remaining[0], remaining[1:]
            if name is not None:
                return {**container, name: rebuild(container[name], tail)}
            copy = list(container)
            copy[int(index)] = rebuild(container[int(index)], tail)
            return copy
        return rebuild(document, steps)

    for key in node:
        try:
            msgspec.convert(with_only(key), type=schema, strict=strict)
        except msgspec.ValidationError as exc:
            if str(exc) == message:
                named = f"{prefix}.{key}" if prefix else f".{key}"
                return message.replace(f"`${path}`", f"`${named}{rest}`")
    return message


def _too_deep(raw: bytes) -> bool:
    if raw.count(b"[") + raw.count(b"{") <= DEPTH_MAX:
        return False
    depth = 0
    for match in re.finditer(_TOKENS, raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > DEPTH_MAX:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


_AT = r" - at `\$(?P<path>[^`]*)`$"
_NAMED = r"^Object (?:contains unknown|missing required) field `(?P<name>[^`]*)`"


def _invalid(message: str, where: str) -> Exception:
    """msgspec's message -> our code, naming the field the way a client spells it."""
    at = re.search(_AT, message)
    path = at.group("path").lstrip(".") if at else ""
    reason = message[: at.start()] if at else message
    named = re.match(_NAMED, reason)
    if named:
        path = f"{path}.{named.group('name')}" if path else named.group("name")
    if not path and reason.startswith("Expected `object`"):
        return MalformedRequest(Code.INVALID_JSON, "the request body must be a JSON object")
    if reason.startswith("Object contains unknown field"):
        code, text = Code.UNKNOWN_FIELD, "is not a known field"
    elif reason.startswith("Object missing required field"):
        code, text = Code.INVALID_FIELD, "is required"
    elif " of length <= " in reason:
        code, text = Code.TOO_LONG, reason.replace("Expected", "must be at most one", 1).replace("`", "")
    else:
        code, text = Code.INVALID_FIELD, reason[0].lower() + reason[1:].replace("`", "") if reason else "is not valid"
    return InvalidRequest(code, f"{where} {path!r}: {text}", {"field": path})


def given(body: msgspec.Struct) -> dict[str, Any]:
    """The fields a client actually sent (UNSET ones left out), as plain values."""
    return {name: msgspec.to_builtins(value) for name in body.__struct_fields__
            if (value := getattr(body, name)) is not msgspec.UNSET}
