"""The retry helper (DESIGN.md s6): what is retried, what is an answer, and the time it may take."""

from __future__ import annotations

import random
import threading
import time

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import CancellationReason, PutError, TransactWriteError, UpdateError, VerboseClientError

from guestlist import retry
from guestlist.errors import Busy


def client_error(code: str, status: int = 400, operation: str = "PutItem", message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message or code},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def cancelled(*reasons: str | None) -> TransactWriteError:
    """A cancelled transaction as PynamoDB raises it, one reason per item (None: that item was fine)."""
    cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}},
                               "TransactWriteItems",
                               cancellation_reasons=[CancellationReason(code=r) if r else None for r in reasons])
    return TransactWriteError("Failed to write transaction items", cause=cause)


class FakeTime:
    """A clock that moves only when the helper sleeps."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def failing(errors: list[BaseException], result="done"):
    """An operation that raises the given errors in turn, then returns `result`; counts its calls."""
    calls = {"n": 0}

    def operation():
        calls["n"] += 1
        if errors:
            raise errors.pop(0)
        return result

    return operation, calls


def run(operation, fake: FakeTime | None = None, *, budget: float = 5.0, seed: int = 1):
    fake = fake or FakeTime()
    return retry.retrying(operation, clock=fake.clock, sleep=fake.sleep, rng=random.Random(seed),
                          deadline=fake.now + budget)


@pytest.mark.parametrize("error", [
    client_error("TransactionConflictException"),  # a plain write to an item a transaction holds
    client_error("ProvisionedThroughputExceededException"),
    client_error("ThrottlingException"),
    client_error("RequestLimitExceeded"),
    client_error("InternalServerError", 500),
    client_error("SomethingNew", 503),  # any 5xx
    client_error("SlowDown", 503, "PutObject"),  # S3
    client_error("RequestThrottled", 400, "SendMessageBatch"),  # SQS
    UpdateError("Failed to update item", cause=client_error("TransactionConflictException", operation="UpdateItem")),
    PutError("Failed to put item", cause=client_error("ThrottlingException")),
    cancelled(None, "TransactionConflict"),
    cancelled("ThrottlingError", None),
    cancelled(None, None, "ProvisionedThroughputExceeded"),
    retry.Again("the guest changed meanwhile"),
])
def test_conflicts_throttling_and_5xx_are_retried_until_the_operation_succeeds(error):
    operation, calls = failing([error, error])
    assert run(operation) == "done"
    assert calls["n"] == 3


@pytest.mark.parametrize("error", [
    client_error("ConditionalCheckFailedException"),
    PutError("Failed to put item", cause=client_error("ConditionalCheckFailedException")),
    cancelled("ConditionalCheckFailed", None),
    cancelled("ConditionalCheckFailed", "TransactionConflict"),  # a failed condition is an answer, even with a conflict beside it
    cancelled(None, "ValidationError"),
    client_error("ValidationException"),
    client_error("AccessDenied", 403, "PutObject"),
    client_error("ResourceNotFoundException"),
    ValueError("a bug"),
])
def test_condition_failures_and_other_errors_are_answers_raised_at_once(error):
    operation, calls = failing([error])
    fake = FakeTime()
    with pytest.raises(type(error)) as raised:
        run(operation, fake)
    assert raised.value is error
    assert calls["n"] == 1 and fake.sleeps == []


def test_condition_failed_recognises_plain_writes_and_cancelled_transactions():
    assert retry.condition_failed(client_error("ConditionalCheckFailedException"))
    assert retry.condition_failed(cancelled(None, "ConditionalCheckFailed"))
    assert not retry.condition_failed(cancelled(None, "TransactionConflict"))
    assert not retry.condition_failed(client_error("TransactionConflictException"))


def test_cancellation_reasons_are_read_from_the_message_when_not_parsed():
    """botocore without PynamoDB: DynamoDB writes the reasons into the message too."""
    error = client_error("TransactionCanceledException", operation="TransactWriteItems",
                         message="Transaction cancelled, please refer cancellation reasons for specific reasons "
                                 "[None, TransactionConflict]")
    assert retry.cancellation_codes(error) == [None, "TransactionConflict"]
    assert retry.is_retryable(error)
    with_condition = client_error("TransactionCanceledException", operation="TransactWriteItems",
                                  message="Transaction cancelled, please refer cancellation reasons for specific "
                                          "reasons [ConditionalCheckFailed, None]")
    assert retry.condition_failed(with_condition) and not retry.is_retryable(with_condition)


def test_backoff_is_exponential_with_full_jitter():
    """Each wait is uniform in [0, min(MAX_DELAY, BASE_DELAY * 2**n)]: seen by an rng that always draws the top."""

    class Top(random.Random):
        def uniform(self, a, b):
            return b

    operation, _ = failing([client_error("ThrottlingException")] * 8)
    fake = FakeTime()
    retry.retrying(operation, clock=fake.clock, sleep=fake.sleep, rng=Top(), deadline=fake.now + 60)
    assert fake.sleeps == [min(retry.MAX_DELAY, retry.BASE_DELAY * 2 ** n) for n in range(8)]

    jittered = FakeTime()
    operation, _ = failing([client_error("ThrottlingException")] * 8)
    run(operation, jittered, budget=60, seed=7)
    ceilings = [min(retry.MAX_DELAY, retry.BASE_DELAY * 2 ** n) for n in range(8)]
    assert all(0 <= s <= c for s, c in zip(jittered.sleeps, ceilings))
    assert jittered.sleeps != ceilings  # drawn, not fixed


def test_when_the_time_is_up_it_raises_busy_503_and_never_sleeps_past_the_deadline():
    error = cancelled(None, "TransactionConflict")
    operation, calls = failing([error] * 10_000)
    fake = FakeTime()
    before = retry.counters().get("busy", 0)
    with pytest.raises(Busy) as raised:
        run(operation, fake, budget=2.0)
    assert raised.value.status == 503 and raised.value.code == "busy" and raised.value.detail == {"retryable": True}
    assert raised.value.__cause__ is error
    assert sum(fake.sleeps) < 2.0
    assert calls["n"] == len(fake.sleeps) + 1 > 3
    assert retry.counters()["busy"] == before + 1


def test_without_a_handler_deadline_each_operation_gets_the_default_budget():
    operation, _ = failing([client_error("ThrottlingException")] * 10_000)
    fake = FakeTime()
    with pytest.raises(Busy):
        retry.retrying(operation, clock=fake.clock, sleep=fake.sleep, rng=random.Random(3))
    assert retry.DEFAULT_BUDGET - retry.MAX_DELAY <= sum(fake.sleeps) < retry.DEFAULT_BUDGET


def _time_used_inside(handler_context_ms: int, *, thread: bool = False) -> float:
    """Sleeps a handler's always-conflicting write was allowed, with the deadline the wrapper set."""
    fake = FakeTime(start=time.monotonic())
    operation, _ = failing([client_error("TransactionConflictException")] * 10_000)

    def domain():
        with pytest.raises(Busy):
            retry.retrying(operation, clock=fake.clock, sleep=fake.sleep, rng=random.Random(5))

    class Context:
        def get_remaining_time_in_millis(self):
            return handler_context_ms

    @retry.lambda_deadline
    def handler(event, context):
        if thread:
            worker = threading.Thread(target=retry.carry_deadline(domain))
            worker.start()
            worker.join()
        else:
            domain()

    handler({}, Context())
    return sum(fake.sleeps)


def test_the_handler_wrapper_bounds_retries_by_the_functions_remaining_time():
    """A 10 s guest function keeps a reserve to answer: its retries stop before 9 s, not after 10."""
    used = _time_used_inside(10_000)
    assert 9.0 - retry.MAX_DELAY <= used < 10_000 / 1000 - retry.reserve_for(10.0)
    assert _time_used_inside(2_000) < 2.0 - retry.reserve_for(2.0)


def test_pool_threads_carry_the_callers_deadline():
    assert _time_used_inside(2_000, thread=True) < 2.0 - retry.reserve_for(2.0)


def test_retries_are_counted_by_reason():
    before = retry.counters()
    operation, _ = failing([cancelled(None, "TransactionConflict"), client_error("ThrottlingException"), retry.Again()])
    run(operation)
    after = retry.counters()
    for key in ("retried:TransactionConflict", "retried:ThrottlingException", "retried:stale_read"):
        assert after.get(key, 0) == before.get(key, 0) + 1


def test_the_decorator_makes_every_call_one_attempt():
    errors = [client_error("TransactionConflictException")]

    @retry.retried
    def write(value):
        if errors:
            raise errors.pop()
        return value * 2

    assert write(21) == 42 and errors == []
