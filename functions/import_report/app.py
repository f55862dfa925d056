"""Import report step: a job whose chunks are all counted gets delete-missing, its issue report and its final status."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.imports.completion import finish_import
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.workers import sqs_batch

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


def record_handler(record: SQSRecord):
    import_id = record.json_body["import_id"]
    status = finish_import(import_id)
    metrics.add_metric(name="ImportsFinished", unit=MetricUnit.Count, value=1)
    logger.info("import finished", extra={"import_id": import_id, "status": status})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return sqs_batch(event, record_handler, logger=logger)
