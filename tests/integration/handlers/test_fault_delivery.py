"""Fault delivery (DESIGN.md s6, every handler idempotent): one journey - a workbook import with skipped rows,
bookings with a waitlist promotion by a cancel, a check-in, the status history - run once cleanly and once per
fault of the event sources, then compared. The final state must be the same.

`Delivery` plays the event sources' part (S3 asynchronous invocation, the SQS event source mapping, the
DynamoDB stream poller with its checkpoint) in the test, as test_import_kit/test_history do, with these faults:
- duplicate: every S3 event, SQS batch and stream batch is handed to its function twice;
- reorder: the SQS messages received are shuffled before batching; after a stream pass, its earlier batches
  are replayed after the later ones (Lambda's retry of a batch after a timeout it did not see);
- crash: the function runs fully (its writes happen) but its acknowledgement is lost - the SQS delete does not
  happen (the message returns, with other messages, on a later receive) and the stream checkpoint does not
  move (the same batch comes again); an S3 event is retried as Lambda retries an asynchronous invocation.
"""

from __future__ import annotations

import random

import boto3
import pytest

from support.checkin import book, door_key, guest, new_guest, scan
from support.events import sqs_event, sqs_record
from support.guests import new_event
from support.history import history, stream_records
from support.import_kit import report, upload, workbook

pytestmark = pytest.mark.usefixtures("empty_queues")

FAULTS = ("duplicate", "reorder", "crash")
QUEUES = (("WorkQueue", "UpsertWorkerFunction"), ("WorkDeadLetterQueue", "ImportFailuresFunction"),
          ("ReportQueue", "ImportReportFunction"))


class Delivery:
    """Delivers the import's S3 event, the import queues and the event's contact stream records with faults."""

    def __init__(self, stack, faults: frozenset[str], seed: int = 5):
        self.stack = stack
        self.faults = faults
        self.rng = random.Random(seed)
        self.checkpoint: set[str] = set()  # stream records acknowledged
        self.delivered: list[list[dict]] = []  # every stream batch handed over, for replays
        self.counts = {"invocations": 0, "duplicates": 0, "replays": 0, "lost_acks": 0}

    def _invoke(self, function: str, event: dict):
        self.counts["invocations"] += 1
        return self.stack.invoke(function, event)

    def s3(self, s3_event: dict) -> str:
        result = self._invoke("ImportFunction", s3_event)
        if "duplicate" in self.faults:
            self.counts["duplicates"] += 1
            assert self._invoke("ImportFunction", s3_event) == result
        if "crash" in self.faults:  # the invocation's success was never seen: the asynchronous retry
            self.counts["lost_acks"] += 1
            assert self._invoke("ImportFunction", s3_event) == result
        return result["imports"][0]["import_id"]

    def queues(self) -> None:
        sqs = boto3.client("sqs")
        for _ in range(100):
            idle = True
            for queue, function in QUEUES:
                url = self.stack.physical(queue)
                got = []
                while more := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                  AttributeNames=["All"]).get("Messages", []):
                    got += more
                if not got:
                    continue
                idle = False
                if "reorder" in self.faults:
                    self.rng.shuffle(got)
                for start in range(0, len(got), 3):
                    self._batch(sqs, url, function, got[start:start + 3])
            if idle:
                return
        raise AssertionError("the import queues did not drain")

    def _batch(self, sqs, url: str, function: str, messages: list[dict]) -> None:
        records = [sqs_record(m["Body"], message_id=m["MessageId"],
                              receive_count=int(m["Attributes"]["ApproximateReceiveCount"])) for m in messages]
        response = self._invoke(function, sqs_event(*records))
        if "duplicate" in self.faults:
            self.counts["duplicates"] += 1
            self._invoke(function, sqs_event(*records))
        failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        assert not failed, f"{function} failed {failed}"
        for m in messages:
            if "crash" in self.faults and m["Attributes"]["ApproximateReceiveCount"] == "1":
                self.counts["lost_acks"] += 1  # written, never deleted: back on the next receive
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    def stream(self, event_id: str, batch: int = 3) -> None:
        new = [r for r in stream_records(self.stack, event_id) if r["dynamodb"]["SequenceNumber"] not in self.checkpoint]
        batches = [new[i:i + batch] for i in range(0, len(new), batch)]
        for records in batches:
            self._stream_batch(records)
            if "crash" in self.faults:  # checkpoint lost: the shard hands over the same batch again
                self.counts["lost_acks"] += 1
                self._stream_batch(records)
            self.checkpoint |= {r["dynamodb"]["SequenceNumber"] for r in records}
        if "reorder" in self.faults and len(self.delivered) > 1:
            for records in reversed(self.delivered[:-1]):  # earlier batches again, after the later ones
                self.counts["replays"] += 1
                self._stream_batch(records, remember=False)

    def _stream_batch(self, records: list[dict], remember: bool = True) -> None:
        if remember:
            self.delivered.append(records)
        for _ in range(2 if "duplicate" in self.faults else 1):
            response = self._invoke("HistoryFunction", {"Records": records})
            assert response["batchItemFailures"] == [], response
        if "duplicate" in self.faults:
            self.counts["duplicates"] += 1


ROWS = [["Identifier", "E-Mail", "Vorname", "Nachname"],
        ["anna@example.com", "anna@example.com", "Anna", "Muster"],
        ["bert@example.com", "bert@example.com", "Bert", "Beispiel"],
        ["cleo@example.com", "cleo@example.com", "Cleo", "Probe"],
        ["dora@example.com", "dora@example.com", "Dora", "Test"],
        ["emil@example.com", "emil@example.com", "Emil", "Fall"],
        ["x-bad", "not-an-address", "X", "Bad"],  # skipped: invalid_email
        ["", "", "Y", "Nobody"]]  # skipped: missing_identifier


