"""Benchmark of a campaign send on the local stack (DESIGN.md s9, s11) against a bare SES send loop.

    python -m bench.campaign_speed [--recipients 300] [--bare 300] [--count 60]

Two parts, one process, one run:

1. Calls per recipient: a local stack with handlers as threads of this process (`isolated=False`, so
   botocore calls can be counted), a campaign to `--count` recipients (plus two left out: no address,
   unsubscribed). Every DynamoDB write and SES/SNS call the sender function makes is counted and
   divided by the recipients; per-chunk work (chunk item, counters, plan) is reported apart.
2. Send rate: the local stack as `guestlist up` runs it (isolated function instances), a campaign to
   `--recipients` contacts, from `POST .../send` until the campaign is `sent`; then, against the same
   emulator, a bare loop from this process: SES v2 SendEmail(Content.Raw) of a same-sized raw mail,
   one after the other. Target: campaign rate >= 0.5x the bare rate.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
ADMIN = {"Authorization": "Bearer bench-admin-key-0123456789"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
TEMPLATES = {"en": {"subject": "Invitation: {{ event.name }}",
                    "body": "Hello {{ firstname }} {{ lastname }},\n\nwe look forward to seeing you on {{ event.start }}."
                            "\n\nYour personal link: {{ link }}"},
             "de": {"subject": "Einladung: {{ event.name }}",
                    "body": "Guten Tag {{ firstname }} {{ lastname }}\n\nWir freuen uns auf Sie am {{ event.start }}."
                            "\n\nIhr persönlicher Link: {{ link }}"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Calls:
    """DynamoDB writes (items) and SES/SNS sends made by the campaign functions' threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops: Counter = Counter()
        self.items: Counter = Counter()  # (kind of item) -> writes

    def install(self) -> None:
        from botocore.client import BaseClient

        real, log = BaseClient._make_api_call, self

        def counting(client, operation_name, params):
            who = threading.current_thread().name
            if "Campaign" in who or who.startswith("campaign-send"):
                service = client.meta.service_model.service_name
                if (service == "dynamodb" and operation_name in WRITES) or service in ("sesv2", "sns", "sqs", "s3"):
                    with log.lock:
                        log.ops[f"{service}.{operation_name}"] += 1
                        for kind in _item_kinds(operation_name, params):
                            log.items[kind] += 1
            return real(client, operation_name, params)

        BaseClient._make_api_call = counting


def _item_kinds(op: str, params: dict) -> list[str]:
    keys = []
    if op == "PutItem":
        keys.append(params["Item"])
    elif op in ("UpdateItem", "DeleteItem"):
        keys.append(params["Key"])
    elif op == "TransactWriteItems":
        for entry in params["TransactItems"]:
            for kind in ("Put", "Update", "Delete"):
                if kind in entry:
                    keys.append(entry[kind].get("Item") or entry[kind]["Key"])
    out = []
    for key in keys:
        pk, sk = key["pk"]["S"], key.get("sk", {}).get("S", "")
        out.append(pk.split("#", 1)[0] + ("#" + sk.split("#", 1)[0] if sk else ""))
    return out


def _stack(isolated: bool):
    sys.path.insert(0, str(ROOT / "infra"))
    from guestlist_local.outbox import ensure_sender_verified
    from guestlist_local.stack import LocalStack

    stack = LocalStack(repo_root=ROOT, aws_port=free_port(), http_port=free_port(), isolated=isolated)
    stack.start()
    from guestlist.keys import ensure_organiser_key

    ensure_organiser_key("default", ADMIN["Authorization"].split()[1])
    ensure_sender_verified(stack.endpoint_url)
    return stack


def _event_with_contacts(stack, n: int, extra: bool) -> str:
    from guestlist import contacts
    from guestlist.models import Cause

    event_id = requests.post(f"{stack.api_url}/events", headers=ADMIN, timeout=60, json={
        "name": "Campaign benchmark", "start": "2027-09-01T18:00:00+02:00", "end": "2027-09-01T23:00:00+02:00",
        "timezone": "Europe/Zurich", "languages": ["de", "en"], "default_language": "de"}).json()["event_id"]
    cause = Cause(kind="organiser", ref="bench")
    for i in range(n):
        contacts.create_contact(event_id, "default", {"identifier": f"guest{i:05d}@example.org",
                                                      "email": f"guest{i:05d}@example.org", "firstname": f"Guest{i}",
                                                      "lastname": "Bench", "language": ("de", "en")[i % 2]}, cause)
    if extra:
        contacts.create_contact(event_id, "default", {"identifier": "no-address"}, cause)
        contacts.create_contact(event_id, "default", {"identifier": "gone@example.org", "email": "gone@example.org"}, cause)
        from guestlist.models import SuppressionModel

        SuppressionModel(pk="ADDR#gone@example.org", sk="UNSUB#default", kind="unsubscribed", at="2027-01-01").save()
    return event_id


