"""Export failures: exports whose message reached the DLQ end `failed`, so no export stays running."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.exports import fail_export
from guestlist.observability import new_metrics, new_tracer
from guestlist.workers import dead_letter_worker

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


def settle(record: SQSRecord) -> dict:
    export_id = record.json_body["export_id"]
    receives = record.attributes.approximate_receive_count
    fail_export(export_id, f"the export failed {receives} time(s); ask for it again")
    return {"export_id": export_id}


lambda_handler = dead_letter_worker(settle, "export dead-lettered", logger=logger, metrics=metrics, tracer=tracer)
