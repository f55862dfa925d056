"""Shared steps of the import tests: upload, deliver S3 and SQS like Lambda, read the report.

Delivery follows the event source mapping: a batch of up to 10 messages, failed ones come back
after their visibility timeout (made 0 here) and, past maxReceiveCount, moto moves them to the
dead-letter queue, which is delivered to the import-failures function.
"""

from __future__ import annotations

import io
import uuid

import boto3
from openpyxl import Workbook

from support.events import http_event, s3_put, sqs_event, sqs_record
from support.guests import organiser_call


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
    except Exception:
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


def book_by_link(stack, event_id: str, identifier: str, *, cancel: bool = False) -> None:
    """Books a seat through the contact's personal link (and cancels it with cancel=True)."""
    from guestlist.contacts import get_contact, personal_link

    token = personal_link(get_contact(event_id, identifier)).split("/e/")[1].split("?")[0]
    status, booking, _ = stack.http("GuestApiFunction", http_event("POST", f"/e/{token}/bookings", "/e/{token}/bookings",
                                                                   path_parameters={"token": token}, body={}))
    assert status == 201, booking
    if cancel:
        path = f"/e/{token}/bookings/{booking['booking_id']}/cancel"
        status, body, _ = stack.http("GuestApiFunction", http_event("POST", path, "/e/{token}/bookings/{booking_id}/cancel",
                                                                    path_parameters={"token": token, "booking_id": booking["booking_id"]}))
        assert status == 200, body


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
