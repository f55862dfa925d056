"""Campaign sender: plan and chunk messages from the campaign queue; each recipient at most once."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

import json
import time

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist import campaign_sender
from guestlist.observability import count_mail, new_metrics, new_tracer
from guestlist.retry import lambda_deadline
from guestlist.workers import sqs_batch

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
_deadline = {"at": None}  # this invocation's end (monotonic) minus the margin the final writes need


def _count_mail(state: str) -> None:
    count_mail(metrics, state == "sent")


def record_handler(record: SQSRecord):
    message = json.loads(record.body)
    # The attempt id names this delivery: a marker it finds with another id was left by a crash.
    attempt = f"{record.message_id}:{record.attributes.approximate_receive_count}"
    campaign_sender.handle(message, attempt=attempt, deadline=_deadline["at"], on_sent=_count_mail)
    logger.info("campaign message", extra={"kind": message.get("kind"), "campaign_id": message.get("campaign_id"),
                                           "index": message.get("index")})


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    _deadline["at"] = time.monotonic() + max(0.0, context.get_remaining_time_in_millis() / 1000 - 10.0)
    return sqs_batch(event, record_handler, logger=logger)
