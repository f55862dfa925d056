"""Each event source reaches the handler in the shape Lambda uses (parsed with Powertools' data classes),
and failures are retried, split and parked the way Lambda does it."""

from __future__ import annotations

import base64
import json
import time
import uuid

import boto3
import requests
from aws_lambda_powertools.utilities.data_classes import (
    APIGatewayProxyEventV2,
    DynamoDBStreamEvent,
    S3Event,
    SQSEvent,
)
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import APIGatewayAuthorizerEventV2
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecordEventName

from guestlist_local.admin import _list_dlq, _redrive, local_target

from .conftest import recorded


def _client(stack, service):
    return boto3.client(service, endpoint_url=stack.endpoint_url, region_name="us-east-1")


def _stream_records(stack, pk):
    out = []
    for event in recorded(stack.root, "HistoryFunction"):
        for record in DynamoDBStreamEvent(event).records:
            if record.dynamodb.keys["pk"] == pk:
                out.append(record)
    return out


def test_s3_upload_reaches_import_function_with_decoded_key_and_no_test_event(shared):
    s3 = _client(shared, "s3")
    bucket = shared.physical("ImportBucket")
    key = f"imports/ev {uuid.uuid4().hex[:6]}/Gäste+liste.xlsx"
    s3.put_object(Bucket=bucket, Key=key, Body=b"workbook")
    s3.put_object(Bucket=bucket, Key="imports/SHOUTED.XLSX", Body=b"workbook")  # no suffix filter: S3's is case-sensitive
    s3.put_object(Bucket=bucket, Key="reports/x.xlsx", Body=b"not an import")  # prefix filter
    assert shared.wait_idle(60)
    events = [S3Event(e) for e in recorded(shared.root, "ImportFunction")]
    mine = [e for e in events if e.object_key == key]
    assert len(mine) == 1
    event = mine[0]
    record = event.record
    assert len(list(event.records)) == 1
    assert event.bucket_name == bucket
    assert record.event_source == "aws:s3" and record.event_version == "2.1"
    assert record.event_name.startswith("ObjectCreated:")
    assert "%2F" not in record["s3"]["object"]["key"] and "+" in record["s3"]["object"]["key"]
    assert record.s3.get_object.size == len(b"workbook")
    assert record.s3.get_object.sequencer
    assert record.s3.bucket.arn == f"arn:aws:s3:::{bucket}"
    assert record.user_identity.principal_id and record.request_parameters.source_ip_address
    assert record.response_elements["x-amz-request-id"]
    every_key = [e.object_key for e in events]
    assert "imports/SHOUTED.XLSX" in every_key and "reports/x.xlsx" not in every_key
    assert all("Records" in e.raw_event for e in events)  # never an s3:TestEvent


def test_sqs_batch_reaches_worker_in_lambda_format(shared):
    sqs = _client(shared, "sqs")
    body = f"chunk-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=shared.physical("WorkQueue"), MessageBody=body, MessageAttributes={
        "import_id": {"DataType": "String", "StringValue": "imp-1"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    })
    assert shared.wait_idle(60)
    records = [r for e in recorded(shared.root, "UpsertWorkerFunction") for r in SQSEvent(e).records if r.body == body]
    assert len(records) == 1
    record = records[0]
    assert record.event_source == "aws:sqs"
    assert record.event_source_arn == f"arn:aws:sqs:us-east-1:123456789012:{shared.topology.queues['WorkQueue'].name}"
    assert record.aws_region == "us-east-1"
    assert record.attributes.approximate_receive_count == "1"
    assert record.attributes.sent_timestamp and record.attributes.sender_id
    assert record.message_attributes["import_id"].string_value == "imp-1"
    assert record.message_attributes["blob"].binary_value == "AAE="
    assert record.md5_of_body and record.receipt_handle and record.message_id
    sqs_attrs = sqs.get_queue_attributes(QueueUrl=shared.physical("WorkQueue"), AttributeNames=["All"])["Attributes"]
    assert sqs_attrs["ApproximateNumberOfMessages"] == "0"  # deleted after success


