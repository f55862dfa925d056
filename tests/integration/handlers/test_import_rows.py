"""The upsert workers: one conditional write per row, the modes, nothing erased, counted once whatever is redelivered."""

from __future__ import annotations

import threading

import pytest

from support.import_kit import (
    contacts_of,
    counts_add_up,
    create_event,
    deliver,
    deliver_all,
    queue_depth,
    report,
    run_import,
    start,
    upload,
    workbook,
)

pytestmark = pytest.mark.usefixtures("empty_queues")

HEADER = ["Identifier", "E-Mail", "Vorname", "Nachname", "PLZ", "Lieblingsfarbe"]
MAPPING = '{"Lieblingsfarbe": "colour"}'  # a custom target must be a field of the event's form
COLOUR_FORM = [{"id": "firstname"}, {"id": "lastname"}, {"id": "email", "type": "email"},
               {"id": "colour", "type": "text", "label": "Colour"}]


def _rows(n: int, start: int = 0) -> list[list]:
    return [HEADER] + [[f"P-{i:03d}", f"p{i}@example.com", f"First{i}", f"Last{i}", 8000 + i, "blue"] for i in range(start, start + n)]


def _codes(rep: dict) -> dict[int, str]:
    return {i["row"]: i["code"] for i in rep["issues"]}


def test_create_mode_skips_existing_contacts_with_already_exists(stack, organiser):
    event_id = create_event(stack, organiser)
    run_import(stack, organiser, event_id, _rows(2))
    rep = run_import(stack, organiser, event_id, _rows(3), {"mode": "create"})
    assert rep["counts"] == {"created": 1, "updated": 0, "deleted": 0, "skipped": 2, "failed": 0}
    assert _codes(rep) == {2: "already_exists", 3: "already_exists"}
    assert rep["status"] == "completed_with_errors" and counts_add_up(rep)


def test_update_mode_skips_new_contacts_with_not_found(stack, organiser):
    event_id = create_event(stack, organiser)
    run_import(stack, organiser, event_id, _rows(1))
    rep = run_import(stack, organiser, event_id, _rows(3), {"mode": "update"})
    assert rep["counts"] == {"created": 0, "updated": 1, "deleted": 0, "skipped": 2, "failed": 0}
    assert _codes(rep) == {3: "not_found", 4: "not_found"}
    assert set(contacts_of(event_id)) == {"P-000"}


def test_upsert_mode_creates_new_and_updates_existing(stack, organiser):
    event_id = create_event(stack, organiser)
    run_import(stack, organiser, event_id, _rows(2))
    rep = run_import(stack, organiser, event_id, _rows(3))
    assert rep["counts"] == {"created": 1, "updated": 2, "deleted": 0, "skipped": 0, "failed": 0}
    assert rep["status"] == "completed"


def test_empty_cells_never_erase_stored_values(stack, organiser):
    event_id = create_event(stack, organiser, form=COLOUR_FORM)
    run_import(stack, organiser, event_id, [HEADER, ["P-1", "p1@example.com", "Anna", "Muster", 8001, "blue"]], {"mapping": MAPPING})
    rep = run_import(stack, organiser, event_id, [HEADER, ["P-1", None, "Anne", "  ", None, None]], {"mapping": MAPPING})
    assert rep["counts"]["updated"] == 1
    contact = contacts_of(event_id)["P-1"]
    assert contact.firstname == "Anne"
    assert (contact.email, contact.lastname, contact.zip) == ("p1@example.com", "Muster", "8001")
    assert contact.custom.as_dict() == {"colour": "blue"}


def test_custom_field_is_added_to_a_contact_that_had_none(stack, organiser):
    event_id = create_event(stack, organiser, form=COLOUR_FORM)
    run_import(stack, organiser, event_id, [["Identifier", "Vorname"], ["P-1", "Anna"]])
    run_import(stack, organiser, event_id, [HEADER, ["P-1", None, None, None, None, "green"]], {"mapping": MAPPING})
    assert contacts_of(event_id)["P-1"].custom.as_dict() == {"colour": "green"}


