"""Exports (DESIGN.md s4): asynchronous, filtered, injection-safe cells, links that resolve, expiry without a 500."""

from __future__ import annotations

import csv
import io
import urllib.request
import uuid

import pytest

from support.events import sqs_event, sqs_record
from support.guests import guest_call, new_contact, new_event, organiser_call, token_of
from support.import_kit import deliver

HOSTILE = {
    "hyper@example.com": {"firstname": "=HYPERLINK(\"http://evil.example\",\"x\")", "lastname": "Müller"},
    "plus@example.com": {"firstname": "+41 cmd", "lastname": "-2+3"},
    "at@example.com": {"firstname": "@SUM(1,2)", "organization": "Zürich AG"},
}  # leading tab / CR cannot be stored (fields are trimmed): tests/unit/test_export_cells.py covers them


def _export(stack, organiser, event_id, **body):
    status, started, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/exports", "/events/{event_id}/exports",
                                        path_parameters={"event_id": event_id}, body=body)
    assert status == 202 and started["status"] == "running", started
    deliver(stack, "ExportQueue", "ExportFunction")
    return _get(stack, organiser, event_id, started["export_id"])


def _get(stack, organiser, event_id, export_id):
    status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/exports/{export_id}",
                                     "/events/{event_id}/exports/{export_id}",
                                     path_parameters={"event_id": event_id, "export_id": export_id})
    assert status == 200, body
    return body


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


@pytest.fixture
def hostile_event(stack, organiser):
    event_id = new_event(stack, organiser)
    for identifier, fields in HOSTILE.items():
        new_contact(stack, organiser, event_id, identifier, **fields)
    _c, token = new_contact(stack, organiser, event_id, "booked@example.com", firstname="Booked")
    guest_call(stack, "book", token)
    return event_id


def test_xlsx_export_has_no_formula_cell_and_every_link_resolves_to_its_own_contact(stack, organiser, hostile_event):
    from openpyxl import load_workbook

    export = _export(stack, organiser, hostile_event, format="xlsx")
    assert export["status"] == "completed" and export["rows"] == 4 and export["url"], export
    sheet = load_workbook(io.BytesIO(_download(export["url"]))).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    assert header[:5] == ["identifier", "firstname", "lastname", "email", "organization"]
    assert header[5:] == ["language", "status", "groups", "permission_group", "personal_link", "booking_status", "checked_in_at"]
    assert all(c.data_type != "f" for row in rows for c in row)
    by_id = {row[0].value: {h: c.value for h, c in zip(header, row)} for row in rows[1:]}
    for identifier, fields in HOSTILE.items():
        for name, value in fields.items():
            assert by_id[identifier][name] == value, (identifier, name)
    assert by_id["booked@example.com"]["status"] == "registered" and by_id["booked@example.com"]["booking_status"] == "confirmed"
    for identifier, row in by_id.items():
        status, view, _ = guest_call(stack, "view", token_of(row["personal_link"]))
        assert status == 200 and view["contact"]["identifier"] == identifier