def journey(stack, organiser, delivery: Delivery) -> dict:
    """The journey; returns its outcome with generated ids replaced by names and timestamps left out."""
    from guestlist.history import history_of
    from guestlist.models import BookingModel, ContactModel, EventModel

    event_id = new_event(stack, organiser, capacity=2)
    import_id = delivery.s3(upload(stack, event_id, workbook(ROWS), key=f"imports/{event_id}/guests.xlsx"))
    delivery.queues()
    delivery.stream(event_id)

    tokens = {name: new_guest(stack, organiser, event_id, identifier=name, groups=["vip"])[1]
              for name in ("walk-1", "walk-2", "walk-3")}
    first, second = book(stack, tokens["walk-1"]), book(stack, tokens["walk-2"])
    assert guest(stack, "POST", tokens["walk-3"], "/visit")[0] == 200
    waiting = book(stack, tokens["walk-3"])
    assert (first["status"], second["status"], waiting["status"]) == ("confirmed", "confirmed", "waitlisted")
    delivery.stream(event_id)
    assert guest(stack, "POST", tokens["walk-1"], f"/bookings/{first['booking_id']}/cancel",
                 booking_id=first["booking_id"])[0] == 200  # the seat goes to walk-3
    key = door_key(stack, organiser, event_id)
    assert scan(stack, key, second["ticket_code"], nonce="n-1", device="door-1")[0] == 201
    delivery.stream(event_id)

    names = {event_id: "<event>", import_id: "<import>", key["key_id"]: "<key>", organiser["scope"]["key_id"]: "<organiser>"}
    for name, booking in (("walk-1", first), ("walk-2", second), ("walk-3", waiting)):
        names[booking["booking_id"]] = f"<booking {name}>"

    def clean(value):
        if hasattr(value, "as_dict"):  # a pynamodb MapAttribute
            value = value.as_dict()
        if isinstance(value, dict):
            return {k: clean(v) for k, v in sorted(value.items())
                    if not (k.endswith("_at") or k.endswith("_hash") or k in ("at", "timestamp", "seq", "report_url"))}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, (set, frozenset)):
            return sorted(clean(v) for v in value)
        if isinstance(value, str):
            for raw, name in names.items():
                value = value.replace(raw, name)
        return value

    contacts = {c.identifier: c for c in ContactModel.scan(ContactModel.event_id == event_id, consistent_read=True)
                if c.sk == "CONTACT"}
    outcome = {
        "contacts": {i: c.attribute_values for i, c in contacts.items()},
        "bookings": {i: sorted((b.attribute_values for b in BookingModel.query(c.pk, BookingModel.sk.startswith("BOOKING#"))),
                               key=lambda b: b["booking_id"]) for i, c in contacts.items()},
        "history": {i: history_of(c.pk) for i, c in contacts.items()},
        "history_api": {i: history(stack, organiser, event_id, i) for i in ("anna@example.com", "walk-3")},
        "import": {k: v for k, v in report(stack, organiser, event_id, import_id).items() if k not in ("import_id",)},
        "event": {k: v for k, v in EventModel.get(f"EVENT#{event_id}", "EVENT").attribute_values.items()
                  if k in ("capacity", "confirmed_count")},
        "door": stack_door_stats(stack, key, event_id),
    }
    return clean(outcome)


def stack_door_stats(stack, key, event_id):
    from support.checkin import door

    status, stats, _ = door(stack, key["scope"], event_id, "GET", "/stats")
    assert status == 200, stats
    return stats


def test_journey_under_each_delivery_fault_ends_as_the_clean_run(stack, organiser, chunk_size):
    chunk_size(2)  # 5 valid rows -> 3 chunks, so batches hold several messages
    clean = journey(stack, organiser, Delivery(stack, frozenset()))
    # the clean run is what the journey means
    assert clean["import"]["status"] == "completed_with_errors"
    assert (clean["import"]["counts"]["created"], clean["import"]["counts"]["skipped"]) == (5, 2)
    assert [b["status"] for b in clean["bookings"]["walk-1"]] == ["cancelled"]
    assert [b["status"] for b in clean["bookings"]["walk-3"]] == ["confirmed"]  # promoted from the waiting list
    assert clean["contacts"]["walk-2"]["status"] == "attended"
    assert [e["new_status"] for e in clean["history"]["walk-3"]] == ["open", "accessed", "waitlisted", "registered"]
    assert [e["new_status"] for e in clean["history"]["anna@example.com"]] == ["open"]
    assert clean["event"]["confirmed_count"] == 2 and clean["door"]["checked_in"] == 1
    assert clean["door"]["by_group"] == {"vip": {"expected": 2, "checked_in": 1}}  # moved by the history function

    differences = {}
    for faults in [*({f} for f in FAULTS), set(FAULTS)]:
        delivery = Delivery(stack, frozenset(faults))
        outcome = journey(stack, organiser, delivery)
        assert delivery.counts["duplicates"] + delivery.counts["replays"] + delivery.counts["lost_acks"] > 0
        print("faults", sorted(faults), delivery.counts)
        for part in clean:
            if outcome[part] != clean[part]:
                differences[(",".join(sorted(faults)), part)] = (outcome[part], clean[part])
    assert not differences, differences
