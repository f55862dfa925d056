"""Organiser API: events, contacts, check-in keys, accounts and imports of one workspace."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import botocore.httpsession  # noqa: F401  (then botocore and its HTTP layer, at the top of the stack: see lean_imports)

# isort: split

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from organiser_accounts import router as accounts_router
from organiser_bookings import router as bookings_router
from organiser_campaigns import router as campaigns_router
from organiser_exports import router as exports_router
from organiser_groups import router as groups_router

from guestlist.api import HttpResolver, install_error_handlers, organiser_cause, organiser_event, organiser_workspace
from guestlist.codes import Code
from guestlist.edge import Edge, given
from guestlist.errors import NotFound
from guestlist.lean_imports import on_first_use
from guestlist.models.base import contact_pk
from guestlist.observability import new_metrics, new_tracer
from guestlist.retry import lambda_deadline
from guestlist.schemas.accounts import Account, AccountCreate, AccountList, AccountsQuery
from guestlist.schemas.contact import Contact
from guestlist.schemas.contacts import (
    CheckinKeyCreate,
    CheckinKeyCreated,
    CheckinKeyList,
    CheckinKeyRevoked,
    ContactCreate,
    ContactDeleted,
    ContactHistory,
    ContactPatch,
    ContactsPage,
    ContactsQuery,
)
from guestlist.schemas.events import Event, EventCreate, EventList, EventPatch
from guestlist.schemas.imports import ImportList, ImportReport, ImportRequest, ImportUpload

if TYPE_CHECKING:
    from guestlist.models import Cause

# each resource's domain module (with its storage models) is imported by the first request that needs it:
# a container serves a few of the 44 routes, and declaring them all stays cheap (cold start, DESIGN.md s9)
accounts = on_first_use("guestlist.accounts")
contacts = on_first_use("guestlist.contacts")
events = on_first_use("guestlist.events")
event_changes = on_first_use("guestlist.event_changes")
keys = on_first_use("guestlist.keys")
history = on_first_use("guestlist.history")
imports = on_first_use("guestlist.imports")

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
app = HttpResolver()
install_error_handlers(app)
edge = Edge(app, tag="organiser")


def _workspace() -> str:
    return organiser_workspace(app)


def _cause() -> "Cause":
    return organiser_cause(app)


def _event(event_id: str):
    return organiser_event(app, event_id)


# ------------------------------------------------------------------ events

@edge.post("/events", body=EventCreate, status=201, response=Event, errors=(409,), summary="Create an event",
           description="A new event gets the default form (firstname, lastname, email, organization) unless it sends one.")
def create_event(body: EventCreate):
    event, warnings = event_changes.create_event(_workspace(), given(body))
    return events.event_json(event, warnings)


@edge.get("/events", response=EventList, summary="The workspace's events")
def list_events():
    return {"events": event_changes.list_events(_workspace())}


@edge.get("/events/<event_id>", response=Event, summary="One event")
def get_event(event_id: str):
    return events.event_json(_event(event_id))


@edge.patch("/events/<event_id>", body=EventPatch, response=Event, errors=(409,),
            summary="Change an event",
            description="Absent fields stay; null clears an optional field; `form` is replaced whole. "
                        "`warnings` lists custom form fields labelled like a predefined field.")
def patch_event(event_id: str, body: EventPatch):
    event, warnings = event_changes.update_event(event_id, _workspace(), given(body))
    return events.event_json(event, warnings)


# ------------------------------------------------------------------ contacts

@edge.post("/events/<event_id>/contacts", body=ContactCreate, status=201, response=Contact, errors=(409,),
           summary="Add a contact", description="Validated like an import row; 409 `already_exists`.")
def create_contact(event_id: str, body: ContactCreate):
    contact = contacts.create_contact(event_id, _workspace(), given(body), _cause())
    return contacts.contact_json(contact)


@edge.get("/events/<event_id>/contacts", query=ContactsQuery, response=ContactsPage, errors=(400,),
          summary="The event's contacts, filtered and paged",
          description="`cursor` is the previous page's, for the same filters (400 `invalid_cursor` otherwise).")
def list_contacts(event_id: str, query: ContactsQuery):
    _event(event_id)
    found, cursor = contacts.list_contacts(event_id, status=query.status, group=query.group, q=query.q,
                                           permission_group=query.permission_group, cursor=query.cursor, limit=query.limit)
    return {"contacts": [contacts.contact_json(c) for c in found], "cursor": cursor}


@edge.get("/events/<event_id>/contacts/<identifier>", response=Contact, summary="One contact")
def get_contact(event_id: str, identifier: str):
    _event(event_id)
    return contacts.contact_json(contacts.get_contact(event_id, identifier))


@edge.patch("/events/<event_id>/contacts/<identifier>", body=ContactPatch, response=Contact,
            summary="Change a contact", description="Absent fields stay; null removes a field; custom answers are merged.")
def patch_contact(event_id: str, identifier: str, body: ContactPatch):
    contact = contacts.update_contact(event_id, _workspace(), identifier, given(body), _cause())
    return contacts.contact_json(contact)


@edge.delete("/events/<event_id>/contacts/<identifier>", response=ContactDeleted, errors=(409,),
             summary="Delete a contact without active bookings")
def delete_contact(event_id: str, identifier: str):
    contacts.delete_contact(event_id, _workspace(), identifier, _cause())
    return {"identifier": identifier, "deleted": True}


@edge.get("/events/<event_id>/contacts/<identifier>/history", response=ContactHistory,
          summary="A contact's status history, oldest first")
def contact_history(event_id: str, identifier: str):
    _event(event_id)
    contact = contacts.get_contact(event_id, identifier)
    return {"identifier": contact.identifier, "status": contact.status,
            "history": history.history_of(contact_pk(event_id, contact.identifier))}


@edge.post("/events/<event_id>/contacts/<identifier>/link/rotate", response=Contact,
           summary="Give the contact a new personal link (the old one dies at once)")
def rotate_link(event_id: str, identifier: str):
    _event(event_id)
    return contacts.contact_json(contacts.rotate_link(event_id, identifier, _cause()))


# ------------------------------------------------------------------ check-in keys

@edge.post("/events/<event_id>/checkin-keys", body=CheckinKeyCreate, status=201, response=CheckinKeyCreated,
           summary="A door key for this event's check-in (shown once)")
def create_checkin_key(event_id: str, body: CheckinKeyCreate):
    workspace = _event(event_id).workspace_id
    key, listing = keys.create_checkin_key(workspace, event_id, body.label or None)
    return {"key_id": listing.key_id, "key": key, "label": listing.label, "event_id": event_id}


@edge.get("/events/<event_id>/checkin-keys", response=CheckinKeyList, summary="The event's door keys (without the keys)")
def list_checkin_keys(event_id: str):
    _event(event_id)
    return {"keys": keys.list_checkin_keys(event_id)}


@edge.delete("/events/<event_id>/checkin-keys/<key_id>", response=CheckinKeyRevoked, summary="Revoke a door key")
def delete_checkin_key(event_id: str, key_id: str):
    _event(event_id)
    keys.revoke_checkin_key(event_id, key_id)
    return {"key_id": key_id, "revoked": True}


# ------------------------------------------------------------------ accounts

@edge.post("/accounts", body=AccountCreate, status=201, response=Account, errors=(409,), summary="Create an account")
def create_account(body: AccountCreate):
    return accounts.account_json(accounts.create_account(_workspace(), given(body)))


@edge.get("/accounts", query=AccountsQuery, response=AccountList, summary="The workspace's accounts")
def list_accounts(query: AccountsQuery):
    return {"accounts": [accounts.account_json(a) for a in accounts.list_accounts(_workspace(), query.group)]}


@edge.get("/accounts/<username>", response=Account, summary="One account")
def get_account(username: str):
    return accounts.account_json(accounts.get_account(_workspace(), username))


# ------------------------------------------------------------------ imports

@edge.post("/events/<event_id>/imports", body=ImportRequest, status=201, response=(ImportUpload, ImportReport),
           summary="Start an import", description="`xlsx`: a presigned upload with the options bound; "
                                                   "`accounts`: the account group's import, started at once.")
def create_import(event_id: str, body: ImportRequest):
    sent = {name: value for name, value in given(body).items() if value is not None}
    return imports.request_import(_event(event_id), sent)


@edge.get("/events/<event_id>/imports", response=ImportList, summary="The event's imports, newest first")
def list_imports(event_id: str):
    _event(event_id)
    return {"imports": imports.list_imports(event_id)}


@edge.get("/events/<event_id>/imports/<import_id>", response=ImportReport, summary="One import's report")
def get_import(event_id: str, import_id: str):
    _event(event_id)
    job = imports.get_job(import_id)
    if job.event_id != event_id:
        raise NotFound(Code.IMPORT_NOT_FOUND, f"no import {import_id!r}")
    return imports.report_json(job)


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
