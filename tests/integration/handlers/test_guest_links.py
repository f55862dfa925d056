"""Personal links (DESIGN.md s4 guest, s5): tokens, rotation, visits, bookings under concurrency."""

from __future__ import annotations

import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from guestlist.codes import Code
from support.guests import GUEST_ROUTES, guest_call, new_contact, new_event, organiser_call, token_of


def test_token_is_256_bit_base64url_and_tables_hold_only_its_hash(stack, organiser):
    event_id = new_event(stack, organiser)
    _contact, token = new_contact(stack, organiser, event_id, "ada@example.com")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    dump = str(boto3.client("dynamodb").scan(TableName=stack.physical("ContactsTable"))["Items"])
    assert token not in dump
    assert hashlib.sha256(token.encode()).hexdigest() in dump


def test_a_dump_of_the_tables_resolves_no_link(stack, organiser):
    event_id = new_event(stack, organiser)
    _contact, token = new_contact(stack, organiser, event_id)
    digest = hashlib.sha256(token.encode()).hexdigest()
    status, body, _ = guest_call(stack, "view", digest[:43])
    assert status == 404 and body["error"]["code"] == Code.LINK_NOT_FOUND


def test_rotation_kills_the_old_link_at_once(stack, organiser):
    event_id = new_event(stack, organiser)
    _contact, old = new_contact(stack, organiser, event_id, "rot@example.com")
    status, rotated, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts/rot%40example.com/link/rotate",
                                        "/events/{event_id}/contacts/{identifier}/link/rotate",
                                        path_parameters={"event_id": event_id, "identifier": "rot%40example.com"})
    assert status == 200
    new = token_of(rotated["personal_link"])
    assert new != old
    assert guest_call(stack, "view", old)[0] == 404
    assert guest_call(stack, "view", new)[0] == 200


def test_mail_scanner_get_does_not_mark_accessed_but_visit_does_once(stack, organiser):
    event_id = new_event(stack, organiser)
    _contact, token = new_contact(stack, organiser, event_id)
    for _ in range(3):
        assert guest_call(stack, "view", token)[1]["status"] == "open"
    assert guest_call(stack, "view", token, headers={"accept": "text/html"})[0] == 200
    assert guest_call(stack, "view", token)[1]["status"] == "open"
    assert guest_call(stack, "visit", token)[1]["status"] == "accessed"
    assert guest_call(stack, "visit", token)[1]["status"] == "accessed"
    assert guest_call(stack, "view", token)[1]["status"] == "accessed"


@pytest.mark.parametrize("route", sorted(GUEST_ROUTES))
def test_unknown_rotated_and_foreign_tokens_get_the_identical_404(stack, organiser, route):
    event_id = new_event(stack, organiser)
    _c, rotated_token = new_contact(stack, organiser, event_id, "x@example.com")
    organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts/x%40example.com/link/rotate",
                   "/events/{event_id}/contacts/{identifier}/link/rotate",
                   path_parameters={"event_id": event_id, "identifier": "x%40example.com"})
    unknown = "A" * 43
    garbage = "not a token!"
    answers = [guest_call(stack, route, t) for t in (unknown, rotated_token, garbage)]
    assert {a[0] for a in answers} == {404}
    assert len({str(a[1]) for a in answers}) == 1


def test_booking_is_confirmed_with_a_ticket_code_distinct_from_the_link(stack, organiser):
    event_id = new_event(stack, organiser, capacity=10)
    _c, token = new_contact(stack, organiser, event_id)
    status, booking, _ = guest_call(stack, "book", token, body={"firstname": "Ada", "email": "ada@example.com"})
    assert status == 201 and booking["status"] == "confirmed"
    assert booking["ticket_code"] and booking["ticket_code"] != token
    view = guest_call(stack, "view", token)[1]
    assert view["status"] == "registered" and view["contact"]["email"] == "ada@example.com"
    assert view["bookings"][0]["ticket_code"] == booking["ticket_code"]
    assert view["actions"]["can_book"] is False


def test_form_answers_are_validated_like_the_import(stack, organiser):
    event_id = new_event(stack, organiser)
    _c, token = new_contact(stack, organiser, event_id)
    status, body, _ = guest_call(stack, "book", token, body={"email": "not-an-email"})
    assert status == 422 and body["error"]["code"] == Code.INVALID_EMAIL
    status, body, _ = guest_call(stack, "book", token, body={"phone_mobile": "12"})
    assert status == 422 and body["error"]["code"] == Code.UNKNOWN_FIELD  # not a field of the default form
    assert guest_call(stack, "view", token)[1]["bookings"] == []


