"""Failed SQS messages and stream records are retried, split and parked the way Lambda does it."""

from __future__ import annotations

import json
import time
import uuid

import boto3
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, SQSEvent

from .conftest import recorded


def _client(stack, service):
    return boto3.client(service, endpoint_url=stack.endpoint_url, region_name="us-east-1")


def test_failed_sqs_message_is_redelivered_alone_and_lands_in_the_dlq_after_max_receive_count(shared):
    sqs = _client(shared, "sqs")
    tag = uuid.uuid4().hex
    bodies = [f"ok-{tag}-1", f"fail-{tag}", f"ok-{tag}-2"]
    sqs.send_message_batch(QueueUrl=shared.physical("WorkQueue"),
                           Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        parked = [r for e in recorded(shared.root, "ImportFailuresFunction") for r in SQSEvent(e).records if tag in r.body]
        if parked:
            break
        time.sleep(0.2)
    assert shared.wait_idle(30)

    batches = [[r.body for r in SQSEvent(e).records if tag in r.body] for e in recorded(shared.root, "UpsertWorkerFunction")]
    batches = [b for b in batches if b]
    assert sorted(b for batch in batches for b in batch if b.startswith("ok")) == sorted(bodies[::2])  # each once
    redeliveries = batches[1:] if len(batches[0]) == 3 else [b for b in batches if b == [f"fail-{tag}"]]
    assert [f"fail-{tag}"] in redeliveries and all(b == [f"fail-{tag}"] for b in redeliveries)
    fail_receives = sum(batch.count(f"fail-{tag}") for batch in batches)
    assert fail_receives == shared.topology.queues["WorkQueue"].max_receive_count == 2

    parked = [r for e in recorded(shared.root, "ImportFailuresFunction") for r in SQSEvent(e).records if tag in r.body]
    assert [r.body for r in parked] == [f"fail-{tag}"]
    assert parked[0].event_source_arn == shared.topology.queues["WorkDeadLetterQueue"].arn


def test_stream_batch_with_a_poison_record_is_bisected_then_sent_to_the_on_failure_queue(shared):
    ddb = _client(shared, "dynamodb")
    sqs = _client(shared, "sqs")
    table = shared.physical("ContactsTable")
    tag = uuid.uuid4().hex
    items = [{"pk": {"S": f"{tag}-{i}"}, "sk": {"S": "c"}, "status": {"S": "invited"}} for i in range(4)]
    items[2]["poison"] = {"BOOL": True}
    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item}} for item in items]})
    assert shared.wait_idle(30)

    def mine(event):
        return [r.dynamodb.keys["pk"] for r in DynamoDBStreamEvent(event).records if r.dynamodb.keys["pk"].startswith(tag)]

    batches = [b for b in (mine(e) for e in recorded(shared.root, "HistoryFunction")) if b]
    poison = f"{tag}-2"
    alone = [b for b in batches if b == [poison]]
    sizes_with_poison = [len(b) for b in batches if poison in b]
    assert sizes_with_poison[0] == 4 and sizes_with_poison[1:3] == [2, 1]  # one batch of 4, then halves
    assert sizes_with_poison == sorted(sizes_with_poison, reverse=True)
    mapping = next(m for m in shared.topology.mappings if m.kind == "dynamodb")
    assert len(alone) == 1 + mapping.maximum_retry_attempts == 3
    for healthy in (f"{tag}-0", f"{tag}-1", f"{tag}-3"):
        assert any(healthy in b and poison not in b for b in batches)  # delivered without the poison record

    messages = sqs.receive_message(QueueUrl=shared.physical("HistoryFailureQueue"), MaxNumberOfMessages=10,
                                   WaitTimeSeconds=1).get("Messages", [])
    failures = [json.loads(m["Body"]) for m in messages]
    assert len(failures) == 1
    failure = failures[0]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"] == shared.topology.functions["HistoryFunction"].arn
    assert failure["version"] == "1.0" and failure["timestamp"]
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == mapping.source_arn
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["shardId"] and info["approximateArrivalOfFirstRecord"] and info["approximateArrivalOfLastRecord"]
