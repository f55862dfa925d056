"""Organiser API: contact groups of an event (create, list with member counts, members, delete)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from msgspec import UNSET

from guestlist.api import SECURITY_HEADERS, organiser_cause, organiser_event
from guestlist.edge import Edge
from guestlist.lean_imports import on_first_use
from guestlist.schemas.groups import Group, GroupIn, GroupList, MembersIn, MembersOut

groups = on_first_use("guestlist.groups")  # with the contacts' rules: imported by the first group request

router = Router()
edge = Edge(router, tag="groups")


def _event(event_id: str) -> None:
    organiser_event(router, event_id)


def no_content() -> Response:
    return Response(status_code=204, headers=dict(SECURITY_HEADERS))


@edge.get("/events/<event_id>/groups", response=GroupList, errors=(404,), summary="The event's contact groups",
          description="Every group, with the number of contacts in it (counted from the contacts).")
def list_groups(event_id: str):
    _event(event_id)
    return {"groups": groups.list_groups(event_id)}


@edge.post("/events/<event_id>/groups", body=GroupIn, status=201, response=Group, errors=(404, 409),
           summary="Create a contact group")
def create_group(event_id: str, body: GroupIn):
    _event(event_id)
    return groups.create_group(event_id, body.name)


@edge.delete("/events/<event_id>/groups/<name>", status=204, errors=(404,), summary="Delete a contact group",
             description="The contacts stay; they lose the group.")
def delete_group(event_id: str, name: str):
    _event(event_id)
    groups.delete_group(event_id, name, organiser_cause(router, "group_deleted"))
    return no_content()


@edge.post("/events/<event_id>/groups/<name>/members", body=MembersIn, response=MembersOut, errors=(404,),
           summary="Add contacts to a group",
           description="By `identifiers`, or every contact the listing's `filter` gives; the group is created if missing.")
def add_members(event_id: str, name: str, body: MembersIn):
    _event(event_id)
    identifiers = None if body.identifiers is UNSET else body.identifiers
    filters = None if body.filter is UNSET else body.filter.as_kwargs()
    return groups.add_members(event_id, name, organiser_cause(router), identifiers=identifiers, filters=filters)


@edge.delete("/events/<event_id>/groups/<name>/members/<identifier>", status=204, errors=(404,),
             summary="Remove a contact from a group")
def remove_member(event_id: str, name: str, identifier: str):
    _event(event_id)
    groups.remove_member(event_id, name, identifier, organiser_cause(router))
    return no_content()
