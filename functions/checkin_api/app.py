"""Check-in API: door devices with an event-scoped key scan ticket codes; organisers watch the door."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from aws_lambda_powertools import Logger

from guestlist import checkin
from guestlist.access import Access, Action, authorise
from guestlist.api import HttpResolver, caller_scope, install_error_handlers, json_response
from guestlist.clock import now_iso
from guestlist.codes import Code
from guestlist.edge import Edge, given
from guestlist.errors import InvalidRequest
from guestlist.lean_imports import on_first_use
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.retry import lambda_deadline
from guestlist.schemas.checkin import (
    AnnulIn,
    Annulled,
    BatchIn,
    BatchOut,
    CheckinOk,
    CheckinRejected,
    ScanIn,
    ScansOut,
    ScansQuery,
    SearchOut,
    SearchQuery,
    Stats,
)
from guestlist.schemas.limits import ErrorBody

# the door's read models (search, counters, recent scans): only those routes need them (cold start, DESIGN.md s9)
door = on_first_use("guestlist.door")

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
app = HttpResolver()
install_error_handlers(app)
edge = Edge(app, tag="check-in")


@app.exception_handler(checkin.CheckinError)
def _refused(exc: checkin.CheckinError):
    """A refused scan answers as the door app expects, and carries the usual error object too."""
    metrics.add_metric(name="CheckInsRefused", unit=MetricUnit.Count, value=1)
    return json_response(exc.status, {"result": "rejected", "reason": exc.code, **exc.detail, **{"error": exc.to_dict()}})


def _allow(action: Action, event_id: str) -> Access:
    """The caller's key may do `action` at this event's door (access.authorise: 403/404 otherwise)."""
    return authorise(caller_scope(app), action, event_id)


_REFUSED = (CheckinRejected, ErrorBody)  # a refused scan, or the edge's / the event's own error


@edge.post("/events/<event_id>/checkins", body=ScanIn, status=201, response=CheckinOk,
           responses={200: CheckinOk, 404: _REFUSED, 409: _REFUSED, 422: _REFUSED},
           summary="Check a ticket in", description="201 a new check-in; 200 the same nonce again (nothing doubled); "
           "refused: 409 `already_checked_in` (with the first scan), 404 `unknown_code`, "
           "422 `not_registered` | `cancelled` | `waitlisted`.")
def post_checkin(event_id: str, body: ScanIn):
    _allow(Action.SCAN, event_id)
    received_at = now_iso()
    scan = checkin.Scan.parse(given(body), received_at=received_at)
    result = checkin.perform_checkin(event_id, scan, received_at=received_at)
    logger.info("scan", extra={"event_id": event_id, "result": "ok", "replay": result.replay, "device": scan.device})
    if not result.replay:
        metrics.add_metric(name="CheckIns", unit=MetricUnit.Count, value=1)
    return json_response(result.http_status, result.to_dict())


@edge.post("/events/<event_id>/checkins/batch", body=BatchIn, response=BatchOut,
           summary="Offline scans", description="Each scan is answered at its index with its own status, "
           "idempotent by nonce; the earliest of conflicting scans wins.")
def post_batch(event_id: str, body: BatchIn):
    _allow(Action.SCAN, event_id)
    items = checkin.perform_batch(event_id, body.scans)
    metrics.add_metric(name="CheckIns", unit=MetricUnit.Count, value=sum(1 for i in items if i.status == 201))
    logger.info("offline batch", extra={"event_id": event_id, "scans": len(items)})
    return {"results": [{"index": i.index, "status": i.status, **i.body} for i in items]}


@edge.post("/events/<event_id>/checkins/<nonce>/annul", body=AnnulIn, response=Annulled,
           responses={403: _REFUSED, 404: _REFUSED, 409: _REFUSED},
           summary="Undo a mistaken check-in", description="Only the device that scanned, within 15 minutes.")
def annul(event_id: str, nonce: str, body: AnnulIn):
    _allow(Action.SCAN, event_id)
    device = body.device.strip()
    if not device:
        raise InvalidRequest(Code.INVALID_FIELD, "field 'device': the device that scanned", {"field": "device"})
    booking = checkin.annul_checkin(event_id, nonce, device)
    return {"result": "annulled", "nonce": nonce, "booking_id": booking.booking_id, "identifier": booking.identifier}


@edge.get("/events/<event_id>/checkins/search", query=SearchQuery, response=SearchOut, summary="Find a guest by name")
def search(event_id: str, query: SearchQuery):
    _allow(Action.SCAN, event_id)
    return {"guests": door.search_guests(event_id, query.q)}


@edge.get("/events/<event_id>/checkins/stats", response=Stats, summary="The door's live counters")
def stats(event_id: str):
    return door.checkin_stats(_allow(Action.DOOR_STATS, event_id).event)


@edge.get("/events/<event_id>/checkins", query=ScansQuery, response=ScansOut, summary="The newest scans (organisers)")
def list_scans(event_id: str, query: ScansQuery):
    _allow(Action.LIST_SCANS, event_id)
    return {"scans": door.recent_scans(event_id, result=query.result, limit=query.limit)}


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return app.resolve(event, context)
