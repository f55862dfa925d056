"""Import jobs: a workbook becomes a job, chunks of rows, counted results and a report.

The contract is DESIGN.md s3. Invariants kept here: a failed file writes no contact; a
chunk is counted once however often it is delivered (its result marker and the job's
counters move in one transaction); the job always ends in a terminal status, also when
a chunk dies in the DLQ; counts add up to rows_total.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Iterable

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from . import aws
from .clock import now_iso
from .contacts import RowOutcome, fetch_existing, list_contacts, upsert_row
from .errors import InvalidRequest, NotFound
from .events import get_event
from .models import plain, Cause, ChunkResultModel, ContactModel, EventImportModel, ImportJobModel
from .settings import get_settings

MODES = ("upsert", "create", "update")
TERMINAL = ("completed", "completed_with_errors", "failed")
MAX_REPORTED_ISSUES = 1000
_MAX_CHUNK_BYTES = 200_000  # SQS allows 256 KB per message


@dataclass(frozen=True)
class ImportOptions:
    mode: str = "upsert"
    group: str | None = None
    permission_group: str | None = None
    delete_missing: bool = False
    mapping: dict | None = None

    @classmethod
    def from_metadata(cls, metadata: dict) -> "ImportOptions":
        """S3 user metadata (keys lower-cased by S3) to options; a bad option fails the import."""
        meta = {k.lower(): v for k, v in (metadata or {}).items()}
        mode = (meta.get("mode") or "upsert").strip().lower()
        if mode not in MODES:
            raise InvalidRequest("invalid_option", f"option 'mode' must be one of {', '.join(MODES)}, not {mode!r}", {"field": "mode"})
        delete_missing = (meta.get("delete-missing") or "false").strip().lower()
        if delete_missing not in ("true", "false", "1", "0", "yes", "no"):
            raise InvalidRequest("invalid_option", "option 'delete-missing' must be true or false", {"field": "delete-missing"})
        mapping = None
        if meta.get("mapping"):
            try:
                mapping = json.loads(meta["mapping"])
            except ValueError:
                raise InvalidRequest("invalid_option", "option 'mapping' is not valid JSON", {"field": "mapping"}) from None
            if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
                raise InvalidRequest("invalid_option", 'option \'mapping\' must be {"Header": "field"}', {"field": "mapping"})
        return cls(mode=mode, group=(meta.get("group") or "").strip() or None,
                   permission_group=(meta.get("permission-group") or "").strip() or None,
                   delete_missing=delete_missing in ("true", "1", "yes"), mapping=mapping)

    def to_dict(self) -> dict:
        return {"mode": self.mode, "group": self.group, "permission_group": self.permission_group,
                "delete_missing": self.delete_missing, "mapping": self.mapping}


def import_id_for(bucket: str, key: str, etag: str, version_id: str | None, sequencer: str | None) -> str:
    """Same S3 event -> same import; a new upload of the same key -> a new import."""
    ident = "|".join([bucket, key, etag or "", version_id or "", sequencer or ""])
    return "imp-" + hashlib.sha256(ident.encode()).hexdigest()[:20]


def event_id_from_key(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "imports" and parts[1] else None


def _job_key(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def get_job(import_id: str) -> ImportJobModel:
    try:
        return ImportJobModel.get(_job_key(import_id), "JOB", consistent_read=True)
    except ImportJobModel.DoesNotExist:
        raise NotFound("import_not_found", f"no import {import_id!r}") from None


# ------------------------------------------------------------------ the import function

def start_import(*, import_id: str, event_id: str | None, object_key: str, read_object: Callable[[], tuple[bytes, dict]],
                 send: Callable[[list[dict]], int] = aws.send_messages) -> ImportJobModel:
    """Validate the whole file, then fan its rows out. Safe to run twice for one upload."""
    from .workbook import Limits, ReadOptions, read_workbook  # heavy: only the import function needs it

    now = now_iso()
    job = ImportJobModel(pk=_job_key(import_id), import_id=import_id, event_id=event_id or "", object_key=object_key,
                         status="validating", created_at=now, updated_at=now)
    try:
        job.save(condition=ImportJobModel.pk.does_not_exist())
    except Exception as exc:  # noqa: BLE001 - only a failed condition is expected here
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        job = get_job(import_id)
        if job.status in TERMINAL or (job.status == "running" and job.chunks_sent >= job.chunks_total):
            return job  # a replayed S3 event: nothing more to do

    if not event_id:
        return _fail(job, "invalid_key", "upload to imports/{event_id}/{name}.xlsx")
    try:
        event = get_event(event_id)
    except NotFound:
        return _fail(job, "event_not_found", f"no event {event_id!r}: create it before importing")
    EventImportModel(pk=f"EVENT#{event_id}", sk=f"IMPORT#{job.created_at}#{import_id}", import_id=import_id).save()
    body, metadata = read_object()
    try:
        options = ImportOptions.from_metadata(metadata)
    except InvalidRequest as exc:
        return _fail(job, exc.code, exc.message)
    settings = get_settings()
    report = read_workbook(body, ReadOptions(mapping=options.mapping, languages=tuple(event.languages),
                                             default_language=event.default_language, region=event.country or "CH",
                                             limits=Limits()))
    del body
    issues = [i.to_dict() for i in report.issues]
    issues_key = f"reports/{event_id}/{import_id}/validation.json"
    aws.put_object(issues_key, json.dumps(issues).encode(), "application/json")
    counts = report.counts()
    job.update(actions=[
        ImportJobModel.options.set(options.to_dict()),
        ImportJobModel.columns.set(report.columns),
        ImportJobModel.rows_total.set(report.rows_total),
        ImportJobModel.skipped.set(counts["skipped"]),
        ImportJobModel.warnings.set(counts["warnings"]),
        ImportJobModel.issues_key.set(issues_key),
        ImportJobModel.updated_at.set(now_iso()),
    ])
    if report.status == "failed":
        return _fail(job, report.error["code"], report.error["message"])

    chunks = list(_chunks(import_id, event_id, options, report.rows, settings.import_chunk_size))
    if options.delete_missing:
        identifiers = sorted({r.identifier for r in report.rows})
        aws.put_object(f"reports/{event_id}/{import_id}/identifiers.json", json.dumps(identifiers).encode(), "application/json")
    job.update(actions=[ImportJobModel.chunks_total.set(len(chunks)), ImportJobModel.status.set("running"),
                        ImportJobModel.updated_at.set(now_iso())])
    if chunks:
        send(chunks)
    job.update(actions=[ImportJobModel.chunks_sent.set(len(chunks)), ImportJobModel.updated_at.set(now_iso())])
    if not chunks:
        finish(import_id)
        job.refresh(consistent_read=True)
    return job


def _chunks(import_id: str, event_id: str, options: ImportOptions, rows: list, size: int) -> Iterable[dict]:
    index, batch, batch_bytes = 0, [], 0
    for row in rows:
        item = {"row": row.row, "identifier": row.identifier, "fields": row.fields, "custom": row.custom}
        item_bytes = len(json.dumps(item, default=str))
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


def _fail(job: ImportJobModel, code: str, message: str) -> ImportJobModel:
    now = now_iso()
    job.update(actions=[ImportJobModel.status.set("failed"), ImportJobModel.error.set({"code": code, "message": message}),
                        ImportJobModel.finished_at.set(now), ImportJobModel.updated_at.set(now)])
    return job


# ------------------------------------------------------------------ the upsert worker

def process_chunk(message: dict) -> dict:
    """Write one chunk's rows and count them once. Returns the chunk's counts."""
    import_id, index = message["import_id"], int(message["chunk"])
    marker_key = f"CHUNK#{index:06d}"
    if _marker_exists(import_id, marker_key):
        finish_if_done(import_id)
        return {"replayed": True}
    event = get_event(message["event_id"])
    rows = message["rows"]
    existing = fetch_existing(event.event_id, [r["identifier"] for r in rows])
    cause = Cause(kind="import", ref=import_id)
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    issues = []
    for r in rows:
        outcome: RowOutcome = upsert_row(
            event, existing.get(r["identifier"]), r["identifier"], _as_text(r["fields"]), r["custom"],
            mode=message["mode"], op_id=f"{import_id}:{r['row']}",
            groups=[message["group"]] if message.get("group") else [],
            permission_group=message.get("permission_group"), cause=cause)
        counts[outcome.result] += 1
        if outcome.code:
            issues.append({"row": r["row"], "identifier": r["identifier"], "column": None, "code": outcome.code,
                           "message": outcome.message, "severity": "skipped"})
    _count_chunk(import_id, marker_key, "processed", counts, issues)
    finish_if_done(import_id)
    return counts


def _as_text(fields: dict) -> dict:
    """Predefined fields are stored as text; the reader already kept digits (zip 8001)."""
    return {k: v if isinstance(v, str) else ("true" if v is True else "false" if v is False else str(v)) for k, v in fields.items()}


def record_dead_chunk(message: dict, reason: str) -> None:
    """A chunk that exhausted its retries: its rows are failed with `processing_failed`."""
    import_id, index = message["import_id"], int(message["chunk"])
    rows = message.get("rows", [])
    issues = [{"row": r["row"], "identifier": r["identifier"], "column": None, "code": "processing_failed",
               "message": f"could not be written after several attempts ({reason}); import the file again", "severity": "failed"}
              for r in rows]
    _count_chunk(import_id, f"CHUNK#{index:06d}", "processing_failed",
                 {"created": 0, "updated": 0, "skipped": 0, "failed": len(rows)}, issues)
    finish_if_done(import_id)


def _marker_exists(import_id: str, marker_key: str) -> bool:
    try:
        ChunkResultModel.get(_job_key(import_id), marker_key, consistent_read=True)
        return True
    except ChunkResultModel.DoesNotExist:
        return False


def _count_chunk(import_id: str, marker_key: str, outcome: str, counts: dict, issues: list[dict]) -> bool:
    """Marker + counters in one transaction: False when this chunk was counted already."""
    marker = ChunkResultModel(pk=_job_key(import_id), sk=marker_key, outcome=outcome, issues=json.dumps(issues),
                              created_at=now_iso(), **counts)
    try:
        with TransactWrite(connection=ChunkResultModel._get_connection().connection) as tx:
            tx.save(marker, condition=ChunkResultModel.pk.does_not_exist())
            tx.update(ImportJobModel(pk=_job_key(import_id), sk="JOB"), actions=[
                ImportJobModel.created.add(counts["created"]), ImportJobModel.updated.add(counts["updated"]),
                ImportJobModel.skipped.add(counts["skipped"]), ImportJobModel.failed.add(counts["failed"]),
                ImportJobModel.chunks_done.add(1), ImportJobModel.updated_at.set(now_iso())],
                condition=ImportJobModel.pk.exists())
        return True
    except TransactWriteError as exc:
        if exc.cause_response_code == "TransactionCanceledException":
            return False
        raise


def finish_if_done(import_id: str) -> None:
    job = get_job(import_id)
    if job.status == "running" and job.chunks_sent >= job.chunks_total and job.chunks_done >= job.chunks_total:
        finish(import_id)


def finish(import_id: str) -> None:
    """Delete-missing (when asked), the xlsx report, then the terminal status. Idempotent."""
    job = get_job(import_id)
    if job.status in TERMINAL:
        return
    deleted, kept = 0, []
    if plain(job.options).get("delete_missing"):
        deleted, kept = _delete_missing(job)
    issues = all_issues(job) + kept
    report_key = None
    if issues:
        report_key = f"reports/{job.event_id}/{import_id}/report.xlsx"
        aws.put_object(report_key, _issues_xlsx(issues), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    problems = job.skipped + job.failed
    status = "completed_with_errors" if problems else "completed"
    now = now_iso()
    try:
        job.update(actions=[ImportJobModel.status.set(status), ImportJobModel.deleted.set(deleted),
                            ImportJobModel.report_key.set(report_key) if report_key else ImportJobModel.report_key.remove(),
                            ImportJobModel.finished_at.set(now), ImportJobModel.updated_at.set(now)],
                   condition=ImportJobModel.status == "running")
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def _issues_xlsx(issues: list[dict]) -> bytes:
    from .workbook import Issue, WorkbookReport, write_issue_report

    fields = ("row", "identifier", "column", "code", "message", "severity")
    report = WorkbookReport(status="", error=None, rows_total=0,
                            issues=[Issue(**{k: i.get(k) for k in fields}) for i in issues])
    return write_issue_report(report)


def _delete_missing(job: ImportJobModel) -> tuple[int, list[dict]]:
    body, _ = aws.get_object(f"reports/{job.event_id}/{job.import_id}/identifiers.json")
    in_file = set(json.loads(body))
    deleted, kept = 0, []
    cursor = None
    while True:
        contacts, cursor = list_contacts(job.event_id, cursor=cursor, limit=500)
        for contact in contacts:
            if contact.identifier in in_file:
                continue
            has_bookings = int(contact.confirmed_count or 0) + int(contact.waitlisted_count or 0) + int(contact.attended_count or 0) > 0
            if has_bookings:
                kept.append({"row": None, "identifier": contact.identifier, "column": None, "code": "kept_with_bookings",
                             "message": "not in the file but has a booking: kept", "severity": "warning"})
                continue
            try:
                contact.delete(condition=(ContactModel.confirmed_count == 0) | ContactModel.confirmed_count.does_not_exist())
                deleted += 1
            except Exception as exc:  # noqa: BLE001 - a booking arrived meanwhile: keep it
                if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
                    raise
        if not cursor:
            break
    return deleted, kept


def all_issues(job: ImportJobModel) -> list[dict]:
    issues: list[dict] = []
    if job.issues_key:
        try:
            body, _ = aws.get_object(job.issues_key)
            issues.extend(json.loads(body))
        except Exception:  # noqa: BLE001 - the report still shows the chunk issues
            pass
    for marker in ChunkResultModel.query(_job_key(job.import_id), ChunkResultModel.sk.startswith("CHUNK#"), consistent_read=True):
        issues.extend(json.loads(marker.issues or "[]"))
    issues.sort(key=lambda i: (i.get("row") is None, i.get("row") or 0))
    return issues


def list_imports(event_id: str, limit: int = 20) -> list[dict]:
    """The event's imports, newest first, with their status and counts (no issues)."""
    out = []
    for item in EventImportModel.query(f"EVENT#{event_id}", EventImportModel.sk.startswith("IMPORT#"), scan_index_forward=False, limit=limit):
        job = get_job(item.import_id)
        out.append({k: v for k, v in report_json(job, with_url=False, with_issues=False).items() if k not in ("issues", "report_url")})
    return out


def report_json(job: ImportJobModel, *, with_url: bool = True, with_issues: bool = True) -> dict:
    issues = all_issues(job) if with_issues and job.status in TERMINAL else []
    return {
        "import_id": job.import_id,
        "event_id": job.event_id,
        "source": job.source,
        "status": job.status,
        "error": plain(job.error) or None,
        "rows_total": int(job.rows_total),
        "counts": {"created": int(job.created), "updated": int(job.updated), "deleted": int(job.deleted),
                   "skipped": int(job.skipped), "failed": int(job.failed)},
        "warnings": int(job.warnings),
        "columns": plain(job.columns),
        "issues": [{k: i.get(k) for k in ("row", "identifier", "column", "code", "message")} for i in issues[:MAX_REPORTED_ISSUES]],
        "issues_total": len(issues),
        "report_url": aws.presigned_get(job.report_key) if (with_url and job.report_key) else None,
        "progress": {"chunks_total": int(job.chunks_total), "chunks_done": int(job.chunks_done)},
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }
