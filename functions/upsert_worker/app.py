"""Upsert worker: each SQS message is one chunk of rows; failures are reported per message."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.imports.worker import process_chunk
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.workers import sqs_worker

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


def record_handler(record: SQSRecord):
    message = record.json_body
    counts = process_chunk(message)
    if not counts.get("replayed"):
        metrics.add_metric(name="ImportedRows", unit=MetricUnit.Count, value=counts["created"] + counts["updated"])
        metrics.add_metric(name="ImportRowsFailed", unit=MetricUnit.Count, value=counts["failed"])
    logger.info("chunk processed", extra={"import_id": message.get("import_id"), "chunk": message.get("chunk"), "counts": counts})


lambda_handler = sqs_worker(record_handler, logger=logger, metrics=metrics, tracer=tracer)
