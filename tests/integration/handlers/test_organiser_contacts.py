"""Organiser API on contacts: edit, delete, listing filters, and tenant isolation (DESIGN.md s4)."""

from __future__ import annotations

import uuid

from guestlist.codes import Code
from support.guests import guest_call, new_contact, new_event, organiser_call


def _contact_path(event_id, identifier):
    encoded = identifier.replace("@", "%40")
    return (f"/events/{event_id}/contacts/{encoded}", "/events/{event_id}/contacts/{identifier}",
            {"event_id": event_id, "identifier": encoded})


def test_patch_sets_validated_fields_removes_nulls_and_keeps_the_rest(stack, organiser):
    event_id = new_event(stack, organiser)
    new_contact(stack, organiser, event_id, "pat@example.com", firstname="Pat", city="Bern", zip="3000")
    path, route, params = _contact_path(event_id, "pat@example.com")
    status, body, _ = organiser_call(stack, organiser, "PATCH", path, route, path_parameters=params,
                                     body={"lastname": "Muster", "city": None, "phone_mobile": "079 123 45 67", "groups": ["vip"]})
    assert status == 200, body
    assert body["lastname"] == "Muster" and body["firstname"] == "Pat" and body["zip"] == "3000"
    assert "city" not in body and body["phone_mobile"] == "+41791234567" and body["groups"] == ["vip"]
    status, body, _ = organiser_call(stack, organiser, "PATCH", path, route, path_parameters=params, body={"email": "nope"})
    assert status == 422 and body["error"]["code"] == Code.INVALID_EMAIL
    status, body, _ = organiser_call(stack, organiser, "PATCH", path, route, path_parameters=params, body={"status": "attended"})
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "unknown_field", "status")  # derived, never set


def test_delete_refuses_a_contact_with_a_booking_and_deletes_one_without(stack, organiser):
    event_id = new_event(stack, organiser)
    _c, token = new_contact(stack, organiser, event_id, "booked@example.com")
    guest_call(stack, "book", token)
    new_contact(stack, organiser, event_id, "free@example.com")
    path, route, params = _contact_path(event_id, "booked@example.com")
    status, body, _ = organiser_call(stack, organiser, "DELETE", path, route, path_parameters=params)
    assert status == 409 and body["error"]["code"] == Code.HAS_BOOKINGS
    path, route, params = _contact_path(event_id, "free@example.com")
    assert organiser_call(stack, organiser, "DELETE", path, route, path_parameters=params)[0] == 200
    assert organiser_call(stack, organiser, "GET", path, route, path_parameters=params)[0] == 404


def test_listing_filters_by_status_group_and_text_and_pages_with_a_cursor(stack, organiser):
    event_id = new_event(stack, organiser)
    for i in range(5):
        new_contact(stack, organiser, event_id, f"p{i}@example.com", firstname=f"Person{i}", groups=["a"] if i % 2 else [])
    _c, token = new_contact(stack, organiser, event_id, "booker@example.com", firstname="Booker")
    guest_call(stack, "book", token)

    def listing(**query):
        status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                                         path_parameters={"event_id": event_id}, query=query)
        assert status == 200, body
        return body

    assert [c["identifier"] for c in listing(status="registered")["contacts"]] == ["booker@example.com"]
    assert sorted(c["identifier"] for c in listing(group="a")["contacts"]) == ["p1@example.com", "p3@example.com"]
    assert [c["identifier"] for c in listing(q="person4")["contacts"]] == ["p4@example.com"]
    seen, cursor = [], None
    while True:
        page = listing(limit="2", **({"cursor": cursor} if cursor else {}))
        seen += [c["identifier"] for c in page["contacts"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([f"p{i}@example.com" for i in range(5)] + ["booker@example.com"])


def test_a_key_of_another_workspace_sees_nothing_of_this_one(stack, organiser):
    from guestlist.keys import ensure_organiser_key, resolve_key

    event_id = new_event(stack, organiser)
    new_contact(stack, organiser, event_id, "secret@example.com")
    other_key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-other-{uuid.uuid4().hex[:6]}", other_key)
    other = {"key": other_key, "scope": resolve_key(other_key).as_context()}
    path, route, params = _contact_path(event_id, "secret@example.com")
    for method, p, r, pp in [("GET", f"/events/{event_id}", "/events/{event_id}", {"event_id": event_id}),
                             ("GET", f"/events/{event_id}/contacts", "/events/{event_id}/contacts", {"event_id": event_id}),
                             ("GET", path, route, params), ("DELETE", path, route, params),
                             ("POST", f"/events/{event_id}/checkin-keys", "/events/{event_id}/checkin-keys", {"event_id": event_id})]:
        status, body, _ = organiser_call(stack, other, method, p, r, path_parameters=pp)
        assert status == 404 and body["error"]["code"] == Code.EVENT_NOT_FOUND, (method, p, body)
    status, body, _ = organiser_call(stack, other, "GET", "/events", "/events")
    assert event_id not in str(body)
