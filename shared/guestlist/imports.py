"""Import jobs: a workbook (or an account group) becomes a job, chunks of rows, counted results and a report.

The contract is DESIGN.md s3 and s6. Invariants kept here:
- a failed file writes no contact (the whole file is validated before the first chunk is sent);
- one upload is one job, however often its S3 event arrives (the job id is derived from the
  event, the job is created with a condition, chunks are deterministic and counted by marker);
- a chunk is counted once however often it is delivered: its result marker and the job's
  counters move in one transaction;
- the job always ends in a terminal status, also when a chunk dies in the DLQ or a worker
  crashes after counting the last chunk (every redelivery and replay tries to finish);
- created + updated + skipped + failed == rows_total.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from . import aws
from .clock import now_iso
from .contacts import ALREADY_EXISTS, NOT_FOUND, RowOutcome, fetch_existing, list_contacts, upsert_row
from .errors import InvalidRequest, NotFound
from .events import event_form, get_event
from .import_options import MODES, ImportOptions  # noqa: F401  (re-exported for callers of imports)
from .models import (
    BOOKING_SK_PREFIX,
    CONTACT_SK,
    Cause,
    ChunkResultModel,
    ContactModel,
    EventImportModel,
    ImportJobModel,
    plain,
)
from .retry import cancellation_codes, carry_deadline, condition_failed, is_transient, retrying
from .settings import get_settings

TERMINAL = ("completed", "completed_with_errors", "failed", "checked")  # checked: a dry run's end
MAX_REPORTED_ISSUES = 1000
# SendMessageBatch takes 10 messages and 256 KiB in all: a chunk stays under a tenth of it,
# so every batch is full (10 messages) whatever the rows hold.
_MAX_CHUNK_BYTES = 24_000
_MAX_BATCH_BYTES = 256 * 1024 - 4096
_DELETES_PER_TRANSACTION = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ------------------------------------------------------------------ options

def check_options_for_event(options: ImportOptions, event) -> None:
    """A permission group the event does not define is refused (when the event defines any); a mapping
    to anything but a system field, a predefined field or a field of the event's form is `unknown_field`
    (DESIGN.md s10), before anything is read."""
    from .forms import PREDEFINED_IDS, SYSTEM_FIELDS

    allowed = set(SYSTEM_FIELDS) | set(PREDEFINED_IDS) | {f["id"] for f in event_form(event)}
    unknown = sorted({target for target in (options.mapping or {}).values() if target and target not in allowed})
    if unknown:
        raise InvalidRequest("unknown_field", f"option 'mapping': {', '.join(repr(t) for t in unknown)} is not a field of this "
                             "event (system fields, predefined fields and the form's fields)", {"field": "mapping"})
    defined = set(event.permission_groups or ())
    if options.permission_group and defined and options.permission_group not in defined:
        raise InvalidRequest("unknown_permission_group",
                             f"option 'permission-group': {options.permission_group!r} is not one of the event's "
                             f"permission groups ({', '.join(sorted(defined))})", {"field": "permission-group"})


_REQUEST_FIELDS = ("source", "filename", "mode", "group", "permission_group", "delete_missing", "mapping", "dry_run")
_ACCOUNT_REQUEST_FIELDS = ("source", "account_group", "mode", "group", "permission_group", "delete_missing", "dry_run")
SOURCES = ("xlsx", "accounts")
# An account group is read and fanned out inside the organiser API's request (29 s): bounded.
MAX_ACCOUNT_IMPORT = 5000


def request_import(event, body: dict) -> dict:
    """`POST /events/{id}/imports`: a presigned upload for a workbook, or the started job of an account group."""
    source = body.get("source") or "xlsx"
    if source not in SOURCES:
        raise InvalidRequest("unsupported_source",
                             f"source {source!r} is not available; the sources are {', '.join(SOURCES)}", {"field": "source"})
    if source == "accounts":
        return report_json(start_account_import(event, body))
    return prepare_upload(event, body)


def _request_options(event, body: dict, allowed: tuple[str, ...]) -> tuple[dict, ImportOptions]:
    """The request's fields (`-` or `_` alike) and the import options they carry, checked for the event."""
    fields = {k.replace("-", "_"): v for k, v in body.items()}
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidRequest("unknown_option", f"unknown import option(s): {', '.join(unknown)}; "
                             f"the options are {', '.join(allowed)}", {"fields": unknown})
    metadata = {}
    for name in ("mode", "group", "permission_group", "delete_missing", "dry_run"):
        value = fields.get(name)
        if value is not None:
            metadata[name] = str(value).lower() if isinstance(value, bool) else str(value)
    if fields.get("mapping") is not None:
        metadata["mapping"] = json.dumps(fields["mapping"], ensure_ascii=True)
    options = ImportOptions.from_metadata(metadata)
    check_options_for_event(options, event)
    return fields, options


