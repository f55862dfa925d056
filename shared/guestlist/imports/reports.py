"""What the API shows of imports: the event's list and one job's report (counts, issues, report link)."""

from __future__ import annotations

import json

from .. import aws
from ..models import (
    EventImportModel,
    ImportJobModel,
    plain,
)
from .jobs import (
    TERMINAL,
    get_job,
    is_missing_object,
    object_exists,
    report_prefix,
)


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
                body, _ = aws.get_object(f"{report_prefix(job)}/issues.json")
            except Exception as exc:  # botocore's ClientError, kept out of the domain's signature
                if not is_missing_object(exc):
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
            expired = not issues_read and not object_exists(job.report_key)
            report["report_url"] = None if expired else aws.presigned_get(job.report_key)
    if expired:
        report["report_expired"] = True
        report["report_message"] = (f"the report files of this import were removed {REPORT_DAYS} days after it ran "
                                    "(the bucket's lifecycle); status and counts are kept")
    return report

# The import bucket's lifecycle rule (template.yaml, ImportBucket) removes uploads and reports after this many days.
REPORT_DAYS = 30
