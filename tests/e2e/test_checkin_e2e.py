"""The door over HTTP against `guestlist up`: scan, replay, refusals, an offline batch, the counter, history and mail."""

from __future__ import annotations

import uuid

import requests
from conftest import wait_for


def test_door_checkin_offline_batch_stats_history_and_account_manager_mail_over_http(running):
    from guestlist_local.outbox import sent_messages

    api, admin = running.api, running.admin
    manager = f"am-{uuid.uuid4().hex[:6]}@example.com"
    event_id = requests.post(f"{api}/events", headers=admin, timeout=10, json={
        "name": "Door e2e", "start": "2027-03-01T18:00:00+01:00", "end": "2027-03-01T22:00:00+01:00",
        "timezone": "Europe/Zurich", "capacity": 10}).json()["event_id"]
    # the seed: an account manager must have an account
    requests.post(f"{api}/accounts", headers=admin, timeout=10, json={"username": manager.split("@")[0], "email": manager})
    guest = requests.post(f"{api}/events/{event_id}/contacts", headers=admin, timeout=10, json={
        "identifier": "zoe@example.com", "firstname": "Zoë", "lastname": "Müller", "account_manager": manager,
        "groups": ["vip"]}).json()
    token = guest["personal_link"].split("/e/")[1].split("?")[0]
    booking = requests.post(f"{api}/e/{token}/bookings", json={}, timeout=10).json()
    assert booking["status"] == "confirmed"
    key = requests.post(f"{api}/events/{event_id}/checkin-keys", headers=admin, json={"label": "door"}, timeout=10).json()
    door = {"Authorization": f"Bearer {key['key']}"}
    checkins = f"{api}/events/{event_id}/checkins"

    # the door finds the guest by name without the QR code
    found = requests.get(f"{checkins}/search", params={"q": "zoe mu"}, headers=door, timeout=10).json()["guests"]
    assert [g["identifier"] for g in found] == ["zoe@example.com"] and found[0]["bookings"][0]["ticket_code"] == booking["ticket_code"]

    scan = {"code": booking["ticket_code"], "nonce": "e2e-1", "device": "door-1", "scanned_at": "2027-03-01T18:30:00+01:00"}
    first = requests.post(checkins, json=scan, headers=door, timeout=10)
    assert (first.status_code, first.json()["result"]) == (201, "ok")
    assert requests.post(checkins, json=scan, headers=door, timeout=10).status_code == 200  # same nonce: nothing doubled
    other = requests.post(checkins, json={**scan, "nonce": "e2e-2", "device": "door-2"}, headers=door, timeout=10)
    assert (other.status_code, other.json()["reason"], other.json()["first_device"]) == (409, "already_checked_in", "door-1")
    assert requests.post(checkins, json={"code": "NOPE"}, headers=door, timeout=10).json()["reason"] == "unknown_code"
    assert requests.post(checkins, json={"nonce": "x"}, headers=door, timeout=10).status_code == 422

    # a tablet that was offline scanned the same ticket earlier: it becomes the first scan, and the conflict is noted
    batch = requests.post(f"{checkins}/batch", headers=door, timeout=10, json={"scans": [
        {"code": booking["ticket_code"], "nonce": "tab-1", "scanned_at": "2027-03-01T18:20:00+01:00", "device": "tablet"}]})
    assert batch.status_code == 200
    assert batch.json()["results"][0]["corrected"] is True

    stats = requests.get(f"{checkins}/stats", headers=door, timeout=10).json()
    assert (stats["checked_in"], stats["expected"]) == (1, 1)
    rejected = requests.get(checkins, params={"result": "rejected"}, headers=admin, timeout=10).json()["scans"]
    assert {s["reason"] for s in rejected} == {"already_checked_in", "unknown_code"}

    def history():
        entries = requests.get(f"{api}/events/{event_id}/contacts/zoe%40example.com/history", headers=admin, timeout=10).json()["history"]
        return entries if any(e["new_status"] == "attended" and e["old_status"] == "registered" for e in entries) else None
    entries = wait_for(history)
    assert [e["new_status"] for e in entries if not e.get("note")] == ["open", "registered", "attended"]
    assert [e["note"] for e in entries if e.get("note")] == ["offline_conflict"]
    assert wait_for(lambda: requests.get(f"{checkins}/stats", headers=door, timeout=10).json()["by_group"]) == {
        "vip": {"expected": 1, "checked_in": 1}}

    mails = wait_for(lambda: len(sent_messages(running.aws, to=manager)) >= 2 and sent_messages(running.aws, to=manager))
    assert [m["subject"] for m in mails] == ["Zoë Müller booked", "Zoë Müller was checked in at the door (door-1)"]
    assert all(token not in m["body"] and booking["ticket_code"] not in m["body"] for m in mails)
