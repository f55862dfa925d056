"""Event PATCH (DESIGN.md s4): the result validated as a whole, a raised capacity promoting the
waitlist oldest first, and guests seeing a change at once (no stale settings)."""

from __future__ import annotations

from support.guests import guest_call, new_contact, new_event, organiser_call


def _patch(stack, organiser, event_id, body):
    return organiser_call(stack, organiser, "PATCH", f"/events/{event_id}", "/events/{event_id}",
                          path_parameters={"event_id": event_id}, body=body)


def _view(stack, token):
    status, body, _ = guest_call(stack, "view", token)
    assert status == 200, body
    return body


def test_patch_checks_start_and_end_against_the_stored_values(stack, organiser):
    event_id = new_event(stack, organiser)  # 18:00 - 23:00
    status, body, _ = _patch(stack, organiser, event_id, {"end": "2027-06-01T17:00:00+02:00"})
    assert status == 422 and body["error"]["field"] == "end"
    status, body, _ = _patch(stack, organiser, event_id, {"start": "2027-06-02T00:00:00+02:00"})
    assert status == 422 and body["error"]["field"] == "start"
    status, body, _ = _patch(stack, organiser, event_id, {"start": "2027-06-01T17:00:00+02:00"})
    assert status == 200 and body["start"] == "2027-06-01T17:00:00+02:00"


def test_capacity_below_the_confirmed_bookings_is_refused(stack, organiser):
    event_id = new_event(stack, organiser, capacity=5)
    for n in range(3):
        _c, token = new_contact(stack, organiser, event_id, f"b{n}@example.com")
        assert guest_call(stack, "book", token)[1]["status"] == "confirmed"
    status, body, _ = _patch(stack, organiser, event_id, {"capacity": 2})
    assert status == 409 and body["error"]["code"] == "capacity_below_confirmed" and body["error"]["field"] == "capacity"
    status, body, _ = _patch(stack, organiser, event_id, {"capacity": 3})
    assert status == 200 and body["capacity"] == 3 and body["confirmed"] == 3


def test_raising_capacity_promotes_the_waitlist_oldest_first(stack, organiser):
    event_id = new_event(stack, organiser, capacity=1)
    tokens = []
    for n in range(4):
        _c, token = new_contact(stack, organiser, event_id, f"w{n}@example.com")
        tokens.append(token)
        guest_call(stack, "book", token)
    assert [_view(stack, t)["status"] for t in tokens] == ["registered", "waitlisted", "waitlisted", "waitlisted"]
    status, body, _ = _patch(stack, organiser, event_id, {"capacity": 3})
    assert status == 200 and body["confirmed"] == 3, body
    assert [_view(stack, t)["status"] for t in tokens] == ["registered", "registered", "registered", "waitlisted"]
    # a later booker does not get a seat ahead of the one still waiting
    _c, late = new_contact(stack, organiser, event_id, "late@example.com")
    assert guest_call(stack, "book", late)[1]["status"] == "waitlisted"
    status, body, _ = _patch(stack, organiser, event_id, {"capacity": None})
    assert status == 200 and body["capacity"] is None and body["confirmed"] == 5
    assert _view(stack, tokens[3])["status"] == "registered" and _view(stack, late)["status"] == "registered"


def test_no_promotion_when_the_event_does_not_promote_its_waitlist(stack, organiser):
    event_id = new_event(stack, organiser, capacity=1, waitlist_auto_promote=False)
    tokens = []
    for n in range(2):
        _c, token = new_contact(stack, organiser, event_id, f"n{n}@example.com")
        tokens.append(token)
        guest_call(stack, "book", token)
    status, body, _ = _patch(stack, organiser, event_id, {"capacity": 5})
    assert status == 200 and body["confirmed"] == 1
    assert _view(stack, tokens[1])["status"] == "waitlisted"


def test_a_guest_sees_an_event_change_at_once(stack, organiser):
    event_id = new_event(stack, organiser, self_cancellation=False)
    _c, token = new_contact(stack, organiser, event_id)
    booking = guest_call(stack, "book", token)[1]
    assert _view(stack, token)["actions"]["can_cancel"] is False
    assert _patch(stack, organiser, event_id, {"self_cancellation": True, "venue": "Kongresshaus"})[0] == 200
    view = _view(stack, token)
    assert view["actions"]["can_cancel"] is True and view["event"]["venue"] == "Kongresshaus"
    status, body, _ = guest_call(stack, "cancel", token, booking_id=booking["booking_id"])
    assert status == 200 and body["status"] == "cancelled"
