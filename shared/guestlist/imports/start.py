"""The import function: an uploaded workbook is validated whole (nothing is written when it fails), then fanned out."""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from .. import aws
from ..clock import now_iso
from ..errors import InvalidRequest, NotFound
from ..events import event_form, get_event
from ..import_options import ImportOptions
from ..models import (
    ImportJobModel,
)
from ..retry import condition_failed, retrying
from .completion import finish_if_done
from .fan_out import fan_out_rows, send_chunks
from .jobs import (
    TERMINAL,
    XLSX,
    get_job,
    issues_xlsx,
    job_key,
    list_under_event,
    report_prefix,
)
from .request import check_options_for_event
from .row_checks import check_form_values, form_targets, unknown_account_manager


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
    job = ImportJobModel(pk=job_key(import_id), import_id=import_id, event_id=event_id or "", object_key=object_key,
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
    list_under_event(event_id, job)
    try:
        body, metadata = read_object()
    except NotFound as exc:
        return _fail(job, exc.code, exc.message)
    try:
        options = ImportOptions.from_metadata(metadata)
        check_options_for_event(options, event)
    except InvalidRequest as exc:
        return _fail(job, exc.code, exc.message)

    from ..workbook import Limits, ReadOptions, read_workbook  # heavy: only the import function needs it

    form = event_form(event)
    report = read_workbook(body, ReadOptions(mapping=options.mapping, languages=tuple(event.languages),
                                             default_language=event.default_language, region=event.country or "CH",
                                             limits=Limits(), targets=form_targets(form)))
    del body
    if report.status == "failed":
        assert report.error is not None  # a failed read says why (WorkbookReport.failed)
        return _fail(job, report.error["code"], report.error["message"], columns=report.columns)
    check_form_values(report, form, event.country or "CH")
    unknown_account_manager(report, event.workspace_id)
    return fan_out_rows(job, event_id, options, report, send)


def _fail(job: ImportJobModel, code: str, message: str, columns: dict | None = None) -> ImportJobModel:
    """The import is refused as a whole: nothing was or will be written. Idempotent."""
    now = now_iso()
    report_key = f"{report_prefix(job)}/report.xlsx"
    aws.put_object(report_key, issues_xlsx([], error={"code": code, "message": message}), XLSX)
    actions: list[Action] = [ImportJobModel.status.set("failed"), ImportJobModel.error.set({"code": code, "message": message}),
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
