"""Organiser bookings (DESIGN.md s4): book, waitlist, overbook on purpose, cancel, unregister; cause `organiser`."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from support.guests import guest_call, new_contact, new_event, organiser_call

ROUTE = "/events/{event_id}/contacts/{identifier}"


def _call(stack, organiser, event_id, identifier, tail="", body=None, **params):
    path = f"/events/{event_id}/contacts/{identifier}{tail}"
    route = ROUTE + tail.replace(params.get("booking_id", "\0"), "{booking_id}")
    return organiser_call(stack, organiser, "POST" if tail else "GET", path, route, body=body,
                          path_parameters={"event_id": event_id, "identifier": identifier, **params})


def _book(stack, organiser, event_id, identifier, **body):
    return _call(stack, organiser, event_id, identifier, "/bookings", body=body)


def test_organiser_books_confirmed_then_event_full_unless_over_capacity(stack, organiser):
    event_id = new_event(stack, organiser, capacity=1)
    new_contact(stack, organiser, event_id, "a@example.com")
    new_contact(stack, organiser, event_id, "b@example.com")
    status, booking, _ = _book(stack, organiser, event_id, "a@example.com", answers={"diet": "vegan"})
    assert status == 201 and booking["status"] == "confirmed" and booking["answers"] == {"diet": "vegan"}
    assert booking["ticket_code"] and booking["over_capacity"] is False
    status, body, _ = _book(stack, organiser, event_id, "b@example.com", status="confirmed")
    assert status == 409 and body["error"]["code"] == "event_full"
    status, booking, _ = _book(stack, organiser, event_id, "b@example.com", status="confirmed", over_capacity=True)
    assert status == 201 and booking["status"] == "confirmed" and booking["over_capacity"] is True
    status, event, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}", "/events/{event_id}",
                                      path_parameters={"event_id": event_id})
    assert event["confirmed"] == 2 and event["capacity"] == 1
    status, contact, _ = _call(stack, organiser, event_id, "b@example.com")
    assert contact["status"] == "registered"


def test_organiser_puts_a_contact_on_the_waitlist_even_with_free_seats(stack, organiser):
    event_id = new_event(stack, organiser, capacity=10)
    new_contact(stack, organiser, event_id, "w@example.com")
    status, booking, _ = _book(stack, organiser, event_id, "w@example.com", status="waitlisted")
    assert status == 201 and booking["status"] == "waitlisted"
    assert _call(stack, organiser, event_id, "w@example.com")[1]["status"] == "waitlisted"


def test_organiser_cancel_promotes_the_waitlist_and_unregister_cancels_everything(stack, organiser):
    event_id = new_event(stack, organiser, capacity=1, max_bookings_per_contact=2)
    new_contact(stack, organiser, event_id, "first@example.com")
    _c, waiting_token = new_contact(stack, organiser, event_id, "second@example.com")
    first = _book(stack, organiser, event_id, "first@example.com")[1]
    assert guest_call(stack, "book", waiting_token)[1]["status"] == "waitlisted"
    status, body, _ = _call(stack, organiser, event_id, "first@example.com",
                            f"/bookings/{first['booking_id']}/cancel", booking_id=first["booking_id"])
    assert status == 200 and body["status"] == "cancelled"
    assert guest_call(stack, "view", waiting_token)[1]["status"] == "registered"
    status, body, _ = _call(stack, organiser, event_id, "first@example.com", "/bookings/bk-nope/cancel", booking_id="bk-nope")
    assert status == 404 and body["error"]["code"] == "booking_not_found"

    _book(stack, organiser, event_id, "first@example.com", status="waitlisted")
    _book(stack, organiser, event_id, "first@example.com", status="waitlisted")
    status, body, _ = _call(stack, organiser, event_id, "first@example.com", "/unregister")
    assert status == 200 and body["status"] == "unregistered"
    assert {b["status"] for b in body["bookings"]} == {"cancelled"} and len(body["bookings"]) == 3
    # a contact that never booked can be unregistered too
    new_contact(stack, organiser, event_id, "never@example.com")
    status, body, _ = _call(stack, organiser, event_id, "never@example.com", "/unregister")
    assert status == 200 and body["status"] == "unregistered" and body["bookings"] == []


def test_organiser_changes_reach_the_history_with_cause_organiser(stack, organiser):
    from guestlist.history import entry_for_change
    from guestlist.models import ContactModel, contact_pk

    event_id = new_event(stack, organiser)
    new_contact(stack, organiser, event_id, "h@example.com")
    pk = contact_pk(event_id, "h@example.com")

    def image():
        return ContactModel.get(pk, "CONTACT", consistent_read=True).serialize()

    def plain_image():
        from boto3.dynamodb.types import TypeDeserializer

        return {k: TypeDeserializer().deserialize(v) for k, v in image().items()}

    before = plain_image()
    booking = _book(stack, organiser, event_id, "h@example.com")[1]
    booked = plain_image()
    _call(stack, organiser, event_id, "h@example.com", f"/bookings/{booking['booking_id']}/cancel", booking_id=booking["booking_id"])
    cancelled = plain_image()
    _book(stack, organiser, event_id, "h@example.com")
    rebooked = plain_image()
    _call(stack, organiser, event_id, "h@example.com", "/unregister")
    unregistered = plain_image()
    entries = [entry_for_change(a, b) for a, b in ((before, booked), (booked, cancelled), (cancelled, rebooked), (rebooked, unregistered))]
    assert [(e.new_status, e.cause) for e in entries] == [
        ("registered", "organiser"), ("unregistered", "organiser"), ("registered", "organiser"), ("unregistered", "organiser")]


def test_unknown_contact_and_other_workspace_are_not_found(stack, organiser):
    from guestlist.keys import ensure_organiser_key, resolve_key

    event_id = new_event(stack, organiser)
    status, body, _ = _book(stack, organiser, event_id, "ghost@example.com")
    assert status == 404 and body["error"]["code"] == "contact_not_found"
    new_contact(stack, organiser, event_id, "mine@example.com")
    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-{uuid.uuid4().hex[:8]}", key)
    other = {"key": key, "scope": resolve_key(key).as_context()}
    for tail, params in (("/bookings", {}), ("/unregister", {}), ("/bookings/bk-1/cancel", {"booking_id": "bk-1"})):
        status, body, _ = _call(stack, other, event_id, "mine@example.com", tail, body={} if tail == "/bookings" else None, **params)
        assert status == 404 and body["error"]["code"] == "event_not_found", tail


def test_concurrent_organiser_and_guest_bookings_never_exceed_capacity(stack, organiser):
    event_id = new_event(stack, organiser, capacity=3)
    ids = [f"r{i}@example.com" for i in range(8)]
    tokens = {i: new_contact(stack, organiser, event_id, i)[1] for i in ids}

    def go(n_identifier):
        n, identifier = n_identifier
        if n % 2:
            return _book(stack, organiser, event_id, identifier)[0:2]
        return guest_call(stack, "book", tokens[identifier])[0:2]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(go, enumerate(ids)))
    confirmed = [b for s, b in results if s == 201 and b["status"] == "confirmed"]
    assert len(confirmed) == 3
    assert all(s == 201 or (s == 409 and b["error"]["code"] == "event_full") for s, b in results)


def test_unregister_cancels_many_bookings_in_a_few_transactions(stack, organiser):
    """Each booking used to be cancelled in its own transaction with the whole partition read again after it:
    work in the square of the bookings (over 10 s for the fuzzer's contact). Now one transaction per chunk."""
    from support.checkin import dynamodb_calls

    event_id = new_event(stack, organiser, capacity=100, max_bookings_per_contact=60)
    new_contact(stack, organiser, event_id, "many@example.com")
    for n in range(30):
        assert _book(stack, organiser, event_id, "many@example.com", status="waitlisted" if n % 2 else "confirmed")[0] == 201
    with dynamodb_calls() as calls:
        status, body, _ = _call(stack, organiser, event_id, "many@example.com", "/unregister")
    assert status == 200 and body["status"] == "unregistered"
    assert len(body["bookings"]) == 30 and {b["status"] for b in body["bookings"]} == {"cancelled"}
    assert calls.count("TransactWriteItems") <= 2 and len(calls) < 20, calls
    event = organiser_call(stack, organiser, "GET", f"/events/{event_id}", "/events/{event_id}",
                           path_parameters={"event_id": event_id})[1]
    assert event["confirmed"] == 0


def test_unregister_hands_seats_to_the_waitlist_and_refuses_a_checked_in_booking_before_any_change(stack, organiser):
    from support.checkin import door_key, scan

    event_id = new_event(stack, organiser, capacity=2, max_bookings_per_contact=3)
    new_contact(stack, organiser, event_id, "leaving@example.com")
    for want in ("confirmed", "confirmed", "waitlisted"):
        assert _book(stack, organiser, event_id, "leaving@example.com", status=want)[1]["status"] == want
    _c, waiting = new_contact(stack, organiser, event_id, "waiting@example.com")
    assert guest_call(stack, "book", waiting)[1]["status"] == "waitlisted"
    status, body, _ = _call(stack, organiser, event_id, "leaving@example.com", "/unregister")
    assert status == 200 and {b["status"] for b in body["bookings"]} == {"cancelled"}
    assert guest_call(stack, "view", waiting)[1]["status"] == "registered"
    event = organiser_call(stack, organiser, "GET", f"/events/{event_id}", "/events/{event_id}",
                           path_parameters={"event_id": event_id})[1]
    assert event["confirmed"] == 1

    new_contact(stack, organiser, event_id, "present@example.com")
    # the waitlisted booking first: cancelling in order would change it before meeting the checked-in one
    assert _book(stack, organiser, event_id, "present@example.com", status="waitlisted")[0] == 201
    seat = _book(stack, organiser, event_id, "present@example.com")[1]
    assert seat["status"] == "confirmed"
    assert scan(stack, door_key(stack, organiser, event_id), seat["ticket_code"])[0] == 201
    before = _call(stack, organiser, event_id, "present@example.com")[1]
    status, body, _ = _call(stack, organiser, event_id, "present@example.com", "/unregister")
    assert status == 409 and body["error"]["code"] == "already_checked_in"
    assert _call(stack, organiser, event_id, "present@example.com")[1] == before
