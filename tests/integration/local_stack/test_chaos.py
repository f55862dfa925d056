"""--chaos: the emulator answers AWS's conflict, throttling and 5xx errors before moto sees the call."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from guestlist_local import chaos as chaos_module
from guestlist_local.provision import client as internal_client


def sdk(service: str, endpoint: str):
    """A function's client, without botocore's own retries so every injected fault shows."""
    return boto3.session.Session().client(service, endpoint_url=endpoint, region_name="us-east-1",
                                          aws_access_key_id="testing", aws_secret_access_key="testing",
                                          config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def code_of(call) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as raised:
        call()
    err = raised.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err


@pytest.fixture
def table(shared):
    return shared.physical("ContactsTable")


def key(pk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": "x"}}


def test_plain_writes_get_transaction_conflict_and_nothing_is_written(shared, table, chaos):
    ddb = sdk("dynamodb", shared.endpoint_url)
    pk = f"chaos-{uuid.uuid4().hex}"
    with chaos(1.0, kinds=["conflict"]) as c:
        assert code_of(lambda: ddb.put_item(TableName=table, Item={**key(pk), "v": {"N": "1"}}))[:2] == (
            "TransactionConflictException", 400)
        assert code_of(lambda: ddb.update_item(TableName=table, Key=key(pk), UpdateExpression="SET v = :v",
                                               ExpressionAttributeValues={":v": {"N": "2"}}))[0] == "TransactionConflictException"
        # reads are never conflicts: with only conflicts asked for, they pass
        assert "Item" not in ddb.get_item(TableName=table, Key=key(pk))
    assert c.total("conflict") == 2
    assert "Item" not in ddb.get_item(TableName=table, Key=key(pk))  # injected before moto: nothing half-applied


def test_transactions_are_cancelled_with_a_transaction_conflict_reason(shared, table, chaos):
    ddb = sdk("dynamodb", shared.endpoint_url)
    pk = f"chaos-{uuid.uuid4().hex}"
    items = [{"Put": {"TableName": table, "Item": {**key(pk), "n": {"N": str(i)}} if i == 0 else
                      {"pk": {"S": pk}, "sk": {"S": f"y{i}"}}}} for i in range(3)]
    with chaos(1.0, kinds=["conflict"]):
        code, status, err = code_of(lambda: ddb.transact_write_items(TransactItems=items))
    assert (code, status) == ("TransactionCanceledException", 400)
    reasons = [r["Code"] for r in err["CancellationReasons"]]
    assert len(reasons) == 3 and reasons.count("TransactionConflict") == 1 and reasons.count("None") == 2
    assert ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": pk}})["Count"] == 0


def test_throttling_and_5xx_from_dynamodb_sqs_and_s3(shared, table, chaos):
    ddb, sqs, s3 = (sdk(s, shared.endpoint_url) for s in ("dynamodb", "sqs", "s3"))
    queue = shared.topology.queues["WorkQueue"].url
    bucket = shared.physical("ImportBucket")
    with chaos(1.0, kinds=["throttle"]):
        assert code_of(lambda: ddb.get_item(TableName=table, Key=key("t")))[0] in (
            "ProvisionedThroughputExceededException", "ThrottlingException")
        assert code_of(lambda: sqs.send_message(QueueUrl=queue, MessageBody="throttled"))[0] == "ThrottlingException"
        assert code_of(lambda: s3.put_object(Bucket=bucket, Key="chaos/throttled", Body=b"x"))[:2] == ("SlowDown", 503)
    with chaos(1.0, kinds=["5xx"]):
        assert code_of(lambda: ddb.put_item(TableName=table, Item=key("t")))[1] in (500, 503)
        assert code_of(lambda: sqs.send_message(QueueUrl=queue, MessageBody="lost"))[1] in (500, 503)
        assert code_of(lambda: s3.get_object(Bucket=bucket, Key="chaos/none"))[1] in (500, 503)
    assert "Item" not in ddb.get_item(TableName=table, Key=key("t"))
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="chaos/")


def test_the_stacks_own_plumbing_is_never_faulted(shared, table, chaos):
    ddb = internal_client("dynamodb", shared.endpoint_url)
    with chaos(1.0) as c:
        for i in range(20):
            ddb.put_item(TableName=table, Item=key(f"internal-{i}"))
    assert c.calls == 0 and not c.injected


def test_a_seed_repeats_the_same_faults_and_the_rate_is_a_share(shared, table, chaos):
    ddb = sdk("dynamodb", shared.endpoint_url)

    def run(seed: int) -> list[str]:
        outcomes = []
        with chaos(0.3, seed=seed):
            for i in range(60):
                try:
                    ddb.put_item(TableName=table, Item=key(f"seed-{i}"))
                    outcomes.append("ok")
                except ClientError as exc:
                    outcomes.append(exc.response["Error"]["Code"])
        return outcomes

    first, again, other = run(7), run(7), run(8)
    assert first == again and first != other
    assert 0 < first.count("ok") < 60 and "TransactionConflictException" in first + other
    assert chaos_module.current() is None  # off again after the block


def test_rate_is_checked():
    with pytest.raises(ValueError):
        chaos_module.Chaos(1.5)
    with pytest.raises(ValueError):
        chaos_module.Chaos(0.1, kinds=("meteor",))
