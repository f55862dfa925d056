"""`guestlist up --demo`: a sample event, a generated workbook imported through the real pipeline, links to try."""

from __future__ import annotations

import io
import time

import boto3
import requests
from openpyxl import Workbook
from rich.console import Console

SAMPLE_GUESTS = [
    ("anna.muster@example.com", "Anna", "Muster", "Muster AG", "+41 44 668 18 00", "de", "8001"),
    ("luc.dupont@example.com", "Luc", "Dupont", "Dupont SA", "022 310 00 00", "fr", "1201"),
    ("giulia.rossi@example.com", "Giulia", "Rossi", "Rossi Sagl", "+41 91 800 00 00", "it", "6900"),
    ("emma.smith@example.com", "Emma", "Smith", "Smith Ltd", "", "en", "3000"),
    ("E-10045", "Peter", "Meier", "Meier Holding", "", "de", "4051"),
]


def sample_workbook() -> bytes:
    """A workbook as organisers make them: German labels, a zip as a number, one blank row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Gäste"
    ws.append(["Identifikator", "Vorname", "Nachname", "Firma", "Mobile", "Sprache", "PLZ"])
    for _i, guest in enumerate(SAMPLE_GUESTS):
        identifier, first, last, org, phone, lang, zip_code = guest
        ws.append([identifier, first, last, org, phone or None, lang, int(zip_code)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run_demo(stack, admin_key: str, console: Console) -> dict:
    api = stack.api_url
    headers = {"Authorization": f"Bearer {admin_key}"}
    event = requests.post(f"{api}/events", headers=headers, timeout=10, json={
        "name": "Sommerfest 2027", "start": "2027-06-18T18:00:00+02:00", "end": "2027-06-18T23:30:00+02:00",
        "timezone": "Europe/Zurich", "venue": "Zunfthaus zur Meisen, Zürich", "languages": ["de", "fr", "it", "en"],
        "default_language": "de", "capacity": 120, "description": "Apéro, Dinner und Musik am See.",
    }).json()
    event_id = event["event_id"]
    key = f"imports/{event_id}/demo-guests.xlsx"
    boto3.client("s3", endpoint_url=stack.endpoint_url).put_object(
        Bucket=stack.physical("ImportBucket"), Key=key, Body=sample_workbook(), Metadata={"group": "demo"})
    report = _wait_for_import(api, headers, event_id)
    checkin = requests.post(f"{api}/events/{event_id}/checkin-keys", headers=headers, json={"label": "demo door"}, timeout=10).json()
    contacts = requests.get(f"{api}/events/{event_id}/contacts", headers=headers, timeout=10).json()["contacts"]

    console.print(f"\n[bold]Demo event[/] {event['name']}  ({event_id})")
    if report:
        counts = report["counts"]
        console.print(f"  import {report['import_id']}: {report['status']}, {counts['created']} created, "
                      f"{counts['skipped']} skipped, {report['warnings']} warning(s)")
    console.print("  personal links (open one in a browser):")
    for contact in sorted(contacts, key=lambda c: c["identifier"]):
        name = f"{contact.get('firstname', '')} {contact.get('lastname', '')}".strip()
        console.print(f"    {name:<14} {contact.get('language', ''):<3} {contact['personal_link']}", soft_wrap=True)
    console.print(f"  check-in key    {checkin['key']}  (door staff; event {event_id} only)", soft_wrap=True)
    console.print(f"  try:  curl -s -H 'Authorization: Bearer {admin_key}' {api}/events/{event_id}/contacts", soft_wrap=True)
    return {"event_id": event_id, "checkin_key": checkin["key"], "contacts": contacts, "import": report}


def _wait_for_import(api: str, headers: dict, event_id: str, timeout: float = 60.0) -> dict | None:
    """The import id is derived from the S3 event; find it through the job listing of the event."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = requests.get(f"{api}/events/{event_id}/imports", headers=headers, timeout=10)
        if listing.status_code == 200:
            jobs = listing.json().get("imports", [])
            if jobs and jobs[0]["status"] in ("completed", "completed_with_errors", "failed"):
                return requests.get(f"{api}/events/{event_id}/imports/{jobs[0]['import_id']}", headers=headers, timeout=10).json()
        time.sleep(0.3)
    return None
