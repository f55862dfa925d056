"""The chaos tier (DESIGN.md s6): the races and journeys give exact outcomes while the emulator answers a
share of the functions' AWS calls with TransactionConflict, throttling and 5xx, as real AWS does under load.

Chaos is on only while a function runs (its SDK calls are the ones real AWS would fault); the test's own
plumbing - reading the queue like the event source mapping, the stream like Lambda's poller, the tables to
check the outcome - plays AWS's part and is never faulted. Clients honour 503 `busy` (Retry-After) by asking
again, as a browser or door app would. Each test reports what it saw: calls, injected faults by kind, the
functions' retries and give-ups, the clients' retries.

`make test` runs each scenario once at rate 0.2; `make chaos` runs them with more seeds
(GUESTLIST_CHAOS_RUNS) and larger sizes (GUESTLIST_CHAOS_SCALE).
"""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from support.checkin import book, booked_guest, door, door_key, scan
from support.guests import guest_call, new_contact, new_event, organiser_call
from support.history import history, journey, stream_records
from support.import_kit import contacts_of, counts_add_up, queue_depth, report, upload, workbook

RATE = float(os.environ.get("GUESTLIST_CHAOS_RATE") or 0.2)
RUNS = int(os.environ.get("GUESTLIST_CHAOS_RUNS") or 1)
SCALE = int(os.environ.get("GUESTLIST_CHAOS_SCALE") or 1)
SEEDS = [1000 + n for n in range(RUNS)]
CLIENT_ATTEMPTS = 8  # a client asks again after 503 busy at most this often

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("empty_queues", "verified_sender")]


class Chaotic:
    """The stack, with chaos on while any function runs (also concurrently) and off in between.

    One `Chaos` (one seed) for the whole test, so its counters add up over every invocation.
    """

    def __init__(self, stack, rate: float, seed: int):
        from guestlist_local import chaos

        self._stack = stack
        self._module = chaos
        self.chaos = chaos.Chaos(rate, seed)
        self._running = 0
        self._lock = threading.Lock()
        self.client_retries = Counter()
        self.function_errors = 0

    def __getattr__(self, name):
        return getattr(self._stack, name)

    def invoke(self, logical_id: str, event: dict):
        if logical_id == "AuthorizerFunction":  # API Gateway answers 500 when it fails; the client asks again
            for _ in range(CLIENT_ATTEMPTS - 1):
                try:
                    return self._invoke(logical_id, event)
                except Exception:
                    self.client_retries[logical_id] += 1
        return self._invoke(logical_id, event)

    def _invoke(self, logical_id: str, event: dict):
        with self._lock:
            self._running += 1
            self._module.restore(self.chaos)
        try:
            return self._stack.invoke(logical_id, event)
        except Exception:
            with self._lock:
                self.function_errors += 1
            raise
        finally:
            with self._lock:
                self._running -= 1
                if not self._running:
                    self._module.restore(None)

    def http(self, logical_id: str, event: dict):
        """An API call by a client that asks again after 503 busy (it was told nothing was half-done)."""
        for _attempt in range(CLIENT_ATTEMPTS):
            status, body, headers = type(self._stack).http(self, logical_id, event)
            if status != 503:
                return status, body, headers
            assert body["error"]["code"] == "busy" and headers.get("retry-after"), body
            self.client_retries[logical_id] += 1
        return status, body, headers

    def summary(self) -> dict:
        kinds = Counter()
        for (_service, _operation, kind), n in self.chaos.injected.items():
            kinds[kind] += n
        return {"rate": self.chaos.rate, "seed": self.chaos.seed, "calls": self.chaos.calls,
                "injected": self.chaos.total(), "by_kind": dict(kinds),
                "client_retries": sum(self.client_retries.values()), "function_errors": self.function_errors}


@pytest.fixture(params=SEEDS, ids=lambda seed: f"seed{seed}")
def chaotic(request, stack, record_property):
    """The stack under chaos for one test; what it saw is recorded for the tier's summary."""
    from guestlist import retry
    from guestlist_local import chaos

    previous = chaos.current()
    chaos.restore(None)
    before = retry.counters()
    wrapped = Chaotic(stack, RATE, request.param)
    yield wrapped
    chaos.restore(previous)
    after = retry.counters()
    seen = wrapped.summary()
    seen["retried"] = {k.split(":", 1)[1]: n - before.get(k, 0) for k, n in after.items()
                       if k.startswith("retried:") and n > before.get(k, 0)}
    seen["busy"] = after.get("busy", 0) - before.get("busy", 0)
    record_property("chaos", seen)
    assert seen["injected"] > 0, "no fault was injected: the test proved nothing about faults"


def _parallel(fn, items, workers: int = 12) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


# ------------------------------------------------------------------ the booking race

