"""The import function: whole-file validation first, one job per upload, chunks sent once, recovery after a crash."""

from __future__ import annotations

import boto3
import pytest

from support.import_kit import (
    contacts_of,
    counts_add_up,
    create_event,
    deliver_all,
    queue_depth,
    report,
    start,
    upload,
    workbook,
)

pytestmark = pytest.mark.usefixtures("empty_queues")

GUESTS = [["Identifier", "E-Mail", "Vorname", "Nachname"]] + [[f"g{i}@example.com", f"g{i}@example.com", f"G{i}", "Gast"] for i in range(12)]


def _job(import_id: str):
    from guestlist.imports import get_job

    return get_job(import_id)


@pytest.mark.parametrize("body, code", [
    (b"PK\x03\x04 this is no workbook", "unsupported_file"),
    (b"email;name\nanna@example.com;Anna\n", "unsupported_file"),
    (workbook(GUESTS, sheets=2), "multiple_sheets"),
    (workbook([["Vorname", "Nachname"], ["Anna", "Muster"]]), "no_identifier_column"),
    (workbook([["Identifier", "Name", "Name"], ["anna@example.com", "A", "B"]]), "duplicate_headers"),
], ids=["corrupt", "csv-renamed", "two-sheets", "no-identifier", "duplicate-headers"])
def test_a_failed_workbook_writes_no_contact_and_sends_no_chunk(stack, organiser, body, code):
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, body))
    assert queue_depth(stack, "WorkQueue") == 0
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "failed" and rep["error"]["code"] == code, rep
    assert contacts_of(event_id) == {}
    assert rep["report_url"]  # the xlsx names the reason


def test_unknown_option_fails_the_import_naming_the_option(stack, organiser):
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook(GUESTS), {"grupe": "VIP"}))
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "failed" and rep["error"]["code"] == "unknown_option"
    assert "grupe" in rep["error"]["message"]
    assert contacts_of(event_id) == {} and queue_depth(stack, "WorkQueue") == 0


def test_bad_mode_fails_the_import_as_invalid_option(stack, organiser):
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook(GUESTS), {"mode": "replace"}))
    assert _job(import_id).status == "failed" and _job(import_id).error["code"] == "invalid_option"


def test_permission_group_the_event_does_not_define_fails_the_import(stack, organiser):
    event_id = create_event(stack, organiser, permission_groups=["Staff", "Press"])
    import_id = start(stack, upload(stack, event_id, workbook(GUESTS), {"permission-group": "VIP"}))
    assert _job(import_id).error["code"] == "unknown_permission_group"
    assert contacts_of(event_id) == {}


def test_upload_for_an_unknown_event_is_a_failed_job_not_a_crash(stack):
    import_id = start(stack, upload(stack, "no-such-event", workbook(GUESTS)))
    job = _job(import_id)
    assert (job.status, job.error["code"]) == ("failed", "event_not_found")
    assert queue_depth(stack, "WorkQueue") == 0


def test_upload_outside_an_event_folder_is_a_failed_job_with_invalid_key(stack):
    import_id = start(stack, upload(stack, None, workbook(GUESTS), key="imports/loose.xlsx"))
    job = _job(import_id)
    assert (job.status, job.error["code"]) == ("failed", "invalid_key")


def test_vanished_upload_is_a_failed_job_with_object_not_found(stack, organiser):
    event_id = create_event(stack, organiser)
    s3_event = upload(stack, event_id, workbook(GUESTS))
    boto3.client("s3").delete_object(Bucket=stack.physical("ImportBucket"),
                                      Key=s3_event["Records"][0]["s3"]["object"]["key"])
    job = _job(start(stack, s3_event))
    assert (job.status, job.error["code"]) == ("failed", "object_not_found")


