"""The few AWS calls the domain needs besides DynamoDB, behind plain functions.

Clients are made once per container and honour AWS_ENDPOINT_URL, so the same code runs
against AWS and the local stack.
"""

from __future__ import annotations

import json
from functools import lru_cache

import boto3
from botocore.config import Config

from .settings import get_settings

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})


@lru_cache(maxsize=None)
def client(service: str):
    return boto3.client(service, config=_CONFIG)


def get_object(key: str, bucket: str | None = None) -> tuple[bytes, dict]:
    """Body and user metadata of an object."""
    response = client("s3").get_object(Bucket=bucket or get_settings().import_bucket, Key=key)
    return response["Body"].read(), response.get("Metadata", {})


def head_object(key: str, bucket: str | None = None) -> dict:
    return client("s3").head_object(Bucket=bucket or get_settings().import_bucket, Key=key)


def put_object(key: str, body: bytes, content_type: str, bucket: str | None = None) -> None:
    client("s3").put_object(Bucket=bucket or get_settings().import_bucket, Key=key, Body=body, ContentType=content_type)


def presigned_get(key: str, expires: int = 3600, bucket: str | None = None) -> str:
    return client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket or get_settings().import_bucket, "Key": key}, ExpiresIn=expires)


def presigned_put(key: str, metadata: dict, expires: int = 900, bucket: str | None = None) -> dict:
    fields = {f"x-amz-meta-{k}": v for k, v in metadata.items()}
    return client("s3").generate_presigned_post(
        Bucket=bucket or get_settings().import_bucket, Key=key, Fields=fields,
        Conditions=[{k: v} for k, v in fields.items()] + [["content-length-range", 1, 50 * 1024 * 1024]],
        ExpiresIn=expires,
    )


def send_messages(bodies: list[dict], queue_url: str | None = None) -> int:
    """SendMessageBatch in tens; raises if any message was refused (the caller retries)."""
    queue_url = queue_url or get_settings().work_queue_url
    sent = 0
    for start in range(0, len(bodies), 10):
        batch = bodies[start:start + 10]
        entries = [{"Id": str(i), "MessageBody": json.dumps(body, separators=(",", ":"))} for i, body in enumerate(batch)]
        response = client("sqs").send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            failed = [entries[int(f["Id"])] for f in response["Failed"]]
            retry = client("sqs").send_message_batch(QueueUrl=queue_url, Entries=failed)
            if retry.get("Failed"):
                raise RuntimeError(f"SQS refused {len(retry['Failed'])} message(s): {retry['Failed'][0].get('Code')}")
        sent += len(batch)
    return sent


def upload_file(path: str, key: str, content_type: str, bucket: str | None = None) -> None:
    """A file on disk to S3; large ones go up in multipart parts, so memory stays flat."""
    client("s3").upload_file(path, bucket or get_settings().import_bucket, key, ExtraArgs={"ContentType": content_type})