def test_stream_records_have_arn_one_insert_per_update_created_item_and_no_noop_modify(shared):
    ddb = _client(shared, "dynamodb")
    table = shared.physical("ContactsTable")
    created, noop = f"upd-{uuid.uuid4().hex}", f"put-{uuid.uuid4().hex}"
    ddb.update_item(TableName=table, Key={"pk": {"S": created}, "sk": {"S": "c"}},
                    UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":s": {"S": "invited"}})
    item = {"pk": {"S": noop}, "sk": {"S": "c"}, "status": {"S": "invited"}, "photo": {"B": b"\x89PNG"}}
    ddb.put_item(TableName=table, Item=item)
    ddb.put_item(TableName=table, Item=item)  # the same item again: DynamoDB streams record nothing
    ddb.update_item(TableName=table, Key={"pk": {"S": created}, "sk": {"S": "c"}},
                    UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":s": {"S": "booked"}})
    assert shared.wait_idle(60)
    stream_arn = shared.topology.mappings[[m.kind for m in shared.topology.mappings].index("dynamodb")].source_arn
    assert stream_arn.startswith("arn:aws:dynamodb:us-east-1:123456789012:table/") and "/stream/" in stream_arn

    first = _stream_records(shared, created)
    assert [r.event_name for r in first] == [DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.MODIFY]
    assert first[0].dynamodb.new_image["status"] == "invited"
    assert first[1].dynamodb.old_image["status"] == "invited" and first[1].dynamodb.new_image["status"] == "booked"
    for record in first:
        assert record.event_source_arn == stream_arn
        assert record.event_source == "aws:dynamodb" and record.event_version == "1.1" and record.aws_region == "us-east-1"
        assert record.dynamodb.sequence_number and record.dynamodb.size_bytes
        assert record.dynamodb.stream_view_type.name == "NEW_AND_OLD_IMAGES"
        assert record.dynamodb.approximate_creation_date_time > 1_700_000_000
    assert int(first[0].dynamodb.sequence_number) < int(first[1].dynamodb.sequence_number)

    second = _stream_records(shared, noop)
    assert [r.event_name for r in second] == [DynamoDBRecordEventName.INSERT]
    assert second[0].dynamodb.new_image["photo"] == base64.b64encode(b"\x89PNG").decode()  # Lambda sends B as base64


def test_http_request_reaches_handler_as_payload_v2_with_authorizer_context(shared):
    response = requests.get(
        f"{shared.api_url}/events/ev%201/contacts/a%2Fb?x=1&x=2&y=",
        headers={"Authorization": "good-key", "X-Dup": "one", "Cookie": "s=1; t=2"},
    )
    assert response.status_code == 201
    assert response.headers["x-fn"] == shared.topology.functions["OrganiserApiFunction"].name
    assert response.json()["authorizer"] == {"lambda": {"workspace": "default", "scope": "organiser"}}
    assert response.cookies.get("a") == "1" and response.cookies.get("b") == "2"

    event = APIGatewayProxyEventV2(recorded(shared.root, "OrganiserApiFunction")[-1])
    assert event.version == "2.0"
    assert event.route_key == "GET /events/{event_id}/contacts/{identifier}"
    assert event.raw_path == "/events/ev%201/contacts/a%2Fb"
    assert event.path_parameters == {"event_id": "ev 1", "identifier": "a/b"}
    assert event.raw_query_string == "x=1&x=2&y="
    assert event.query_string_parameters == {"x": "1,2", "y": ""}
    assert event.cookies == ["s=1", "t=2"]
    assert event.headers["authorization"] == "good-key" and event.headers["x-dup"] == "one"
    assert "cookie" not in event.headers
    ctx = event.request_context
    assert ctx.stage == "$default" and ctx.route_key == event.route_key and ctx.account_id == "123456789012"
    assert ctx.http.method == "GET" and ctx.http.source_ip == "127.0.0.1" and ctx.http.path == event.raw_path
    assert ctx.request_id and ctx.time_epoch > 0 and ctx.api_id
    assert ctx.authorizer.get_lambda == {"workspace": "default", "scope": "organiser"}
    assert event.get("stageVariables") is None

    auth = APIGatewayAuthorizerEventV2(recorded(shared.root, "AuthorizerFunction")[-1])
    assert auth.version == "2.0" and auth.get_type == "REQUEST"
    assert auth.identity_source == ["good-key"]
    assert auth.route_key == event.route_key and auth.raw_path == event.raw_path
    assert auth.path_parameters == event.path_parameters
    assert auth.route_arn.endswith("/$default/GET/events/ev%201/contacts/a%2Fb")


