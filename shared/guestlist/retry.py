"""The one retry helper of every write path (DESIGN.md s6).

Real DynamoDB cancels colliding transactions (reason `TransactionConflict`), refuses a plain
write to an item inside a running transaction (`TransactionConflictException`) and throttles;
DynamoDB, S3 and SQS also fail with 5xx. `retrying` runs an operation again on exactly those,
with full-jitter exponential backoff, until the function's remaining time is spent. A failed
condition (also a cancelled transaction with a `ConditionalCheckFailed` reason) is an answer:
it goes straight back to the caller, who knows what it means. When the time is up it raises
`Busy`: 503 `busy` for the APIs (the client tries again); a failed record for SQS and stream
workers, so the message is delivered again. Never a wrong answer, never a lost count.

The time limit reaches the domain without AWS shapes: the handler is wrapped with
`lambda_deadline`, which puts the Lambda context's remaining time (less a reserve to answer)
into a context variable; without it each operation gets `DEFAULT_BUDGET` seconds. Clock, sleep
and randomness are parameters so tests run without waiting.
"""

from __future__ import annotations

import contextvars
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from .codes import Code
from .errors import Busy

T = TypeVar("T")
log = logging.getLogger("guestlist.retry")

# Error codes worth another attempt: contention, throttling and the services' own 5xx codes.
RETRYABLE_CODES = frozenset({
    "TransactionConflictException",  # a plain write to an item a running transaction holds
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
    "RequestThrottled", "RequestThrottledException", "TooManyRequestsException", "SlowDown",
    "InternalServerError", "InternalFailure", "InternalError", "ServiceUnavailable", "ServiceUnavailableException",
    "RequestTimeout", "RequestTimeoutException",
})
# Reasons of a cancelled transaction that are not about the data: run it again.
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
CONDITION_FAILED = "ConditionalCheckFailed"

DEFAULT_BUDGET = 8.0  # seconds, when no handler set a deadline (scripts, the CLI, tests)
BASE_DELAY = 0.025  # first backoff ceiling; doubles per attempt
MAX_DELAY = 1.0


class Again(Exception):
    """Raised by an operation whose optimistic read went stale (a version condition failed): run it again."""


# ------------------------------------------------------------------ classification

def error_code(exc: BaseException) -> str | None:
    """The service's error code of a botocore ClientError or a PynamoDB error wrapping one."""
    response = getattr(exc, "response", None) or getattr(getattr(exc, "cause", None), "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def _http_status(exc: BaseException) -> int:
    response = getattr(exc, "response", None) or getattr(getattr(exc, "cause", None), "response", None)
    if isinstance(response, dict):
        return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return 0


_REASONS_IN_MESSAGE = r"\[([A-Za-z, ]*)\]\s*$"  # compiled on first use (re's cache): cold start


def cancellation_codes(exc: BaseException) -> list[str | None]:
    """Per item of a cancelled transaction, its reason code (None for items that were fine).

    PynamoDB orders items condition checks, deletes, puts, updates. Reads the parsed reasons,
    else botocore's `CancellationReasons`, else the message DynamoDB always writes them into.
    """
    reasons = getattr(exc, "cancellation_reasons", None)
    cause = getattr(exc, "cause", None)
    if reasons is None and cause is not None:
        reasons = getattr(cause, "cancellation_reasons", None)
    if reasons:
        return [getattr(r, "code", None) if r is not None else None for r in reasons]
    response = getattr(exc, "response", None) or getattr(getattr(exc, "cause", None), "response", None) or {}
    if response.get("CancellationReasons"):
        return [r.get("Code") if r and r.get("Code") not in (None, "None") else None for r in response["CancellationReasons"]]
    match = re.search(_REASONS_IN_MESSAGE, str(response.get("Error", {}).get("Message") or ""))
    if match:
        return [None if c.strip() in ("None", "") else c.strip() for c in match.group(1).split(",")]
    return []


def condition_failed(exc: BaseException) -> bool:
    """A failed condition: a plain write's, or one item's of a cancelled transaction. An answer, not a fault."""
    code = error_code(exc)
    if code == "ConditionalCheckFailedException":
        return True
    return code == "TransactionCanceledException" and CONDITION_FAILED in cancellation_codes(exc)


def is_retryable(exc: BaseException) -> bool:
    """Contention, throttling or a 5xx: the same request may well succeed a moment later."""
    if isinstance(exc, Again):
        return True
    code = error_code(exc)
    if code == "TransactionCanceledException":
        reasons = cancellation_codes(exc)
        return CONDITION_FAILED not in reasons and any(r in RETRYABLE_REASONS for r in reasons)
    return code in RETRYABLE_CODES or _http_status(exc) >= 500


def is_transient(exc: BaseException) -> bool:
    """Retryable, or already retried until the time was up: a worker fails the record, never the data."""
    return isinstance(exc, Busy) or is_retryable(exc)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, Again):
        return "stale_read"
    code = error_code(exc) or type(exc).__name__
    if code == "TransactionCanceledException":
        return next((r for r in cancellation_codes(exc) if r), code)
    return code


