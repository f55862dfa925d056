"""Organiser API: events, contacts, check-in keys, accounts and imports of one workspace."""

from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from guestlist import accounts, contacts, events, history, imports, keys
from guestlist.api import install_error_handlers, json_body, json_response, organiser_cause, organiser_workspace
from guestlist.edge import Edge, given
from guestlist.schemas.events import Event, EventCreate, EventList, EventPatch
from guestlist.errors import InvalidRequest, NotFound
from guestlist.models import Cause, contact_pk
from guestlist.observability import new_metrics, new_tracer
from guestlist.retry import lambda_deadline
from organiser_accounts import router as accounts_router
from organiser_bookings import router as bookings_router
from organiser_exports import router as exports_router
from organiser_campaigns import router as campaigns_router
from organiser_groups import router as groups_router

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
app = APIGatewayHttpResolver()
install_error_handlers(app)
edge = Edge(app, tag="organiser")


def _workspace() -> str:
    return organiser_workspace(app)


def _cause() -> Cause:
    return organiser_cause(app)


def _event(event_id: str):
    return events.get_event(event_id, _workspace())


# ------------------------------------------------------------------ events

@edge.post("/events", body=EventCreate, status=201, response=Event, errors=(409,), summary="Create an event",
           description="A new event gets the default form (firstname, lastname, email, organization) unless it sends one.")
def create_event(body: EventCreate):
    event, warnings = events.create_event(_workspace(), given(body))
    return events.event_json(event, warnings)


@edge.get("/events", response=EventList, summary="The workspace's events")
def list_events():
    return {"events": events.list_events(_workspace())}


@edge.get("/events/<event_id>", response=Event, summary="One event")
def get_event(event_id: str):
    return events.event_json(_event(event_id))


@edge.patch("/events/<event_id>", body=EventPatch, response=Event, errors=(409,),
            summary="Change an event",
            description="Absent fields stay; null clears an optional field; `form` is replaced whole. "
                        "`warnings` lists custom form fields labelled like a predefined field.")
def patch_event(event_id: str, body: EventPatch):
    event, warnings = events.update_event(event_id, _workspace(), given(body))
    return events.event_json(event, warnings)


# ------------------------------------------------------------------ contacts

@app.post("/events/<event_id>/contacts")
def create_contact(event_id: str):
    contact = contacts.create_contact(event_id, _workspace(), json_body(app), _cause())
    return json_response(201, contacts.contact_json(contact))


@app.get("/events/<event_id>/contacts")
def list_contacts(event_id: str):
    _event(event_id)
    params = app.current_event.query_string_parameters or {}
    try:
        limit = max(1, min(int(params.get("limit", 100)), 500))
    except ValueError:
        raise InvalidRequest("invalid_field", "query 'limit': a whole number from 1 to 500", {"field": "limit"}) from None
    found, cursor = contacts.list_contacts(event_id, status=params.get("status"), group=params.get("group"),
                                           q=params.get("q"), permission_group=params.get("permission_group"),
                                           cursor=params.get("cursor"), limit=limit)
    return json_response(200, {"contacts": [contacts.contact_json(c) for c in found], "cursor": cursor})


@app.get("/events/<event_id>/contacts/<identifier>")
def get_contact(event_id: str, identifier: str):
    _event(event_id)
    return json_response(200, contacts.contact_json(contacts.get_contact(event_id, unquote(identifier))))


@app.patch("/events/<event_id>/contacts/<identifier>")
def patch_contact(event_id: str, identifier: str):
    contact = contacts.update_contact(event_id, _workspace(), unquote(identifier), json_body(app), _cause())
    return json_response(200, contacts.contact_json(contact))


@app.delete("/events/<event_id>/contacts/<identifier>")
def delete_contact(event_id: str, identifier: str):
    contacts.delete_contact(event_id, _workspace(), unquote(identifier), _cause())
    return json_response(200, {"identifier": unquote(identifier), "deleted": True})


@app.get("/events/<event_id>/contacts/<identifier>/history")
def contact_history(event_id: str, identifier: str):
    _event(event_id)
    contact = contacts.get_contact(event_id, unquote(identifier))
    return json_response(200, {"identifier": contact.identifier, "status": contact.status,
                               "history": history.history_of(contact_pk(event_id, contact.identifier))})


@app.post("/events/<event_id>/contacts/<identifier>/link/rotate")
def rotate_link(event_id: str, identifier: str):
    _event(event_id)
    contact = contacts.rotate_link(event_id, unquote(identifier), _cause())
    return json_response(200, contacts.contact_json(contact))


# ------------------------------------------------------------------ check-in keys

@app.post("/events/<event_id>/checkin-keys")
def create_checkin_key(event_id: str):
    workspace = _workspace()
    events.get_event(event_id, workspace)
    label = json_body(app).get("label")
    key, listing = keys.create_checkin_key(workspace, event_id, str(label) if label else None)
    return json_response(201, {"key_id": listing.key_id, "key": key, "label": listing.label, "event_id": event_id})


@app.get("/events/<event_id>/checkin-keys")
def list_checkin_keys(event_id: str):
    _event(event_id)
    return json_response(200, {"keys": keys.list_checkin_keys(event_id)})


@app.delete("/events/<event_id>/checkin-keys/<key_id>")
def delete_checkin_key(event_id: str, key_id: str):
    _event(event_id)
    keys.revoke_checkin_key(event_id, key_id)
    return json_response(200, {"key_id": key_id, "revoked": True})


# ------------------------------------------------------------------ accounts

@app.post("/accounts")
def create_account():
    return json_response(201, accounts.account_json(accounts.create_account(_workspace(), json_body(app))))


@app.get("/accounts")
def list_accounts():
    group = (app.current_event.query_string_parameters or {}).get("group")
    return json_response(200, {"accounts": [accounts.account_json(a) for a in accounts.list_accounts(_workspace(), group)]})


@app.get("/accounts/<username>")
def get_account(username: str):
    return json_response(200, accounts.account_json(accounts.get_account(_workspace(), unquote(username))))


# ------------------------------------------------------------------ imports

@app.post("/events/<event_id>/imports")
def create_import(event_id: str):
    return json_response(201, imports.request_import(_event(event_id), json_body(app)))


@app.get("/events/<event_id>/imports")
def list_imports(event_id: str):
    _event(event_id)
    return json_response(200, {"imports": imports.list_imports(event_id)})


@app.get("/events/<event_id>/imports/<import_id>")
def get_import(event_id: str, import_id: str):
    _event(event_id)
    job = imports.get_job(import_id)
    if job.event_id != event_id:
        raise NotFound("import_not_found", f"no import {import_id!r}")
    return json_response(200, imports.report_json(job))


app.include_router(groups_router)
app.include_router(bookings_router)
app.include_router(exports_router)
app.include_router(campaigns_router)
app.include_router(accounts_router)


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return app.resolve(event, context)
