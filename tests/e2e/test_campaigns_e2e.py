"""Mail over HTTP against `guestlist up`: a booking's confirmation from the stream, a campaign driven by the
`guestlist campaigns` command (progress, counts), one-click unsubscribe from the mail's own header, and a
scheduled send fired by the local stack's scheduler."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from conftest import wait_for

GUESTLIST = Path(sys.executable).parent / "guestlist"
TEMPLATES = {"en": {"subject": "Invitation: {{ event.name }}", "body": "Hello {{ firstname }}, {{ event.start }}: {{ link }}"},
             "de": {"subject": "Einladung: {{ event.name }}", "body": "Hallo {{ firstname }}, {{ event.start }}: {{ link }}"}}


def cli(running, *args: str) -> dict:
    out = subprocess.run([str(GUESTLIST), "campaigns", *args, "--api", running.api, "--key", running.admin_key, "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def test_confirmation_campaign_unsubscribe_and_a_scheduled_reminder_over_http(running, tmp_path):
    from guestlist_local.outbox import sent_messages

    api, admin = running.api, running.admin
    event_id = requests.post(f"{api}/events", headers=admin, timeout=30, json={
        "name": "Mail e2e", "start": "2027-03-01T18:00:00+01:00", "end": "2027-03-01T22:00:00+01:00",
        "timezone": "Europe/Zurich", "languages": ["de", "en"], "default_language": "de"}).json()["event_id"]
    people = []
    for i in range(3):
        address = f"e2e-{uuid.uuid4().hex[:8]}@example.org"
        contact = requests.post(f"{api}/events/{event_id}/contacts", headers=admin, timeout=30, json={
            "identifier": address, "email": address, "firstname": f"Guest{i}", "language": "en"}).json()
        people.append((address, contact["personal_link"].split("/e/")[1].split("?")[0]))

    # a booking is confirmed by mail, with its ticket and calendar, exactly once
    assert requests.post(f"{api}/e/{people[0][1]}/bookings", json={}, timeout=30).json()["status"] == "confirmed"
    (confirmation,) = wait_for(lambda: sent_messages(running.aws, to=people[0][0]), timeout=60)
    assert [a["content_type"] for a in confirmation["attachments"]] == ["image/png", "text/calendar"]

    # a campaign from the terminal: created, sent with the progress bar, one mail per guest
    templates = tmp_path / "templates.json"
    templates.write_text(json.dumps(TEMPLATES))
    draft = cli(running, "create", "-e", event_id, "--name", "Invitation", "--templates", str(templates))
    assert draft["recipients"]["total"] == 3
    sent = cli(running, "send", draft["campaign_id"], "-e", event_id, "--timeout", "240")
    assert sent["status"] == "sent" and sent["counts"]["sent"] == 3
    invitations = {a: [m for m in sent_messages(running.aws, to=a) if m["subject"] == "Invitation: Mail e2e"]
                   for a, _ in people}
    assert all(len(found) == 1 for found in invitations.values())
    for address, token in people:
        assert f"/e/{token}" in invitations[address][0]["body"]

    # one-click unsubscribe, as a mail client does it (RFC 8058), from the mail's own header
    header = invitations[people[1][0]][0]["headers"]["List-Unsubscribe"]
    url = header.strip("<>")
    assert requests.get(url, timeout=30).status_code == 200
    one_click = requests.post(url, data="List-Unsubscribe=One-Click", timeout=30,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert one_click.status_code == 200

    # a reminder scheduled a minute ahead goes out when the local stack's scheduler fires it
    reminder = cli(running, "create", "-e", event_id, "--name", "Reminder", "--templates", str(templates))
    assert reminder["recipients"]["total"] == 2 and reminder["recipients"]["excluded"]["unsubscribed"] == 1
    at = (datetime.now(UTC) + timedelta(seconds=65)).replace(microsecond=0).isoformat()
    assert cli(running, "send", reminder["campaign_id"], "-e", event_id, "--at", at)["status"] == "scheduled"
    done = wait_for(lambda: (c := cli(running, "show", reminder["campaign_id"], "-e", event_id))["status"] == "sent" and c,
                    timeout=240, every=2.0)
    assert done["counts"]["sent"] == 2
    assert [len(sent_messages(running.aws, to=a)) for a, _ in people] == [3, 1, 2]  # confirmation + 2, 1 (unsubscribed), 2
    log = running.log()
    assert not any(token in log for _, token in people) and "/u/" + url.split("/u/")[1] not in log
