"""Import failures: chunks that reached the DLQ are counted as failed rows, so the job still ends."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.imports.worker import record_dead_chunk
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.workers import dead_letter_worker

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


def settle(record: SQSRecord) -> dict:
    message = record.json_body
    receives = record.attributes.approximate_receive_count
    record_dead_chunk(message, reason=f"delivered {receives} time(s) to the dead-letter queue")
    metrics.add_metric(name="ImportRowsFailed", unit=MetricUnit.Count, value=len(message.get("rows", [])))
    return {"import_id": message.get("import_id"), "chunk": message.get("chunk"), "rows": len(message.get("rows", []))}


lambda_handler = dead_letter_worker(settle, "chunk dead-lettered", logger=logger, metrics=metrics, tracer=tracer)
