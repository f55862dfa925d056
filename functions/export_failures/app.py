"""Export failures: exports whose message reached the DLQ end `failed`, so no export stays running."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.exports import fail_export
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.retry import lambda_deadline

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord):
    metrics.add_metric(name="DeadLetterArrivals", unit=MetricUnit.Count, value=1)
    export_id = record.json_body["export_id"]
    receives = record.attributes.approximate_receive_count
    fail_export(export_id, f"the export failed {receives} time(s); ask for it again")
    logger.warning("export dead-lettered", extra={"export_id": export_id})


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
