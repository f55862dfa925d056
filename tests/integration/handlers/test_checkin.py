"""Door check-in at handler level: every result code, nonces, races, offline batches, annulling, the door's reads."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from support.checkin import (
    ROUTE,
    authorize,
    booked_guest,
    contact,
    door,
    door_key,
    dynamodb_calls,
    guest,
    new_guest,
    scan,
)
from support.guests import new_event, organiser_call


@pytest.fixture
def event_id(stack, organiser):
    return new_event(stack, organiser)


@pytest.fixture
def key(stack, organiser, event_id):
    return door_key(stack, organiser, event_id)


# ------------------------------------------------------------------ result codes

def test_first_scan_is_ok_201_and_the_guest_attends(stack, organiser, event_id, key):
    identifier, _, booking = booked_guest(stack, organiser, event_id)
    status, body, _ = scan(stack, key, booking["ticket_code"], nonce="n-1", device="door-1")
    assert (status, body["result"], body["nonce"], body["device"]) == (201, "ok", "n-1", "door-1")
    assert body["booking_id"] == booking["booking_id"]
    assert contact(stack, organiser, event_id, identifier)["status"] == "attended"


def test_single_entry_repeat_nonce_is_200_ok_and_nothing_doubles(stack, organiser, event_id, key):
    _, _, booking = booked_guest(stack, organiser, event_id)
    first = scan(stack, key, booking["ticket_code"], nonce="n-rep", device="door-1")
    again = scan(stack, key, booking["ticket_code"], nonce="n-rep", device="door-1")
    assert (first[0], again[0]) == (201, 200)
    assert again[1]["result"] == "ok" and again[1]["replay"] is True
    assert again[1]["checked_in_at"] == first[1]["checked_in_at"]
    stats = door(stack, key["scope"], event_id, "GET", "/stats")[1]
    assert stats["checked_in"] == 1
    scans = door(stack, organiser["scope"], event_id, "GET")[1]["scans"]
    assert [s["result"] for s in scans] == ["ok"]


def test_second_scan_is_409_already_checked_in_with_first_time_and_device(stack, organiser, event_id, key):
    _, _, booking = booked_guest(stack, organiser, event_id)
    first = scan(stack, key, booking["ticket_code"], nonce="a", device="door-1", scanned_at="2027-06-01T18:05:00+02:00")
    status, body, _ = scan(stack, key, booking["ticket_code"], nonce="b", device="door-2")
    assert first[0] == 201
    assert (status, body["result"], body["reason"]) == (409, "rejected", "already_checked_in")
    assert body["first_checked_in_at"] == "2027-06-01T16:05:00.000Z" and body["first_device"] == "door-1"
    assert body["error"]["code"] == "already_checked_in"


def test_unknown_code_is_404(stack, key):
    status, body, _ = scan(stack, key, "NOTATICKET")
    assert (status, body["reason"]) == (404, "unknown_code")


def test_another_events_ticket_is_404_unknown_code(stack, organiser, key):
    other = new_event(stack, organiser)
    _, _, booking = booked_guest(stack, organiser, other)
    status, body, _ = scan(stack, key, booking["ticket_code"])
    assert (status, body["reason"]) == (404, "unknown_code")


def test_cancelled_booking_is_422_cancelled(stack, organiser, event_id, key):
    _, token, booking = booked_guest(stack, organiser, event_id)
    status, _, _ = guest(stack, "POST", token, f"/bookings/{booking['booking_id']}/cancel", booking_id=booking["booking_id"])
    assert status == 200
    status, body, _ = scan(stack, key, booking["ticket_code"])
    assert (status, body["reason"]) == (422, "cancelled")


def test_waitlisted_booking_is_422_waitlisted(stack, organiser, event_id, key):
    from guestlist.models import BOOKING_SK_PREFIX, BookingModel, contact_pk

    identifier, _, booking = booked_guest(stack, organiser, event_id)
    # put the booking on the waiting list directly: this test is about the door, not about seats
    BookingModel(pk=contact_pk(event_id, identifier), sk=BOOKING_SK_PREFIX + booking["booking_id"]).update(
        actions=[BookingModel.status.set("waitlisted")])
    status, body, _ = scan(stack, key, booking["ticket_code"])
    assert (status, body["reason"]) == (422, "waitlisted")


def test_guest_removed_from_the_list_is_422_not_registered(stack, organiser, event_id, key):
    from guestlist.models import CONTACT_SK, ContactModel, contact_pk

    identifier, _, booking = booked_guest(stack, organiser, event_id)
    ContactModel(pk=contact_pk(event_id, identifier), sk=CONTACT_SK).delete()
    status, body, _ = scan(stack, key, booking["ticket_code"])
    assert (status, body["reason"]) == (422, "not_registered")


@pytest.mark.parametrize("body, field", [
    ({}, "code"),
    ({"code": "  "}, "code"),
    ({"code": "X", "scanned_at": "yesterday"}, "scanned_at"),
    ({"code": "X", "scanned_at": "2027-06-01T18:00:00"}, "scanned_at"),  # no offset
    ({"code": "X", "nonce": "has spaces"}, "nonce"),
])
def test_bad_scan_body_is_422_naming_the_field(stack, key, body, field):
    status, answer, _ = door(stack, key["scope"], key["event_id"], body=body)
    assert status == 422
    assert answer["error"]["code"] == "invalid_field" and answer["error"]["detail"]["field"] == field


def test_nonce_of_another_ticket_is_409_nonce_reused(stack, organiser, event_id, key):
    _, _, first = booked_guest(stack, organiser, event_id)
    _, _, second = booked_guest(stack, organiser, event_id)
    assert scan(stack, key, first["ticket_code"], nonce="same")[0] == 201
    status, body, _ = scan(stack, key, second["ticket_code"], nonce="same")
    assert (status, body["reason"]) == (409, "nonce_reused")


# ------------------------------------------------------------------ round trips and races

def test_checkin_takes_two_dynamodb_round_trips_and_one_transaction(stack, organiser, event_id, key):
    _, _, booking = booked_guest(stack, organiser, event_id)
    from guestlist import checkin

    received = "2027-06-01T16:00:00.000Z"
    ok_scan = checkin.Scan.parse({"code": booking["ticket_code"], "nonce": "rt-1", "device": "d"}, received_at=received)
    with dynamodb_calls() as calls:
        checkin.perform_checkin(event_id, ok_scan, received_at=received)
    assert calls == ["Query", "TransactWriteItems"]
    with dynamodb_calls() as calls:
        checkin.perform_checkin(event_id, ok_scan, received_at=received)  # replay: the index shows the nonce
    assert calls == ["Query"]
    rejected = checkin.Scan.parse({"code": booking["ticket_code"], "nonce": "rt-2"}, received_at=received)
    with dynamodb_calls() as calls, pytest.raises(checkin.CheckinError):
        checkin.perform_checkin(event_id, rejected, received_at=received)
    assert calls == ["Query", "PutItem"]  # the index, then the refused scan's record


def test_twenty_devices_scanning_one_ticket_at_once_give_exactly_one_ok(stack, organiser, event_id, key):
    identifier, _, booking = booked_guest(stack, organiser, event_id)
    barrier = threading.Barrier(20)
    answers: list[tuple[int, dict]] = [None] * 20  # type: ignore[list-item]

    def device(i: int) -> None:
        barrier.wait()
        status, body, _ = scan(stack, key, booking["ticket_code"], nonce=f"dev-{i}", device=f"door-{i}")
        answers[i] = (status, body)

    threads = [threading.Thread(target=device, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in answers) == [201] + [409] * 19
    assert {b.get("reason") for s, b in answers if s == 409} == {"already_checked_in"}
    assert door(stack, key["scope"], event_id, "GET", "/stats")[1]["checked_in"] == 1
    from guestlist.models import CONTACT_SK, ContactModel, contact_pk

    assert int(ContactModel.get(contact_pk(event_id, identifier), CONTACT_SK, consistent_read=True).attended_count) == 1


# ------------------------------------------------------------------ offline batches

def _offline(stack, key, scans):
    status, body, _ = door(stack, key["scope"], key["event_id"], suffix="/batch", body={"scans": scans})
    assert status == 200, body
    return body["results"]


def test_offline_batch_answers_each_scan_in_request_order_and_is_idempotent(stack, organiser, event_id, key):
    _, _, a = booked_guest(stack, organiser, event_id)
    _, _, b = booked_guest(stack, organiser, event_id)
    scans = [
        {"code": a["ticket_code"], "nonce": "o-1", "scanned_at": "2027-06-01T18:01:00+02:00", "device": "tab-1"},
        {"code": "NOPE", "nonce": "o-2", "scanned_at": "2027-06-01T18:02:00+02:00", "device": "tab-1"},
        {"code": b["ticket_code"], "nonce": "o-3", "scanned_at": "2027-06-01T18:03:00+02:00", "device": "tab-1"},
        {"code": b["ticket_code"], "scanned_at": "2027-06-01T18:04:00+02:00", "device": "tab-1"},  # no nonce
    ]
    first = _offline(stack, key, scans)
    assert [(r["index"], r["status"], r["result"]) for r in first] == [
        (0, 201, "ok"), (1, 404, "rejected"), (2, 201, "ok"), (3, 422, "error")]
    again = _offline(stack, key, scans[:3])
    assert [(r["status"], r["result"], r.get("replay")) for r in again] == [(200, "ok", True), (404, "rejected", None),
                                                                            (200, "ok", True)]
    assert door(stack, key["scope"], event_id, "GET", "/stats")[1]["checked_in"] == 2


def test_offline_batch_earlier_than_an_online_scan_corrects_the_first_scan_and_is_flagged(stack, organiser, event_id, key):
    identifier, _, booking = booked_guest(stack, organiser, event_id)
    code = booking["ticket_code"]
    online = scan(stack, key, code, nonce="on-1", device="door-online", scanned_at="2027-06-01T18:10:00+02:00")
    assert online[0] == 201
    results = _offline(stack, key, [
        {"code": code, "nonce": "off-late", "scanned_at": "2027-06-01T18:20:00+02:00", "device": "tab-late"},
        {"code": code, "nonce": "off-early", "scanned_at": "2027-06-01T18:05:00+02:00", "device": "tab-early"},
    ])
    late, early = results
    assert (early["status"], early["result"], early["corrected"]) == (201, "ok", True)
    assert (early["first_device"], early["second_device"]) == ("tab-early", "door-online")
    assert (late["status"], late["result"], late["duplicate"]) == (200, "ok", True)
    assert late["first_checked_in_at"] == "2027-06-01T16:05:00.000Z" and late["first_device"] == "tab-early"
    # the stored first scan is now the earliest one; nothing was counted twice
    again = scan(stack, key, code, nonce="on-2", device="door-online")
    assert (again[0], again[1]["first_device"], again[1]["first_checked_in_at"]) == (409, "tab-early", "2027-06-01T16:05:00.000Z")
    assert door(stack, key["scope"], event_id, "GET", "/stats")[1]["checked_in"] == 1
    # both conflicts are notes in the guest's status history, with both devices and times
    _status, hist, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/contacts/{identifier}/history",
                                     "/events/{event_id}/contacts/{identifier}/history",
                                     path_parameters={"event_id": event_id, "identifier": identifier})
    notes = [h for h in hist["history"] if h.get("note") == "offline_conflict"]
    assert len(notes) == 2
    devices = [(n["detail"]["first"]["device"], n["detail"]["second"]["device"]) for n in notes]
    assert ("tab-early", "door-online") in devices and ("tab-early", "tab-late") in devices
    # resending the batch changes nothing
    assert all(r.get("replay") for r in _offline(stack, key, [
        {"code": code, "nonce": "off-late", "scanned_at": "2027-06-01T18:20:00+02:00", "device": "tab-late"},
        {"code": code, "nonce": "off-early", "scanned_at": "2027-06-01T18:05:00+02:00", "device": "tab-early"}]))


def test_offline_batch_over_the_cap_is_422_batch_too_large(stack, key):
    scans = [{"code": "X", "nonce": f"n{i}"} for i in range(501)]
    status, body, _ = door(stack, key["scope"], key["event_id"], suffix="/batch", body={"scans": scans})
    assert (status, body["error"]["code"]) == (422, "batch_too_large")


# ------------------------------------------------------------------ annulling

def _annul(stack, key, nonce, device):
    return door(stack, key["scope"], key["event_id"], suffix="/{nonce}/annul", body={"device": device}, params={"nonce": nonce})


def test_same_device_annuls_a_mistaken_checkin_and_the_guest_is_registered_again(stack, organiser, event_id, key):
    identifier, _, booking = booked_guest(stack, organiser, event_id)
    assert scan(stack, key, booking["ticket_code"], nonce="oops", device="door-1")[0] == 201
    assert _annul(stack, key, "oops", "door-2")[1]["reason"] == "other_device"
    status, body, _ = _annul(stack, key, "oops", "door-1")
    assert (status, body["result"]) == (200, "annulled")
    assert contact(stack, organiser, event_id, identifier)["status"] == "registered"
    assert door(stack, key["scope"], event_id, "GET", "/stats")[1]["checked_in"] == 0
    assert _annul(stack, key, "oops", "door-1")[1]["reason"] == "already_annulled"
    assert scan(stack, key, booking["ticket_code"], nonce="real", device="door-1")[0] == 201


def test_annul_after_fifteen_minutes_is_409(stack, organiser, event_id, key):
    from guestlist import checkin

    _, _, booking = booked_guest(stack, organiser, event_id)
    assert scan(stack, key, booking["ticket_code"], nonce="late", device="door-1")[0] == 201
    later = datetime.now(UTC) + timedelta(minutes=16)
    with pytest.raises(checkin.CheckinError) as refused:
        checkin.annul_checkin(event_id, "late", "door-1", now=later)
    assert refused.value.code == "annul_window_passed"


# ------------------------------------------------------------------ the door's reads

def test_search_finds_guests_by_name_prefix_ignoring_case_and_accents(stack, organiser, event_id, key):
    zoe, _, booking = booked_guest(stack, organiser, event_id, firstname="Zoë", lastname="Müller", organization="Ärzte AG",
                                   email="zoe@example.com", phone_mobile="+41791234567")
    new_guest(stack, organiser, event_id, firstname="Max", lastname="Meier")
    for q in ("zoe", "MUL", "arzte", "zoe mu", zoe[:4]):
        status, body, _ = door(stack, key["scope"], event_id, "GET", "/search", query={"q": q})
        assert status == 200 and [g["identifier"] for g in body["guests"]] == [zoe], q
    found = door(stack, key["scope"], event_id, "GET", "/search", query={"q": "zoe"})[1]["guests"][0]
    assert found["bookings"] == [{"booking_id": booking["booking_id"], "status": "confirmed",
                                  "ticket_code": booking["ticket_code"], "checked_in_at": None}]
    assert "phone_mobile" not in found and "personal_link" not in found and "email" not in found
    assert door(stack, key["scope"], event_id, "GET", "/search", query={"q": "ller"})[1]["guests"] == []  # prefix only
    assert door(stack, key["scope"], event_id, "GET", "/search", query={})[0] == 422


def test_organiser_lists_recent_scans_and_filters_rejected_ones(stack, organiser, event_id, key):
    _, _, booking = booked_guest(stack, organiser, event_id)
    scan(stack, key, booking["ticket_code"], nonce="s-ok", device="door-1", scanned_at="2027-06-01T18:00:00+02:00")
    scan(stack, key, "BOGUS", nonce="s-bad", device="door-2", scanned_at="2027-06-01T17:59:00+02:00")
    scan(stack, key, booking["ticket_code"], nonce="s-twice", device="door-2")
    status, body, _ = door(stack, organiser["scope"], event_id, "GET")
    assert status == 200
    assert [s["nonce"] for s in body["scans"]] == ["s-twice", "s-bad", "s-ok"]
    rejected = door(stack, organiser["scope"], event_id, "GET", query={"result": "rejected"})[1]["scans"]
    assert [(s["nonce"], s["reason"], s["device"]) for s in rejected] == [
        ("s-twice", "already_checked_in", "door-2"), ("s-bad", "unknown_code", "door-2")]
    bad = next(s for s in rejected if s["nonce"] == "s-bad")
    assert bad["scanned_at"] == "2027-06-01T15:59:00.000Z" and bad["received_at"] != bad["scanned_at"]
    assert "BOGUS" not in str(body)
    # the scan list is the organiser's: the door key may scan but not read it
    assert door(stack, key["scope"], event_id, "GET")[0] == 403


def test_stats_count_checked_in_against_confirmed_bookings(stack, organiser):
    event_id = new_event(stack, organiser, capacity=10)
    key = door_key(stack, organiser, event_id)
    bookings = [booked_guest(stack, organiser, event_id)[2] for _ in range(3)]
    scan(stack, key, bookings[0]["ticket_code"])
    status, stats, _ = door(stack, key["scope"], event_id, "GET", "/stats")
    assert status == 200
    assert (stats["checked_in"], stats["expected"], stats["capacity"]) == (1, 3, 10)


# ------------------------------------------------------------------ keys

def test_revoked_checkin_key_is_refused_at_once(stack, organiser, event_id, key):
    assert authorize(stack, key["key"], f"POST {ROUTE}", event_id)["isAuthorized"] is True
    status, _, _ = organiser_call(stack, organiser, "DELETE", f"/events/{event_id}/checkin-keys/{key['key_id']}",
                                  "/events/{event_id}/checkin-keys/{key_id}",
                                  path_parameters={"event_id": event_id, "key_id": key["key_id"]})
    assert status == 200
    assert authorize(stack, key["key"], f"POST {ROUTE}", event_id)["isAuthorized"] is False


def test_checkin_key_of_event_a_cannot_call_event_b(stack, organiser, event_id, key):
    other = new_event(stack, organiser)
    for route in (f"POST {ROUTE}", f"POST {ROUTE}/batch", f"GET {ROUTE}/search", f"GET {ROUTE}/stats"):
        assert authorize(stack, key["key"], route, other)["isAuthorized"] is False, route
    assert authorize(stack, key["key"], "GET /events/{event_id}/contacts", event_id)["isAuthorized"] is False


def test_organiser_key_of_another_workspace_gets_404_on_checkin_routes(stack, organiser, event_id):
    from guestlist.keys import ensure_organiser_key, resolve_key

    stranger = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-{uuid.uuid4().hex[:8]}", stranger)
    scope = resolve_key(stranger).as_context()
    for method, suffix, body in (("POST", "", {"code": "X"}), ("POST", "/batch", {"scans": []}), ("GET", "/search", None),
                                 ("GET", "/stats", None), ("GET", "", None)):
        status, answer, _ = door(stack, scope, event_id, method, suffix, body=body, query={"q": "a"} if suffix == "/search" else None)
        assert (status, answer["error"]["code"]) == (404, "event_not_found"), suffix
