"""The walking skeleton over HTTP against `guestlist up`: upload -> contacts -> link -> booking -> check-in -> history."""

from __future__ import annotations

import io

import boto3
import requests
from conftest import wait_for
from openpyxl import Workbook

TERMINAL = ("completed", "completed_with_errors", "failed")


def _s3(running):
    return boto3.client("s3", endpoint_url=running.aws, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _bucket(running) -> str:
    return next(b["Name"] for b in _s3(running).list_buckets()["Buckets"] if "imports" in b["Name"])


def test_health_needs_no_key(running):
    response = requests.get(f"{running.api}/health", timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_organiser_routes_refuse_missing_and_unknown_keys(running):
    assert requests.get(f"{running.api}/events", timeout=5).status_code == 401
    assert requests.get(f"{running.api}/events", headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 403


def test_upload_to_checkin_to_history_over_http(running):
    api, admin = running.api, running.admin
    event = requests.post(f"{api}/events", headers=admin, timeout=10, json={
        "name": "Walking skeleton", "start": "2027-03-01T18:00:00+01:00", "end": "2027-03-01T22:00:00+01:00",
        "timezone": "Europe/Zurich", "capacity": 10}).json()
    event_id = event["event_id"]

    wb = Workbook()
    wb.active.append(["E-Mail", "Vorname", "Nachname"])
    wb.active.append(["dora@example.com", "Dora", "Beispiel"])
    wb.active.append(["emil@example.com", "Emil", "Beispiel"])
    body = io.BytesIO()
    wb.save(body)
    _s3(running).put_object(Bucket=_bucket(running), Key=f"imports/{event_id}/skeleton.xlsx", Body=body.getvalue(),
                            Metadata={"mapping": '{"E-Mail": "identifier"}'})

    def finished():
        jobs = requests.get(f"{api}/events/{event_id}/imports", headers=admin, timeout=5).json()["imports"]
        return jobs and jobs[0]["status"] in TERMINAL and jobs[0]
    job = wait_for(finished)
    report = requests.get(f"{api}/events/{event_id}/imports/{job['import_id']}", headers=admin, timeout=5).json()
    assert report["status"] == "completed", report
    assert report["counts"]["created"] == 2 and report["rows_total"] == 2

    contact = requests.get(f"{api}/events/{event_id}/contacts/dora%40example.com", headers=admin, timeout=5).json()
    assert contact["firstname"] == "Dora"
    link = contact["personal_link"]
    assert link.startswith(f"{api}/e/")

    view = requests.get(link, timeout=5)
    assert view.status_code == 200 and view.json()["status"] == "open"
    assert view.headers["Cache-Control"] == "no-store" and view.headers["Referrer-Policy"] == "no-referrer"
    token = link.split("/e/")[1].split("?")[0]
    assert requests.post(f"{api}/e/{token}/visit", timeout=5).json()["status"] == "accessed"
    booking = requests.post(f"{api}/e/{token}/bookings", json={"firstname": "Dora"}, timeout=5)
    assert booking.status_code == 201 and booking.json()["status"] == "confirmed"

    key = requests.post(f"{api}/events/{event_id}/checkin-keys", headers=admin, json={"label": "door"}, timeout=5).json()
    door = {"Authorization": f"Bearer {key['key']}"}
    scan = requests.post(f"{api}/events/{event_id}/checkins", headers=door, timeout=5,
                         json={"code": booking.json()["ticket_code"], "nonce": "scan-1", "device": "door-1"})
    assert scan.status_code == 201 and scan.json()["result"] == "ok"
    # the door key is scoped to its event: organiser routes are closed to it
    assert requests.get(f"{api}/events/{event_id}/contacts", headers=door, timeout=5).status_code == 403

    def history():
        entries = requests.get(f"{api}/events/{event_id}/contacts/dora%40example.com/history", headers=admin, timeout=5).json()["history"]
        statuses = [e["new_status"] for e in entries]
        return statuses if statuses[-1:] == ["attended"] else None
    assert wait_for(history) == ["open", "accessed", "registered", "attended"]
    # secrets never reach the logs: not the link token, not the keys
    log = running.log()
    assert token not in log and key["key"] not in log