def _send_and_wait(stack, event_id: str, timeout: float = 1800) -> tuple[dict, float]:
    campaign = requests.post(f"{stack.api_url}/events/{event_id}/campaigns", headers=ADMIN, timeout=120,
                             json={"name": "bench", "templates": TEMPLATES}).json()
    cid = campaign["campaign_id"]
    stack.wait_idle(600)  # the history function has seen every new contact: only the send runs now
    started = time.perf_counter()
    assert requests.post(f"{stack.api_url}/events/{event_id}/campaigns/{cid}/send", headers=ADMIN, json={},
                         timeout=60).status_code == 202
    deadline = started + timeout
    while time.perf_counter() < deadline:
        state = requests.get(f"{stack.api_url}/events/{event_id}/campaigns/{cid}", headers=ADMIN, timeout=60).json()
        if state["status"] == "sent":
            return state, time.perf_counter() - started
        time.sleep(0.2)
    raise RuntimeError("the campaign did not finish")


def _bare_ses_loop(n: int, raw: bytes) -> float:
    import boto3

    ses = boto3.client("sesv2")
    started = time.perf_counter()
    for i in range(n):
        ses.send_email(FromEmailAddress="guestlist@example.com", Destination={"ToAddresses": [f"bare{i}@example.org"]},
                       Content={"Raw": {"Data": raw}})
    return time.perf_counter() - started


def calls_per_recipient(count: int) -> dict:
    calls = Calls()
    calls.install()
    stack = _stack(isolated=False)
    try:
        event_id = _event_with_contacts(stack, count, extra=True)
        state, seconds = _send_and_wait(stack, event_id)
        sent = state["counts"]["sent"]
        chunks = state["progress"]["chunks_total"]
        markers = calls.items.get("SEND#SEND", 0)
        per_chunk_writes = sum(n for k, n in calls.items.items() if k != "SEND#SEND")
        sends = calls.ops.get("sesv2.SendEmail", 0) + calls.ops.get("sns.Publish", 0)
        return {"recipients": sent, "excluded": state["counts"]["excluded"], "chunks": chunks,
                "ses_sns_calls": sends, "ses_sns_calls_per_recipient": round(sends / sent, 3),
                "recipient_marker_writes": markers, "dynamodb_item_writes_per_recipient": round(markers / sent, 3),
                "other_item_writes": per_chunk_writes,
                "other_item_writes_per_chunk": round(per_chunk_writes / max(chunks, 1), 2),
                "writes_by_item": dict(calls.items), "calls": dict(calls.ops), "seconds_in_process": round(seconds, 2)}
    finally:
        stack.stop()


def send_rate(recipients: int, bare: int) -> dict:
    stack = _stack(isolated=True)
    try:
        event_id = _event_with_contacts(stack, recipients, extra=False)
        state, seconds = _send_and_wait(stack, event_id)
        from guestlist_local.outbox import raw_message, sent_messages

        sample = raw_message(stack.endpoint_url, sent_messages(stack.endpoint_url, channel="email")[-1]["id"])
        bare_seconds = _bare_ses_loop(bare, sample.encode())
        rate, bare_rate = state["counts"]["sent"] / seconds, bare / bare_seconds
        return {"recipients": recipients, "sent": state["counts"]["sent"], "failed": state["counts"]["failed"],
                "campaign_seconds": round(seconds, 2), "campaign_per_s": round(rate, 1),
                "bare_sends": bare, "bare_seconds": round(bare_seconds, 2), "bare_per_s": round(bare_rate, 1),
                "raw_mail_bytes": len(sample), "ratio": round(rate / bare_rate, 3)}
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--bare", type=int, default=300)
    parser.add_argument("--count", type=int, default=60, help="recipients of the call-counting run")
    parser.add_argument("--part", choices=("calls", "rate"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.part:  # one stack per process: the models keep the connection their first call made (to its emulator)
        result = calls_per_recipient(args.count) if args.part == "calls" else send_rate(args.recipients, args.bare)
        print("RESULT " + json.dumps(result), flush=True)
        return
    import subprocess

    result = {}
    for part in ("calls", "rate"):
        out = subprocess.run([sys.executable, "-m", "bench.campaign_speed", "--part", part, "--count", str(args.count),
                              "--recipients", str(args.recipients), "--bare", str(args.bare)],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        result[part] = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
        print(json.dumps({part: result[part]}, indent=2), flush=True)


if __name__ == "__main__":
    main()
