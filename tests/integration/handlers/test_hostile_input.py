"""Hostile input on every route answers a clear 4xx, never a 5xx, and never stores what a later read
cannot serve (DESIGN.md section 4, "Bad input"; issue 9's list of 500s)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path

import pytest

from support.events import http_event
from support.guests import guest_call, new_contact, new_event, organiser_call

ROOT = Path(__file__).resolve().parents[3]
FIVE_MB = "x" * (5 * 1024 * 1024)


def _write_routes():
    from guestlist_local.template import load_topology

    routes = load_topology(ROOT / "template.yaml").routes
    return sorted((r for r in routes if r.method in ("POST", "PATCH", "PUT")), key=lambda r: r.route_key)


@pytest.fixture(scope="module")
def world(stack):
    from guestlist.keys import ensure_organiser_key, resolve_key

    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-hostile-{uuid.uuid4().hex[:6]}", key)
    org = {"key": key, "scope": resolve_key(key).as_context()}
    event_id = new_event(stack, org, capacity=50)
    contact, token = new_contact(stack, org, event_id, "target@example.com", firstname="Tara")
    return {"org": org, "event_id": event_id, "identifier": contact["identifier"], "token": token}


def _raw_call(stack, route, world, *, raw: bytes | None = None, text: str | None = None, params: dict | None = None):
    values = {"event_id": world["event_id"], "identifier": world["identifier"], "token": world["token"], **(params or {})}
    names = re.findall(r"\{(\w+)\}", route.path)
    path_params = {n: values.get(n, f"x-{n}") for n in names}
    path = route.path
    for n, v in path_params.items():
        path = path.replace("{" + n + "}", v)
    event = http_event(route.method, path, route.path, path_parameters=path_params or None,
                       headers={"authorization": f"Bearer {world['org']['key']}", "content-type": "application/json"},
                       authorizer=world["org"]["scope"] if route.authorizer else None)
    if raw is not None:
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    else:
        event["body"] = text
    return stack.http(route.function, event)


HOSTILE_BODIES = {
    "byte 0xff": (b"\xff", 400, "invalid_json"),
    "100,000 nested [": (b"[" * 100_000, 400, "invalid_json"),
    "lone surrogate": (b'{"\\ud800": "\\ud800"}', 400, "invalid_json"),
    "5 MB body": (json.dumps({"name": FIVE_MB}).encode(), 413, "body_too_large"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_BODIES))
@pytest.mark.parametrize("route", _write_routes(), ids=lambda r: r.route_key)
def test_hostile_bodies_are_refused_before_any_handler(stack, world, route, case):
    from guestlist.edge import REGISTRY

    raw, status, code = HOSTILE_BODIES[case]
    got, body, _ = _raw_call(stack, route, world, raw=raw)
    assert got < 500, (route.route_key, case, body)
    contract = REGISTRY[(route.method, route.path)]
    if contract.body is not None:
        if len(raw) > contract.max_bytes:  # a smaller limit (the guest's) speaks first
            status, code = 413, "body_too_large"
        assert (got, body["error"]["code"]) == (status, code), (route.route_key, case, body)


def test_a_5000_character_identifier_is_422_in_a_body_and_404_in_a_path(stack, world):
    long = "a" * 5000
    path = f"/events/{world['event_id']}/contacts"
    status, body, _ = organiser_call(stack, world["org"], "POST", path, "/events/{event_id}/contacts",
                                     path_parameters={"event_id": world["event_id"]}, body={"identifier": long})
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "too_long", "identifier")
    for method in ("GET", "PATCH", "DELETE"):
        status, body, _ = organiser_call(stack, world["org"], method, f"{path}/{long}", "/events/{event_id}/contacts/{identifier}",
                                         path_parameters={"event_id": world["event_id"], "identifier": long},
                                         body={} if method == "PATCH" else None)
        assert status == 404, (method, body)


@pytest.mark.parametrize("field", ["firstname", "city", "badge_info", "custom"])
def test_a_5_mb_string_in_any_text_field_is_refused(stack, world, field):
    value = {"diet": FIVE_MB} if field == "custom" else FIVE_MB
    status, body, _ = organiser_call(stack, world["org"], "PATCH", f"/events/{world['event_id']}/contacts/{world['identifier']}",
                                     "/events/{event_id}/contacts/{identifier}",
                                     path_parameters={"event_id": world["event_id"], "identifier": world["identifier"]},
                                     body={field: value})
    assert status == 413 and body["error"]["code"] == "body_too_large"
    status, body, _ = organiser_call(stack, world["org"], "PATCH", f"/events/{world['event_id']}/contacts/{world['identifier']}",
                                     "/events/{event_id}/contacts/{identifier}",
                                     path_parameters={"event_id": world["event_id"], "identifier": world["identifier"]},
                                     body={field: {"diet": "y" * 10_001} if field == "custom" else "y" * 10_001})
    assert status == 422 and body["error"]["code"] == "too_long" and body["error"]["field"].startswith(field)


def _still_served(stack, world, token):
    assert guest_call(stack, "view", token)[0] == 200
    status, page, _ = organiser_call(stack, world["org"], "GET", f"/events/{world['event_id']}/contacts", "/events/{event_id}/contacts",
                                     path_parameters={"event_id": world["event_id"]})
    assert status == 200 and page["contacts"]
    status, found, _ = stack.http("CheckinApiFunction", http_event(
        "GET", f"/events/{world['event_id']}/checkins/search", "/events/{event_id}/checkins/search",
        path_parameters={"event_id": world["event_id"]}, query={"q": "tara"},
        headers={"authorization": f"Bearer {world['org']['key']}"}, authorizer=world["org"]["scope"]))
    assert status == 200, found


def test_a_guest_cannot_store_a_contact_that_later_reads_cannot_serve(stack, world):
    _c, token = new_contact(stack, world["org"], world["event_id"], f"big-{uuid.uuid4().hex[:6]}@example.com", firstname="Tara")
    status, body, _ = guest_call(stack, "book", token, body={"diet": FIVE_MB})
    assert (status, body["error"]["code"]) == (413, "body_too_large")
    status, body, _ = guest_call(stack, "book", token, body={"diet": "x" * 100_000})  # under 1 MiB, over the guest's 64 KiB
    assert (status, body["error"]["code"]) == (413, "body_too_large")
    status, body, _ = guest_call(stack, "book", token, body={"diet": "x" * 2_001})
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "too_long", "diet")
    _still_served(stack, world, token)
    assert guest_call(stack, "book", token, body={"organization": "Tara & Co"})[0] == 201


def test_the_store_refuses_a_contact_over_400_kb_and_the_contact_stays_readable(stack, world):
    """100 answers of 2,000 four-byte characters pass every field limit but make an 800 KB item:
    DynamoDB refuses it (the local stack too), and the API answers 413 `too_large`, not 500."""
    _c, token = new_contact(stack, world["org"], world["event_id"], f"huge-{uuid.uuid4().hex[:6]}@example.com", firstname="Tara")
    identifier = _c["identifier"]
    custom = {f"q{i}": "\U0001D11E" * 2000 for i in range(100)}
    status, body, _ = organiser_call(stack, world["org"], "PATCH", f"/events/{world['event_id']}/contacts/{identifier}",
                                     "/events/{event_id}/contacts/{identifier}",
                                     path_parameters={"event_id": world["event_id"], "identifier": identifier},
                                     body=json.dumps({"custom": custom}, ensure_ascii=False))  # 800 KB: under 1 MiB
    assert (status, body["error"]["code"]) == (413, "too_large"), body
    status, body, _ = guest_call(stack, "book", token, body={f"q{i}": "\U0001D11E" * 2000 for i in range(7)})
    assert status == 413  # 56 KB of four-byte characters is over the guest's 64 KiB as JSON text
    _still_served(stack, world, token)
    status, body, _ = organiser_call(stack, world["org"], "GET", f"/events/{world['event_id']}/contacts/{identifier}",
                                     "/events/{event_id}/contacts/{identifier}",
                                     path_parameters={"event_id": world["event_id"], "identifier": identifier})
    assert status == 200 and body["custom"] == {}


def test_patch_null_clears_a_field_and_never_stores_none(stack, world):
    path = f"/events/{world['event_id']}/contacts/{world['identifier']}"
    params = {"event_id": world["event_id"], "identifier": world["identifier"]}
    route = "/events/{event_id}/contacts/{identifier}"
    assert organiser_call(stack, world["org"], "PATCH", path, route, path_parameters=params, body={"city": "Bern"})[1]["city"] == "Bern"
    status, body, _ = organiser_call(stack, world["org"], "PATCH", path, route, path_parameters=params, body={"city": None})
    assert status == 200 and "city" not in body and "None" not in json.dumps(body)
    status, body, _ = organiser_call(stack, world["org"], "PATCH", f"/events/{world['event_id']}", "/events/{event_id}",
                                     path_parameters={"event_id": world["event_id"]}, body={"venue": None, "description": None})
    assert status == 200 and body["venue"] is None and body["description"] is None


def _listing(stack, world, **query):
    return organiser_call(stack, world["org"], "GET", f"/events/{world['event_id']}/contacts", "/events/{event_id}/contacts",
                          path_parameters={"event_id": world["event_id"]}, query=query)


@pytest.mark.parametrize("query, field", [({"status": "bogus"}, "status"), ({"limit": "-1"}, "limit"),
                                          ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "ten"}, "limit"),
                                          ({"surprise": "1"}, "surprise")])
def test_listing_query_is_validated(stack, world, query, field):
    status, body, _ = _listing(stack, world, **query)
    assert (status, body["error"]["field"]) == (422, field), body


def test_cursors_are_signed_and_bound_to_their_query(stack, world):
    for i in range(3):
        new_contact(stack, world["org"], world["event_id"], f"page-{i}-{uuid.uuid4().hex[:4]}@example.com", groups=["pg"])
    status, first, _ = _listing(stack, world, group="pg", limit="1")
    assert status == 200 and first["cursor"]
    cursor = first["cursor"]
    assert _listing(stack, world, group="pg", limit="1", cursor=cursor)[0] == 200
    _body, mac = cursor.split(".")
    forged = base64.urlsafe_b64encode(json.dumps([0, {"pk": {"S": "x"}}]).encode()).rstrip(b"=").decode()
    for bad in (cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), f"{forged}.{mac}", "garbage", cursor + "x"):
        status, answer, _ = _listing(stack, world, group="pg", limit="1", cursor=bad)
        assert (status, answer["error"]["code"]) == (400, "invalid_cursor"), bad
    # the same cursor with other filters, or for another event, is not a cursor of that query
    assert _listing(stack, world, group="other", limit="1", cursor=cursor)[1]["error"]["code"] == "invalid_cursor"
    other_event = new_event(stack, world["org"])
    status, answer, _ = organiser_call(stack, world["org"], "GET", f"/events/{other_event}/contacts", "/events/{event_id}/contacts",
                                       path_parameters={"event_id": other_event}, query={"group": "pg", "limit": "1", "cursor": cursor})
    assert (status, answer["error"]["code"]) == (400, "invalid_cursor")


def test_listing_filters_by_permission_group(stack, world):
    new_contact(stack, world["org"], world["event_id"], f"perm-{uuid.uuid4().hex[:4]}@example.com", permission_group="press")
    status, page, _ = _listing(stack, world, permission_group="press")
    assert status == 200 and page["contacts"] and {c["permission_group"] for c in page["contacts"]} == {"press"}


@pytest.mark.parametrize("number", ["3.931138090201131e-233", "-1e-131", "1e300", "123456789012345678901234567890123456789012"])
def test_a_number_dynamodb_cannot_store_is_422_and_nothing_is_written(stack, world, number):
    """A form answer of magnitude under 1e-130 (the fuzzer's 3.9e-233), over 1e125 or of more digits than DynamoDB
    keeps was a 500 on PutItem (ValidationException: number underflow/overflow); now refused at the edge."""
    identifier = f"num-{uuid.uuid4().hex[:8]}@example.com"
    body = f'{{"identifier": "{identifier}", "custom": {{"score": {number}}}}}'
    path, route = f"/events/{world['event_id']}/contacts", "/events/{event_id}/contacts"
    status, answer, _ = organiser_call(stack, world["org"], "POST", path, route, body=body,
                                       path_parameters={"event_id": world["event_id"]})
    assert status == 422 and answer["error"]["field"] == "custom.score", answer
    status, _a, _h = organiser_call(stack, world["org"], "GET", f"{path}/{identifier}", route + "/{identifier}",
                                    path_parameters={"event_id": world["event_id"], "identifier": identifier})
    assert status == 404
    if float(number) == int(float(number)) and abs(float(number)) < 1e125:
        return  # a long integer typed into a form is read as a float (1.2e41): storable
    event_id = new_event(stack, world["org"], form=[{"id": "score", "type": "number", "label": "Score"}])
    _contact, token = new_contact(stack, world["org"], event_id)
    status, page, _h = guest_call(stack, "book", token, body=f"score={number}",
                                  headers={"accept": "text/html", "content-type": "application/x-www-form-urlencoded"})
    assert status == 422 and "score" in page  # the form post's number, read from text, meets the same rule
