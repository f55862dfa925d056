"""--data-dir keeps tables, uploads and the link secret across restarts without replaying them as new events."""

from __future__ import annotations

import boto3
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, S3Event

from .conftest import build_template, recorded, start_stack


def _history_keys(root):
    return [r.dynamodb.keys["pk"] for e in recorded(root, "HistoryFunction") for r in DynamoDBStreamEvent(e).records]


def test_data_survives_a_restart_and_no_stream_record_or_upload_replays(tmp_path):
    template = build_template(tmp_path / "code")
    data = tmp_path / "data"
    with start_stack(template, data_dir=data) as first:
        ddb = boto3.client("dynamodb", endpoint_url=first.endpoint_url, region_name="us-east-1")
        ddb.put_item(TableName=first.physical("ContactsTable"),
                     Item={"pk": {"S": "kept"}, "sk": {"S": "c"}, "photo": {"B": b"\x00\x01"}})
        s3 = boto3.client("s3", endpoint_url=first.endpoint_url, region_name="us-east-1")
        s3.put_object(Bucket=first.physical("ImportBucket"), Key="imports/e1/list.xlsx", Body=b"xlsx",
                      ContentType="application/vnd.ms-excel", Metadata={"uploaded-by": "ana"})
        sm = boto3.client("secretsmanager", endpoint_url=first.endpoint_url, region_name="us-east-1")
        secret = sm.get_secret_value(SecretId=first.physical("LinkSecret"))["SecretString"]
        assert first.wait_idle(60)
    root = tmp_path / "code"
    assert _history_keys(root) == ["kept"]
    assert len(recorded(root, "ImportFunction")) == 1

    with start_stack(template, data_dir=data) as second:
        ddb = boto3.client("dynamodb", endpoint_url=second.endpoint_url, region_name="us-east-1")
        item = ddb.get_item(TableName=second.physical("ContactsTable"), Key={"pk": {"S": "kept"}, "sk": {"S": "c"}})["Item"]
        assert item["photo"]["B"] == b"\x00\x01"
        s3 = boto3.client("s3", endpoint_url=second.endpoint_url, region_name="us-east-1")
        obj = s3.get_object(Bucket=second.physical("ImportBucket"), Key="imports/e1/list.xlsx")
        assert obj["Body"].read() == b"xlsx"
        assert obj["ContentType"] == "application/vnd.ms-excel" and obj["Metadata"] == {"uploaded-by": "ana"}
        sm = boto3.client("secretsmanager", endpoint_url=second.endpoint_url, region_name="us-east-1")
        assert sm.get_secret_value(SecretId=second.physical("LinkSecret"))["SecretString"] == secret
        ddb.put_item(TableName=second.physical("ContactsTable"), Item={"pk": {"S": "new"}, "sk": {"S": "c"}, "x": {"S": "1"}})
        assert second.wait_idle(60)
        assert _history_keys(root) == ["kept", "new"]  # the restored item was not replayed, the new one arrived
        assert len(recorded(root, "ImportFunction")) == 1
        assert S3Event(recorded(root, "ImportFunction")[0]).object_key == "imports/e1/list.xlsx"
