"""Door check-in steps: guests with bookings, check-in keys resolved by the authorizer, scans, round-trip counting."""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

from support.events import authorizer_event, http_event
from support.guests import organiser_call
from support.sdk import intercepted

ROUTE = "/events/{event_id}/checkins"


def new_guest(stack, organiser, event_id, identifier=None, **fields) -> tuple[str, str]:
    """(identifier, link token) of a fresh contact."""
    identifier = identifier or f"g-{uuid.uuid4().hex[:10]}"
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                                     path_parameters={"event_id": event_id}, body={"identifier": identifier, **fields})
    assert status == 201, body
    return body["identifier"], body["personal_link"].split("/e/")[1].split("?")[0]


def guest(stack, method, token, suffix="", body=None, booking_id=None):
    route = "/e/{token}" + suffix.replace(booking_id or "\0", "{booking_id}")
    params = {"token": token, **({"booking_id": booking_id} if booking_id else {})}
    return stack.http("GuestApiFunction", http_event(method, f"/e/{token}{suffix}", route, body=body, path_parameters=params))


def book(stack, token) -> dict:
    status, booking, _ = guest(stack, "POST", token, "/bookings", body={})
    assert status == 201, booking
    return booking


def booked_guest(stack, organiser, event_id, **fields) -> tuple[str, str, dict]:
    identifier, token = new_guest(stack, organiser, event_id, **fields)
    return identifier, token, book(stack, token)


def door_key(stack, organiser, event_id) -> dict:
    """A check-in key of the event, resolved by the authorizer as API Gateway would."""
    status, created, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/checkin-keys",
                                        "/events/{event_id}/checkin-keys", path_parameters={"event_id": event_id}, body={})
    assert status == 201
    return {"key": created["key"], "key_id": created["key_id"], "event_id": event_id,
            "scope": authorize(stack, created["key"], f"POST {ROUTE}", event_id)["context"]}


def authorize(stack, key, route_key, event_id, extra_params=None):
    _method, route = route_key.split(" ", 1)
    params = {"event_id": event_id, **(extra_params or {})}
    path = route.replace("{event_id}", event_id)
    for name, value in (extra_params or {}).items():
        path = path.replace("{" + name + "}", value)
    return stack.invoke("AuthorizerFunction", authorizer_event(route_key, path, f"Bearer {key}", params))


def door(stack, scope, event_id, method="POST", suffix="", body=None, query=None, params=None):
    route = ROUTE + suffix
    path = route.replace("{event_id}", event_id)
    for name, value in (params or {}).items():
        path = path.replace("{" + name + "}", value)
    event = http_event(method, path, route, body=body, query=query, authorizer=scope,
                       path_parameters={"event_id": event_id, **(params or {})})
    return stack.http("CheckinApiFunction", event)


def scan(stack, key, code, **fields):
    return door(stack, key["scope"], key["event_id"], body={"code": code, **fields})


@contextmanager
def dynamodb_calls():
    """Counts DynamoDB round trips made by this thread (every PynamoDB call goes through botocore here)."""
    calls: list[str] = []
    me = threading.get_ident()

    def counting(call, client, operation_name, api_params):
        if client.meta.service_model.service_name == "dynamodb" and threading.get_ident() == me:
            calls.append(operation_name)
        return call()

    with intercepted(counting):
        yield calls


def contact(stack, organiser, event_id, identifier) -> dict:
    status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/contacts/{identifier}",
                                     "/events/{event_id}/contacts/{identifier}",
                                     path_parameters={"event_id": event_id, "identifier": identifier})
    assert status == 200, body
    return body
