"""Each conflict path of issue 12, with the fault placed exactly where real DynamoDB would put it.

`faults(...)` makes chosen SDK calls fail the way AWS answers them (a TransactionConflictException,
a cancelled transaction with a TransactionConflict reason, throttling) the first N times; `fake_time`
makes the retry helper's waits instant while keeping its arithmetic, so a test can run a function out
of time without waiting for it.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from support.events import http_event
from support.guests import guest_call, new_contact, new_event, organiser_call
from support.import_kit import (
    counts_add_up,
    create_event,
    deliver,
    deliver_all,
    queue_depth,
    report,
    start,
    upload,
    workbook,
)
from support.sdk import intercepted

pytestmark = pytest.mark.usefixtures("empty_queues")


@contextmanager
def faults(operation: str, code: str, *, times: int | None = None, when=lambda params: True):
    """The next `times` calls of `operation` (matching `when(params)`; all of them when times is None)
    fail with `code`; yields the list of the calls that failed."""
    hit: list[dict] = []

    def failing(call, client, operation_name, api_params):
        if operation_name == operation and when(api_params) and (times is None or len(hit) < times):
            hit.append(api_params)
            error = {"Error": {"Code": code, "Message": f"{code} (injected)"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
            if code == "TransactionCanceledException":
                reasons = [{"Code": "None"} for _ in api_params.get("TransactItems", [])]
                reasons[-1] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                error["CancellationReasons"] = reasons
            raise ClientError(error, operation_name)
        return call()

    with intercepted(failing):
        yield hit


@pytest.fixture
def fake_time(monkeypatch):
    """The retry helper's clock moves only when it sleeps: waits are instant, deadlines still hold."""
    import time as real

    from guestlist import retry

    clock = SimpleNamespace(now=real.monotonic(), sleeps=[])

    def sleep(seconds: float) -> None:
        clock.sleeps.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(retry, "time", SimpleNamespace(monotonic=lambda: clock.now, sleep=sleep))
    return clock


class Context:
    """A Lambda context with a fixed remaining time."""

    function_name, memory_limit_in_mb, aws_request_id = "test", 512, "req"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"

    def __init__(self, remaining_ms: int):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def _event_body(stack, organiser, event_id: str) -> tuple[int, dict]:
    status, body, _ = organiser_call(stack, organiser, "POST", "/events", "/events", body={
        "event_id": event_id, "name": "Retry", "start": "2027-06-01T18:00:00+02:00", "end": "2027-06-01T23:00:00+02:00",
        "timezone": "Europe/Zurich"})
    return status, body


def test_event_creation_meeting_a_transaction_conflict_is_retried_not_answered_event_exists(stack, organiser):
    import uuid

    event_id = f"retry-{uuid.uuid4().hex[:8]}"
    with faults("TransactWriteItems", "TransactionCanceledException", times=2) as hit:
        status, body = _event_body(stack, organiser, event_id)
    assert len(hit) == 2
    assert status == 201, body
    status, body = _event_body(stack, organiser, event_id)  # a real duplicate: the event item's condition failed
    assert (status, body["error"]["code"]) == (409, "event_exists")


def test_a_booking_out_of_time_answers_503_busy_before_the_guest_functions_timeout(stack, organiser, fake_time):
    from guestlist import retry

    event_id = new_event(stack, organiser, capacity=5)
    _contact, token = new_contact(stack, organiser, event_id)
    event = http_event("POST", f"/e/{token}/bookings", "/e/{token}/bookings", body={}, path_parameters={"token": token})
    remaining = 10.0  # the guest function's Timeout
    with faults("TransactWriteItems", "TransactionCanceledException") as hit:
        response = stack.handler("GuestApiFunction")(event, Context(int(remaining * 1000)))
    body = json.loads(response["body"])
    assert (response["statusCode"], body["error"]["code"]) == (503, "busy")
    assert response["headers"]["Retry-After"] == "1"
    waited = sum(fake_time.sleeps)
    assert remaining - retry.reserve_for(remaining) - retry.MAX_DELAY <= waited < remaining - retry.reserve_for(remaining)
    assert len(hit) == len(fake_time.sleeps) + 1
    assert guest_call(stack, "view", token)[1]["bookings"] == []  # nothing half-done: the guest books again
    assert guest_call(stack, "book", token)[0] == 201


def test_a_booking_meeting_conflicts_and_throttling_is_confirmed_once(stack, organiser):
    event_id = new_event(stack, organiser, capacity=5)
    _contact, token = new_contact(stack, organiser, event_id)
    with faults("TransactWriteItems", "TransactionCanceledException", times=2), \
            faults("UpdateItem", "TransactionConflictException", times=1):  # the form answers' plain update
        status, booking, _ = guest_call(stack, "book", token)
    assert status == 201 and booking["status"] == "confirmed"
    view = guest_call(stack, "view", token)[1]
    assert [b["booking_id"] for b in view["bookings"]] == [booking["booking_id"]]


