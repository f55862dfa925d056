"""Shared steps of the import tests (no tests here): upload, deliver S3 and SQS like Lambda, read the report.

Delivery follows the event source mapping: a batch of up to 10 messages, failed ones come back
after their visibility timeout (made 0 here) and, past maxReceiveCount, moto moves them to the
dead-letter queue, which is delivered to the import-failures function.
"""

from __future__ import annotations

import dataclasses
import io
import uuid

import boto3
import pytest
from openpyxl import Workbook

from events import http_event, s3_put, sqs_event, sqs_record


def workbook(rows: list[list], *, sheets: int = 1) -> bytes:
    wb = Workbook()
    wb.active.title = "Guests"
    for row in rows:
        wb.active.append(row)
    for n in range(1, sheets):
        extra = wb.create_sheet(f"More {n}")
        for row in rows:
            extra.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def organiser_call(stack, organiser, method, path, route, body=None, path_parameters=None):
    event = http_event(method, path, route, body=body, path_parameters=path_parameters,
                       headers={"authorization": f"Bearer {organiser['key']}"}, authorizer=organiser["scope"])
    return stack.http("OrganiserApiFunction", event)


def create_event(stack, organiser, **fields) -> str:
    status, body, _ = organiser_call(stack, organiser, "POST", "/events", "/events", body={
        "name": "Import test", "start": "2027-06-01T18:00:00+02:00", "end": "2027-06-01T23:00:00+02:00",
        "timezone": "Europe/Zurich", **fields})
    assert status == 201, body
    return body["event_id"]


def upload(stack, event_id: str | None, body: bytes, metadata: dict | None = None, *, key: str | None = None) -> dict:
    """Puts the object and returns the S3 event Lambda would get for it (one fixed sequencer per upload)."""
    bucket = stack.physical("ImportBucket")
    key = key or f"imports/{event_id}/{uuid.uuid4().hex[:8]}.xlsx"
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata or {})
    etag = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    return s3_put(bucket, key, etag=etag, sequencer=uuid.uuid4().hex[:18].upper())


def start(stack, s3_event: dict) -> str:
    result = stack.invoke("ImportFunction", s3_event)
    return result["imports"][0]["import_id"]


def queue_depth(stack, queue_logical: str) -> int:
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.physical(queue_logical),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(v) for v in attrs.values())


def deliver(stack, queue_logical: str, function_logical: str, *, twice: bool = False, max_batches: int = 200,
            until_empty: bool = True) -> list[dict]:
    """Delivers what the queue holds until it is empty; `twice` invokes every batch a second time (a duplicate).

    A handler that raises (Powertools raises when every record of a batch failed) fails the whole batch.
    """
    sqs = boto3.client("sqs")
    url = stack.physical(queue_logical)
    responses = []
    for _ in range(max_batches):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not got:
            return responses
        records = [sqs_record(m["Body"], message_id=m["MessageId"],
                              receive_count=int(m["Attributes"]["ApproximateReceiveCount"])) for m in got]
        response = _invoke_batch(stack, function_logical, records)
        if twice:
            _invoke_batch(stack, function_logical, records)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for m in got:
            if m["MessageId"] in failed:  # back after the visibility timeout, here at once
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        responses.append(response)
    if until_empty:
        raise AssertionError(f"{queue_logical} did not drain")
    return responses


def _invoke_batch(stack, function_logical: str, records: list[dict]) -> dict:
    try:
        return stack.invoke(function_logical, sqs_event(*records))
    except Exception:  # noqa: BLE001 - Lambda: a function error returns the whole batch to the queue
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]}


def deliver_all(stack, *, twice: bool = False) -> None:
    """Work queue to the upsert workers, dead letters to the import-failures function, finished jobs to the
    report step, until all three are empty."""
    while True:
        deliver(stack, "WorkQueue", "UpsertWorkerFunction", twice=twice)
        deliver(stack, "WorkDeadLetterQueue", "ImportFailuresFunction", twice=twice)
        deliver(stack, "ReportQueue", "ImportReportFunction", twice=twice)
        if all(queue_depth(stack, q) == 0 for q in ("WorkQueue", "WorkDeadLetterQueue", "ReportQueue")):
            return


def report(stack, organiser, event_id: str, import_id: str) -> dict:
    status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/imports/{import_id}",
                                     "/events/{event_id}/imports/{import_id}",
                                     path_parameters={"event_id": event_id, "import_id": import_id})
    assert status == 200, body
    return body


def run_import(stack, organiser, event_id: str, rows: list[list], metadata: dict | None = None) -> dict:
    import_id = start(stack, upload(stack, event_id, workbook(rows), metadata))
    deliver_all(stack)
    return report(stack, organiser, event_id, import_id)


def contacts_of(event_id: str) -> dict[str, dict]:
    """Every contact item of the event, straight from the table (no API in between)."""
    from guestlist.models import ContactModel

    out = {}
    for c in ContactModel.scan(ContactModel.event_id == event_id, consistent_read=True):
        if c.sk == "CONTACT":
            out[c.identifier] = c
    return out


def counts_add_up(rep: dict) -> bool:
    c = rep["counts"]
    return c["created"] + c["updated"] + c["skipped"] + c["failed"] == rep["rows_total"]


@pytest.fixture
def empty_queues(stack):
    """Every test starts (and must end) with empty import queues, so it can count what it sent."""
    sqs = boto3.client("sqs")
    for name in ("WorkQueue", "WorkDeadLetterQueue", "ParkedQueue", "ReportQueue"):
        url = stack.physical(name)
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", []):
            for m in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    yield


@pytest.fixture
def chunk_size(monkeypatch):
    """Small chunks, so small files still make several chunks (and batches of chunks)."""
    import guestlist.imports as imports

    def set_size(n: int) -> None:
        settings = dataclasses.replace(imports.get_settings(), import_chunk_size=n)
        monkeypatch.setattr(imports, "get_settings", lambda: settings)

    return set_size
