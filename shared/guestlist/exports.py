"""Exports of an event's contacts to xlsx or CSV (the seed: links "peuvent être exportés").

The API records a job and queues one message; the export worker walks the contact listing
page by page (the same filters and code as `GET /events/{id}/contacts`) and streams rows
into a file in /tmp - openpyxl's write-only workbook or the csv module - which goes to S3
in multipart parts. Memory stays flat in the number of contacts.

The files themselves (and their injection-safe cells) are written by `export_files`.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from . import aws
from .clock import now_iso
from .codes import Code
from .contacts import iter_contacts, personal_link
from .errors import NotFound
from .events import event_form, get_event
from .export_files import write_csv, write_xlsx
from .fields import PROFILE_FIELDS
from .models import ContactModel, EventModel, ExportJobModel, plain
from .retry import condition_failed, retrying
from .settings import get_settings

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
URL_SECONDS = 300  # the download link is short-lived; ask again for a new one
KEEP = timedelta(days=1)  # the bucket's lifecycle rule removes export files after a day


# ------------------------------------------------------------------ jobs

def _job(export_id: str) -> ExportJobModel:
    try:
        return ExportJobModel.get(f"EXPORT#{export_id}", "JOB", consistent_read=True)
    except ExportJobModel.DoesNotExist:
        raise NotFound(Code.EXPORT_NOT_FOUND, f"no export {export_id!r}") from None


def request_export(event: EventModel, fmt: str, filters: dict, *, send: Callable[[list[dict]], Any] | None = None) -> dict:
    """Record the job, then queue it; the worker does the rest (202)."""
    export_id = f"exp-{secrets.token_hex(8)}"
    job = ExportJobModel(pk=f"EXPORT#{export_id}", export_id=export_id, event_id=event.event_id, format=fmt,
                         filter=filters, status="running", created_at=now_iso())
    retrying(lambda: job.save(condition=ExportJobModel.pk.does_not_exist()), what="export job")
    (send or (lambda bodies: aws.send_messages(bodies, get_settings().export_queue_url)))([{"export_id": export_id}])
    return {"export_id": export_id, "status": "running"}


def export_json(event_id: str, export_id: str, *, now: datetime | None = None) -> dict:
    """The job as the API shows it; a completed export whose file is gone is `expired`, with no url."""
    job = _job(export_id)
    if job.event_id != event_id:
        raise NotFound(Code.EXPORT_NOT_FOUND, f"no export {export_id!r}")
    out = {"export_id": job.export_id, "status": job.status, "format": job.format, "rows": int(job.rows or 0),
           "url": None, "created_at": job.created_at, "finished_at": job.finished_at, "error": job.error}
    if job.status == "completed" and job.object_key:
        if _expired(job, now) or not _exists(job.object_key):
            out["status"] = "expired"
        else:
            out["url"] = aws.presigned_get(job.object_key, expires=URL_SECONDS)
    return out


def _expired(job: ExportJobModel, now: datetime | None) -> bool:
    finished = datetime.fromisoformat((job.finished_at or job.created_at).replace("Z", "+00:00"))
    return (now or datetime.now(UTC)) - finished > KEEP


def _exists(key: str) -> bool:
    try:
        aws.head_object(key)
        return True
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def run_export(export_id: str) -> int:
    """The worker: write the file, upload it, complete the job. A redelivery of a finished job does nothing."""
    job = _job(export_id)
    if job.status != "running":
        return int(job.rows or 0)
    event = get_event(job.event_id)
    key = f"exports/{job.event_id}/{export_id}.{job.format}"
    fd, path = tempfile.mkstemp(suffix=f".{job.format}", dir=os.environ.get("TMPDIR") or None)
    os.close(fd)
    try:
        header, rows = export_rows(event, plain(job.filter))
        count = (write_xlsx if job.format == "xlsx" else write_csv)(path, header, rows)
        aws.upload_file(path, key, FORMATS[job.format])
    finally:
        os.unlink(path)
    try:
        retrying(lambda: job.update(actions=[ExportJobModel.status.set("completed"), ExportJobModel.rows.set(count),
                                             ExportJobModel.object_key.set(key), ExportJobModel.finished_at.set(now_iso())],
                                    condition=ExportJobModel.status == "running"), what="export job")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    return count


def fail_export(export_id: str, reason: str) -> None:
    """A message that kept failing (dead-lettered): the job ends `failed`, never stays running."""
    try:
        retrying(lambda: ExportJobModel(pk=f"EXPORT#{export_id}", sk="JOB").update(
            actions=[ExportJobModel.status.set("failed"), ExportJobModel.error.set(reason),
                     ExportJobModel.finished_at.set(now_iso())],
            condition=ExportJobModel.status == "running"), what="export job")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


# ------------------------------------------------------------------ rows

def columns(event: EventModel) -> tuple[list[str], list[str]]:
    """(header, form field ids): identifier, every form field, then what the system knows."""
    form_ids = [f["id"] for f in event_form(event) if f.get("id") != "identifier"]
    return ["identifier", *form_ids, "language", "status", "groups", "permission_group", "personal_link",
            "booking_status", "checked_in_at"], form_ids


def booking_status(contact: ContactModel) -> str | None:
    """From the counts the booking transactions keep on the contact (no read of the bookings)."""
    if int(contact.confirmed_count or 0) > 0:
        return "confirmed"
    if int(contact.waitlisted_count or 0) > 0:
        return "waitlisted"
    if contact.status == "unregistered":
        return "cancelled"
    return None


def _answer(value: Any) -> Any:
    if isinstance(value, (list, set, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return None
    return value


def contact_row(contact: ContactModel, form_ids: list[str]) -> list[Any]:
    custom = getattr(contact.custom, "attribute_values", None) or {}
    fields = [getattr(contact, fid) if fid in PROFILE_FIELDS else _answer(custom.get(fid)) for fid in form_ids]
    return [contact.identifier, *fields, contact.language, contact.status, ", ".join(sorted(contact.groups or ())),
            contact.permission_group, personal_link(contact), booking_status(contact), contact.checked_in_at]


def export_rows(event: EventModel, filters: dict) -> tuple[list[str], Iterator[list[Any]]]:
    header, form_ids = columns(event)

    return header, (contact_row(contact, form_ids) for contact in iter_contacts(event.event_id, **filters))
