"""Import failures: chunks that reached the DLQ are counted as failed rows, so the job still ends."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.imports.worker import record_dead_chunk
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.retry import lambda_deadline

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord):
    message = record.json_body
    receives = record.attributes.approximate_receive_count
    record_dead_chunk(message, reason=f"delivered {receives} time(s) to the dead-letter queue")
    metrics.add_metric(name="DeadLetterArrivals", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ImportRowsFailed", unit=MetricUnit.Count, value=len(message.get("rows", [])))
    logger.warning("chunk dead-lettered", extra={"import_id": message.get("import_id"), "chunk": message.get("chunk"),
                                                 "rows": len(message.get("rows", []))})


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
