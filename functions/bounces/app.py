"""Bounce function: SES bounce and complaint notifications (through SNS) mark addresses undeliverable."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import botocore.httpsession  # noqa: F401  (then botocore and its HTTP layer, at the top of the stack: see lean_imports)

# isort: split

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source

from guestlist import unsubscribe
from guestlist.observability import new_metrics, new_tracer
from guestlist.retry import lambda_deadline

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context):
    marked = 0
    for record in event.records:
        for address, kind, detail in unsubscribe.feedback_addresses(json.loads(record.sns.message)):
            unsubscribe.mark_undeliverable(address, kind, detail)
            marked += 1
    logger.info("mail feedback", extra={"marked": marked})  # counts only: addresses never reach the log
    return {"marked": marked}
