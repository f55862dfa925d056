"""The wiring SQS and stream workers share: a partial-batch response under the retry deadline, with the
function's log context, trace and metrics. A handler module keeps its `record_handler`; this builds
its `lambda_handler`, so every worker (and every dead-letter consumer) is wired the same way.

The partial-batch loop is ours, not Powertools' batch utility: that package imports asyncio and the
Kafka, Kinesis and DynamoDB event classes whichever source a function reads (about 17 % of `import
boto3` at every cold start, DESIGN.md s9), and what a worker needs from it is the loop below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from .retry import lambda_deadline


class ItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[ItemFailure]


class BatchFailed(Exception):
    """Every record of the batch failed: the invocation fails, so Lambda hands the whole batch back
    (and counts an attempt against the queue's redrive policy) instead of reading it as done."""


def partial_batch(event: Mapping[str, Any], record_handler: Callable[[Any], Any], record_type: Callable[[dict], Any], *,
                  record_id: Callable[[Any], str], logger: Logger) -> PartialBatchResponse:
    """Each record handled on its own; the failed ones are reported (`batchItemFailures`, for a queue
    the message id, for a stream the sequence number, from which Lambda resumes) and delivered again."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise ValueError("the event has no Records list: not an SQS or stream batch")
    failures: list[ItemFailure] = []
    for raw in records:
        record = record_type(raw)
        try:
            record_handler(record)
        except Exception as exc:  # any failure is this record's; the others go on
            identifier = record_id(record)
            failures.append({"itemIdentifier": identifier})
            logger.warning("record failed", extra={"record": identifier, "error": type(exc).__name__})
    if records and len(failures) == len(records):
        raise BatchFailed(f"all {len(records)} records of the batch failed")
    return {"batchItemFailures": failures}


def sqs_batch(event: Mapping[str, Any], record_handler: Callable[[SQSRecord], Any], *, logger: Logger) -> PartialBatchResponse:
    return partial_batch(event, record_handler, SQSRecord, record_id=lambda r: r.message_id, logger=logger)


def sqs_worker(record_handler: Callable[[SQSRecord], Any], *, logger: Logger, metrics: EphemeralMetrics,
               tracer: Any) -> Callable[[dict, Any], PartialBatchResponse]:
    """The Lambda handler of an SQS worker: each record is handled on its own, a failed one is reported
    back (batchItemFailures) and delivered again, the others are done."""

    @logger.inject_lambda_context(clear_state=True)
    @lambda_deadline
    @tracer.capture_lambda_handler
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict, context: Any) -> PartialBatchResponse:
        return sqs_batch(event, record_handler, logger=logger)

    return lambda_handler


def dead_letter_worker(settle: Callable[[SQSRecord], Mapping[str, Any]], what: str, *, logger: Logger,
                       metrics: EphemeralMetrics, tracer: Any) -> Callable[[dict, Any], PartialBatchResponse]:
    """The Lambda handler of a dead-letter queue's consumer: each message counts as a `DeadLetterArrivals`
    metric, `settle(record)` ends what it was about (so no job stays running) and returns what the
    warning `what` logs about it (ids and counts, never addresses or secrets)."""

    def record_handler(record: SQSRecord) -> None:
        metrics.add_metric(name="DeadLetterArrivals", unit=MetricUnit.Count, value=1)
        logger.warning(what, extra=dict(settle(record)))

    return sqs_worker(record_handler, logger=logger, metrics=metrics, tracer=tracer)