def test_booking_race_under_chaos_confirms_exactly_the_seats(chaotic, organiser):
    seats, guests = 20 * SCALE, 60 * SCALE
    event_id = new_event(chaotic, organiser, capacity=seats)
    tokens = [new_contact(chaotic, organiser, event_id)[1] for _ in range(guests)]
    results = _parallel(lambda t: guest_call(chaotic, "book", t), tokens)
    assert [s for s, _b, _h in results if s != 201] == [], [b for s, b, _h in results if s != 201][:3]
    statuses = Counter(body["status"] for _s, body, _h in results)
    assert statuses == {"confirmed": seats, "waitlisted": guests - seats}

    from guestlist.models import BookingModel, ContactModel, EventModel

    assert int(EventModel.get(f"EVENT#{event_id}", "EVENT", consistent_read=True).confirmed_count) == seats
    per_guest = Counter()
    for item in BookingModel.scan(BookingModel.event_id == event_id, consistent_read=True):
        if item.sk.startswith("BOOKING#"):
            per_guest[item.pk] += 1
    assert len(per_guest) == guests and set(per_guest.values()) == {1}  # nobody booked twice, nobody lost
    contacts = [c for c in ContactModel.scan(ContactModel.event_id == event_id, consistent_read=True) if c.sk == "CONTACT"]
    assert Counter(c.status for c in contacts) == {"registered": seats, "waitlisted": guests - seats}


# ------------------------------------------------------------------ the check-in race

def test_checkin_race_under_chaos_gives_exactly_one_ok(chaotic, organiser):
    devices = 20
    event_id = new_event(chaotic, organiser)
    key = door_key(chaotic, organiser, event_id)
    identifier, _token, booking = booked_guest(chaotic, organiser, event_id)
    barrier = threading.Barrier(devices)

    def device(i: int):
        barrier.wait()
        return scan(chaotic, key, booking["ticket_code"], nonce=f"dev-{i}", device=f"door-{i}")

    answers = _parallel(device, range(devices), workers=devices)
    ok = [b for s, b, _h in answers if s in (200, 201) and b.get("result") == "ok"]
    refused = [b for s, b, _h in answers if s == 409]
    assert len(ok) == 1 and len(refused) == devices - 1, [(s, b) for s, b, _h in answers if s not in (200, 201, 409)]
    assert {b["reason"] for b in refused} == {"already_checked_in"}
    assert door(chaotic, key["scope"], event_id, "GET", "/stats")[1]["checked_in"] == 1

    from guestlist.models import CONTACT_SK, BookingModel, ContactModel, contact_pk

    pk = contact_pk(event_id, identifier)
    assert int(ContactModel.get(pk, CONTACT_SK, consistent_read=True).attended_count) == 1
    stored = BookingModel.get(pk, f"BOOKING#{booking['booking_id']}", consistent_read=True)
    assert stored.checkin_nonce == ok[0]["nonce"] and len(stored.checkin_nonces) == 1


# ------------------------------------------------------------------ imports

HEADER = ["Identifier", "E-Mail", "Vorname", "Nachname"]


def _rows(numbers) -> list[list]:
    return [[f"C-{i:04d}", f"c{i}@example.com", f"First{i}", f"Last{i}"] for i in numbers]


def _run_import(chaotic, event_id: str, rows: list[list], metadata: dict | None = None) -> str:
    """Upload (the user's own S3 call, not faulted), the S3 event (Lambda retries a failed async
    invocation twice), then the queues until both are empty, failed records coming back."""
    s3_event = upload(chaotic, event_id, workbook([HEADER, *rows]), metadata)
    for attempt in range(3):
        try:
            result = chaotic.invoke("ImportFunction", s3_event)
            break
        except Exception:
            if attempt == 2:
                raise
    import_id = result["imports"][0]["import_id"]
    _drain(chaotic)
    return import_id


def _drain(chaotic, rounds: int = 100) -> None:
    from support.import_kit import deliver

    for _ in range(rounds):
        deliver(chaotic, "WorkQueue", "UpsertWorkerFunction")
        deliver(chaotic, "WorkDeadLetterQueue", "ImportFailuresFunction")
        deliver(chaotic, "ReportQueue", "ImportReportFunction")  # the step that finishes a job
        if all(queue_depth(chaotic, q) == 0 for q in ("WorkQueue", "WorkDeadLetterQueue", "ReportQueue")):
            return
    raise AssertionError("the queues did not drain")


def _existing(chaotic, organiser, event_id: str, numbers) -> None:
    for i in numbers:
        status, body, _ = organiser_call(chaotic, organiser, "POST", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                                         path_parameters={"event_id": event_id},
                                         body={"identifier": f"C-{i:04d}", "firstname": "Old"})
        assert status == 201, body


