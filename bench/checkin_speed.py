"""Door check-in on the local stack: DynamoDB round trips per scan, check-ins/s from 8 concurrent
clients over HTTP, and one guest's whole status history.

Starts `guestlist up` on free ports (a subprocess, as a user would), creates an event and N
contacts with bookings through the API, then 8 threads scan every ticket once. Round trips
are counted by calling the same domain function against the same emulator from this process
(botocore's _make_api_call wrapped).

    .venv/bin/python -m bench.checkin_speed [--guests 400] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(admin_key: str, log: Path) -> tuple[subprocess.Popen, str, str]:
    api_port, aws_port = _port(), _port()
    env = {**os.environ, "GUESTLIST_ADMIN_KEY": admin_key, "PYTHONUNBUFFERED": "1", "GUESTLIST_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "guestlist"), "up", "--port", str(api_port), "--aws-port", str(aws_port)],
                            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    api, aws = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{aws_port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"guestlist up exited:\n{log.read_text()}")
        try:
            if requests.get(f"{api}/health", timeout=1).ok and "guestlist is up" in log.read_text():
                return proc, api, aws
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit("guestlist up did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise SystemExit("timed out")


def _count_round_trips(aws: str, event_id: str, code: str) -> dict:
    """The domain's check-in against the running emulator, with every DynamoDB call counted."""
    os.environ.update({"AWS_ENDPOINT_URL": aws, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "CONTACTS_TABLE": "guestlist-ContactsTable", "EVENTS_TABLE": "guestlist-EventsTable",
                       "HISTORY_TABLE": "guestlist-HistoryTable", "IMPORT_BUCKET": "unused", "WORK_QUEUE_URL": "unused",
                       "LINK_SECRET_ARN": "unused"})
    from botocore.client import BaseClient

    from guestlist import checkin

    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    BaseClient._make_api_call = counting
    out = {}
    try:
        received = "2027-03-01T17:00:00.000Z"
        for name, body in (("ok", {"code": code, "nonce": "rt-1", "device": "bench"}),
                           ("replay", {"code": code, "nonce": "rt-1", "device": "bench"}),
                           ("already_checked_in", {"code": code, "nonce": "rt-2", "device": "bench"}),
                           ("unknown_code", {"code": "NOTATICKET", "nonce": "rt-3", "device": "bench"})):
            calls.clear()
            try:
                checkin.perform_checkin(event_id, checkin.Scan.parse(body, received_at=received), received_at=received)
            except checkin.CheckinError:
                pass
            out[name] = list(calls)
    finally:
        BaseClient._make_api_call = original
    return out