def test_csv_export_is_utf8_with_bom_and_prefixes_formula_triggers(stack, organiser, hostile_event):
    export = _export(stack, organiser, hostile_event, format="csv")
    raw = _download(export["url"])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header = rows[0]
    by_id = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert by_id["hyper@example.com"]["firstname"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert by_id["hyper@example.com"]["lastname"] == "Müller"
    assert by_id["plus@example.com"]["firstname"] == "'+41 cmd" and by_id["plus@example.com"]["lastname"] == "'-2+3"
    assert by_id["at@example.com"]["firstname"] == "'@SUM(1,2)" and by_id["at@example.com"]["organization"] == "Zürich AG"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        status, view, _ = guest_call(stack, "view", token_of(dict(zip(header, row))["personal_link"]))
        assert status == 200 and view["contact"]["identifier"] == row[0]


def test_export_filter_selects_the_listings_contacts(stack, organiser, hostile_event):
    export = _export(stack, organiser, hostile_event, format="csv", filter={"status": "registered"})
    rows = list(csv.reader(io.StringIO(_download(export["url"]).decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == ["booked@example.com"] and export["rows"] == 1
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{hostile_event}/exports", "/events/{event_id}/exports",
                                     path_parameters={"event_id": hostile_event}, body={"format": "pdf"})
    assert status == 422 and body["error"]["field"] == "format"


def test_an_expired_or_removed_export_answers_expired_without_a_url(stack, organiser, hostile_event):
    import boto3

    from guestlist.models import ExportJobModel

    export = _export(stack, organiser, hostile_event, format="xlsx")
    job = ExportJobModel.get(f"EXPORT#{export['export_id']}", "JOB")
    job.update(actions=[ExportJobModel.finished_at.set("2020-01-01T00:00:00.000Z")])
    assert _get(stack, organiser, hostile_event, export["export_id"])["status"] == "expired"
    again = _export(stack, organiser, hostile_event, format="csv")
    key = ExportJobModel.get(f"EXPORT#{again['export_id']}", "JOB").object_key
    boto3.client("s3").delete_object(Bucket=stack.physical("ImportBucket"), Key=key)
    body = _get(stack, organiser, hostile_event, again["export_id"])
    assert body["status"] == "expired" and body["url"] is None


def test_a_dead_lettered_export_ends_failed_and_a_replay_changes_nothing(stack, organiser, hostile_event):
    _status, started, _ = organiser_call(stack, organiser, "POST", f"/events/{hostile_event}/exports", "/events/{event_id}/exports",
                                        path_parameters={"event_id": hostile_event}, body={})
    export_id = started["export_id"]
    stack.invoke("ExportFailuresFunction", sqs_event(sqs_record({"export_id": export_id}, receive_count=3)))
    body = _get(stack, organiser, hostile_event, export_id)
    assert body["status"] == "failed" and body["url"] is None and body["error"]
    deliver(stack, "ExportQueue", "ExportFunction")  # the original message, delivered late
    assert _get(stack, organiser, hostile_event, export_id)["status"] == "failed"


def test_another_workspaces_export_is_not_found(stack, organiser, hostile_event):
    from guestlist.keys import ensure_organiser_key, resolve_key

    export = _export(stack, organiser, hostile_event, format="csv")
    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-{uuid.uuid4().hex[:8]}", key)
    other = {"key": key, "scope": resolve_key(key).as_context()}
    other_event = new_event(stack, other)
    for event_id in (hostile_event, other_event):
        status, body, _ = organiser_call(stack, other, "GET", f"/events/{event_id}/exports/{export['export_id']}",
                                         "/events/{event_id}/exports/{export_id}",
                                         path_parameters={"event_id": event_id, "export_id": export["export_id"]})
        assert status == 404, body


def test_the_export_shows_the_first_check_in_time_and_drops_it_when_annulled(stack, organiser):
    from support.checkin import door, door_key, scan

    event_id = new_event(stack, organiser)
    _c, token = new_contact(stack, organiser, event_id, "door@example.com")
    booking = guest_call(stack, "book", token)[1]
    key = door_key(stack, organiser, event_id)
    status, result, _ = scan(stack, key, booking["ticket_code"], nonce="n-1", scanned_at="2027-06-01T18:05:00Z", device="door-1")
    assert status == 201, result
    rows = list(csv.DictReader(io.StringIO(_download(_export(stack, organiser, event_id, format="csv")["url"]).decode("utf-8-sig"))))
    assert rows[0]["status"] == "attended" and rows[0]["checked_in_at"].startswith("2027-06-01T18:05")
    status, _body, _ = door(stack, key["scope"], event_id, suffix="/{nonce}/annul", params={"nonce": "n-1"}, body={"device": "door-1"})
    assert status == 200, _body
    rows = list(csv.DictReader(io.StringIO(_download(_export(stack, organiser, event_id, format="csv")["url"]).decode("utf-8-sig"))))
    assert rows[0]["status"] == "registered" and rows[0]["checked_in_at"] == ""
