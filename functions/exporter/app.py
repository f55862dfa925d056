"""Export worker: each SQS message is one export job, written page by page into a file in S3."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.exports import run_export
from guestlist.observability import new_metrics, new_tracer
from guestlist.workers import sqs_worker

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


def record_handler(record: SQSRecord):
    export_id = record.json_body["export_id"]
    rows = run_export(export_id)
    logger.info("export written", extra={"export_id": export_id, "rows": rows})


lambda_handler = sqs_worker(record_handler, logger=logger, metrics=metrics, tracer=tracer)