def _bare_writes(aws: str, clients: int, n: int) -> float:
    """The emulator's floor: n conditional PutItems from `clients` threads, writes/s."""
    import boto3

    def one(i_range):
        ddb = boto3.client("dynamodb", endpoint_url=aws, region_name="us-east-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        for i in i_range:
            ddb.put_item(TableName="guestlist-HistoryTable", Item={"pk": {"S": f"BENCH#{i}"}, "sk": {"S": "X"}},
                         ConditionExpression="attribute_not_exists(pk)")
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, [range(c, n, clients) for c in range(clients)]))
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    admin_key = secrets.token_urlsafe(24)
    log = Path("/tmp") / f"checkin-bench-{os.getpid()}.log"
    proc, api, aws = _start(admin_key, log)
    admin = {"Authorization": f"Bearer {admin_key}"}
    try:
        event_id = requests.post(f"{api}/events", headers=admin, json={"name": "Door bench", "capacity": args.guests + 10}).json()["event_id"]

        def guest(i: int) -> str:
            session = requests.Session()
            link = session.post(f"{api}/events/{event_id}/contacts", headers=admin, json={
                "identifier": f"g{i}@example.com", "firstname": f"G{i}", "groups": [f"table-{i % 4}"]}).json()["personal_link"]
            return session.post(link.split("?")[0] + "/bookings", json={}).json()["ticket_code"]

        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(guest, range(args.guests + 1)))
        setup = time.perf_counter() - started
        rt_code, codes = codes[0], codes[1:]
        key = requests.post(f"{api}/events/{event_id}/checkin-keys", headers=admin, json={}).json()["key"]
        door = {"Authorization": f"Bearer {key}"}

        def groups_total(field: str) -> int:
            by_group = requests.get(f"{api}/events/{event_id}/checkins/stats", headers=door).json()["by_group"]
            return sum(g[field] for g in by_group.values())
        # let the history function catch up with the setup first, so the scans do not share the process with it
        _wait(lambda: groups_total("expected") == args.guests + 1, 300)
        floor = _bare_writes(aws, args.clients, args.guests)

        latencies: list[float] = []
        statuses: Counter = Counter()
        lock = threading.Lock()

        def client(slice_: list[str], device: str) -> None:
            session = requests.Session()
            for n, code in enumerate(slice_):
                t = time.perf_counter()
                r = session.post(f"{api}/events/{event_id}/checkins", headers=door,
                                 json={"code": code, "nonce": f"{device}-{n}", "device": device})
                with lock:
                    latencies.append(time.perf_counter() - t)
                    statuses[r.status_code] += 1

        slices = [codes[i::args.clients] for i in range(args.clients)]
        threads = [threading.Thread(target=client, args=(s, f"door-{i}")) for i, s in enumerate(slices)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        counter_now = requests.get(f"{api}/events/{event_id}/checkins/stats", headers=door).json()["checked_in"]
        _wait(lambda: groups_total("checked_in") == args.guests, 300)
        group_lag = time.perf_counter() - started - elapsed
        stats = requests.get(f"{api}/events/{event_id}/checkins/stats", headers=door).json()
        round_trips = _count_round_trips(aws, event_id, rt_code)

        # one guest's journey through every status, then its history as the organiser sees it
        jev = requests.post(f"{api}/events", headers=admin, json={"name": "Journey", "capacity": 1}).json()["event_id"]
        jkey = {"Authorization": "Bearer " + requests.post(f"{api}/events/{jev}/checkin-keys", headers=admin, json={}).json()["key"]}
        filler = requests.post(f"{api}/events/{jev}/contacts", headers=admin, json={"identifier": "filler@example.com"}).json()
        ftok = filler["personal_link"].split("/e/")[1].split("?")[0]
        fbook = requests.post(f"{api}/e/{ftok}/bookings", json={}).json()
        requests.post(f"{api}/accounts", headers=admin, json={"username": "am", "email": "am@example.com"})
        g = requests.post(f"{api}/events/{jev}/contacts", headers=admin, json={
            "identifier": "greta@example.com", "firstname": "Greta", "lastname": "Gast", "account_manager": "am@example.com"}).json()
        tok = g["personal_link"].split("/e/")[1].split("?")[0]
        requests.post(f"{api}/e/{tok}/visit")
        wait_b = requests.post(f"{api}/e/{tok}/bookings", json={}).json()
        requests.post(f"{api}/e/{tok}/bookings/{wait_b['booking_id']}/cancel")
        requests.post(f"{api}/e/{ftok}/bookings/{fbook['booking_id']}/cancel")
        seat = requests.post(f"{api}/e/{tok}/bookings", json={}).json()
        requests.post(f"{api}/events/{jev}/checkins", headers=jkey, json={"code": seat["ticket_code"], "nonce": "j1", "device": "door-1"})
        requests.post(f"{api}/events/{jev}/checkins/j1/annul", headers=jkey, json={"device": "door-1"})
        requests.post(f"{api}/events/{jev}/checkins", headers=jkey, json={"code": seat["ticket_code"], "nonce": "j2", "device": "door-2",
                                                                          "scanned_at": "2027-03-01T18:40:00+01:00"})
        requests.post(f"{api}/events/{jev}/checkins/batch", headers=jkey, json={"scans": [
            {"code": seat["ticket_code"], "nonce": "t1", "device": "tablet", "scanned_at": "2027-03-01T18:35:00+01:00"}]})

        def hist():
            h = requests.get(f"{api}/events/{jev}/contacts/greta%40example.com/history", headers=admin).json()["history"]
            return h if len([e for e in h if e["new_status"] == "attended" and not e.get("note")]) >= 2 else None
        history = _wait(hist)
        from guestlist_local.outbox import sent_messages

        mails = _wait(lambda: len(sent_messages(aws, to="am@example.com")) >= 7 and sent_messages(aws, to="am@example.com"), 30)
    finally:
        _stop(proc)

    p50 = statistics.median(latencies) * 1000
    p99 = sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000
    print(f"setup: {args.guests + 1} contacts + bookings over HTTP in {setup:.1f} s")
    for name, calls in round_trips.items():
        print(f"DynamoDB round trips, {name:<19} {len(calls)}  {calls}")
    print(f"check-ins: {len(latencies)} from {args.clients} clients in {elapsed:.2f} s = {len(latencies) / elapsed:.0f} check-ins/s;"
          f" p50 {p50:.1f} ms, p99 {p99:.1f} ms; statuses {dict(statuses)}")
    print(f"floor: {args.guests} bare conditional PutItem from {args.clients} threads against the same emulator: {floor:.0f} writes/s"
          f" -> check-ins/s are {len(latencies) / elapsed / floor:.2f}x the floor")
    print(f"checked_in counter right after the last scan: {counter_now} (in the scan's transaction);"
          f" per-group counters (history function, from the stream) caught up {group_lag:.1f} s later")
    print(f"stats: checked_in {stats['checked_in']} expected {stats['expected']} by_group {json.dumps(stats['by_group'])}")
    print("history of greta@example.com:")
    for e in history:
        extra = f"  note={e['note']} first={e['detail']['first']['device']}@{e['detail']['first']['scanned_at']}" \
                f" second={e['detail']['second']['device']}@{e['detail']['second']['scanned_at']}" if e.get("note") else ""
        print(f"  {e['changed_at']}  {e['old_status']!s:<12} -> {e['new_status']:<12} cause={e['cause']}:{e['cause_ref']}{extra}")
    print("mails to am@example.com: " + "; ".join(m["subject"] for m in mails))


if __name__ == "__main__":
    main()
