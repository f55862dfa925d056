"""Organiser and guest API calls: an event with contacts, the guest routes, a contact's stored items."""

from __future__ import annotations

import uuid

import boto3

from support.events import http_event


def organiser_call(stack, organiser, method, path, route, body=None, path_parameters=None, query=None):
    event = http_event(method, path, route, body=body, path_parameters=path_parameters, query=query,
                       headers={"authorization": f"Bearer {organiser['key']}"}, authorizer=organiser["scope"])
    return stack.http("OrganiserApiFunction", event)


def new_event(stack, organiser, **fields) -> str:
    status, body, _ = organiser_call(stack, organiser, "POST", "/events", "/events", body={
        "name": "Gala", "start": "2027-06-01T18:00:00+02:00", "end": "2027-06-01T23:00:00+02:00",
        "timezone": "Europe/Zurich", "languages": ["de", "fr", "en"], "default_language": "de", **fields})
    assert status == 201, body
    return body["event_id"]


def new_contact(stack, organiser, event_id, identifier=None, **fields) -> tuple[dict, str]:
    identifier = identifier or f"guest-{uuid.uuid4().hex[:10]}"
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                                     path_parameters={"event_id": event_id}, body={"identifier": identifier, **fields})
    assert status == 201, body
    return body, token_of(body["personal_link"])


def token_of(link: str) -> str:
    return link.split("/e/")[1].split("?")[0]


GUEST_ROUTES = {
    "view": ("GET", "/e/{token}", None),
    "visit": ("POST", "/e/{token}/visit", None),
    "book": ("POST", "/e/{token}/bookings", {"firstname": "X"}),
    "cancel": ("POST", "/e/{token}/bookings/{booking_id}/cancel", None),
    "decline": ("POST", "/e/{token}/decline", None),
    "calendar": ("GET", "/e/{token}/calendar.ics", None),
}


def guest_call(stack, name: str, token: str, *, body=None, booking_id="bk-none", headers=None, query=None):
    method, route, default_body = GUEST_ROUTES[name]
    params = {"token": token, **({"booking_id": booking_id} if "{booking_id}" in route else {})}
    path = route.replace("{token}", token).replace("{booking_id}", booking_id)
    return stack.http("GuestApiFunction", http_event(method, path, route, body=body if body is not None else default_body,
                                                     path_parameters=params, headers=headers, query=query))


def partition_items(stack, event_id: str, identifier: str) -> list[dict]:
    """Every stored item of the contact's partition and the event's items, to compare before/after."""
    ddb = boto3.client("dynamodb")
    contacts = ddb.query(TableName=stack.physical("ContactsTable"), KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": f"C#{event_id}#{identifier}"}}, ConsistentRead=True)["Items"]
    events = ddb.query(TableName=stack.physical("EventsTable"), KeyConditionExpression="pk = :p",
                       ExpressionAttributeValues={":p": {"S": f"EVENT#{event_id}"}}, ConsistentRead=True)["Items"]
    return sorted(contacts + events, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