def test_a_read_throttled_past_the_sdks_retries_is_503_busy_not_500(stack, organiser):
    event_id = new_event(stack, organiser)
    _contact, token = new_contact(stack, organiser, event_id)
    with faults("Query", "ProvisionedThroughputExceededException"):
        status, body, headers = guest_call(stack, "view", token)
    assert (status, body["error"]["code"], headers["retry-after"]) == (503, "busy", "1")


def test_chunks_sent_racing_the_counting_transactions_is_retried_and_the_job_ends(stack, organiser, chunk_size):
    """Real DynamoDB refuses the import function's plain update while a worker's transaction holds the job item."""
    chunk_size(2)
    event_id = create_event(stack, organiser)
    rows = [["Identifier", "E-Mail"]] + [[f"R-{i}", f"r{i}@example.com"] for i in range(6)]
    with faults("UpdateItem", "TransactionConflictException", times=3,
                when=lambda p: "chunks_sent" in json.dumps(p.get("ExpressionAttributeNames") or {})) as hit:
        import_id = start(stack, upload(stack, event_id, workbook(rows)))
    assert len(hit) == 3
    deliver_all(stack)
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed" and rep["counts"]["created"] == 6 and counts_add_up(rep)


def test_whoever_arrives_last_finishes_the_job(stack, organiser, chunk_size, monkeypatch):
    """Every chunk counted while chunks_sent was still being written: the import function finishes the job."""
    import guestlist.imports as imports
    import guestlist.imports.start as import_start

    chunk_size(2)
    event_id = create_event(stack, organiser)
    real = imports.send_chunks

    def send_and_count(bodies):
        real(bodies)
        deliver_all(stack)  # the workers count every chunk before chunks_sent is written: they cannot finish
        assert imports.get_job(bodies[0]["import_id"]).status == "running"
        return len(bodies)

    monkeypatch.setattr(import_start, "send_chunks", send_and_count)
    rows = [["Identifier", "E-Mail"]] + [[f"L-{i}", f"l{i}@example.com"] for i in range(5)]
    with faults("UpdateItem", "TransactionConflictException", times=2,
                when=lambda p: "chunks_sent" in json.dumps(p.get("ExpressionAttributeNames") or {})):
        import_id = start(stack, upload(stack, event_id, workbook(rows)))
    deliver(stack, "ReportQueue", "ImportReportFunction")  # the finishing step the import function asked for
    assert imports.get_job(import_id).status == "completed"


def test_counting_conflicts_beyond_eight_are_retried_within_the_time_not_dead_lettered(stack, organiser, chunk_size,
                                                                                       fake_time):
    """The old loop gave up after 8 conflicts and the chunk went to the DLQ as failed rows."""
    chunk_size(3)
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook([["Identifier"]] + [[f"T-{i}"] for i in range(3)])))
    with faults("TransactWriteItems", "TransactionCanceledException", times=12) as hit:
        deliver(stack, "WorkQueue", "UpsertWorkerFunction")
    assert len(hit) == 12 and queue_depth(stack, "WorkDeadLetterQueue") == 0
    deliver(stack, "ReportQueue", "ImportReportFunction")
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed" and rep["counts"]["created"] == 3 and rep["counts"]["failed"] == 0


def test_a_chunk_whose_counting_keeps_failing_is_dead_lettered_and_its_written_rows_never_reported_failed(
        stack, organiser, chunk_size, fake_time):
    """Rows written, the count refused on every delivery: the chunk reaches the DLQ. Its last run, still
    refused, fails the record (redelivered) instead of failing the rows; once it gets through, the rows
    count as created."""
    chunk_size(3)
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook([["Identifier"]] + [[f"D-{i}"] for i in range(3)])))
    with faults("TransactWriteItems", "ThrottlingException"):
        deliver(stack, "WorkQueue", "UpsertWorkerFunction")  # 3 receives, out of time each, then moto dead-letters it
        assert queue_depth(stack, "WorkDeadLetterQueue") == 1
        # moto keeps the receive count (3) into the DLQ, whose maxReceiveCount is 5: two last runs in all
        failures = deliver(stack, "WorkDeadLetterQueue", "ImportFailuresFunction", max_batches=1, until_empty=False)
    assert [len(f["batchItemFailures"]) for f in failures] == [1]  # the last run is out of time too: not counted
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "running" and rep["counts"]["failed"] == 0
    deliver(stack, "WorkDeadLetterQueue", "ImportFailuresFunction")
    deliver(stack, "ReportQueue", "ImportReportFunction")
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed", rep
    assert rep["counts"] == {"created": 3, "updated": 0, "deleted": 0, "skipped": 0, "failed": 0}


def test_checkin_meeting_a_transaction_conflict_checks_in_once(stack, organiser, fake_time):
    from support.checkin import booked_guest, door, door_key, scan

    event_id = new_event(stack, organiser)
    key = door_key(stack, organiser, event_id)
    _identifier, _token, booking = booked_guest(stack, organiser, event_id)
    with faults("TransactWriteItems", "TransactionCanceledException", times=3) as hit:
        status, body, _ = scan(stack, key, booking["ticket_code"], nonce="n-1", device="door-1")
    assert len(hit) == 3 and status == 201 and body["result"] == "ok"
    assert door(stack, key["scope"], event_id, "GET", "/stats")[1]["checked_in"] == 1
