"""The few AWS calls the domain needs besides DynamoDB, behind plain functions.

Clients are made once per container and honour AWS_ENDPOINT_URL, so the same code runs
against AWS and the local stack.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

import botocore.session
from botocore.config import Config

from .retry import Again, retrying
from .settings import get_settings

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})


class _OneSession:
    """The container's one botocore session, for our clients and every PynamoDB model's connection.

    PynamoDB makes a new botocore session per model (and thread), and each loads DynamoDB's service
    model and endpoint rules again: ~0.1 s of CPU per model on a quiet machine, ~0.5 s on a loaded
    one (a campaign sender's new instance paid ~3 s for its six models, and eight send threads
    racing to the marker model's first client paid it eight times). Here the models share one
    session and one client per (region, endpoint, config), made under a lock (a session is not
    thread-safe). A client made while no credentials resolved is not kept, so it is made again
    (PynamoDB's own guard against a poisoned client). Plain botocore, not boto3: boto3 adds ~50 ms
    (s3transfer, multiprocessing, its resource layer) to every cold start and nothing a client needs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: botocore.session.Session | None = None
        self._clients: dict[tuple, Any] = {}

    def create_client(self, service_name: str, region_name: str | None = None, *, config: Config | None = None,
                      **kwargs: Any) -> Any:
        settings = tuple(repr(getattr(config, name, None)) for name in Config.OPTION_DEFAULTS) if config else ()
        key = (service_name, region_name, settings, tuple(sorted(kwargs.items())))
        with self._lock:
            if key in self._clients:
                return self._clients[key]
            if self._session is None:
                self._session = botocore.session.get_session()
            client = self._session.create_client(service_name, region_name, config=config, **kwargs)
            if self._session.get_credentials() is not None:
                self._clients[key] = client
            return client

    def __getattr__(self, name: str) -> Any:  # anything else PynamoDB may ask (set_credentials: not used here)
        with self._lock:
            if self._session is None:
                self._session = botocore.session.get_session()
        return getattr(self._session, name)


shared_session = _OneSession()


@cache
def client(service: str, config: Config = _CONFIG):
    return shared_session.create_client(service, config=config)


@lru_cache(maxsize=1)
def public_base_url() -> str:
    """Where links point: PublicBaseUrl, else the HTTP API's own URL, which the stack keeps in an SSM
    parameter (a Ref to the API in the functions' environment would be circular). Read once per container."""
    settings = get_settings()
    if settings.public_base_url:
        return settings.public_base_url
    if not settings.public_base_url_parameter:
        raise RuntimeError("neither PUBLIC_BASE_URL nor PUBLIC_BASE_URL_PARAMETER is set: links cannot be absolute")
    value = client("ssm").get_parameter(Name=settings.public_base_url_parameter)["Parameter"]["Value"]
    return value.rstrip("/")


def get_object(key: str, bucket: str | None = None) -> tuple[bytes, dict]:
    """Body and user metadata of an object."""

    def read() -> tuple[bytes, dict]:
        response = client("s3").get_object(Bucket=bucket or get_settings().import_bucket, Key=key)
        return response["Body"].read(), response.get("Metadata", {})

    return retrying(read, what="S3 read")


def head_object(key: str, bucket: str | None = None) -> dict:
    return retrying(lambda: client("s3").head_object(Bucket=bucket or get_settings().import_bucket, Key=key), what="S3 read")


def put_object(key: str, body: bytes, content_type: str, bucket: str | None = None) -> None:
    retrying(lambda: client("s3").put_object(Bucket=bucket or get_settings().import_bucket, Key=key, Body=body,
                                             ContentType=content_type), what="S3 write")


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
    """SendMessageBatch in tens (each under SQS's 256 KiB); see send_batch."""
    queue_url = queue_url or get_settings().work_queue_url
    sent = 0
    for start in range(0, len(bodies), 10):
        sent += send_batch(queue_url, [json.dumps(body, separators=(",", ":")) for body in bodies[start:start + 10]])
    return sent


def upload_file(path: str, key: str, content_type: str, bucket: str | None = None) -> None:
    """A file on disk to S3; large ones go up in multipart parts, so memory stays flat."""
    from boto3.s3.transfer import S3Transfer  # cold start: only the export worker's run needs s3transfer

    with S3Transfer(client("s3")) as transfer:  # as boto3's client.upload_file: its threads end with the upload
        transfer.upload_file(path, bucket or get_settings().import_bucket, key, extra_args={"ContentType": content_type})


def send_batch(queue_url: str, texts: list[str], *, send: Callable[..., dict] | None = None) -> int:
    """One SendMessageBatch (at most 10 bodies); entries SQS refused for its own reasons, throttling
    and 5xx are sent again within the function's time. A refusal that is the sender's fault raises."""
    send = send or client("sqs").send_message_batch
    pending = [{"Id": str(i), "MessageBody": text} for i, text in enumerate(texts)]

    def attempt() -> None:
        nonlocal pending
        failed = send(QueueUrl=queue_url, Entries=pending).get("Failed") or []
        if not failed:
            return
        if any(f.get("SenderFault") for f in failed):
            raise RuntimeError(f"SQS refused {len(failed)} message(s): {failed[0].get('Code')} {failed[0].get('Message', '')}")
        by_id = {e["Id"]: e for e in pending}
        pending = [by_id[f["Id"]] for f in failed]
        raise Again(f"SQS did not take {len(failed)} message(s): {failed[0].get('Code')}")

    retrying(attempt, what="SQS send")
    return len(texts)
