"""Finishing a job: delete-missing (when asked), the issue reports, then the terminal status."""

from __future__ import annotations

import json

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from .. import aws, storage
from ..clock import now_iso
from ..contacts import list_contacts
from ..models import (
    BOOKING_SK_PREFIX,
    CONTACT_SK,
    ChunkResultModel,
    ContactModel,
    ImportJobModel,
    plain,
)
from ..retry import condition_failed, retrying
from ..settings import get_settings
from .jobs import (
    TERMINAL,
    get_job,
    issue_order,
    job_key,
    report_prefix,
    write_issue_reports,
)

_DELETES_PER_TRANSACTION = 25


def finish_if_done(import_id: str) -> None:
    """When every chunk is counted, the report step is asked for (or run here without a report queue).

    Finishing reads every issue and writes the issue workbook (about 50 s for 200,000 issues on
    one core, see bench/RESULTS.md): that does not fit the worker's 60 s after its own chunk,
    so ImportReportFunction (15 minutes) does it, from the report queue. Asking twice is harmless.
    """
    job = get_job(import_id)
    if job.status == "running" and job.chunks_sent >= job.chunks_total and job.chunks_done >= job.chunks_total:
        queue_url = get_settings().report_queue_url
        if queue_url:
            aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps({"import_id": import_id}))
        else:
            finish(job)


def finish_import(import_id: str) -> str:
    """The report step (ImportReportFunction): finish the job if it still runs; returns its status."""
    job = get_job(import_id)
    finish(job)
    return get_job(import_id).status


def finish(job: ImportJobModel) -> None:
    """Delete-missing (when asked), the reports, then the terminal status.

    Safe to run twice, also at the same time: each deletion is counted in the transaction
    that deletes, the reports are recomputed from stored facts, and only one run moves the
    status out of `running`.
    """
    if job.status in TERMINAL:
        return
    kept: list[dict] = []
    if plain(job.options).get("delete_missing"):
        kept = _delete_missing(job)
    issues = _validation_issues(job) + _chunk_issues(job) + kept
    issues.sort(key=issue_order)
    report_key = write_issue_reports(job, issues)
    job.refresh(consistent_read=True)
    status = "completed_with_errors" if int(job.skipped) + int(job.failed) else "completed"
    now = now_iso()
    try:
        retrying(lambda: job.update(actions=[ImportJobModel.status.set(status), ImportJobModel.kept.set(len(kept)),
                                             ImportJobModel.report_key.set(report_key),
                                             ImportJobModel.finished_at.set(now), ImportJobModel.updated_at.set(now)],
                                    condition=ImportJobModel.status == "running"), what="import finish")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def has_bookings(contact: ContactModel) -> bool:
    if int(contact.confirmed_count or 0) + int(contact.waitlisted_count or 0) + int(contact.attended_count or 0) > 0:
        return True
    # cancelled bookings leave no count on the contact but are still its bookings (and history)
    page = storage.query_page(ContactModel, contact.pk, ContactModel.sk.startswith(BOOKING_SK_PREFIX),
                              consistent_read=True, limit=1)
    return bool(page.get("Items"))


def _no_active_bookings():
    return ((ContactModel.confirmed_count == 0) | ContactModel.confirmed_count.does_not_exist()) & \
           ((ContactModel.waitlisted_count == 0) | ContactModel.waitlisted_count.does_not_exist()) & \
           ContactModel.pk.exists()


def _delete_missing(job: ImportJobModel) -> list[dict]:
    """Contacts of the event the file does not name are deleted; those with bookings are kept and reported."""
    body, _ = aws.get_object(f"{report_prefix(job)}/identifiers.json")
    in_file = set(json.loads(body))
    kept: list[dict] = []
    doomed: list[ContactModel] = []
    cursor = None
    while True:
        contacts, cursor = list_contacts(job.event_id, cursor=cursor, limit=500)
        for contact in contacts:
            if contact.identifier in in_file:
                continue
            if has_bookings(contact):
                kept.append(kept_issue(contact.identifier))
                continue
            doomed.append(contact)
            if len(doomed) >= _DELETES_PER_TRANSACTION:
                kept += _delete_counted(job, doomed)
                doomed = []
        if not cursor:
            break
    if doomed:
        kept += _delete_counted(job, doomed)
    kept.sort(key=lambda i: i["identifier"])
    return kept


def kept_issue(identifier: str) -> dict:
    return {"row": None, "identifier": identifier, "column": None, "code": "kept_with_bookings",
            "message": f"{identifier!r} is not in the file but has bookings: kept", "severity": "warning"}


def _delete_counted(job: ImportJobModel, contacts: list[ContactModel]) -> list[dict]:
    """Deletes and counts in one transaction; when one contact refuses (a booking arrived, or another
    run deleted it first) the batch goes again one by one. Returns the contacts kept for a new booking."""
    job_ref = ImportJobModel(pk=job_key(job.import_id), sk="JOB")

    def run(batch: list[ContactModel]) -> None:  # retried on contention; a refused condition raises
        def items(tx: TransactWrite) -> None:
            for contact in batch:
                tx.delete(ContactModel(pk=contact.pk, sk=CONTACT_SK), condition=_no_active_bookings())
            tx.update(job_ref, actions=[ImportJobModel.deleted.add(len(batch))])

        storage.transact_write(ContactModel, items, what="delete-missing")

    try:
        run(contacts)
        return []
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
    kept = []
    for contact in contacts:
        try:
            run([contact])
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            try:
                current = ContactModel.get(contact.pk, CONTACT_SK, consistent_read=True)
            except ContactModel.DoesNotExist:
                continue  # another run deleted (and counted) it
            kept.append(kept_issue(current.identifier))
    return kept


def _validation_issues(job: ImportJobModel) -> list[dict]:
    if not job.issues_key:
        return []
    body, _ = aws.get_object(job.issues_key)
    return json.loads(body)


def _chunk_issues(job: ImportJobModel) -> list[dict]:
    issues: list[dict] = []
    for marker in ChunkResultModel.query(job_key(job.import_id), ChunkResultModel.sk.startswith("CHUNK#"), consistent_read=True):
        issues.extend(json.loads(marker.issues or "[]"))
    return issues
