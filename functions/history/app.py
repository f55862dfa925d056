"""History function: contact changes on the stream become status-history entries (once each)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from guestlist import history

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord):
    entry = history.entry_for_change(record.dynamodb.old_image or None, record.dynamodb.new_image or None)
    if entry is not None and history.record(entry):
        logger.info("status changed", extra={"event_id": entry.event_id, "old": entry.old_status, "new": entry.new_status, "cause": entry.cause})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
