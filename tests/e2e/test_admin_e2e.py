"""`guestlist admin` against the running local stack, as an operator types it (DESIGN.md s4 and s12)."""

from __future__ import annotations

import json
import subprocess

import boto3
import requests
from conftest import GUESTLIST, ROOT, wait_for


def admin(running, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(GUESTLIST), "admin", *args, "--aws-endpoint", running.aws], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    if ok:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


def events_with(running, key: str) -> int:
    return requests.get(f"{running.api}/events", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code


def test_a_new_workspace_key_works_until_it_is_revoked_and_sees_only_its_workspace(running):
    created = json.loads(admin(running, "workspace", "create", "Acme Events", "--json").stdout)
    assert set(created) == {"workspace_id", "name", "key"}
    key, workspace = created["key"], created["workspace_id"]
    assert events_with(running, key) == 200
    event = requests.post(f"{running.api}/events", headers=running.admin, timeout=10, json={
        "name": "Default's", "start": "2027-06-01T18:00:00+02:00", "end": "2027-06-01T23:00:00+02:00", "timezone": "Europe/Zurich"})
    assert event.status_code == 201, event.text
    listed = requests.get(f"{running.api}/events", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert listed["events"] == []  # another workspace's event is not this one's
    table = admin(running, "workspace", "list").stdout
    assert "Acme Events" in table and "default" in table
    second = json.loads(admin(running, "key", "create", "--workspace", workspace, "--label", "door office", "--json").stdout)
    keys = json.loads(admin(running, "key", "list", "--workspace", workspace, "--json").stdout)["keys"]
    first_id = next(k["key_id"] for k in keys if k["key_id"] != second["key_id"])
    admin(running, "key", "revoke", first_id, "--workspace", workspace)
    assert events_with(running, key) in (401, 403)
    assert events_with(running, second["key"]) == 200
    assert key not in running.log() and second["key"] not in running.log()


def test_dlq_list_and_redrive_a_stream_batch_parked_by_the_history_function(running):
    """A batch the history function gave up on (Lambda's on-failure record, naming the records) goes to the
    function again: the history it missed is written."""
    headers = running.admin
    event = requests.post(f"{running.api}/events", headers=headers, timeout=10, json={
        "name": "Redrive", "start": "2027-06-01T18:00:00+02:00", "end": "2027-06-01T23:00:00+02:00", "timezone": "Europe/Zurich"}).json()
    created = requests.post(f"{running.api}/events/{event['event_id']}/contacts", headers=headers, timeout=10,
                            json={"identifier": "ada@example.com", "email": "ada@example.com"})
    assert created.status_code == 201, created.text
    kw = {"endpoint_url": running.aws, "region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
    ddb, streams, sqs = (boto3.client(s, **kw) for s in ("dynamodb", "dynamodbstreams", "sqs"))
    history_table = "guestlist-HistoryTable"

    def history_items():
        return [i for i in ddb.scan(TableName=history_table)["Items"] if event["event_id"] in json.dumps(i)]

    wait_for(history_items)  # the stream delivered it once; now lose it, as a batch the function gave up on
    for item in history_items():
        ddb.delete_item(TableName=history_table, Key={"pk": item["pk"], "sk": item["sk"]})
    arn = ddb.describe_table(TableName="guestlist-ContactsTable")["Table"]["LatestStreamArn"]
    mine = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        found = [r for r in records if event["event_id"] in json.dumps(r["dynamodb"].get("Keys", {}))]
        if found:
            mine = [shard["ShardId"], found]
    shard_id, found = mine
    parked = {"requestContext": {"requestId": "r", "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4,
                                 "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:guestlist-HistoryFunction"},
              "responseContext": {"statusCode": 200, "functionError": "Unhandled"}, "version": "1.0",
              "timestamp": "2026-12-02T00:00:00.000Z",
              "DDBStreamBatchInfo": {"shardId": shard_id, "streamArn": arn, "batchSize": len(found),
                                     "startSequenceNumber": found[0]["dynamodb"]["SequenceNumber"],
                                     "endSequenceNumber": found[-1]["dynamodb"]["SequenceNumber"]}}
    url = sqs.get_queue_url(QueueName="guestlist-HistoryFailureQueue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(parked))

    listed = admin(running, "dlq", "list", "--json").stdout
    queue = next(q for q in json.loads(listed)["queues"] if q["queue"] == "guestlist-HistoryFailureQueue")
    assert queue["waiting"] == 1 and queue["messages"][0]["kind"] == "stream batch"
    assert "ada@example.com" not in listed
    redriven = json.loads(admin(running, "dlq", "redrive", "--queue", "HistoryFailureQueue", "--json").stdout)
    assert redriven["queues"][0]["redriven"] == 1 and redriven["queues"][0]["failed"] == 0
    assert history_items()  # written again by the redriven batch
    listed = json.loads(admin(running, "dlq", "list", "--queue", "HistoryFailureQueue", "--json").stdout)
    assert listed["queues"][0]["waiting"] == 0


def test_without_a_running_stack_the_admin_says_how_to_start_one(running):
    done = subprocess.run([str(GUESTLIST), "admin", "workspace", "list", "--aws-endpoint", "http://127.0.0.1:9"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "guestlist up" in done.stderr and "Traceback" not in done.stderr
