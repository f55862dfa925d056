"""Check-in API: door devices with an event-scoped key scan ticket codes; organisers watch the door."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from guestlist import checkin, events
from guestlist.api import caller_scope, install_error_handlers, json_body, json_response
from guestlist.clock import now_iso
from guestlist.errors import Forbidden, InvalidRequest, NotFound
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.retry import lambda_deadline

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
app = APIGatewayHttpResolver()
install_error_handlers(app)


@app.exception_handler(checkin.CheckinError)
def _refused(exc: checkin.CheckinError):
    """A refused scan answers as the door app expects, and carries the usual error object too."""
    metrics.add_metric(name="CheckInsRefused", unit=MetricUnit.Count, value=1)
    return json_response(exc.status, {"result": "rejected", "reason": exc.code, **exc.detail, **{"error": exc.to_dict()}})


def _authorised_event(event_id: str, *, organiser_only: bool = False):
    """The event, if the caller's key reaches it: its own door key, or an organiser key of its workspace."""
    scope = caller_scope(app)
    if scope.kind == "checkin" and scope.event_id == event_id and not organiser_only:
        return events.get_event(event_id, scope.workspace_id)
    if scope.kind == "organiser":
        return events.get_event(event_id, scope.workspace_id)
    if scope.kind == "checkin" and scope.event_id == event_id:
        raise Forbidden("forbidden", "this list is for organisers")
    raise NotFound("event_not_found", f"no event {event_id!r}")


def _door_event(event_id: str) -> None:
    """Scans skip the event read: a door key names its event; an organiser key is checked against its workspace."""
    scope = caller_scope(app)
    if scope.kind == "checkin" and scope.event_id == event_id:
        return
    _authorised_event(event_id)


@app.post("/events/<event_id>/checkins")
def post_checkin(event_id: str):
    _door_event(event_id)
    received_at = now_iso()
    scan = checkin.Scan.parse(json_body(app), received_at=received_at)
    result = checkin.perform_checkin(event_id, scan, received_at=received_at)
    logger.info("scan", extra={"event_id": event_id, "result": "ok", "replay": result.replay, "device": scan.device})
    if not result.replay:
        metrics.add_metric(name="CheckIns", unit=MetricUnit.Count, value=1)
    return json_response(result.http_status, result.to_dict())


@app.post("/events/<event_id>/checkins/batch")
def post_batch(event_id: str):
    _door_event(event_id)
    body = json_body(app)
    if "scans" not in body:
        raise InvalidRequest("invalid_field", "field 'scans': a list of {code, nonce, scanned_at, device}", {"field": "scans"})
    items = checkin.perform_batch(event_id, body["scans"])
    metrics.add_metric(name="CheckIns", unit=MetricUnit.Count, value=sum(1 for i in items if i.status == 201))
    logger.info("offline batch", extra={"event_id": event_id, "scans": len(items)})
    return json_response(200, {"results": [{"index": i.index, "status": i.status, **i.body} for i in items]})


@app.post("/events/<event_id>/checkins/<nonce>/annul")
def annul(event_id: str, nonce: str):
    _door_event(event_id)
    device = json_body(app).get("device")
    if not isinstance(device, str) or not device.strip():
        raise InvalidRequest("invalid_field", "field 'device': the device that scanned", {"field": "device"})
    booking = checkin.annul_checkin(event_id, nonce, device.strip())
    return json_response(200, {"result": "annulled", "nonce": nonce, "booking_id": booking.booking_id,
                               "identifier": booking.identifier})


@app.get("/events/<event_id>/checkins/search")
def search(event_id: str):
    _door_event(event_id)
    q = (app.current_event.query_string_parameters or {}).get("q") or ""
    return json_response(200, {"guests": checkin.search_guests(event_id, q)})


@app.get("/events/<event_id>/checkins/stats")
def stats(event_id: str):
    return json_response(200, checkin.checkin_stats(_authorised_event(event_id)))


@app.get("/events/<event_id>/checkins")
def list_scans(event_id: str):
    _authorised_event(event_id, organiser_only=True)
    params = app.current_event.query_string_parameters or {}
    try:
        limit = max(1, min(int(params.get("limit", 50)), 200))
    except ValueError:
        raise InvalidRequest("invalid_field", "query 'limit': a whole number from 1 to 200", {"field": "limit"}) from None
    return json_response(200, {"scans": checkin.recent_scans(event_id, result=params.get("result"), limit=limit)})


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return app.resolve(event, context)
