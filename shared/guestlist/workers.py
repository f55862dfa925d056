"""The wiring SQS workers share: a Powertools partial-batch response under the retry deadline, with the
function's log context, trace and metrics. A handler module keeps its `record_handler`; this builds
its `lambda_handler`, so every worker (and every dead-letter consumer) is wired the same way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from .retry import lambda_deadline


def sqs_worker(record_handler: Callable[[SQSRecord], Any], *, logger: Logger, metrics: EphemeralMetrics,
               tracer: Any) -> Callable[[dict, Any], PartialItemFailureResponse]:
    """The Lambda handler of an SQS worker: each record is handled on its own, a failed one is reported
    back (batchItemFailures) and delivered again, the others are done."""
    processor = BatchProcessor(event_type=EventType.SQS)

    @logger.inject_lambda_context(clear_state=True)
    @lambda_deadline
    @tracer.capture_lambda_handler
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict, context: Any) -> PartialItemFailureResponse:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)

    return lambda_handler


def dead_letter_worker(settle: Callable[[SQSRecord], Mapping[str, Any]], what: str, *, logger: Logger,
                       metrics: EphemeralMetrics, tracer: Any) -> Callable[[dict, Any], PartialItemFailureResponse]:
    """The Lambda handler of a dead-letter queue's consumer: each message counts as a `DeadLetterArrivals`
    metric, `settle(record)` ends what it was about (so no job stays running) and returns what the
    warning `what` logs about it (ids and counts, never addresses or secrets)."""

    def record_handler(record: SQSRecord) -> None:
        metrics.add_metric(name="DeadLetterArrivals", unit=MetricUnit.Count, value=1)
        logger.warning(what, extra=dict(settle(record)))

    return sqs_worker(record_handler, logger=logger, metrics=metrics, tracer=tracer)