def test_same_s3_event_twice_makes_one_job_and_one_set_of_chunks(stack, organiser, chunk_size):
    chunk_size(1)  # 12 rows -> 12 chunks -> two SendMessageBatch calls (10 + 2)
    event_id = create_event(stack, organiser)
    s3_event = upload(stack, event_id, workbook(GUESTS))
    first, second = start(stack, s3_event), start(stack, s3_event)
    assert first == second
    job = _job(first)
    assert (job.status, job.chunks_total, job.chunks_sent) == ("running", 12, 12)
    assert queue_depth(stack, "WorkQueue") == 12
    from guestlist.models import EventImportModel

    assert len(list(EventImportModel.query(f"EVENT#{event_id}", EventImportModel.sk.startswith("IMPORT#")))) == 1
    deliver_all(stack)
    assert report(stack, organiser, event_id, first)["counts"]["created"] == 12


def test_chunks_go_out_ten_per_send_message_batch(stack, organiser, chunk_size, monkeypatch):
    chunk_size(1)
    import guestlist.imports.fan_out as fan_out

    batches = []
    real = fan_out._send_batch
    monkeypatch.setattr(fan_out, "_send_batch", lambda sqs, url, texts: batches.append(len(texts)) or real(sqs, url, texts))
    event_id = create_event(stack, organiser)
    start(stack, upload(stack, event_id, workbook(GUESTS)))
    assert batches == [10, 2]
    deliver_all(stack)


def test_crash_between_job_created_and_chunks_sent_is_recovered_by_the_redelivered_s3_event(stack, organiser, chunk_size, monkeypatch):
    chunk_size(5)  # 12 rows -> 3 chunks
    import guestlist.imports as imports
    import guestlist.imports.start as import_start

    real = imports.send_chunks

    def send_then_die(bodies):
        real(bodies[:1])  # one chunk reached the queue, then the function died
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(import_start, "send_chunks", send_then_die)
    event_id = create_event(stack, organiser)
    s3_event = upload(stack, event_id, workbook(GUESTS))
    with pytest.raises(RuntimeError):
        start(stack, s3_event)
    stuck = imports.get_job(imports.import_id_for(*_s3_identity(s3_event)))
    assert (stuck.status, stuck.chunks_sent, stuck.chunks_total) == ("running", 0, 3)

    monkeypatch.setattr(import_start, "send_chunks", real)
    import_id = start(stack, s3_event)  # Lambda's asynchronous retry of the same event
    assert _job(import_id).chunks_sent == 3
    assert queue_depth(stack, "WorkQueue") == 4  # the duplicate chunk is harmless
    deliver_all(stack)
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed" and rep["counts"]["created"] == 12 and counts_add_up(rep)
    assert rep["progress"] == {"chunks_total": 3, "chunks_done": 3}
    assert len(contacts_of(event_id)) == 12


def test_crash_after_the_last_chunk_was_counted_still_finishes_the_job(stack, organiser, monkeypatch):
    """All chunks counted before chunks_sent was written: the import function asks for the report step itself."""
    import guestlist.imports as imports
    import guestlist.imports.start as import_start

    event_id = create_event(stack, organiser)
    real = imports.send_chunks

    def send_and_process(bodies):
        real(bodies)
        deliver_all(stack)  # the workers are faster than the import function's next write
        return len(bodies)

    monkeypatch.setattr(import_start, "send_chunks", send_and_process)
    import_id = start(stack, upload(stack, event_id, workbook(GUESTS)))
    deliver_all(stack)  # the report step the import function asked for
    assert _job(import_id).status == "completed"


def test_workbook_without_valid_rows_completes_with_errors_and_sends_nothing(stack, organiser):
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook([["Identifier", "E-Mail", "Vorname"], ["x1", "not-an-address", "X"], ["", "", "Y"]])))
    assert queue_depth(stack, "WorkQueue") == 0
    deliver_all(stack)  # no chunk: only the report step
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed_with_errors" and rep["counts"]["skipped"] == 2 and counts_add_up(rep)
    assert {i["code"] for i in rep["issues"]} == {"invalid_email", "missing_identifier"}


def _s3_identity(s3_event: dict):
    from aws_lambda_powertools.utilities.data_classes import S3Event

    record = next(iter(S3Event(s3_event).records))
    obj = record.s3.get_object
    return record.s3.bucket.name, obj.key, obj.etag, obj.version_id, obj.sequencer
