"""What the functions answer is what the served OpenAPI document says, for the answers schemathesis found
outside it: the guest's view of the event, the HTML pages browsers get on a refusal, the guest bodies' 413,
and email fields (validated as email-validator does, so the document carries no `format: email`)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from jsonschema import Draft202012Validator

from support.events import http_event
from support.guests import guest_call, new_contact, new_event, organiser_call

ACCOUNTS = "/accounts"


@pytest.fixture(scope="module")
def document(stack) -> dict:
    status, document, _ = stack.http("DocsFunction", http_event("GET", "/openapi.json", "/openapi.json"))
    assert status == 200
    return document


def documented(document: dict, method: str, route: str, status: int, headers: dict, body) -> None:
    """The answer's status and content type are in the document, and a JSON body matches its schema."""
    responses = document["paths"][route][method.lower()]["responses"]
    assert str(status) in responses, (method, route, status, sorted(responses))
    content = responses[str(status)].get("content", {})
    media = headers.get("content-type", "").split(";")[0].strip()
    assert media in content, (method, route, status, media, sorted(content))
    if media == "application/json":
        schema = {**content[media]["schema"], "components": document["components"]}
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft202012Validator(schema).iter_errors(body)]
        assert not errors, errors


def test_guest_view_matches_its_own_schema_and_holds_no_organiser_field(stack, organiser, document):
    event_id = new_event(stack, organiser, capacity=5, venue={"de": "Saal", "en": "Hall"}, privacy_url="https://example.com/p",
                         online={"join_url": "https://meet.example.com/x"},
                         form=[{"id": "firstname", "required": True}, {"id": "diet", "type": "select", "label": {"de": "Kost"},
                                                                       "options": [{"value": "veg"}]}])
    status, _e, _h = organiser_call(stack, organiser, "PATCH", f"/events/{event_id}", "/events/{event_id}",
                                    path_parameters={"event_id": event_id}, body={"organiser": {"name": "Org", "email": "o@example.com"}})
    assert status == 200
    _contact, token = new_contact(stack, organiser, event_id, "view@example.com")
    assert guest_call(stack, "book", token, body={"firstname": "Vi", "diet": "veg"})[0] == 201
    status, view, headers = guest_call(stack, "view", token)
    documented(document, "GET", "/e/{token}", status, headers, view)
    assert view["event"]["online"]["opens_at"] and view["actions"]["can_join"] is False
    schema = document["components"]["schemas"]["GuestEvent"]
    assert schema["additionalProperties"] is False  # the document promises that nothing else is shown to guests
    assert not {"capacity", "confirmed", "permission_groups", "join_url"} & set(schema["properties"])


def test_html_pages_for_browsers_are_documented(stack, organiser, document):
    event_id = new_event(stack, organiser)  # no public registration: the form post is the 404 page
    status, page, headers = stack.http("GuestApiFunction", http_event(
        "POST", f"/r/{event_id}/registrations", "/r/{event_id}/registrations", body=urlencode({"email": "a@example.com"}),
        headers={"content-type": "application/x-www-form-urlencoded"}, path_parameters={"event_id": event_id}))
    assert status == 404 and "<html" in page
    documented(document, "POST", "/r/{event_id}/registrations", status, headers, page)
    status, page, headers = guest_call(stack, "view", "no-such-token", headers={"accept": "text/html"})
    assert status == 404 and "<html" in page
    documented(document, "GET", "/e/{token}", status, headers, page)
    strict = new_event(stack, organiser, form=[{"id": "firstname", "required": True}])
    _contact, token = new_contact(stack, organiser, strict, "form@example.com")
    status, page, headers = guest_call(stack, "book", token, body=urlencode({"firstname": ""}),
                                       headers={"accept": "text/html", "content-type": "application/x-www-form-urlencoded"})
    assert status == 422 and "<html" in page
    documented(document, "POST", "/e/{token}/bookings", status, headers, page)


def test_a_guest_body_over_its_limit_is_a_documented_413(stack, organiser, document):
    event_id = new_event(stack, organiser)
    _contact, token = new_contact(stack, organiser, event_id, "big@example.com")
    status, body, headers = guest_call(stack, "book", token, body={"note": "x" * 70_000})
    assert status == 413 and body["error"]["code"] == "body_too_large"
    documented(document, "POST", "/e/{token}/bookings", status, headers, body)
    assert "64 KiB" in document["paths"]["/e/{token}/bookings"]["post"]["responses"]["413"]["description"]
    assert "1 MiB" in document["paths"]["/events"]["post"]["responses"]["413"]["description"]


def _formats(node):
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            yield node
        for value in node.values():
            yield from _formats(value)
    elif isinstance(node, list):
        for value in node:
            yield from _formats(value)


@pytest.mark.parametrize(("address", "accepted"), [
    ("ada@example.com", True), ("ünï@exämple.ch", True),  # internationalised: email-validator takes them
    ("a@b", False), ('"quoted"@example.com', False), ("a@[192.0.2.1]", False), ("no-at-sign", False)])
def test_email_fields_are_validated_as_documented(stack, organiser, document, address, accepted):
    """`format: email` checkers and email-validator disagree both ways on such addresses: the document
    names the rule instead of a format, and the 422 names the field."""
    assert not list(_formats(document))  # email and date-time: our parsers, not a format checker's, draw the line
    assert "email-validator" in document["components"]["schemas"]["AccountCreate"]["properties"]["email"]["anyOf"][0]["description"]
    username = f"u{abs(hash(address)) % 10**8}"
    status, body, headers = organiser_call(stack, organiser, "POST", ACCOUNTS, ACCOUNTS, body={"username": username, "email": address})
    documented(document, "POST", ACCOUNTS, status, headers, body)
    if accepted:
        assert status == 201 and body["email"]
    else:
        assert status == 422 and body["error"]["field"] == "email"
    event_id = new_event(stack, organiser)
    new_contact(stack, organiser, event_id, "mail@example.com")
    path, route = f"/events/{event_id}/contacts/mail@example.com", "/events/{event_id}/contacts/{identifier}"
    status, body, headers = organiser_call(stack, organiser, "PATCH", path, route, body={"email": address},
                                           path_parameters={"event_id": event_id, "identifier": "mail@example.com"})
    documented(document, "PATCH", route, status, headers, body)
    assert (status == 200) is accepted and (accepted or body["error"]["field"] == "email")
