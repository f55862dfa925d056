"""`guestlist up --data-dir D`, kill -9 mid-work, restart with D: nothing acknowledged is lost, the import finishes."""

from __future__ import annotations

import io
import os
import signal

import boto3
import requests
from conftest import start_stack, stop_stack, wait_for
from openpyxl import Workbook

ROWS = 300
T = 60  # seconds per request: the machine running the tests may be loaded (the test is about outcomes)


def _workbook() -> bytes:
    wb = Workbook()
    wb.active.append(["E-Mail", "Vorname"])
    for i in range(ROWS):
        wb.active.append([f"guest{i}@example.com", f"G{i}"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_kill_9_loses_nothing_acknowledged_and_unfinished_work_resumes(tmp_path):
    data = tmp_path / "data"
    first = start_stack(tmp_path, "--data-dir", str(data), timeout=180)
    api, admin = first.api, first.admin
    try:
        event_id = requests.post(f"{api}/events", headers=admin, timeout=T, json={
            "name": "Crash", "start": "2027-03-01T18:00:00+01:00", "end": "2027-03-01T22:00:00+01:00",
            "timezone": "Europe/Zurich", "capacity": 1000}).json()["event_id"]
        contact = requests.post(f"{api}/events/{event_id}/contacts", headers=admin, timeout=T,
                                json={"identifier": "ada@example.com", "firstname": "Ada"})
        assert contact.status_code == 201, contact.text
        link = contact.json()["personal_link"]
        token = link.split("/e/")[1].split("?")[0]
        booking = requests.post(f"{api}/e/{token}/bookings", json={"firstname": "Ada"}, timeout=T)
        assert booking.status_code == 201, booking.text
        key = requests.post(f"{api}/events/{event_id}/checkin-keys", headers=admin, json={"label": "door"}, timeout=T)
        door = {"Authorization": f"Bearer {key.json()['key']}"}
        scan = requests.post(f"{api}/events/{event_id}/checkins", headers=door, timeout=T,
                             json={"code": booking.json()["ticket_code"], "nonce": "scan-1", "device": "door-1"})
        assert scan.status_code == 201, scan.text
        s3 = boto3.client("s3", endpoint_url=first.aws, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "imports" in b["Name"])
        s3.put_object(Bucket=bucket, Key=f"imports/{event_id}/crash.xlsx", Body=_workbook(),
                      Metadata={"mapping": '{"E-Mail": "identifier"}'})
    finally:
        os.killpg(first.process.pid, signal.SIGKILL)  # right after the upload was accepted: mid-import at most
        first.process.wait()

    second = start_stack(tmp_path, "--data-dir", str(data), admin_key=first.admin_key, timeout=180)
    try:
        api = second.api
        got = requests.get(f"{api}/events/{event_id}/contacts/ada%40example.com", headers=admin, timeout=T)
        assert got.status_code == 200 and got.json()["status"] == "attended", got.text  # the acknowledged check-in
        assert requests.get(f"{api}/e/{token}", timeout=T).json()["status"] == "attended"  # the link secret too
        stats = requests.get(f"{api}/events/{event_id}/checkins/stats", headers=door, timeout=T)
        assert stats.status_code == 200, stats.text  # the check-in key
        s3 = boto3.client("s3", endpoint_url=second.aws, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        assert s3.head_object(Bucket=bucket, Key=f"imports/{event_id}/crash.xlsx")["Metadata"]["mapping"]

        def finished():
            jobs = requests.get(f"{api}/events/{event_id}/imports", headers=admin, timeout=T).json()["imports"]
            return jobs and jobs[0]["status"] in ("completed", "completed_with_errors", "failed") and jobs[0]

        job = wait_for(finished, timeout=180)
        report = requests.get(f"{api}/events/{event_id}/imports/{job['import_id']}", headers=admin, timeout=T).json()
        assert report["status"] == "completed" and report["rows_total"] == ROWS, report
        assert report["counts"]["created"] + report["counts"]["updated"] == ROWS, report
        last = requests.get(f"{api}/events/{event_id}/contacts/guest{ROWS - 1}%40example.com", headers=admin, timeout=T)
        assert last.status_code == 200
    finally:
        stop_stack(second.process)