# ------------------------------------------------------------------ the time limit

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("guestlist_retry_deadline", default=None)


def reserve_for(remaining: float) -> float:
    """Time kept back from retrying to answer: a tenth of what is left, between 0.5 and 3 seconds."""
    return min(3.0, max(0.5, remaining / 10))


def lambda_deadline(handler: Callable) -> Callable:
    """Wraps a Lambda handler: retries inside stop in time for it to answer (or to fail its records)."""

    @wraps(handler)
    def wrapper(event, context):
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        if remaining_ms is None:
            return handler(event, context)
        remaining = remaining_ms() / 1000
        token = _deadline.set(time.monotonic() + max(0.0, remaining - reserve_for(remaining)))
        try:
            return handler(event, context)
        finally:
            _deadline.reset(token)

    return wrapper


def carry_deadline(fn: Callable[..., T]) -> Callable[..., T]:
    """`fn` with the caller's deadline, for running on a pool thread (threads start without it)."""
    deadline = _deadline.get()

    @wraps(fn)
    def run(*args, **kwargs):
        token = _deadline.set(deadline)
        try:
            return fn(*args, **kwargs)
        finally:
            _deadline.reset(token)

    return run


# ------------------------------------------------------------------ counters (read by tests and the chaos tier)

_counts: Counter = Counter()
_counts_lock = threading.Lock()


def _count(key: str) -> None:
    with _counts_lock:
        _counts[key] += 1


def counters() -> dict[str, int]:
    """Retries by reason (`retried:TransactionConflict`, ...) and `busy` give-ups since the process started."""
    with _counts_lock:
        return dict(_counts)


# ------------------------------------------------------------------ the helper

def retrying(operation: Callable[[], T], *, what: str = "write", clock: Callable[[], float] | None = None,
             sleep: Callable[[float], None] | None = None, rng: random.Random | None = None,
             deadline: float | None = None) -> T:
    """Run `operation` until it returns, raises a non-retryable error, or the time is up (then `Busy`).

    Full jitter: before attempt n+1 it sleeps uniform(0, min(MAX_DELAY, BASE_DELAY * 2**n)),
    never past the deadline. The operation must be safe to run again: it re-reads what it
    decides on, and its writes carry conditions or fixed keys.
    """
    clock, sleep = clock or time.monotonic, sleep or time.sleep
    uniform = rng.uniform if rng is not None else random.uniform
    if deadline is None:
        deadline = _deadline.get()
    if deadline is None:
        deadline = clock() + DEFAULT_BUDGET
    attempt = 0
    while True:
        try:
            return operation()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            reason = _reason(exc)
            delay = uniform(0, min(MAX_DELAY, BASE_DELAY * 2 ** attempt))
            if clock() + delay >= deadline:
                _count("busy")
                log.warning("gave up on %s after %d attempt(s): %s", what, attempt + 1, reason)
                raise Busy(Code.BUSY, "too many simultaneous changes; try again in a moment",
                           {"retryable": True}) from exc
            _count(f"retried:{reason}")
        sleep(delay)
        attempt += 1


def retried(fn: Callable[..., T] | None = None, *, what: str | None = None):
    """Decorator form of `retrying`: every call of `fn` is one attempt."""

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        label = what or func.__name__

        @wraps(func)
        def wrapper(*args, **kwargs):
            return retrying(lambda: func(*args, **kwargs), what=label)

        return wrapper

    return decorate(fn) if fn is not None else decorate
