"""Public registration (DESIGN.md s10): open only through a public group and a privacy link; the same
202 for a new and a known email (each mailed its own link); rate-limited per address and event."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

import boto3
import pytest

from support.events import http_event
from support.guests import guest_call, new_contact, new_event, partition_items
from support.history import outbox

PRIVACY = "https://example.com/privacy"
PUBLIC = [{"name": "Public", "public_registration": True}, "Staff"]


@pytest.fixture(scope="module", autouse=True)
def verified_sender(stack):
    from guestlist_local.outbox import ensure_sender_verified

    return ensure_sender_verified(stack.endpoint_url)


def _page(stack, event_id, accept="application/json", query=None):
    return stack.http("GuestApiFunction", http_event("GET", f"/r/{event_id}", "/r/{event_id}", path_parameters={"event_id": event_id},
                                                     headers={"accept": accept}, query=query))


def _register(stack, event_id, body, ip="198.51.100.7", form=False):
    event = http_event("POST", f"/r/{event_id}/registrations", "/r/{event_id}/registrations",
                       body=None if form else body, path_parameters={"event_id": event_id},
                       headers={"accept": "text/html", "content-type": "application/x-www-form-urlencoded"} if form else None)
    if form:
        event["body"] = urlencode(body)
    event["requestContext"]["http"]["sourceIp"] = ip
    return stack.http("GuestApiFunction", event)


def _contacts(stack, event_id) -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=stack.physical("ContactsTable"), ConsistentRead=True)["Items"]
    return [i for i in items if i["pk"]["S"].startswith(f"C#{event_id}#") and i["sk"]["S"] == "CONTACT"]


def _address() -> str:
    return f"Reg-{uuid.uuid4().hex[:8]}@Example.org"


def _mailed_token(stack, address: str) -> str:
    local, domain = address.strip().split("@")
    mails = outbox(stack, f"{local}@{domain.lower()}")
    assert mails, address
    found = re.search(r"/e/([A-Za-z0-9_-]{43})", mails[-1]["body"])
    return found.group(1)


@pytest.mark.parametrize("settings", [{"permission_groups": ["Staff"], "privacy_url": PRIVACY},
                                      {"permission_groups": PUBLIC}])
def test_a_closed_event_has_no_public_page(stack, organiser, settings):
    event_id = new_event(stack, organiser, **settings)
    assert _page(stack, event_id)[0] == 404
    status, html, _ = _page(stack, event_id, accept="text/html")
    assert status == 404 and "<html" in html
    status, body, _ = _register(stack, event_id, {"email": _address()})
    assert status == 404 and body["error"]["code"] == "event_not_found"
    assert _page(stack, "no-such-event")[1] == _page(stack, event_id)[1]


def test_a_new_email_becomes_a_contact_of_the_public_group_with_a_booking_and_gets_its_link(stack, organiser):
    event_id = new_event(stack, organiser, permission_groups=PUBLIC, privacy_url=PRIVACY, form=[
        {"id": "firstname", "required": True}, {"id": "diet", "type": "select", "label": "Diet", "options": [{"value": "vegan"}]}])
    status, body, _ = _page(stack, event_id)
    assert status == 200 and body["event"]["privacy_url"] == PRIVACY and "capacity" not in str(body["event"])
    address = _address()
    status, body, _ = _register(stack, event_id, {"email": address, "language": "fr", "firstname": "Néa", "diet": "vegan"})
    assert status == 202, body
    [contact] = _contacts(stack, event_id)
    assert contact["identifier"]["S"] == address.lower() and contact["permission_group"]["S"] == "Public"
    assert contact["language"]["S"] == "fr" and contact["status"]["S"] == "registered"
    view = guest_call(stack, "view", _mailed_token(stack, address))[1]
    assert view["contact"]["identifier"] == address.lower() and view["bookings"][0]["status"] == "confirmed"
    assert view["bookings"][0]["answers"] == {"firstname": "Néa", "diet": "vegan"}


def test_a_known_email_gets_the_same_answer_no_second_contact_and_its_own_link(stack, organiser):
    event_id = new_event(stack, organiser, permission_groups=PUBLIC, privacy_url=PRIVACY)
    known = _address()
    _contact, token = new_contact(stack, organiser, event_id, known, email=known, firstname="Known", permission_group="Staff")
    before = partition_items(stack, event_id, known.lower())
    new_answer = _register(stack, event_id, {"email": _address(), "firstname": "Other"})
    known_answer = _register(stack, event_id, {"email": f"  {known.upper()} ", "firstname": "Intruder"})
    assert known_answer[:2] == new_answer[:2] == (202, new_answer[1])
    assert len(_contacts(stack, event_id)) == 2
    after = partition_items(stack, event_id, known.lower())
    assert [i for i in after if i["pk"]["S"].startswith("C#")] == [i for i in before if i["pk"]["S"].startswith("C#")]
    assert _mailed_token(stack, known) == token


def test_the_public_group_capacity_waitlists_the_rest(stack, organiser):
    event_id = new_event(stack, organiser, capacity=10, privacy_url=PRIVACY,
                         permission_groups=[{"name": "Public", "public_registration": True, "capacity": 1}])
    first, second = _address(), _address()
    assert _register(stack, event_id, {"email": first})[0] == 202
    assert _register(stack, event_id, {"email": second})[0] == 202
    statuses = sorted(c["status"]["S"] for c in _contacts(stack, event_id))
    assert statuses == ["registered", "waitlisted"]


def test_invalid_registrations_are_refused_and_store_nothing(stack, organiser):
    event_id = new_event(stack, organiser, permission_groups=PUBLIC, privacy_url=PRIVACY,
                         form=[{"id": "firstname", "required": True}])
    for body, code in (({"email": "nope"}, "invalid_email"), ({}, "missing_field"),
                       ({"email": _address()}, "missing_field"), ({"email": _address(), "firstname": "A", "x": 1}, "unknown_field")):
        status, answer, _ = _register(stack, event_id, body, ip="198.51.100.99")
        assert (status, answer["error"]["code"]) == (422, code)
    assert _contacts(stack, event_id) == []


def test_registrations_are_rate_limited_per_address_and_event(stack, organiser):
    from guestlist.settings import get_settings

    limit = get_settings().registration_limit
    event_id = new_event(stack, organiser, permission_groups=PUBLIC, privacy_url=PRIVACY)
    other_event = new_event(stack, organiser, permission_groups=PUBLIC, privacy_url=PRIVACY)
    answers = [_register(stack, event_id, {}, ip="203.0.113.5")[0] for _ in range(limit + 2)]
    assert answers == [422] * limit + [429, 429]
    status, body, _ = _register(stack, event_id, {"email": _address()}, ip="203.0.113.5")
    assert (status, body["error"]["code"]) == (429, "rate_limited") and _contacts(stack, event_id) == []
    assert _register(stack, event_id, {"email": _address()}, ip="203.0.113.6")[0] == 202
    assert _register(stack, other_event, {"email": _address()}, ip="203.0.113.5")[0] == 202
    items = boto3.client("dynamodb").scan(TableName=stack.physical("EventsTable"))["Items"]
    counters = [i for i in items if i["pk"]["S"].startswith(f"RATE#{event_id}#")]
    assert counters and all("expires_at" in i for i in counters) and "203.0.113.5" not in str(counters)


def test_the_public_page_in_a_browser_registers_and_keeps_typed_values_on_refusal(stack, organiser):
    event_id = new_event(stack, organiser, permission_groups=PUBLIC, privacy_url=PRIVACY, name={"de": "Fest", "en": "Party"},
                         form=[{"id": "firstname", "required": True}])
    status, html, headers = _page(stack, event_id, accept="text/html", query={"lang": "en"})
    assert status == 200 and "<h1 class=\"event-name\">Party</h1>" in html and PRIVACY in html
    assert 'action="' + event_id + '/registrations"' in html and "script-src 'none'" in headers["content-security-policy"]
    address = _address()
    status, html, _ = _register(stack, event_id, {"email": address, "language": "de", "firstname": ""}, ip="198.51.100.50", form=True)
    assert status == 422 and f'value="{address}"' in html and "Fest" in html
    assert f'action="/r/{event_id}/registrations"' in html and f'href="/r/{event_id}?lang=en"' in html
    status, _b, headers = _register(stack, event_id, {"email": address, "language": "de", "firstname": "Fee"}, ip="198.51.100.50", form=True)
    assert status == 303 and headers["location"].endswith(f"/r/{event_id}?lang=de&notice=registration_received")
