"""Fault injection in the AWS emulator (`guestlist up --chaos RATE`): the errors real AWS returns under load.

Real DynamoDB cancels colliding transactions (TransactionCanceledException, reason TransactionConflict),
refuses a plain write to an item inside a running transaction (TransactionConflictException), throttles,
and DynamoDB, SQS and S3 answer 5xx now and then. The emulator never does any of that, so code that mishandles
them passes every local test. Here, on a share of the SDK calls the functions make, the emulator answers one
of those errors instead - decided and answered before the request reaches moto, so nothing is half-applied.

The local stack's own plumbing (provisioning, the event pump, snapshots: clients from `provision.client`, whose
user agent carries INTERNAL_AGENT) plays AWS's part and is never faulted; nor are presigned URLs (browsers and
the CLI, not functions). Seeded, the choice of calls and faults repeats for the same sequence of calls.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

INTERNAL_AGENT = "guestlist-local-internal"

KINDS = ("conflict", "throttle", "5xx")

_DDB_PLAIN_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
_DDB_PREFIX = "com.amazonaws.dynamodb.v20120810#"


@dataclass
class Chaos:
    """Which share of calls fail and how; counts what it injected (tests report it)."""

    rate: float
    seed: int | None = None
    kinds: tuple[str, ...] = KINDS
    services: tuple[str, ...] = ("dynamodb", "sqs", "s3")
    injected: Counter = field(default_factory=Counter)
    calls: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"chaos rate must be between 0 and 1, got {self.rate}")
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown chaos kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def choose(self, service: str, operation: str) -> str | None:
        """The fault for this call ('conflict', 'throttle', '5xx') or None."""
        if service not in self.services:
            return None
        options = [k for k in self.kinds if k != "conflict" or (service == "dynamodb" and (
            operation in _DDB_PLAIN_WRITES or operation == "TransactWriteItems"))]
        if not options:
            return None
        with self._lock:
            self.calls += 1
            if self._random.random() >= self.rate:
                return None
            # conflicts are what write paths must handle themselves: half the faults on a write are conflicts
            if "conflict" in options and len(options) > 1 and self._random.random() < 0.5:
                kind = "conflict"
            else:
                rest = [k for k in options if k != "conflict"] or options
                kind = self._random.choice(rest)
            self.injected[(service, operation, kind)] += 1
        return kind

    def total(self, kind: str | None = None) -> int:
        return sum(n for (_, _, k), n in self.injected.items() if kind is None or k == kind)


_current: Chaos | None = None


def configure(rate: float, seed: int | None = None, kinds: Iterable[str] = KINDS,
              services: Iterable[str] = ("dynamodb", "sqs", "s3")) -> Chaos | None:
    """Turns injection on for this process's emulator (rate 0 turns it off); returns the live settings."""
    global _current
    _current = Chaos(rate, seed, tuple(kinds), tuple(services)) if rate > 0 else None
    return _current


def current() -> Chaos | None:
    return _current


def restore(previous: Chaos | None) -> None:
    """Puts back what current() returned earlier."""
    global _current
    _current = previous


@contextmanager
def enabled(rate: float, seed: int | None = 0, **options: Any) -> Iterator[Chaos]:
    """Chaos for the duration of a with-block (one test); yields the Chaos to read its counts."""
    previous = _current
    settings = configure(rate, seed, **options)
    try:
        yield settings  # type: ignore[misc]
    finally:
        restore(previous)


# --------------------------------------------------------------------------- the emulator side


