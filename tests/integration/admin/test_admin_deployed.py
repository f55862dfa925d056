"""`guestlist admin ... --stack NAME`: names come from CloudFormation DescribeStacks outputs.

A deployed stack is played by moto's CloudFormation in a moto server of its own (a subprocess, so the
emulator state of other tests in this process is untouched): the stack has the outputs template.yaml
declares, and the commands run as an operator runs them, as subprocesses, with --stack and --region.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from support.network import free_port

GUESTLIST = Path(sys.executable).parent / "guestlist"
MOTO_SERVER = Path(sys.executable).parent / "moto_server"
REGION = "eu-west-1"
STACK = "gl-deployed"

DEPLOYED = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  ContactsTable: &table  # the three tables are alike (a YAML alias repeats this one)
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: sk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
  EventsTable: *table
  HistoryTable: *table
  ImportBucket:
    Type: AWS::S3::Bucket
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn, maxReceiveCount: 3}
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
Outputs:
  ContactsTableName: {Value: !Ref ContactsTable}
  EventsTableName: {Value: !Ref EventsTable}
  HistoryTableName: {Value: !Ref HistoryTable}
  ImportBucketName: {Value: !Ref ImportBucket}
  WorkQueueUrl: {Value: !Ref WorkQueue}
  WorkDeadLetterQueueUrl: {Value: !Ref WorkDeadLetterQueue}
  DeadLetterQueues: {Value: !Join [",", [!Ref WorkDeadLetterQueue]]}
  LinkSecretArn: {Value: !Sub "arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:link-AbCdEf"}
"""



@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    """An AWS account of its own (moto server subprocess) holding one deployed stack."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    process = subprocess.Popen([str(MOTO_SERVER), "-p", str(port)], stdout=log.open("w"), stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{endpoint}/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError(f"moto server did not start:\n{log.read_text()}") from None
            time.sleep(0.2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in _FUNCTION_ENV}
    env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "operator", "AWS_SECRET_ACCESS_KEY": "operator"})
    session = boto3.session.Session(aws_access_key_id="operator", aws_secret_access_key="operator", region_name=REGION)
    session.client("cloudformation", endpoint_url=endpoint).create_stack(StackName=STACK, TemplateBody=DEPLOYED)
    yield {"env": env, "client": lambda service: session.client(service, endpoint_url=endpoint)}
    process.terminate()
    process.wait(timeout=10)


# what a test process may have exported for the local emulator: an operator's shell has none of it
_FUNCTION_ENV = {"CONTACTS_TABLE", "EVENTS_TABLE", "HISTORY_TABLE", "IMPORT_BUCKET", "WORK_QUEUE_URL", "LINK_SECRET_ARN",
                 "REPORT_QUEUE_URL", "PUBLIC_BASE_URL", "PUBLIC_BASE_URL_PARAMETER"}


def admin(aws, *args: str, ok: bool = True, stack: str = STACK) -> subprocess.CompletedProcess:
    done = subprocess.run([str(GUESTLIST), "admin", *args, "--stack", stack, "--region", REGION],
                          env=aws["env"], capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


def outputs(aws, name: str = STACK) -> dict:
    stack = aws["client"]("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_stack_outputs_resolve_the_names_a_deployed_stack_gave_its_resources(aws):
    from guestlist_local.admin import stack_outputs

    names = stack_outputs(STACK, aws["client"]("cloudformation"))
    assert names == outputs(aws)
    assert names["EventsTableName"] in aws["client"]("dynamodb").list_tables()["TableNames"]


def test_workspace_and_keys_against_a_deployed_stack_are_stored_hashed_in_its_tables(aws):
    created = json.loads(admin(aws, "workspace", "create", "Acme Events", "--json").stdout)
    assert set(created) == {"workspace_id", "name", "key"} and created["name"] == "Acme Events"
    workspace = created["workspace_id"]
    listed = json.loads(admin(aws, "workspace", "list", "--json").stdout)["workspaces"]
    assert workspace in {w["workspace_id"] for w in listed}
    second = json.loads(admin(aws, "key", "create", "--workspace", workspace, "--label", "ci", "--json").stdout)
    keys = json.loads(admin(aws, "key", "list", "--workspace", workspace, "--json").stdout)["keys"]
    assert second["key_id"] in {k["key_id"] for k in keys} and len(keys) == 2
    items = aws["client"]("dynamodb").scan(TableName=outputs(aws)["EventsTableName"])["Items"]
    dump = json.dumps(items)
    assert created["key"] not in dump and second["key"] not in dump  # only digests
    admin(aws, "key", "revoke", second["key_id"], "--workspace", workspace)
    keys = json.loads(admin(aws, "key", "list", "--workspace", workspace, "--json").stdout)["keys"]
    assert second["key_id"] not in {k["key_id"] for k in keys}
    assert second["key"].split("_", 1)[1] not in json.dumps(aws["client"]("dynamodb").scan(TableName=outputs(aws)["EventsTableName"])["Items"])


def test_an_unknown_workspace_is_a_clear_error_not_a_traceback(aws):
    done = admin(aws, "key", "create", "--workspace", "ws-nope", ok=False)
    assert done.returncode == 1 and "no workspace 'ws-nope'" in done.stderr and "Traceback" not in done.stderr


def test_dlq_list_shows_what_a_parked_chunk_is_about_without_its_rows_and_redrive_returns_it(aws):
    sqs = aws["client"]("sqs")
    names = outputs(aws)
    chunk = {"import_id": "imp-1", "event_id": "evt-1", "chunk": 3, "mode": "upsert",
             "rows": [{"row": 2, "identifier": "ada@example.com", "fields": {"email": "ada@example.com"}}]}
    sqs.send_message(QueueUrl=names["WorkDeadLetterQueueUrl"], MessageBody=json.dumps(chunk))
    listed = admin(aws, "dlq", "list", "--json").stdout
    assert "ada@example.com" not in listed
    queue = json.loads(listed)["queues"][0]
    assert queue["waiting"] == 1
    assert {k: queue["messages"][0][k] for k in ("kind", "import_id", "chunk", "rows")} == \
        {"kind": "import chunk", "import_id": "imp-1", "chunk": 3, "rows": 1}
    result = json.loads(admin(aws, "dlq", "redrive", "--json").stdout)["queues"][0]
    assert (result["redriven"], result["failed"]) == (1, 0)
    back = sqs.receive_message(QueueUrl=names["WorkQueueUrl"], WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"]) for m in back] == [chunk]
    assert json.loads(admin(aws, "dlq", "list", "--json").stdout)["queues"][0]["waiting"] == 0


def test_teardown_empties_the_bucket_deletes_the_stack_and_keeps_the_tables(aws):
    cfn = aws["client"]("cloudformation")
    cfn.create_stack(StackName="gl-teardown", TemplateBody=DEPLOYED)  # its own: the other tests keep theirs
    names = outputs(aws, "gl-teardown")
    aws["client"]("s3").put_object(Bucket=names["ImportBucketName"], Key="imports/evt/a.xlsx", Body=b"x")
    assert admin(aws, "teardown", stack="gl-teardown", ok=False).returncode == 1  # asks first; no answer is no
    done = json.loads(admin(aws, "teardown", "--yes", "--json", stack="gl-teardown").stdout)
    assert done["objects_removed"] == 1 and done["retained"] is True
    with pytest.raises(Exception, match="does not exist"):
        cfn.describe_stacks(StackName="gl-teardown")
    tables = aws["client"]("dynamodb").list_tables()["TableNames"]
    assert {names["ContactsTableName"], names["EventsTableName"], names["HistoryTableName"]} <= set(tables)