def test_import_under_chaos_counts_every_row_exactly_once_and_ends(chaotic, organiser, chunk_size):
    chunk_size(10)
    rows = 120 * SCALE
    event_id = new_event(chaotic, organiser)
    _existing(chaotic, organiser, event_id, range(0, 20))  # updated, not created
    numbers = list(range(rows))
    bad = [[f"C-{rows + i:04d}", "not-an-email", "Bad", "Row"] for i in range(5)]  # skipped by validation
    import_id = _run_import(chaotic, event_id, _rows(numbers) + bad)
    rep = report(chaotic, organiser, event_id, import_id)
    assert rep["status"] == "completed_with_errors", rep["status"]
    assert rep["counts"] == {"created": rows - 20, "updated": 20, "deleted": 0, "skipped": 5, "failed": 0}
    assert counts_add_up(rep) and rep["progress"]["chunks_done"] == rep["progress"]["chunks_total"]
    contacts = contacts_of(event_id)
    assert set(contacts) == {f"C-{i:04d}" for i in numbers}
    assert all(contacts[f"C-{i:04d}"].firstname == f"First{i}" for i in numbers)


def test_delete_missing_under_chaos_deletes_exactly_the_absent_contacts_without_bookings(chaotic, organiser, chunk_size):
    chunk_size(10)
    kept, absent, in_file = 5 * SCALE, 25 * SCALE, 30 * SCALE
    event_id = new_event(chaotic, organiser)
    _existing(chaotic, organiser, event_id, range(in_file + absent))
    booked = list(range(in_file, in_file + kept))  # absent from the file but booked: kept and reported
    for i in booked:
        status, body, _ = organiser_call(chaotic, organiser, "GET", f"/events/{event_id}/contacts/C-{i:04d}",
                                         "/events/{event_id}/contacts/{identifier}",
                                         path_parameters={"event_id": event_id, "identifier": f"C-{i:04d}"})
        assert status == 200, body
        book(chaotic, body["personal_link"].split("/e/")[1].split("?")[0])
    import_id = _run_import(chaotic, event_id, _rows(range(in_file)), {"delete-missing": "true"})
    rep = report(chaotic, organiser, event_id, import_id)
    assert rep["status"] == "completed", rep
    assert rep["counts"] == {"created": 0, "updated": in_file, "deleted": absent - kept, "skipped": 0, "failed": 0}
    assert sorted(i["identifier"] for i in rep["issues"] if i["code"] == "kept_with_bookings") == [f"C-{i:04d}" for i in booked]
    assert set(contacts_of(event_id)) == {f"C-{i:04d}" for i in list(range(in_file)) + booked}


# ------------------------------------------------------------------ the history journey

def _deliver_stream(chaotic, records: list[dict], batch: int = 100, attempts: int = 20) -> None:
    """Like Lambda's stream poller with ReportBatchItemFailures: a batch that reports a failure is
    delivered again from that record on (the records before it are checkpointed)."""
    pending = list(records)
    for _ in range(attempts):
        if not pending:
            return
        chunk = pending[:batch]
        try:
            failures = chaotic.invoke("HistoryFunction", {"Records": chunk})["batchItemFailures"]
        except Exception:
            continue
        if not failures:
            pending = pending[batch:]
            continue
        first = min(next(i for i, r in enumerate(chunk) if r["dynamodb"]["SequenceNumber"] == f["itemIdentifier"])
                    for f in failures)
        pending = pending[first:]
    assert not pending, f"{len(pending)} stream record(s) still failing"


def test_history_journey_under_chaos_records_every_status_once(chaotic, organiser):
    manager = f"am-{uuid.uuid4().hex[:6]}@example.com"
    event_id, key, identifier, _token, _seat = journey(chaotic, organiser, manager)
    records = stream_records(chaotic, event_id)
    _deliver_stream(chaotic, records)
    _deliver_stream(chaotic, random.Random(chaotic.chaos.seed).sample(records, len(records)))  # replayed, shuffled
    entries = history(chaotic, organiser, event_id, identifier)
    assert [(e["old_status"], e["new_status"], e["cause"]) for e in entries] == [
        (None, "open", "organiser"), ("open", "accessed", "guest"), ("accessed", "waitlisted", "guest"),
        ("waitlisted", "unregistered", "guest"), ("unregistered", "registered", "guest"), ("registered", "attended", "checkin"),
    ]
    from guestlist_local.outbox import sent_messages

    # moto's data dump grows with every test of the worker: a long run needs more than the default 10 s
    assert [m["subject"] for m in sent_messages(chaotic.endpoint_url, to=manager, timeout=120)] == [
        "Greta Gast opened the personal invitation", "Greta Gast booked (waiting list)", "Greta Gast cancelled the booking",
        "Greta Gast booked", "Greta Gast was checked in at the door (door-7)"]
    assert door(chaotic, key["scope"], event_id, "GET", "/stats")[1]["by_group"] == {"vip": {"expected": 1, "checked_in": 1}}