def test_capacity_holds_under_200_concurrent_bookings_for_50_seats(stack, organiser):
    event_id = new_event(stack, organiser, capacity=50)
    tokens = [new_contact(stack, organiser, event_id)[1] for _ in range(200)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda t: guest_call(stack, "book", t), tokens))
    assert all(status == 201 for status, _b, _h in results), [r for r in results if r[0] != 201][:3]
    statuses = [body["status"] for _s, body, _h in results]
    assert statuses.count("confirmed") == 50
    assert statuses.count("waitlisted") == 150
    event = organiser_call(stack, organiser, "GET", f"/events/{event_id}", "/events/{event_id}", path_parameters={"event_id": event_id})[1]
    assert event["confirmed"] == 50


def test_cancel_frees_the_seat_and_promotes_exactly_the_oldest_waitlisted(stack, organiser):
    event_id = new_event(stack, organiser, capacity=1)
    tokens = [new_contact(stack, organiser, event_id)[1] for _ in range(3)]
    first = guest_call(stack, "book", tokens[0])[1]
    assert [guest_call(stack, "book", t)[1]["status"] for t in tokens[1:]] == ["waitlisted", "waitlisted"]
    status, cancelled, _ = guest_call(stack, "cancel", tokens[0], booking_id=first["booking_id"])
    assert status == 200 and cancelled["status"] == "cancelled"
    states = [guest_call(stack, "view", t)[1] for t in tokens]
    assert [s["status"] for s in states] == ["unregistered", "registered", "waitlisted"]
    event = organiser_call(stack, organiser, "GET", f"/events/{event_id}", "/events/{event_id}", path_parameters={"event_id": event_id})[1]
    assert event["confirmed"] == 1


def test_self_cancellation_only_when_the_event_allows_it(stack, organiser):
    event_id = new_event(stack, organiser, self_cancellation=False)
    _c, token = new_contact(stack, organiser, event_id)
    booking = guest_call(stack, "book", token)[1]
    status, body, _ = guest_call(stack, "cancel", token, booking_id=booking["booking_id"])
    assert status == 403 and body["error"]["code"] == Code.SELF_CANCELLATION_DISABLED
    assert guest_call(stack, "view", token)[1]["status"] == "registered"


def test_decline_makes_the_guest_unregistered(stack, organiser):
    event_id = new_event(stack, organiser)
    _c, token = new_contact(stack, organiser, event_id)
    assert guest_call(stack, "decline", token)[1]["status"] == "unregistered"
    view = guest_call(stack, "view", token)[1]
    assert view["status"] == "unregistered" and view["actions"]["can_decline"] is False
    assert guest_call(stack, "book", token)[1]["status"] == "confirmed"  # changing one's mind is allowed
    assert guest_call(stack, "view", token)[1]["status"] == "registered"


def test_max_bookings_per_contact_is_enforced(stack, organiser):
    event_id = new_event(stack, organiser, max_bookings_per_contact=2)
    _c, token = new_contact(stack, organiser, event_id)
    assert guest_call(stack, "book", token)[0] == 201
    assert guest_call(stack, "book", token)[0] == 201
    status, body, _ = guest_call(stack, "book", token)
    assert status == 409 and body["error"]["code"] == Code.BOOKING_LIMIT


def test_guest_responses_are_not_cached_and_send_no_referrer(stack, organiser):
    event_id = new_event(stack, organiser)
    _c, token = new_contact(stack, organiser, event_id)
    for route in ("view", "calendar", "visit"):
        _s, _b, headers = guest_call(stack, route, token)
        assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"


class _Calls(list):
    threads: dict


@pytest.fixture
def dynamodb_calls():
    """Counts DynamoDB API calls (round trips) made through botocore, by operation."""
    from support.sdk import intercepted

    calls = _Calls()
    calls.threads = {}  # operation index -> the thread that made it

    def counting(call, client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            calls.threads[len(calls)] = threading.current_thread().name
            calls.append(operation)
        return call()

    with intercepted(counting):
        yield calls


def test_link_resolution_costs_at_most_two_round_trips(stack, organiser, dynamodb_calls):
    """Two sequential round trips: the link index, then the guest's partition with the event's
    current settings read beside it (on another thread), never after it."""
    event_id = new_event(stack, organiser)
    _c, token = new_contact(stack, organiser, event_id)
    dynamodb_calls.clear()
    dynamodb_calls.threads.clear()
    status, _view, _h = guest_call(stack, "view", token)
    assert status == 200
    request_thread = threading.current_thread().name
    in_request = [op for n, op in enumerate(dynamodb_calls) if dynamodb_calls.threads[n] == request_thread]
    beside = [op for n, op in enumerate(dynamodb_calls) if dynamodb_calls.threads[n] != request_thread]
    assert in_request == ["Query", "Query"] and beside == ["GetItem"]
    assert dynamodb_calls.index("GetItem") > 0  # issued once the index named the event, beside the partition read
