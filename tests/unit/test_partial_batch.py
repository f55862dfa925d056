"""The workers' partial-batch loop: what Lambda is told for queues and streams, without AWS."""

from __future__ import annotations

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from guestlist.workers import BatchFailed, partial_batch, sqs_batch

logger = Logger(service="test")


def sqs(message_id: str, body: str) -> dict:
    return {"messageId": message_id, "body": body, "receiptHandle": "r", "attributes": {}, "messageAttributes": {},
            "eventSource": "aws:sqs"}


def stream(sequence: str) -> dict:
    return {"eventName": "MODIFY", "dynamodb": {"SequenceNumber": sequence, "NewImage": {"pk": {"S": sequence}}}}


def test_only_the_failed_messages_are_reported_and_the_others_are_handled_once():
    handled = []

    def handle(record: SQSRecord) -> None:
        handled.append(record.body)
        if record.body.startswith("bad"):
            raise RuntimeError("broken")

    event = {"Records": [sqs("m1", "ok 1"), sqs("m2", "bad"), sqs("m3", "ok 2")]}
    assert sqs_batch(event, handle, logger=logger) == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert handled == ["ok 1", "bad", "ok 2"]


def test_a_stream_failure_is_reported_by_its_sequence_number():
    def handle(record: DynamoDBRecord) -> None:
        if record.dynamodb.sequence_number == "102":
            raise ValueError("poison")

    event = {"Records": [stream("101"), stream("102"), stream("103")]}
    response = partial_batch(event, handle, DynamoDBRecord, record_id=lambda r: r.dynamodb.sequence_number, logger=logger)
    assert response == {"batchItemFailures": [{"itemIdentifier": "102"}]}


def test_a_batch_whose_every_record_failed_fails_the_invocation():
    def handle(record: SQSRecord) -> None:
        raise RuntimeError("down")

    with pytest.raises(BatchFailed):
        sqs_batch({"Records": [sqs("m1", "a"), sqs("m2", "b")]}, handle, logger=logger)


def test_an_empty_batch_is_done_and_a_non_batch_event_is_refused():
    assert sqs_batch({"Records": []}, lambda r: None, logger=logger) == {"batchItemFailures": []}
    with pytest.raises(ValueError, match="Records"):
        sqs_batch({"detail": {}}, lambda r: None, logger=logger)


def test_the_failure_log_names_the_record_and_the_error_type_not_the_message(caplog):
    def handle(record: SQSRecord) -> None:
        raise RuntimeError("guest anna@example.com refused")

    sqs_batch({"Records": [sqs("m1", "ok"), sqs("m2", "x")]}, lambda r: handle(r) if r.body == "x" else None, logger=logger)
    [failed] = [r for r in caplog.records if r.getMessage() == "record failed"]
    assert (failed.record, failed.error) == ("m2", "RuntimeError")
    assert "anna@example.com" not in str(vars(failed))
