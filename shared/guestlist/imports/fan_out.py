"""Fan-out: validated rows become a running job and deterministic chunks on the work queue (or a dry run's report)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from pynamodb.exceptions import UpdateError

from .. import aws
from ..clock import now_iso
from ..contacts import ALREADY_EXISTS, NOT_FOUND, RowOutcome, list_contacts
from ..import_options import ImportOptions
from ..models import (
    ImportJobModel,
)
from ..retry import condition_failed, retrying
from ..settings import get_settings
from .completion import finish_if_done, has_bookings, kept_issue
from .jobs import (
    get_job,
    issue_order,
    report_prefix,
    write_issue_reports,
)

# SendMessageBatch takes 10 messages and 256 KiB in all: a chunk stays under a tenth of it,
# so every batch is full (10 messages) whatever the rows hold.
_MAX_CHUNK_BYTES = 24_000
_MAX_BATCH_BYTES = 256 * 1024 - 4096


def fan_out_rows(job: ImportJobModel, event_id: str, options: ImportOptions, report, send: Callable[[list[dict]], int],
             extra_options: dict | None = None) -> ImportJobModel:
    """Validated rows (a workbook's or an account group's) to a running job and its chunks."""
    if options.dry_run:
        return _check_only(job, options, report, extra_options)
    import_id = job.import_id
    prefix = report_prefix(job)
    issues = [i.to_dict() for i in report.issues]
    aws.put_object(f"{prefix}/validation.json", json.dumps(issues).encode(), "application/json")
    if options.delete_missing:
        # every identifier the file names, also on skipped rows: only contacts absent from the file go
        in_file = {r.identifier for r in report.rows} | {i.identifier for i in report.issues if i.identifier}
        aws.put_object(f"{prefix}/identifiers.json", json.dumps(sorted(in_file)).encode(), "application/json")
    chunks = list(_chunks(import_id, event_id, options, report.rows, get_settings().import_chunk_size))
    counts = report.counts()
    try:
        # validation results and the switch to running in one conditional write: a rerun of a
        # running job must not reset `skipped`, which the workers have been adding to
        retrying(lambda: job.update(actions=[
            *_validated(options, report, extra_options, counts["skipped"]),
            ImportJobModel.issues_key.set(f"{prefix}/validation.json"),
            ImportJobModel.chunks_total.set(len(chunks)),
            ImportJobModel.status.set("running"),
            ImportJobModel.updated_at.set(now_iso()),
        ], condition=ImportJobModel.status == "validating"), what="import job")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        job.refresh(consistent_read=True)
        if job.status != "running":
            return job
    if chunks:
        send(chunks)
    _mark_sent(job, len(chunks))
    return get_job(import_id)


def _validated(options: ImportOptions, report, extra_options: dict | None, skipped: int) -> list:
    """The job's fields the validation settles, for a run and a dry run alike."""
    return [ImportJobModel.options.set({**options.to_dict(), **(extra_options or {})}),
            ImportJobModel.columns.set(report.columns), ImportJobModel.rows_total.set(report.rows_total),
            ImportJobModel.skipped.set(skipped), ImportJobModel.warnings.set(report.counts()["warnings"])]


