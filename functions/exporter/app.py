"""Export worker: each SQS message is one export job, written page by page into a file in S3."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.exports import run_export
from guestlist.observability import new_metrics, new_tracer
from guestlist.retry import lambda_deadline

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord):
    export_id = record.json_body["export_id"]
    rows = run_export(export_id)
    logger.info("export written", extra={"export_id": export_id, "rows": rows})


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
