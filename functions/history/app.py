"""History function: contact changes on the stream become status-history entries, account-manager mails,
the guest's transactional message and the door's group counters (each once)."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

import time

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from guestlist import accounts, guest_mail, history, notifications
from guestlist.observability import count_mail, new_metrics, new_tracer
from guestlist.retry import lambda_deadline
from guestlist.workers import partial_batch

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
_deadline = {"at": None}  # this invocation's end (monotonic), minus a margin; one invocation at a time


def record_handler(record: DynamoDBRecord):
    old, new = record.dynamodb.old_image or None, record.dynamodb.new_image or None
    entry = history.entry_for_change(old, new)
    if entry is None:  # no status change; a change of groups still moves the door's counters
        move = history.group_move_for_change(old, new)
        if move is not None and history.record_group_move(move):
            logger.info("group counters moved", extra={"event_id": move.event_id, "groups": len(move.deltas)})
        return
    mail = notifications.message_for(entry, new or old, accounts.email_of_account_in(entry.event_id))
    written = history.record(entry, notify=mail is not None)
    if written:
        logger.info("status changed", extra={"event_id": entry.event_id, "old": entry.old_status, "new": entry.new_status,
                                             "cause": entry.cause})
    if history.mail_owed(entry, mail, written=written):
        outcome = notifications.send(mail)
        history.mark_notified(entry, outcome)
        count_mail(metrics, outcome.startswith("sent:"))
        logger.info("account manager notified", extra={"event_id": entry.event_id, "outcome": outcome.split(":", 1)[0]})
    sent = guest_mail.deliver(entry, deadline=_deadline["at"])
    if sent is not None and sent.state in ("sent", "failed"):
        count_mail(metrics, sent.state == "sent")
    if sent is not None:
        logger.info("guest message", extra={"event_id": entry.event_id, "kind": sent.kind, "state": sent.state,
                                            "reason": sent.reason})


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    _deadline["at"] = time.monotonic() + max(0.0, context.get_remaining_time_in_millis() / 1000 - 3.0)
    return partial_batch(event, record_handler, DynamoDBRecord, record_id=lambda r: r.dynamodb.sequence_number, logger=logger)
