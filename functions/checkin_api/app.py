"""Check-in API: door devices with an event-scoped key scan ticket codes."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from guestlist import checkin, events
from guestlist.api import caller_scope, install_error_handlers, json_body, json_response
from guestlist.errors import InvalidRequest, NotFound

logger = Logger()
app = APIGatewayHttpResolver()
install_error_handlers(app)


def _authorised_event(event_id: str) -> None:
    scope = caller_scope(app)
    if scope.kind == "checkin" and scope.event_id == event_id:
        return
    if scope.kind == "organiser":
        events.get_event(event_id, scope.workspace_id)
        return
    raise NotFound("event_not_found", f"no event {event_id!r}")


def _scan(event_id: str, scan: dict) -> checkin.CheckinResult:
    code = scan.get("code")
    if not isinstance(code, str) or not code.strip():
        raise InvalidRequest("invalid_field", "field 'code': the ticket code from the QR code", {"field": "code"})
    return checkin.perform_checkin(event_id, code, nonce=scan.get("nonce"), device=scan.get("device"),
                                   scanned_at=scan.get("scanned_at"))


@app.post("/events/<event_id>/checkins")
def post_checkin(event_id: str):
    _authorised_event(event_id)
    result = _scan(event_id, json_body(app))
    logger.info("scan", extra={"event_id": event_id, "result": result.result, "reason": result.reason})
    return json_response(result.http_status, result.to_dict())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    return app.resolve(event, context)
