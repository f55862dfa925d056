"""Campaign dead letters: a chunk that exhausted its deliveries is reported (failed or unconfirmed), so every send ends."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist import campaign_sender
from guestlist.observability import new_metrics, new_tracer
from guestlist.workers import dead_letter_worker

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


def settle(record: SQSRecord) -> dict:
    message = json.loads(record.body)
    campaign_sender.handle_dead(message)
    return {"kind": message.get("kind"), "campaign_id": message.get("campaign_id"), "index": message.get("index")}


lambda_handler = dead_letter_worker(settle, "campaign message dead-lettered", logger=logger, metrics=metrics, tracer=tracer)
