"""HTTP glue shared by the API functions: one place that turns domain errors into responses.

Powertools' resolver calls these; the domain below never sees a request.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from .codes import Code
from .errors import Busy, GuestlistError
from .retry import error_code, is_retryable

if TYPE_CHECKING:
    from .access import Scope
    from .models import Cause, EventModel

logger = Logger(service="guestlist")

SECURITY_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


class RoutePattern:
    """A route's regular expression, compiled when a request is first matched against it.

    Powertools compiles one per route when the route is declared: ~0.1 ms of pure-Python
    `re` work each, 44 of them in the organiser API's cold start (DESIGN.md s9), most for
    routes a container never serves. The resolver only asks `groups` (dynamic or static
    route) at declaration and `match` per request.
    """

    __slots__ = ("_base", "_compiled", "_rule", "groups")

    def __init__(self, rule: str, base: str) -> None:
        self._rule = rule
        self._base = base
        self._compiled: re.Pattern[str] | None = None
        self.groups = rule.count("<")  # a path parameter is `<name>`; `<` is not valid in a path otherwise

    def _pattern(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = APIGatewayHttpResolver._compile_regex(self._rule, self._base)
        return self._compiled

    def match(self, path: str) -> re.Match[str] | None:
        return self._pattern().match(path)

    @property
    def pattern(self) -> str:
        return self._pattern().pattern


class HttpResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, its route patterns compiled on first use (see RoutePattern)."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}$"):
        return RoutePattern(rule, base_regex)


def _default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps(body, default=_default, ensure_ascii=False),
                    headers={**SECURITY_HEADERS, **(headers or {})})


def error_response(code: str, message: str, status: int, detail: dict | None = None,
                   headers: dict | None = None) -> Response:
    error: dict = {"code": code, "message": message}
    if detail and isinstance(detail.get("field"), str):
        error["field"] = detail["field"]
    if detail:
        error["detail"] = detail
    return json_response(status, {"error": error}, headers)


def install_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Every domain error, unknown route and crash answers {"error": {"code", "message"}}."""

    @app.exception_handler(GuestlistError)
    def _domain(exc: GuestlistError):
        retry_after = {"Retry-After": "1"} if exc.status == 503 else None
        return error_response(exc.code, exc.message, exc.status, exc.detail, headers=retry_after)

    @app.not_found
    def _not_found(exc: NotFoundError):
        return error_response(Code.NOT_FOUND, "no such route", 404)

    @app.exception_handler(Exception)
    def _crash(exc: Exception):
        if _item_too_large(exc):
            return error_response(Code.TOO_LARGE, "this would make the record larger than the store allows "
                                  "(400 KB); send less", 413)
        if is_retryable(exc):  # a throttled or failing read outside any retried write: the client may try again
            logger.warning("storage busy", extra={"error_code": error_code(exc)})
            return _domain(Busy(Code.BUSY, "the service is busy; try again in a moment", {"retryable": True}))
        logger.exception("unhandled error")
        return error_response(Code.INTERNAL_ERROR, "something went wrong on our side; nothing was changed twice, try again", 500)


def _item_too_large(exc: BaseException | None) -> bool:
    """DynamoDB refused a write because the item would exceed 400 KB (ValidationException), via PynamoDB or boto3."""
    while exc is not None:
        code = getattr(exc, "cause_response_code", None) or (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
        message = getattr(exc, "cause_response_message", None) or str(exc)
        if code == "ValidationException" and "size" in message and "exceeded" in message:
            return True
        exc = exc.__cause__
    return False


def caller_scope(app: APIGatewayHttpResolver) -> Scope:
    """The scope the authorizer attached to this request."""
    from .access import Scope  # cold start: the docs function imports the edge without access and PynamoDB

    context = app.current_event.request_context.authorizer.get_lambda or {}
    return Scope.from_context(context)


def organiser_workspace(app) -> str:
    """The workspace of an organiser key (a check-in key is refused); `app` is a resolver or a Router."""
    from .access import Action, authorise

    return authorise(caller_scope(app), Action.ORGANISE).workspace_id


def organiser_event(app, event_id: str) -> EventModel:
    """The event, if the organiser key's workspace holds it (another workspace's is not found)."""
    from .access import Action, authorise

    event = authorise(caller_scope(app), Action.ORGANISE, event_id).event
    assert event is not None  # an organiser's event is read
    return event


def organiser_cause(app, ref: str | None = None) -> Cause:
    """What the status history records for an organiser's change: the key that made it (or `ref`)."""
    from .models import Cause  # as in caller_scope

    return Cause(kind="organiser", ref=ref or caller_scope(app).key_id)
