"""`POST /events/{id}/imports`: the organiser's options checked for the event, then a presigned upload
(a workbook) or a started job (an account group)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from .. import aws
from ..accounts import account_rows, list_accounts
from ..clock import now_iso
from ..codes import Code
from ..errors import InvalidRequest
from ..events import event_form
from ..import_options import ImportOptions
from ..models import (
    ImportJobModel,
)
from ..retry import retrying
from .fan_out import fan_out_rows, send_chunks
from .jobs import (
    job_key,
    list_under_event,
)
from .reports import report_json
from .source import upload_key


def check_options_for_event(options: ImportOptions, event) -> None:
    """A permission group the event does not define is refused (when the event defines any); a mapping
    to anything but a system field, a predefined field or a field of the event's form is `unknown_field`
    (DESIGN.md s10), before anything is read."""
    from ..forms import PREDEFINED_IDS, SYSTEM_FIELDS

    allowed = set(SYSTEM_FIELDS) | set(PREDEFINED_IDS) | {f["id"] for f in event_form(event)}
    unknown = sorted({target for target in (options.mapping or {}).values() if target and target not in allowed})
    if unknown:
        raise InvalidRequest(Code.UNKNOWN_FIELD, f"option 'mapping': {', '.join(repr(t) for t in unknown)} is not a field of this "
                             "event (system fields, predefined fields and the form's fields)", {"field": "mapping"})
    defined = set(event.permission_groups or ())
    if options.permission_group and defined and options.permission_group not in defined:
        raise InvalidRequest(Code.UNKNOWN_PERMISSION_GROUP,
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
        raise InvalidRequest(Code.UNSUPPORTED_SOURCE,
                             f"source {source!r} is not available; the sources are {', '.join(SOURCES)}", {"field": "source"})
    if source == "accounts":
        return report_json(start_account_import(event, body))
    return prepare_upload(event, body)


def _request_options(event, body: dict, allowed: tuple[str, ...]) -> tuple[dict, ImportOptions]:
    """The request's fields (`-` or `_` alike) and the import options they carry, checked for the event."""
    fields = {k.replace("-", "_"): v for k, v in body.items()}
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidRequest(Code.UNKNOWN_OPTION, f"unknown import option(s): {', '.join(unknown)}; "
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
        raise InvalidRequest(Code.UNSUPPORTED_FILE, "only .xlsx workbooks can be imported", {"field": "filename"})
    key = upload_key(event.event_id, name)
    return {"key": key, "options": options.to_dict(), "upload": aws.presigned_put(key, options.to_metadata())}


def start_account_import(event, body: dict, *, import_id: str | None = None,
                         send: Callable[[list[dict]], int] | None = None) -> ImportJobModel:
    """`{"source": "accounts", "account_group": ...}`: the group's accounts become the rows of a job
    that goes through the same chunks, workers and report as a workbook's (source `accounts`).

    Runs in the organiser API's request, for groups up to MAX_ACCOUNT_IMPORT accounts. Refused
    with 422 before any job exists: a group no account of the workspace is in
    (`unknown_account_group`, also a misspelt one), or a larger one (`too_large`).
    """
    fields, options = _request_options(event, body, _ACCOUNT_REQUEST_FIELDS)
    group = str(fields.get("account_group") or "").strip()
    if not group:
        raise InvalidRequest(Code.INVALID_FIELD, "field 'account_group': the account group to import", {"field": "account_group"})
    members = list_accounts(event.workspace_id, group)
    if not members:
        raise InvalidRequest(Code.UNKNOWN_ACCOUNT_GROUP, f"no account of this workspace is in the account group {group!r}",
                             {"field": "account_group"})
    if len(members) > MAX_ACCOUNT_IMPORT:
        raise InvalidRequest(Code.TOO_LARGE, f"the account group {group!r} has {len(members)} accounts; at most "
                             f"{MAX_ACCOUNT_IMPORT} are imported at once", {"field": "account_group"})
    report = account_rows(members, tuple(event.languages), event.default_language)
    import_id = import_id or f"imp-{uuid.uuid4().hex[:20]}"
    now = now_iso()
    job = ImportJobModel(pk=job_key(import_id), import_id=import_id, event_id=event.event_id, source="accounts",
                         status="validating", created_at=now, updated_at=now)
    retrying(lambda: job.save(condition=ImportJobModel.pk.does_not_exist()), what="import job")
    list_under_event(event.event_id, job)
    return fan_out_rows(job, event.event_id, options, report, send or send_chunks, extra_options={"account_group": group})