def test_binary_body_is_base64_encoded_and_text_body_is_not(shared):
    requests.post(f"{shared.api_url}/e/tok/bookings", data=b"\xff\x00", headers={"Content-Type": "application/octet-stream"})
    binary = APIGatewayProxyEventV2(recorded(shared.root, "GuestApiFunction")[-1])
    assert binary.is_base64_encoded and base64.b64decode(binary.body) == b"\xff\x00"
    requests.post(f"{shared.api_url}/e/tok/bookings", json={"slot": 1})
    text = APIGatewayProxyEventV2(recorded(shared.root, "GuestApiFunction")[-1])
    assert not text.is_base64_encoded and text.json_body == {"slot": 1}
    assert "authorizer" not in text.raw_event["requestContext"]  # Auth: NONE routes have no authorizer context


def test_gateway_refuses_missing_key_with_401_without_calling_authorizer_and_bad_key_with_403(shared):
    calls = len(recorded(shared.root, "AuthorizerFunction"))
    handled = len(recorded(shared.root, "OrganiserApiFunction"))
    missing = requests.get(f"{shared.api_url}/events")
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert len(recorded(shared.root, "AuthorizerFunction")) == calls
    refused = requests.get(f"{shared.api_url}/events", headers={"Authorization": "bad-key"})
    assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
    assert len(recorded(shared.root, "AuthorizerFunction")) == calls + 1
    assert len(recorded(shared.root, "OrganiserApiFunction")) == handled


def test_gateway_answers_404_for_unknown_routes_and_500_without_traceback_for_handler_errors(shared):
    unknown = requests.get(f"{shared.api_url}/nowhere")
    assert (unknown.status_code, unknown.json()) == (404, {"message": "Not Found"})
    wrong_method = requests.delete(f"{shared.api_url}/health")
    assert wrong_method.status_code == 404
    boom = requests.get(f"{shared.api_url}/e/boom")
    assert (boom.status_code, boom.json()) == (500, {"message": "Internal Server Error"})


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


def test_an_upload_the_import_function_fails_on_three_times_reaches_the_failure_queue_and_redrives(shared):
    """Lambda's asynchronous invocation: the first try and two retries, then its on-failure record (the S3
    event inside) goes to UploadFailureQueue instead of being dropped; `admin dlq redrive` invokes again."""
    s3, sqs = _client(shared, "s3"), _client(shared, "sqs")
    failing = shared.root / "fail-uploads"
    failing.touch()
    key = f"imports/{uuid.uuid4().hex[:8]}/boom.xlsx"
    s3.put_object(Bucket=shared.physical("ImportBucket"), Key=key, Body=b"workbook")
    deadline = time.monotonic() + 60
    messages: list = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=shared.physical("UploadFailureQueue"), WaitTimeSeconds=1,
                                       VisibilityTimeout=0).get("Messages", [])
    assert messages, "no failure record in UploadFailureQueue"
    assert shared.wait_idle(30)
    tries = [e for e in recorded(shared.root, "ImportFunction") if S3Event(e).object_key == key]
    config = shared.topology.invoke_configs["ImportFunction"]
    assert len(tries) == 1 + config.maximum_retry_attempts == 3
    failure = json.loads(messages[0]["Body"])
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestContext"]["functionArn"] == shared.topology.functions["ImportFunction"].arn + ":$LATEST"
    assert failure["responseContext"]["functionError"] == "Unhandled" and failure["version"] == "1.0"
    assert failure["requestPayload"] == tries[0]  # the very S3 event, to be delivered again

    where = local_target(shared.endpoint_url, shared.template_path)
    listed = _list_dlq(where, "UploadFailureQueue", 10)[0]
    assert listed["messages"][0]["kind"] == "failed invocation" and listed["messages"][0]["objects"] == [key]
    still_failing = _redrive(where, "UploadFailureQueue", 10, shared.template_path)[0]
    assert (still_failing["redriven"], still_failing["failed"]) == (0, 1)  # left in place for the next try
    failing.unlink()
    redriven = _redrive(where, "UploadFailureQueue", 10, shared.template_path)[0]
    assert (redriven["redriven"], redriven["failed"]) == (1, 0)
    again = [e for e in recorded(shared.root, "ImportFunction") if S3Event(e).object_key == key]
    assert len(again) == 5 and again[-1] == tries[0]
    assert _list_dlq(where, "UploadFailureQueue", 10)[0]["waiting"] == 0