def _service_of(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    marker = "Credential="
    if marker not in auth:
        return None  # unsigned or presigned: not an SDK call from a function
    scope = auth.split(marker, 1)[1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) > 3 else None


def _read_body(environ: dict[str, Any]) -> bytes:
    """Reads the request body and puts it back for moto."""
    import io

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _operation(service: str, environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    if service == "sqs":  # the query protocol: Action=... in the form body
        from urllib.parse import parse_qs

        body = _read_body(environ)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action") or parse_qs(environ.get("QUERY_STRING", "")).get("Action")
        return action[0] if action else ""
    return environ.get("REQUEST_METHOD", "")  # S3: the method is enough to tell reads from writes


_DDB_FAULTS = {
    "throttle": (400, "ProvisionedThroughputExceededException",
                 "The level of configured provisioned throughput for the table was exceeded. (injected by guestlist --chaos)"),
    "5xx": (500, "InternalServerError", "Internal server error (injected by guestlist --chaos)"),
}


def _ddb_response(kind: str, operation: str, environ: dict[str, Any], pick: random.Random) -> tuple[int, dict[str, str], bytes]:
    if kind == "conflict" and operation == "TransactWriteItems":
        try:
            count = len(json.loads(_read_body(environ) or b"{}").get("TransactItems") or [])
        except ValueError:
            count = 1
        reasons = [{"Code": "None"}] * max(count, 1)
        hit = pick.randrange(len(reasons))
        reasons[hit] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
        listed = ", ".join(r["Code"] for r in reasons)
        doc = {"__type": _DDB_PREFIX + "TransactionCanceledException", "CancellationReasons": reasons,
               "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{listed}]"}
        return 400, {}, json.dumps(doc).encode()
    if kind == "conflict":
        doc = {"__type": _DDB_PREFIX + "TransactionConflictException",
               "message": "Transaction is ongoing for the item (injected by guestlist --chaos)"}
        return 400, {}, json.dumps(doc).encode()
    status, code, message = _DDB_FAULTS[kind]
    if kind == "throttle" and pick.random() < 0.5:
        code, message = "ThrottlingException", "Rate of requests exceeds the allowed throughput. (injected by guestlist --chaos)"
    if kind == "5xx" and pick.random() < 0.5:
        status, code, message = 503, "ServiceUnavailable", "Service unavailable (injected by guestlist --chaos)"
    return status, {}, json.dumps({"__type": _DDB_PREFIX + code, "message": message}).encode()


def _sqs_response(kind: str, environ: dict[str, Any], pick: random.Random) -> tuple[int, dict[str, str], bytes]:
    if kind == "throttle":
        status, code, message, sender = 400, "ThrottlingException", "Rate exceeded (injected by guestlist --chaos)", "Sender"
    elif pick.random() < 0.5:
        status, code, message, sender = 500, "InternalError", "Internal error (injected by guestlist --chaos)", "Receiver"
    else:
        status, code, message, sender = 503, "ServiceUnavailable", "Service unavailable (injected by guestlist --chaos)", "Receiver"
    if environ.get("HTTP_X_AMZ_TARGET"):  # JSON protocol
        return status, {"x-amzn-query-error": f"{code};{sender}"}, json.dumps(
            {"__type": f"com.amazonaws.sqs#{code}", "message": message}).encode()
    xml = (f'<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error>'
           f"<Type>{sender}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
           "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml"}, xml.encode()


def _s3_response(kind: str, pick: random.Random) -> tuple[int, dict[str, str], bytes]:
    if kind == "throttle":
        status, code, message = 503, "SlowDown", "Please reduce your request rate. (injected by guestlist --chaos)"
    elif pick.random() < 0.5:
        status, code, message = 500, "InternalError", "We encountered an internal error. Please try again. (injected by guestlist --chaos)"
    else:
        status, code, message = 503, "ServiceUnavailable", "Service is unable to handle request. (injected by guestlist --chaos)"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
           "<RequestId>0000000000000000</RequestId></Error>")
    return status, {"Content-Type": "application/xml"}, xml.encode()


def fault_response(environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
    """The error to answer instead of moto, or None to let the call through."""
    chaos = _current
    if chaos is None or INTERNAL_AGENT in environ.get("HTTP_USER_AGENT", ""):
        return None
    service = _service_of(environ)
    if service not in chaos.services:
        return None
    operation = _operation(service, environ)
    kind = chaos.choose(service, operation)
    if kind is None:
        return None
    pick = chaos._random
    if service == "dynamodb":
        status, headers, body = _ddb_response(kind, operation, environ, pick)
        headers.setdefault("Content-Type", "application/x-amz-json-1.0")
    elif service == "sqs":
        status, headers, body = _sqs_response(kind, environ, pick)
        headers.setdefault("Content-Type", "application/x-amz-json-1.0")
    else:
        status, headers, body = _s3_response(kind, pick)
    headers["x-amzn-RequestId"] = "00000000-0000-0000-0000-00000000c4a0"
    return status, headers, body


_installed = False


def install() -> None:
    """Puts fault_response in front of every request the in-process moto server answers (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        fault = fault_response(environ) if _current is not None else None
        if fault is None:
            return original(self, environ, start_response)
        status, headers, body = fault
        reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}[status]
        start_response(f"{status} {reason}", [*headers.items(), ("Content-Length", str(len(body)))])
        return [body]

    DomainDispatcherApplication.__call__ = __call__
    _installed = True
