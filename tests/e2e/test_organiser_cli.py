"""The organiser's command line against `guestlist up`: events, contacts, bookings, groups, export."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess

import requests
from conftest import GUESTLIST, ROOT


def _cli(running, *args: str, expect: int = 0) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("GUESTLIST_KEY", "GUESTLIST_ADMIN_KEY", "GUESTLIST_API")}
    out = subprocess.run([str(GUESTLIST), *args, "--api", running.api, "--key", running.admin_key], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env={**env, "COLUMNS": "200"})
    assert out.returncode == expect, out.stdout + out.stderr
    return out.stdout


def test_an_organiser_runs_an_event_from_the_terminal(running, tmp_path):
    response = requests.post(f"{running.api}/events", headers=running.admin, timeout=30,
                             json={"name": "CLI gala", "capacity": 1, "languages": ["de", "en"], "default_language": "de"})
    assert response.status_code == 201, response.text
    event_id = response.json()["event_id"]

    assert "CLI gala" in _cli(running, "events")
    assert any(e["event_id"] == event_id for e in json.loads(_cli(running, "events", "--json")))

    added = json.loads(_cli(running, "contacts", "add", event_id, "ana@example.com", "-f", "firstname=Ana", "-g", "press", "--json"))
    assert added["identifier"] == "ana@example.com" and "/e/" in added["personal_link"]
    _cli(running, "contacts", "add", event_id, "ben@example.com", "-f", "firstname==cmd")
    booking = json.loads(_cli(running, "contacts", "book", event_id, "ana@example.com", "--json"))
    assert booking["status"] == "confirmed"
    assert "event_full" in subprocess.run(
        [str(GUESTLIST), "contacts", "book", event_id, "ben@example.com", "--api", running.api, "--key", running.admin_key],
        capture_output=True, text=True, timeout=120).stderr
    assert "over capacity" in _cli(running, "contacts", "book", event_id, "ben@example.com", "--over-capacity")

    listed = json.loads(_cli(running, "contacts", "list", event_id, "--status", "registered", "--json"))
    assert sorted(c["identifier"] for c in listed) == ["ana@example.com", "ben@example.com"]
    assert "ana@example.com" in _cli(running, "contacts", "list", event_id)

    added = json.loads(_cli(running, "groups", event_id, "--add", "vip", "--status", "registered", "--json"))
    assert added == {"added": 2, "already": 0, "not_found": []}
    groups = {g["name"]: g["members"] for g in json.loads(_cli(running, "groups", event_id, "--json"))}
    assert groups == {"press": 1, "vip": 2}

    target = tmp_path / "out.csv"
    result = json.loads(_cli(running, "export", event_id, "--format", "csv", "-o", str(target), "--json"))
    assert result["status"] == "completed" and result["rows"] == 2
    rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert {r["identifier"]: r["firstname"] for r in rows} == {"ana@example.com": "Ana", "ben@example.com": "'=cmd"}

    result = json.loads(_cli(running, "contacts", "unregister", event_id, "ana@example.com", "--json"))
    assert result["status"] == "unregistered"
    assert "unknown" not in _cli(running, "contacts", "list", event_id, "--status", "unregistered")
    _cli(running, "contacts", "book", "no-such-event", "x", expect=1)
