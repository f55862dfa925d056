"""Tenant isolation over every organiser-key route of the template: another workspace's key gets exactly
the answer a missing id gets (404, same code), never data. New routes are covered as they are added to
template.yaml (which the OpenAPI test holds equal to the routes the handlers declare)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from support.events import http_event
from support.guests import guest_call, new_contact, new_event, organiser_call

ROOT = Path(__file__).resolve().parents[3]


def _key_routes():
    from guestlist_local.template import load_topology

    return sorted((r for r in load_topology(ROOT / "template.yaml").routes if r.authorizer), key=lambda r: r.route_key)


# Valid bodies and queries for the routes that need one, so the answer is decided by the tenant check and not by
# validation. A new route without an entry is still held to "same answer as a missing id, no data".
BODIES = {
    "POST /events/{event_id}/contacts": {"identifier": "intruder@example.com"},
    "PATCH /events/{event_id}/contacts/{identifier}": {"firstname": "Mallory"},
    "PATCH /events/{event_id}": {"name": "Taken over"},
    "POST /events/{event_id}/checkin-keys": {"label": "mine now"},
    "POST /events/{event_id}/imports": {"filename": "x.xlsx"},
    "POST /events/{event_id}/checkins": {"code": "ABCDEFGH", "nonce": "n-1", "device": "d"},
    "POST /events/{event_id}/checkins/batch": {"scans": []},
    "POST /events/{event_id}/checkins/{nonce}/annul": {"device": "d"},
}
QUERIES = {"GET /events/{event_id}/checkins/search": {"q": "owner"}}
CREATES = {"POST /events", "POST /accounts"}  # create in the caller's own workspace: nothing of another to reach


@pytest.fixture(scope="module")
def owner(stack):
    from guestlist.keys import ensure_organiser_key, resolve_key

    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-owner-{uuid.uuid4().hex[:6]}", key)
    org = {"key": key, "scope": resolve_key(key).as_context()}
    event_id = new_event(stack, org, name="Owner's secret gala", capacity=10)
    contact, token = new_contact(stack, org, event_id, "owner.guest@example.com", firstname="Zebulon-owner")
    booking = guest_call(stack, "book", token)[1]
    _s, checkin_key, _h = organiser_call(stack, org, "POST", f"/events/{event_id}/checkin-keys", "/events/{event_id}/checkin-keys",
                                         path_parameters={"event_id": event_id}, body={"label": "door-of-the-owner"})
    organiser_call(stack, org, "POST", "/accounts", "/accounts", body={"username": "owner-account", "email": "acc@example.com"})
    values = {"event_id": event_id, "identifier": contact["identifier"], "key_id": checkin_key["key_id"],
              "username": "owner-account", "booking_id": booking["booking_id"], "nonce": "n-1", "import_id": "imp-none"}
    # what the owner stored (the ids the intruder sends may be echoed back: they are the intruder's own input)
    return {"org": org, "values": values, "secrets": ["Owner's secret gala", "Zebulon-owner", "acc@example.com",
                                                      "door-of-the-owner", booking["ticket_code"], token]}


@pytest.fixture(scope="module")
def intruder(stack):
    from guestlist.keys import ensure_organiser_key, resolve_key

    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-intruder-{uuid.uuid4().hex[:6]}", key)
    return {"key": key, "scope": resolve_key(key).as_context()}


def _call(stack, route, caller, values):
    params = {name: values.get(name, f"missing-{name}") for name in re.findall(r"\{(\w+)\}", route.path)}
    path = route.path
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    body = BODIES.get(route.route_key, {} if route.method in ("POST", "PATCH", "PUT") else None)
    event = http_event(route.method, path, route.path, body=body, path_parameters=params or None,
                       query=QUERIES.get(route.route_key), headers={"authorization": f"Bearer {caller['key']}"},
                       authorizer=caller["scope"])
    return stack.http(route.function, event)


@pytest.mark.parametrize("route", _key_routes(), ids=lambda r: r.route_key)
def test_another_workspace_gets_the_answer_of_a_missing_id_and_no_data(stack, owner, intruder, route):
    if route.route_key in CREATES:
        pytest.skip("creates in the caller's workspace")
    status, body, _ = _call(stack, route, intruder, owner["values"])
    text = json.dumps(body) if not isinstance(body, str) else body
    leaked = [s for s in owner["secrets"] if s in text]
    assert not leaked, (route.route_key, leaked)
    if "{" not in route.path:
        if route.method == "GET":
            assert status == 200, (route.route_key, body)  # a listing of the intruder's own workspace
        return  # other methods create in the intruder's own workspace
    missing = {name: f"missing-{uuid.uuid4().hex[:6]}" for name in owner["values"]}
    missing_status, missing_body, _ = _call(stack, route, intruder, missing)
    assert (status, body["error"]["code"]) == (missing_status, missing_body["error"]["code"]), route.route_key
    from guestlist.edge import REGISTRY  # filled when the stack loaded the route's handler

    contract = REGISTRY[(route.method, route.path)]
    if route.route_key in BODIES or (contract.body is None and contract.query is None):
        assert status == 404, (route.route_key, body)  # decided by the tenant check, not by validation


def test_the_owner_still_reaches_everything(stack, owner):
    """The matrix means something: the same calls with the owner's key are not 404."""
    real = {"event_id", "identifier", "key_id", "username", "booking_id"}
    checked = 0
    for route in sorted(_key_routes(), key=lambda r: r.method == "DELETE"):  # deletions last
        names = set(re.findall(r"\{(\w+)\}", route.path))
        if route.route_key in CREATES or not names or not names <= real or route.route_key.endswith("/checkins"):
            continue
        status, body, _ = _call(stack, route, owner["org"], owner["values"])
        assert status != 404, (route.route_key, body)
        checked += 1
    assert checked >= 10