def test_numbers_in_text_columns_keep_their_digits(stack, organiser):
    event_id = create_event(stack, organiser)
    rep = run_import(stack, organiser, event_id, [["Identifier", "PLZ", "Telefon", "Badge"], [123456, 8001, "+41 79 123 45 67", 7]],
                     {"mapping": '{"Badge": "badge_info"}'})
    assert rep["counts"]["created"] == 1, rep
    contact = contacts_of(event_id)["123456"]
    assert (contact.zip, contact.badge_info, contact.phone_mobile) == ("8001", "7", "+41791234567")


def test_group_is_added_to_the_contacts_groups_and_permission_group_is_set(stack, organiser):
    event_id = create_event(stack, organiser, permission_groups=["Staff", "Press"])
    run_import(stack, organiser, event_id, _rows(1), {"group": "Early birds"})
    rep = run_import(stack, organiser, event_id, _rows(2), {"group": "VIP", "permission-group": "Press"})
    assert rep["counts"]["created"] == 1 and rep["counts"]["updated"] == 1
    contacts = contacts_of(event_id)
    assert contacts["P-000"].groups == {"Early birds", "VIP"}
    assert contacts["P-001"].groups == {"VIP"}
    assert {c.permission_group for c in contacts.values()} == {"Press"}


def test_non_ascii_group_travels_in_s3_metadata_rfc2047_encoded(stack, organiser):
    from guestlist.import_options import ImportOptions

    event_id = create_event(stack, organiser)
    metadata = ImportOptions(group="Gäste Zürich").to_metadata()
    assert metadata["group"].isascii()
    run_import(stack, organiser, event_id, _rows(1), metadata)
    assert contacts_of(event_id)["P-000"].groups == {"Gäste Zürich"}


def test_replaying_every_s3_event_and_sqs_message_twice_leaves_the_same_contacts_and_counts(stack, organiser, chunk_size):
    chunk_size(3)
    once, twice = create_event(stack, organiser), create_event(stack, organiser)
    for event_id, replay in ((once, False), (twice, True)):
        run_import(stack, organiser, event_id, _rows(4))  # P-000..P-003 exist: the next import updates and creates
        s3_event = upload(stack, event_id, workbook(_rows(7)), {"group": "G"})
        import_id = start(stack, s3_event)
        if replay:
            assert start(stack, s3_event) == import_id
        deliver_all(stack, twice=replay)
        if replay:
            assert start(stack, s3_event) == import_id  # a late duplicate after the end changes nothing
            deliver_all(stack, twice=True)
        rep = report(stack, organiser, event_id, import_id)
        assert rep["counts"] == {"created": 3, "updated": 4, "deleted": 0, "skipped": 0, "failed": 0}, (replay, rep)
        assert rep["status"] == "completed"

    def state(event_id):
        return {i: (c.firstname, c.zip, c.groups, c.status) for i, c in contacts_of(event_id).items()}

    assert state(once) == state(twice) and len(state(once)) == 7


def test_worker_crash_mid_chunk_then_redelivery_accounts_for_every_row(stack, organiser, chunk_size, monkeypatch):
    chunk_size(5)
    import guestlist.imports.worker as worker

    event_id = create_event(stack, organiser)
    run_import(stack, organiser, event_id, _rows(3))  # P-000..P-002 exist
    real, calls, lock = worker.upsert_row, {"n": 0}, threading.Lock()

    def crash_after_four_rows(*args, **kwargs):  # 4 rows written (updated or created), then the worker dies
        with lock:
            calls["n"] += 1
            crash = calls["n"] == 5
        if crash:
            raise ConnectionError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "upsert_row", crash_after_four_rows)
    import_id = start(stack, upload(stack, event_id, workbook(_rows(8))))
    first = deliver(stack, "WorkQueue", "UpsertWorkerFunction", max_batches=1, until_empty=False)
    assert len(first[0]["batchItemFailures"]) == 1  # the one chunk reported failed; the other was counted
    deliver_all(stack)  # the failed chunk comes back and is written again
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed", rep
    assert rep["counts"] == {"created": 5, "updated": 3, "deleted": 0, "skipped": 0, "failed": 0}
    assert counts_add_up(rep) and rep["progress"]["chunks_done"] == 2
    assert len(contacts_of(event_id)) == 8


