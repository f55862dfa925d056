"""Campaign dead letters: a chunk that exhausted its deliveries is reported (failed or unconfirmed), so every send ends."""

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist import campaign_sender
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.retry import lambda_deadline

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord):
    metrics.add_metric(name="DeadLetterArrivals", unit=MetricUnit.Count, value=1)
    message = json.loads(record.body)
    campaign_sender.handle_dead(message)
    logger.warning("campaign message dead-lettered", extra={"kind": message.get("kind"),
                                                            "campaign_id": message.get("campaign_id"),
                                                            "index": message.get("index")})


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