def _check_only(job: ImportJobModel, options: ImportOptions, report, extra_options: dict | None) -> ImportJobModel:
    """`dry_run`: the report and counts this import would have against the event's current
    contacts, and the job `checked`. Reads the event's contacts once; writes no contact.

    The counts are those of this moment: a contact created or booked before the real import
    runs changes them (a create that finds it is skipped `already_exists`, a booking keeps it).
    """
    in_rows = {row.identifier for row in report.rows}
    in_file = in_rows | {issue.identifier for issue in report.issues if issue.identifier}
    existing: set[str] = set()
    kept: list[dict] = []
    deleted = 0
    cursor = None
    while True:
        contacts, cursor = list_contacts(job.event_id, cursor=cursor, limit=500)
        for contact in contacts:
            if contact.identifier in in_rows:
                existing.add(contact.identifier)
            elif options.delete_missing and contact.identifier not in in_file:
                if has_bookings(contact):
                    kept.append(kept_issue(contact.identifier))
                else:
                    deleted += 1
        if not cursor:
            break
    counts = report.counts()
    would = {"created": 0, "updated": 0, "skipped": counts["skipped"]}
    issues = [issue.to_dict() for issue in report.issues]
    for row in report.rows:
        known = row.identifier in existing
        outcome = (ALREADY_EXISTS if options.mode == "create" and known else
                   NOT_FOUND if options.mode == "update" and not known else
                   RowOutcome("updated" if known else "created"))
        would[outcome.result] += 1
        if outcome.code:
            issues.append({"row": row.row, "identifier": row.identifier, "column": None, "code": outcome.code,
                           "message": f"Row {row.row}: {outcome.message}", "severity": outcome.result})
    issues += kept
    issues.sort(key=issue_order)
    report_key = write_issue_reports(job, issues)
    now = now_iso()
    try:
        retrying(lambda: job.update(actions=[
            *_validated(options, report, extra_options, would["skipped"]),
            ImportJobModel.created.set(would["created"]),
            ImportJobModel.updated.set(would["updated"]),
            ImportJobModel.deleted.set(deleted),
            ImportJobModel.kept.set(len(kept)),
            ImportJobModel.report_key.set(report_key),
            ImportJobModel.status.set("checked"),
            ImportJobModel.finished_at.set(now),
            ImportJobModel.updated_at.set(now),
        ], condition=ImportJobModel.status == "validating"), what="import job")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    return get_job(job.import_id)


def _mark_sent(job: ImportJobModel, chunks: int) -> None:
    """`chunks_sent` races the workers' counting transactions on the job item (real DynamoDB refuses
    the write while one runs: retried). Whoever writes last finishes: each side writes, then reads
    strongly, so at least one of them sees every chunk both sent and counted."""
    try:
        retrying(lambda: job.update(actions=[ImportJobModel.chunks_sent.set(chunks), ImportJobModel.updated_at.set(now_iso())],
                                    condition=ImportJobModel.status == "running"), what="chunks sent")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        return  # finished already (a job without chunks, finished by a rerun)
    finish_if_done(job.import_id)


def _chunks(import_id: str, event_id: str, options: ImportOptions, rows: list, size: int) -> Iterable[dict]:
    """Rows in file order, `size` per chunk or fewer when they are large. Deterministic: reruns cut the same chunks."""
    index, batch_bytes = 0, 0
    batch: list[dict] = []
    for row in rows:
        item = {"row": row.row, "identifier": row.identifier, "fields": row.fields, "custom": row.custom}
        item_bytes = len(json.dumps(item, default=str, separators=(",", ":")))
        if batch and (len(batch) >= size or batch_bytes + item_bytes > _MAX_CHUNK_BYTES):
            yield _chunk_message(import_id, event_id, options, index, batch)
            index, batch, batch_bytes = index + 1, [], 0
        batch.append(item)
        batch_bytes += item_bytes
    if batch:
        yield _chunk_message(import_id, event_id, options, index, batch)


def _chunk_message(import_id, event_id, options, index, rows) -> dict:
    return {"import_id": import_id, "event_id": event_id, "chunk": index, "mode": options.mode,
            "group": options.group, "permission_group": options.permission_group, "rows": rows}


def send_chunks(bodies: list[dict], queue_url: str | None = None) -> int:
    """SendMessageBatch with 10 messages (and at most 256 KiB) per call; raises if SQS keeps refusing one."""
    sqs = aws.client("sqs")
    queue_url = queue_url or get_settings().work_queue_url
    batch: list[str] = []
    size = sent = 0
    for body in bodies:
        text = json.dumps(body, separators=(",", ":"), default=str)
        if batch and (len(batch) == 10 or size + len(text) > _MAX_BATCH_BYTES):
            sent += _send_batch(sqs, queue_url, batch)
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        sent += _send_batch(sqs, queue_url, batch)
    return sent


def _send_batch(sqs, queue_url: str, texts: list[str]) -> int:
    return aws.send_batch(queue_url, texts, send=sqs.send_message_batch)