def test_chunk_in_the_dead_letter_queue_ends_the_job_failing_only_the_row_that_cannot_be_written(stack, organiser, chunk_size, monkeypatch):
    """The dead chunk's last run counts its written rows as created; only the poison row is `processing_failed`."""
    chunk_size(3)
    import guestlist.imports.worker as worker

    real = worker.upsert_row

    def poison(event, existing, identifier, *args, **kwargs):
        if identifier == "P-004":
            raise ValueError("a row the worker cannot write")
        return real(event, existing, identifier, *args, **kwargs)

    monkeypatch.setattr(worker, "upsert_row", poison)
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook(_rows(7))))
    deliver(stack, "WorkQueue", "UpsertWorkerFunction")  # 3 receives, then moto moves the chunk to the DLQ
    assert queue_depth(stack, "WorkDeadLetterQueue") == 1
    assert report(stack, organiser, event_id, import_id)["status"] == "running"
    deliver(stack, "WorkDeadLetterQueue", "ImportFailuresFunction")
    deliver(stack, "ReportQueue", "ImportReportFunction")
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed_with_errors"
    assert rep["counts"] == {"created": 6, "updated": 0, "deleted": 0, "skipped": 0, "failed": 1}
    assert counts_add_up(rep)
    assert {(i["row"], i["code"]) for i in rep["issues"]} == {(6, "processing_failed")}  # P-004
    assert set(contacts_of(event_id)) == {f"P-{i:03d}" for i in range(7)} - {"P-004"}


def test_dead_letter_of_a_chunk_that_was_counted_changes_nothing(stack, organiser):
    """A chunk written and counted whose message still reached the DLQ (its delete was lost) is not failed twice."""
    import json

    import boto3

    from support.events import sqs_event, sqs_record

    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook(_rows(2))))
    got = boto3.client("sqs").receive_message(QueueUrl=stack.physical("WorkQueue"), MaxNumberOfMessages=10)["Messages"]
    body = got[0]["Body"]
    stack.invoke("UpsertWorkerFunction", sqs_event(sqs_record(body)))
    stack.invoke("ImportFailuresFunction", sqs_event(sqs_record(body, queue="guestlist-WorkDeadLetterQueue", receive_count=4)))
    deliver(stack, "ReportQueue", "ImportReportFunction")
    boto3.client("sqs").delete_message(QueueUrl=stack.physical("WorkQueue"), ReceiptHandle=got[0]["ReceiptHandle"])
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed" and rep["counts"]["created"] == 2 and rep["counts"]["failed"] == 0
    assert json.loads(body)["chunk"] == 0


def test_chunk_whose_count_transaction_meets_a_conflict_is_counted_once_not_dropped(stack, organiser, chunk_size, monkeypatch):
    """Chunks of one import finish at once and all touch the job item: a conflict is retried, never taken for 'counted'."""
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    from guestlist import storage

    chunk_size(2)
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook(_rows(4))))
    real, conflicts = storage.TransactWrite, {"left": 2}

    class ConflictingTransactWrite(real):
        def __exit__(self, *exc):
            if conflicts["left"] and exc[0] is None:
                conflicts["left"] -= 1
                cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                                           "TransactWriteItems", cancellation_reasons=[
                                               None, CancellationReason(code="TransactionConflict", message="conflict")])
                raise TransactWriteError("conflict", cause=cause)
            return super().__exit__(*exc)

    monkeypatch.setattr(storage, "TransactWrite", ConflictingTransactWrite)
    deliver_all(stack)
    rep = report(stack, organiser, event_id, import_id)
    assert conflicts["left"] == 0
    assert rep["status"] == "completed" and rep["counts"]["created"] == 4 and rep["progress"]["chunks_done"] == 2