def prepare_upload(event, body: dict) -> dict:
    """The workbook source: checks the options now (not after the upload) and presigns the upload."""
    fields, options = _request_options(event, body, _REQUEST_FIELDS)
    name = str(fields.get("filename") or "contacts.xlsx").replace("\\", "/").rsplit("/", 1)[-1]
    if not name.lower().endswith(".xlsx"):
        raise InvalidRequest("unsupported_file", "only .xlsx workbooks can be imported", {"field": "filename"})
    key = upload_key(event.event_id, name)
    return {"key": key, "options": options.to_dict(), "upload": aws.presigned_put(key, options.to_metadata())}


def upload_key(event_id: str, filename: str, stamp: str | None = None) -> str:
    """imports/{event_id}/{time}-{name}: every upload gets its own key, so it is its own import."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)[-120:] or "contacts.xlsx"
    stamp = stamp or now_iso().replace(":", "").replace(".", "")
    return f"imports/{event_id}/{stamp}-{safe}"


# ------------------------------------------------------------------ identity and storage

def import_id_for(bucket: str, key: str, etag: str, version_id: str | None, sequencer: str | None) -> str:
    """Same S3 event -> same import; a new upload of the same key -> a new import."""
    ident = "|".join([bucket, key, etag or "", version_id or "", sequencer or ""])
    return "imp-" + hashlib.sha256(ident.encode()).hexdigest()[:20]


def event_id_from_key(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "imports" and parts[1] and parts[-1] else None


def _job_key(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def _report_prefix(job: ImportJobModel) -> str:
    return f"reports/{job.event_id or '_'}/{job.import_id}"


def get_job(import_id: str) -> ImportJobModel:
    try:
        return ImportJobModel.get(_job_key(import_id), "JOB", consistent_read=True)
    except ImportJobModel.DoesNotExist:
        raise NotFound("import_not_found", f"no import {import_id!r}") from None


def read_upload(key: str, bucket: str | None = None) -> tuple[bytes, dict]:
    """The uploaded object and its metadata; a vanished object is NotFound, anything else propagates (retry)."""
    try:
        return aws.get_object(key, bucket)
    except Exception as exc:  # botocore's ClientError, kept out of the domain's signature
        if _is_missing_object(exc):
            raise NotFound("object_not_found", f"the upload {key!r} no longer exists; upload the file again") from exc
        raise


# ------------------------------------------------------------------ the import function

def start_import(*, import_id: str, event_id: str | None, object_key: str,
                 read_object: Callable[[], tuple[bytes, dict]],
                 send: Callable[[list[dict]], int] | None = None) -> ImportJobModel:
    """Validate the whole file, then fan its rows out. Safe to run again for the same upload.

    A rerun (S3 redelivery, Lambda's async retry after a crash) finds the job: a terminal or
    fully sent job is left alone; a job stopped before its chunks were all sent is validated
    again and every chunk sent again (the chunk markers make the duplicates harmless).
    """
    send = send or send_chunks
    now = now_iso()
    job = ImportJobModel(pk=_job_key(import_id), import_id=import_id, event_id=event_id or "", object_key=object_key,
                         status="validating", created_at=now, updated_at=now)
    try:
        retrying(lambda: job.save(condition=ImportJobModel.pk.does_not_exist()), what="import job")
    except PutError as exc:
        if not condition_failed(exc):
            raise
        job = get_job(import_id)
        if job.status in TERMINAL:
            return job
        if job.status == "running" and job.chunks_sent >= job.chunks_total:
            finish_if_done(import_id)  # the first run may have stopped between sending and finishing
            return get_job(import_id)

    if not event_id:
        return _fail(job, "invalid_key", f"{object_key!r} is not under imports/{{event_id}}/: upload to imports/{{event_id}}/{{name}}.xlsx")
    if not object_key.lower().endswith(".xlsx"):  # the bucket notifies every name: S3 suffix filters are case-sensitive
        return _fail(job, "unsupported_file", f"{object_key.rsplit('/', 1)[-1]!r} is not an .xlsx workbook; "
                     "only .xlsx files (any case, e.g. .XLSX) are imported")
    try:
        event = get_event(event_id)
    except NotFound:
        return _fail(job, "event_not_found", f"no event {event_id!r}: create it before importing")
    _list_import(event_id, job)
    try:
        body, metadata = read_object()
    except NotFound as exc:
        return _fail(job, exc.code, exc.message)
    try:
        options = ImportOptions.from_metadata(metadata)
        check_options_for_event(options, event)
    except InvalidRequest as exc:
        return _fail(job, exc.code, exc.message)

    from .workbook import Limits, ReadOptions, read_workbook  # heavy: only the import function needs it

    form = event_form(event)
    report = read_workbook(body, ReadOptions(mapping=options.mapping, languages=tuple(event.languages),
                                             default_language=event.default_language, region=event.country or "CH",
                                             limits=Limits(), targets=form_targets(form)))
    del body
    if report.status == "failed":
        return _fail(job, report.error["code"], report.error["message"], columns=report.columns)
    check_form_values(report, form, event.country or "CH")
    unknown_account_manager(report, event.workspace_id)
    return _fan_out(job, event_id, options, report, send)


def form_targets(form: list[dict]):
    """The reader's mapping targets: the system fields plus the form's fields by id and by every label."""
    from .workbook import SYSTEM_TARGETS

    def labels(value) -> list[str]:
        return [value] if isinstance(value, str) else list((value or {}).values())

    return SYSTEM_TARGETS.with_fields({f["id"]: labels(f.get("label")) for f in form})


def check_form_values(report, form: list[dict], region: str) -> None:
    """Custom form answers read from the sheet are checked by their field's type (select options,
    dates, numbers...): a row with a bad value is skipped naming its row, column and code."""
    from .forms import PREDEFINED_IDS, check_value
    from .workbook.codes import SKIPPED
    from .workbook.model import Issue

    typed = {f["id"]: f for f in form if f["id"] not in PREDEFINED_IDS}
    if not typed:
        return
    headers = {target: header for header, target in (report.columns.get("mapped") or {}).items()}
    kept = []
    for row in report.rows:
        problem = None
        for field_id, value in row.custom.items():
            field = typed.get(field_id)
            if field is None:
                continue
            if field["type"] == "date" and isinstance(value, str) and len(value) == 19 and value[10] == "T":
                value = value[:10]  # a date cell read as midnight
            if field["type"] == "multiselect" and isinstance(value, str):
                value = [v.strip() for v in value.split(",")]
            try:
                row.custom[field_id] = check_value(field, value if field["type"] == "number" or isinstance(value, str) else str(value),
                                                   region=region, html=True)
            except InvalidRequest as exc:
                problem = Issue(row.row, row.identifier, headers.get(field_id, field_id), exc.code, exc.message, SKIPPED)
                break
        if problem is None:
            kept.append(row)
        else:
            report.issues.append(problem)
    if len(kept) != len(report.rows):
        report.rows = kept
        report.issues.sort(key=lambda issue: (issue.row or 0))
        if report.status == "valid":
            report.status = "valid_with_errors"


def _fan_out(job: ImportJobModel, event_id: str, options: ImportOptions, report, send: Callable[[list[dict]], int],
             extra_options: dict | None = None) -> ImportJobModel:
    """Validated rows (a workbook's or an account group's) to a running job and its chunks."""
    if options.dry_run:
        return _check_only(job, options, report, extra_options)
    import_id = job.import_id
    prefix = _report_prefix(job)
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
                if _has_bookings(contact):
                    kept.append(_kept_issue(contact.identifier))
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
    issues.sort(key=_issue_order)
    prefix = _report_prefix(job)
    aws.put_object(f"{prefix}/issues.json", json.dumps({"total": len(issues), "first": issues[:MAX_REPORTED_ISSUES]}).encode(),
                   "application/json")
    report_key = f"{prefix}/report.xlsx"
    aws.put_object(report_key, _issues_xlsx(issues), XLSX)
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


def _list_import(event_id: str, job: ImportJobModel) -> None:
    item = EventImportModel(pk=f"EVENT#{event_id}", sk=f"IMPORT#{job.created_at}#{job.import_id}", import_id=job.import_id)
    retrying(item.save, what="import listing")


def start_account_import(event, body: dict, *, import_id: str | None = None,
                         send: Callable[[list[dict]], int] | None = None) -> ImportJobModel:
    """`{"source": "accounts", "account_group": ...}`: the group's accounts become the rows of a job
    that goes through the same chunks, workers and report as a workbook's (source `accounts`).

    Runs in the organiser API's request, for groups up to MAX_ACCOUNT_IMPORT accounts. Refused
    with 422 before any job exists: a group no account of the workspace is in
    (`unknown_account_group`, also a misspelt one), or a larger one (`too_large`).
    """
    from .accounts import UNKNOWN_ACCOUNT_GROUP, account_rows, list_accounts

    fields, options = _request_options(event, body, _ACCOUNT_REQUEST_FIELDS)
    group = str(fields.get("account_group") or "").strip()
    if not group:
        raise InvalidRequest("invalid_field", "field 'account_group': the account group to import", {"field": "account_group"})
    members = list_accounts(event.workspace_id, group)
    if not members:
        raise InvalidRequest(UNKNOWN_ACCOUNT_GROUP, f"no account of this workspace is in the account group {group!r}",
                             {"field": "account_group"})
    if len(members) > MAX_ACCOUNT_IMPORT:
        raise InvalidRequest("too_large", f"the account group {group!r} has {len(members)} accounts; at most "
                             f"{MAX_ACCOUNT_IMPORT} are imported at once", {"field": "account_group"})
    report = account_rows(members, tuple(event.languages), event.default_language)
    import_id = import_id or f"imp-{uuid.uuid4().hex[:20]}"
    now = now_iso()
    job = ImportJobModel(pk=_job_key(import_id), import_id=import_id, event_id=event.event_id, source="accounts",
                         status="validating", created_at=now, updated_at=now)
    retrying(lambda: job.save(condition=ImportJobModel.pk.does_not_exist()), what="import job")
    _list_import(event.event_id, job)
    return _fan_out(job, event.event_id, options, report, send or send_chunks, extra_options={"account_group": group})


def unknown_account_manager(report, workspace_id: str) -> None:
    """Rule `unknown_account_manager`: a manager no account answers to is left empty, with a
    warning; the row is still imported. Known ones are stored by username. One query per import."""
    named = [row for row in report.rows if row.fields.get("account_manager")]
    if not named:
        return
    from .accounts import UNKNOWN_ACCOUNT_MANAGER, manager_index, resolve_account_manager
    from .workbook import Issue

    index = manager_index(workspace_id)
    column = next((h for h, f in report.columns["mapped"].items() if f == "account_manager"), "account_manager")
    for row in named:
        value = row.fields["account_manager"]
        username = resolve_account_manager(value, index)
        if username:
            row.fields["account_manager"] = username
            continue
        del row.fields["account_manager"]
        report.issues.append(Issue(row=row.row, identifier=row.identifier, column=column, code=UNKNOWN_ACCOUNT_MANAGER,
                                   message=f"Row {row.row}, column '{column}': no account {value!r}; "
                                           "the account manager is left empty.", severity="warning"))
    report.issues.sort(key=lambda issue: (issue.row is None, issue.row or 0))


def _chunks(import_id: str, event_id: str, options: ImportOptions, rows: list, size: int) -> Iterable[dict]:
    """Rows in file order, `size` per chunk or fewer when they are large. Deterministic: reruns cut the same chunks."""
    index, batch, batch_bytes = 0, [], 0
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


def _fail(job: ImportJobModel, code: str, message: str, columns: dict | None = None) -> ImportJobModel:
    """The import is refused as a whole: nothing was or will be written. Idempotent."""
    now = now_iso()
    report_key = f"{_report_prefix(job)}/report.xlsx"
    aws.put_object(report_key, _issues_xlsx([], error={"code": code, "message": message}), XLSX)
    actions = [ImportJobModel.status.set("failed"), ImportJobModel.error.set({"code": code, "message": message}),
               ImportJobModel.report_key.set(report_key), ImportJobModel.finished_at.set(now), ImportJobModel.updated_at.set(now)]
    if columns is not None:
        actions.append(ImportJobModel.columns.set(columns))
    try:
        retrying(lambda: job.update(actions=actions, condition=ImportJobModel.status == "validating"), what="import job")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        job.refresh(consistent_read=True)
    return job


# ------------------------------------------------------------------ the upsert worker

def process_chunk(message: dict, *, dead_letter_reason: str | None = None) -> dict:
    """Write one chunk's rows (one conditional write each) and count them once. Returns the chunk's counts.

    With `dead_letter_reason` (the chunk's last run, from the dead-letter queue) a row that still
    cannot be written is counted failed with `processing_failed` instead of failing the chunk;
    the rows that are written count as what they became. Transient faults still fail the chunk.
    """
    import_id, index = message["import_id"], int(message["chunk"])
    marker_key = f"CHUNK#{index:06d}"
    if _marker_exists(import_id, marker_key):
        finish_if_done(import_id)  # the earlier delivery may have died between counting and finishing
        return {"replayed": True}
    event = get_event(message["event_id"])
    rows = message["rows"]
    existing = fetch_existing(event.event_id, [r["identifier"] for r in rows])
    cause = Cause(kind="import", ref=import_id)
    groups = [message["group"]] if message.get("group") else []
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    issues = []

    def write(r: dict) -> RowOutcome:
        return upsert_row(event, existing.get(r["identifier"]), r["identifier"], _as_text(r["fields"]), r.get("custom") or {},
                          mode=message["mode"], op_id=f"{import_id}:{r['row']}", groups=groups,
                          permission_group=message.get("permission_group"), cause=cause)

    # The rows of a chunk have distinct identifiers (the reader skips duplicates), so their writes
    # are independent: a few in flight at once hide the round trips. A row that raises fails the
    # chunk after the others ended; the redelivery writes it again (replays are harmless).
    futures = [_writer_pool().submit(carry_deadline(write), r) for r in rows]
    wait(futures)  # none still writing when this delivery fails and the next one starts
    for r, future in zip(rows, futures):
        try:
            outcome = future.result()  # the first row that raised fails the chunk
        except Exception as exc:
            if dead_letter_reason is None or is_transient(exc):
                raise
            outcome = _unwritable(dead_letter_reason)
        counts[outcome.result] += 1
        if outcome.code:
            issues.append({"row": r["row"], "identifier": r["identifier"], "column": None, "code": outcome.code,
                           "message": f"Row {r['row']}: {outcome.message}", "severity": outcome.result})
    _count_chunk(import_id, marker_key, "processing_failed" if counts["failed"] else "processed", counts, issues)
    finish_if_done(import_id)
    return counts


_WRITERS_IN_FLIGHT = 8
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _writer_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_WRITERS_IN_FLIGHT, thread_name_prefix="import-writer")
        return _pool


def _as_text(fields: dict) -> dict:
    """Predefined fields are stored as text; the reader already kept digits (zip 8001)."""
    return {k: v if isinstance(v, str) else ("true" if v is True else "false" if v is False else str(v)) for k, v in fields.items()}


def record_dead_chunk(message: dict, reason: str) -> None:
    """A chunk that exhausted its deliveries gets a last run: rows that were (or now are) written count
    as what they became; only a row that still cannot be written is failed (`processing_failed`).
    A transient fault fails this record too (the dead-letter queue delivers it again), so no written
    row is ever reported failed. When the chunk cannot run at all (its event or import is gone, the
    message is malformed), none of its rows was written: all are failed, so the job still ends."""
    try:
        process_chunk(message, dead_letter_reason=reason)
        return
    except Exception as exc:
        if is_transient(exc):
            raise
    import_id, index = message["import_id"], int(message["chunk"])
    rows = message.get("rows", [])
    failed = _unwritable(reason)
    issues = [{"row": r["row"], "identifier": r["identifier"], "column": None, "code": failed.code,
               "message": f"Row {r['row']}: {failed.message}", "severity": "failed"} for r in rows]
    _count_chunk(import_id, f"CHUNK#{index:06d}", "processing_failed",
                 {"created": 0, "updated": 0, "skipped": 0, "failed": len(rows)}, issues)
    finish_if_done(import_id)


def _unwritable(reason: str) -> RowOutcome:
    return RowOutcome("failed", "processing_failed", f"could not be written ({reason}); import the file again to retry it")


def _marker_exists(import_id: str, marker_key: str) -> bool:
    try:
        ChunkResultModel.get(_job_key(import_id), marker_key, consistent_read=True)
        return True
    except ChunkResultModel.DoesNotExist:
        return False


def _count_chunk(import_id: str, marker_key: str, outcome: str, counts: dict, issues: list[dict]) -> bool:
    """Marker + counters in one transaction: False when this chunk was counted already.

    Chunks of one import finish concurrently and all touch the job item, so a transaction
    may be cancelled by a conflict: that is retried (within the function's time, else the
    chunk fails and comes back), never taken for "counted".
    """
    marker = ChunkResultModel(pk=_job_key(import_id), sk=marker_key, outcome=outcome, issues=json.dumps(issues),
                              created_at=now_iso(), **counts)

    def write() -> None:
        with TransactWrite(connection=ChunkResultModel._get_connection().connection) as tx:
            tx.save(marker, condition=ChunkResultModel.pk.does_not_exist())
            tx.update(ImportJobModel(pk=_job_key(import_id), sk="JOB"), actions=[
                ImportJobModel.created.add(counts["created"]), ImportJobModel.updated.add(counts["updated"]),
                ImportJobModel.skipped.add(counts["skipped"]), ImportJobModel.failed.add(counts["failed"]),
                ImportJobModel.chunks_done.add(1), ImportJobModel.updated_at.set(now_iso())],
                condition=ImportJobModel.pk.exists())

    try:
        retrying(write, what="chunk count")
        return True
    except TransactWriteError as exc:
        reasons = cancellation_codes(exc)
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return False  # the marker exists: counted by an earlier delivery
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise NotFound("import_not_found", f"no import {import_id!r} to count chunk {marker_key} in") from exc
        raise


# ------------------------------------------------------------------ finishing

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
    prefix = _report_prefix(job)
    kept: list[dict] = []
    if plain(job.options).get("delete_missing"):
        kept = _delete_missing(job)
    issues = _validation_issues(job) + _chunk_issues(job) + kept
    issues.sort(key=_issue_order)
    aws.put_object(f"{prefix}/issues.json", json.dumps({"total": len(issues), "first": issues[:MAX_REPORTED_ISSUES]}).encode(),
                   "application/json")
    report_key = f"{prefix}/report.xlsx"
    aws.put_object(report_key, _issues_xlsx(issues), XLSX)
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


def _issue_order(issue: dict):
    return (issue.get("row") is None, issue.get("row") or 0, issue.get("identifier") or "")


def _issues_xlsx(issues: list[dict], error: dict | None = None) -> bytes:
    from .workbook import Issue, WorkbookReport, write_issue_report

    fields = ("row", "identifier", "column", "code", "message", "severity")
    report = WorkbookReport(status="failed" if error else "", error=error, rows_total=0,
                            issues=[Issue(**{k: i.get(k) for k in fields}) for i in issues])
    return write_issue_report(report)


def _has_bookings(contact: ContactModel) -> bool:
    if int(contact.confirmed_count or 0) + int(contact.waitlisted_count or 0) + int(contact.attended_count or 0) > 0:
        return True
    # cancelled bookings leave no count on the contact but are still its bookings (and history)
    page = ContactModel._get_connection().query(contact.pk, ContactModel.sk.startswith(BOOKING_SK_PREFIX),
                                                consistent_read=True, limit=1)
    return bool(page.get("Items"))


def _no_active_bookings():
    return ((ContactModel.confirmed_count == 0) | ContactModel.confirmed_count.does_not_exist()) & \
           ((ContactModel.waitlisted_count == 0) | ContactModel.waitlisted_count.does_not_exist()) & \
           ContactModel.pk.exists()


def _delete_missing(job: ImportJobModel) -> list[dict]:
    """Contacts of the event the file does not name are deleted; those with bookings are kept and reported."""
    body, _ = aws.get_object(f"{_report_prefix(job)}/identifiers.json")
    in_file = set(json.loads(body))
    kept: list[dict] = []
    doomed: list[ContactModel] = []
    cursor = None
    while True:
        contacts, cursor = list_contacts(job.event_id, cursor=cursor, limit=500)
        for contact in contacts:
            if contact.identifier in in_file:
                continue
            if _has_bookings(contact):
                kept.append(_kept_issue(contact.identifier))
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


def _kept_issue(identifier: str) -> dict:
    return {"row": None, "identifier": identifier, "column": None, "code": "kept_with_bookings",
            "message": f"{identifier!r} is not in the file but has bookings: kept", "severity": "warning"}


def _delete_counted(job: ImportJobModel, contacts: list[ContactModel]) -> list[dict]:
    """Deletes and counts in one transaction; when one contact refuses (a booking arrived, or another
    run deleted it first) the batch goes again one by one. Returns the contacts kept for a new booking."""
    connection = ContactModel._get_connection().connection
    job_ref = ImportJobModel(pk=_job_key(job.import_id), sk="JOB")

    def run(batch: list[ContactModel]) -> None:
        with TransactWrite(connection=connection) as tx:
            for contact in batch:
                tx.delete(ContactModel(pk=contact.pk, sk=CONTACT_SK), condition=_no_active_bookings())
            tx.update(job_ref, actions=[ImportJobModel.deleted.add(len(batch))])

    try:
        retrying(lambda: run(contacts), what="delete-missing")
        return []
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
    kept = []
    for contact in contacts:
        try:
            retrying(lambda contact=contact: run([contact]), what="delete-missing")
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            try:
                current = ContactModel.get(contact.pk, CONTACT_SK, consistent_read=True)
            except ContactModel.DoesNotExist:
                continue  # another run deleted (and counted) it
            kept.append(_kept_issue(current.identifier))
    return kept


def _validation_issues(job: ImportJobModel) -> list[dict]:
    if not job.issues_key:
        return []
    body, _ = aws.get_object(job.issues_key)
    return json.loads(body)


def _chunk_issues(job: ImportJobModel) -> list[dict]:
    issues: list[dict] = []
    for marker in ChunkResultModel.query(_job_key(job.import_id), ChunkResultModel.sk.startswith("CHUNK#"), consistent_read=True):
        issues.extend(json.loads(marker.issues or "[]"))
    return issues


# ------------------------------------------------------------------ reports

def list_imports(event_id: str, limit: int = 20) -> list[dict]:
    """The event's imports, newest first, with their status, counts and progress (no issues)."""
    out = []
    for item in EventImportModel.query(f"EVENT#{event_id}", EventImportModel.sk.startswith("IMPORT#"),
                                       scan_index_forward=False, limit=limit):
        job = get_job(item.import_id)
        out.append(report_json(job, with_url=False, with_issues=False))
    return out


def _issue_json(issue: dict) -> dict:
    return {k: issue.get(k) for k in ("row", "identifier", "column", "code", "message")}


def report_json(job: ImportJobModel, *, with_url: bool = True, with_issues: bool = True) -> dict:
    """DESIGN.md s3's report, plus `progress` (chunks) and `object_key` (what was uploaded)."""
    report = {
        "import_id": job.import_id,
        "event_id": job.event_id,
        "source": job.source,
        "status": job.status,
        "error": plain(job.error) or None,
        "rows_total": int(job.rows_total),
        "counts": {"created": int(job.created), "updated": int(job.updated), "deleted": int(job.deleted),
                   "skipped": int(job.skipped), "failed": int(job.failed)},
        "warnings": int(job.warnings) + int(job.kept),
        "columns": {"mapped": dict(plain(job.columns).get("mapped") or {}), "ignored": list(plain(job.columns).get("ignored") or [])},
        "progress": {"chunks_total": int(job.chunks_total), "chunks_done": int(job.chunks_done)},
        "object_key": job.object_key,
        "account_group": plain(job.options).get("account_group"),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }
    expired = False
    issues_read = False  # issues.json and report.xlsx are written together and expire together
    if with_issues:
        issues, total = [], 0
        if job.status in TERMINAL and job.status != "failed":
            try:
                body, _ = aws.get_object(f"{_report_prefix(job)}/issues.json")
            except Exception as exc:  # botocore's ClientError, kept out of the domain's signature
                if not _is_missing_object(exc):
                    raise
                expired = True
            else:
                stored = json.loads(body)
                issues, total, issues_read = stored["first"], stored["total"], True
        report["issues"] = [_issue_json(i) for i in issues]
        report["issues_total"] = total
    if with_url:
        report["report_url"] = None
        if job.report_key and job.status in TERMINAL and not expired:
            expired = not issues_read and not _object_exists(job.report_key)
            report["report_url"] = None if expired else aws.presigned_get(job.report_key)
    if expired:
        report["report_expired"] = True
        report["report_message"] = (f"the report files of this import were removed {REPORT_DAYS} days after it ran "
                                    "(the bucket's lifecycle); status and counts are kept")
    return report


# The import bucket's lifecycle rule (template.yaml, ImportBucket) removes uploads and reports after this many days.
REPORT_DAYS = 30


def _is_missing_object(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


def _object_exists(key: str) -> bool:
    try:
        aws.head_object(key)
        return True
    except Exception as exc:  # botocore's ClientError
        if _is_missing_object(exc):
            return False
        raise
