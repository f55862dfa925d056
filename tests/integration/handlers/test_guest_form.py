"""The form drives the guest page and bookings (DESIGN.md s10); a refused request changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import boto3
import pytest

from guestlist.codes import Code
from support.events import http_event
from support.guests import guest_call, new_contact, new_event, organiser_call, partition_items

FORM = [
    {"id": "firstname", "required": True},
    {"id": "lastname", "label": {"de": "Familienname", "fr": "Nom de famille"}},
    {"id": "phone_mobile", "type": "phone"},
    {"id": "diet", "type": "select", "label": {"de": "Ernährung", "fr": "Régime", "en": "Diet"},
     "options": [{"value": "vegan", "label": {"de": "Vegan", "fr": "Végétalien"}}, {"value": "meat"}]},
    {"id": "topics", "type": "multiselect", "label": "Topics", "options": [{"value": "ai"}, {"value": "ops"}]},
    {"id": "consent", "type": "checkbox", "label": {"de": "Ich bin einverstanden", "fr": "J'accepte"}, "required": True},
    {"id": "note", "type": "textarea", "label": "Note", "max_length": 10},
    {"id": "arrival", "type": "date", "label": "Arrival"},
    {"id": "guests", "type": "number", "label": "Guests"},
]
GOOD = {"firstname": "Ada", "consent": True}


def _form_event(stack, organiser, **fields) -> str:
    return new_event(stack, organiser, form=FORM, **fields)


def test_answers_go_to_the_contact_and_the_booking_by_field(stack, organiser):
    event_id = _form_event(stack, organiser)
    _contact, token = new_contact(stack, organiser, event_id, "ada@example.com")
    status, booking, _ = guest_call(stack, "book", token, body={
        **GOOD, "phone_mobile": "079 123 45 67", "diet": "vegan", "topics": ["ai"], "arrival": "2027-06-01", "guests": 2})
    assert status == 201, booking
    view = guest_call(stack, "view", token)[1]
    assert view["contact"]["phone_mobile"] == "+41791234567" and view["contact"]["custom"]["diet"] == "vegan"
    assert view["bookings"][0]["answers"]["topics"] == ["ai"] and view["bookings"][0]["answers"]["guests"] == 2
    assert [f["id"] for f in view["event"]["form"]] == [f["id"] for f in FORM]


def test_a_required_field_the_contact_already_has_needs_no_answer(stack, organiser):
    event_id = _form_event(stack, organiser)
    _c, token = new_contact(stack, organiser, event_id, firstname="Ada", custom={"consent": True})
    status, body, _ = guest_call(stack, "book", token, body={})
    assert status == 201, body


REFUSED_ANSWERS = {
    "unknown_field": {**GOOD, "nickname": "x"},
    "missing_field": {"firstname": "Ada"},
    "invalid_field": {**GOOD, "guests": "many"},
    "invalid_option": {**GOOD, "diet": "fish"},
    "too_long": {**GOOD, "note": "x" * 11},
    "invalid_date": {**GOOD, "arrival": "tomorrow"},
    "invalid_phone": {**GOOD, "phone_mobile": "12"},
}


@pytest.mark.parametrize("case", sorted(REFUSED_ANSWERS))
def test_a_booking_refused_for_its_answers_changes_nothing(stack, organiser, case):
    event_id = _form_event(stack, organiser, capacity=5)
    _c, token = new_contact(stack, organiser, event_id, "old@example.com", firstname="Old", lastname="Name")
    before = partition_items(stack, event_id, "old@example.com")
    status, body, _ = guest_call(stack, "book", token, body={**REFUSED_ANSWERS[case], "lastname": "Changed"})
    assert status == 422, body
    assert partition_items(stack, event_id, "old@example.com") == before


def test_a_booking_over_the_limit_changes_nothing_neither_answers_nor_seats(stack, organiser):
    event_id = _form_event(stack, organiser, capacity=5)
    _c, token = new_contact(stack, organiser, event_id, "lim@example.com", lastname="Name")
    assert guest_call(stack, "book", token, body=GOOD)[0] == 201
    before = partition_items(stack, event_id, "lim@example.com")
    status, body, _ = guest_call(stack, "book", token, body={**GOOD, "lastname": "Changed"})
    assert (status, body["error"]["code"]) == (409, "booking_limit")
    assert partition_items(stack, event_id, "lim@example.com") == before


@pytest.mark.parametrize("refusal", ["self_cancellation_disabled", "booking_not_found", "has_booking", "link_not_found"])
def test_refused_cancel_decline_and_unknown_links_change_nothing(stack, organiser, refusal):
    event_id = _form_event(stack, organiser, self_cancellation=refusal != "self_cancellation_disabled")
    _c, token = new_contact(stack, organiser, event_id, "ref@example.com")
    booking = guest_call(stack, "book", token, body=GOOD)[1]
    before = partition_items(stack, event_id, "ref@example.com")
    if refusal == "has_booking":
        _status, body, _ = guest_call(stack, "decline", token)
    elif refusal == "link_not_found":
        _status, body, _ = guest_call(stack, "book", "A" * 43, body={**GOOD, "lastname": "X"})
    else:
        bid = booking["booking_id"] if refusal == "self_cancellation_disabled" else "bk-other"
        _status, body, _ = guest_call(stack, "cancel", token, booking_id=bid)
    assert body["error"]["code"] == refusal
    assert partition_items(stack, event_id, "ref@example.com") == before


def test_a_waitlisted_booking_keeps_the_answers_with_it(stack, organiser):
    event_id = _form_event(stack, organiser, capacity=0)
    _c, token = new_contact(stack, organiser, event_id, "wait@example.com")
    status, booking, _ = guest_call(stack, "book", token, body={**GOOD, "lastname": "Waiting"})
    assert (status, booking["status"]) == (201, "waitlisted")
    assert guest_call(stack, "view", token)[1]["contact"]["lastname"] == "Waiting"


def _html_post(stack, token: str, pairs: list[tuple[str, str]]):
    body = urlencode(pairs)
    event = http_event("POST", f"/e/{token}/bookings", "/e/{token}/bookings", body=None,
                       path_parameters={"token": token},
                       headers={"accept": "text/html", "content-type": "application/x-www-form-urlencoded"})
    event["body"] = body
    return stack.http("GuestApiFunction", event)


def test_a_refused_browser_form_shows_the_page_again_with_what_was_typed(stack, organiser):
    event_id = _form_event(stack, organiser)
    _c, token = new_contact(stack, organiser, event_id, "typed@example.com", language="de")
    status, html, headers = _html_post(stack, token, [("lang", "de"), ("firstname", "Ädä"), ("lastname", "Typed"),
                                                      ("diet", "vegan"), ("topics", "ai"), ("topics", "ops"),
                                                      ("note", "x" * 11), ("consent", "on")])
    assert status == 422 and "text/html" in headers["content-type"]
    assert 'value="Ädä"' in html and 'value="Typed"' in html and 'value="vegan" selected' in html
    assert html.count('name="topics" value="ai" checked') == 1 and 'value="ops" checked' in html
    assert 'aria-invalid="true">' + "x" * 11 in html and "Ernährung" in html
    # answered at /e/{token}/bookings: the page's links and form still point at the page's own routes
    assert f'action="/e/{token}/bookings"' in html and f'href="/e/{token}?lang=fr"' in html
    assert guest_call(stack, "view", token)[1]["contact"].get("lastname") is None
    status, _html, headers = _html_post(stack, token, [("lang", "de"), ("firstname", "Ada"), ("consent", "on"), ("topics", "ai")])
    assert status == 303 and "notice=booking_confirmed" in headers["location"]


def test_group_capacity_caps_confirmed_bookings_under_concurrency(stack, organiser):
    event_id = new_event(stack, organiser, capacity=100, permission_groups=[{"name": "VIP", "capacity": 2}, "Staff"])
    tokens = [new_contact(stack, organiser, event_id, permission_group="VIP")[1] for _ in range(6)]
    staff = new_contact(stack, organiser, event_id, permission_group="Staff")[1]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda t: guest_call(stack, "book", t, body={})[1]["status"], tokens))
    assert sorted(results) == ["confirmed"] * 2 + ["waitlisted"] * 4
    assert guest_call(stack, "book", staff, body={})[1]["status"] == "confirmed"
    status, body, _ = organiser_call(stack, organiser, "PATCH", f"/events/{event_id}", "/events/{event_id}",
                                     path_parameters={"event_id": event_id},
                                     body={"permission_groups": [{"name": "VIP", "capacity": 1}, "Staff"]})
    assert (status, body["error"]["code"]) == (409, "capacity_below_confirmed")
    status, body, _ = organiser_call(stack, organiser, "PATCH", f"/events/{event_id}", "/events/{event_id}",
                                     path_parameters={"event_id": event_id},
                                     body={"permission_groups": [{"name": "VIP", "capacity": 3}, "Staff"]})
    assert status == 200, body
    statuses = [guest_call(stack, "view", t)[1]["bookings"][0]["status"] for t in tokens]
    assert statuses.count("confirmed") == 3  # the raised group capacity promoted the oldest waiting one


def test_guests_see_their_language_else_the_default(stack, organiser):
    event_id = new_event(stack, organiser, name={"de": "Sommerfest", "fr": "Fête d'été"},
                         description={"de": "Apéro auf der Terrasse"}, form=FORM)
    _c, token = new_contact(stack, organiser, event_id, language="fr")
    _s, html, _h = guest_call(stack, "view", token, headers={"accept": "text/html"})
    assert "<h1 class=\"event-name\">Fête d&#39;été</h1>" in html and "Apéro auf der Terrasse" in html
    assert "Régime" in html and "Végétalien" in html and "Vous n&#39;êtes pas encore inscrit·e" in html
    _s, html, _h = guest_call(stack, "view", token, headers={"accept": "text/html"}, query={"lang": "en"})
    assert "Sommerfest" in html and ">Diet" in html


def test_an_unknown_link_in_a_browser_is_a_page_in_the_browsers_language(stack, organiser):
    status, html, headers = guest_call(stack, "view", "A" * 43,
                                       headers={"accept": "text/html", "accept-language": "it-CH;q=0.4, fr;q=0.9, xx"})
    assert status == 404 and "text/html" in headers["content-type"] and '<html lang="fr">' in html
    assert "Lien introuvable" in html and "default-src 'none'" in headers["content-security-policy"]
    status, body, _ = guest_call(stack, "view", "A" * 43)
    assert status == 404 and body["error"]["code"] == Code.LINK_NOT_FOUND


def _online_event(stack, organiser, starts_in: timedelta, **fields) -> str:
    start = datetime.now(UTC) + starts_in
    return new_event(stack, organiser, start=start.isoformat(timespec="seconds"),
                     end=(start + timedelta(hours=1)).isoformat(timespec="seconds"),
                     online={"join_url": "https://meet.example/secret-room", "opens_minutes_before": 30}, **fields)


def _join(stack, token, html=False):
    return stack.http("GuestApiFunction", http_event("GET", f"/e/{token}/join", "/e/{token}/join", path_parameters={"token": token},
                                                     headers={"accept": "text/html"} if html else None))


def test_online_join_redirects_a_confirmed_guest_in_its_window_and_records_attendance_once(stack, organiser):
    event_id = _online_event(stack, organiser, timedelta(minutes=10))
    _c, token = new_contact(stack, organiser, event_id, "online@example.com")
    _c, other = new_contact(stack, organiser, event_id, "other@example.com")
    assert _join(stack, token)[1]["error"]["code"] == Code.JOIN_NOT_OPEN  # not booked yet
    guest_call(stack, "book", token, body={})
    view = guest_call(stack, "view", token)[1]
    assert view["actions"]["can_join"] is True and "secret-room" not in str(view)
    _s, page, _h = guest_call(stack, "view", token, headers={"accept": "text/html"})
    assert "/join" in page and "secret-room" not in page
    for _ in range(2):
        status, _b, headers = _join(stack, token)
        assert status == 302 and headers["location"] == "https://meet.example/secret-room"
    assert guest_call(stack, "view", token)[1]["status"] == "attended"
    contact = organiser_call(stack, organiser, "GET", f"/events/{event_id}/contacts/online%40example.com/history",
                             "/events/{event_id}/contacts/{identifier}/history",
                             path_parameters={"event_id": event_id, "identifier": "online%40example.com"})[1]
    item = boto3.client("dynamodb").get_item(TableName=stack.physical("ContactsTable"),
                                             Key={"pk": {"S": f"C#{event_id}#online@example.com"}, "sk": {"S": "CONTACT"}})["Item"]
    assert item["attended_count"]["N"] == "1" and item["last_cause"]["M"]["kind"]["S"] == "online"
    assert contact["status"] == "attended"
    status, body, _ = _join(stack, other)
    assert (status, body["error"]["code"]) == (409, "join_not_open") and "secret-room" not in str(body)


def test_online_join_is_closed_before_its_time(stack, organiser):
    event_id = _online_event(stack, organiser, timedelta(hours=3))
    _c, token = new_contact(stack, organiser, event_id)
    guest_call(stack, "book", token, body={})
    view = guest_call(stack, "view", token)[1]
    assert view["actions"]["can_join"] is False and view["event"]["online"]["opens_at"]
    status, _b, headers = _join(stack, token, html=True)
    assert status == 303 and "notice=join_not_open" in headers["location"] and "secret-room" not in str(headers)
    _s, page, _h = guest_call(stack, "view", token, headers={"accept": "text/html"})
    assert "secret-room" not in page and "/join" not in page
