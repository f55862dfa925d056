"""An import job's storage: its item, its listing under the event, the report files' keys and workbook."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import aws
from ..codes import Code
from ..errors import NotFound
from ..models import (
    EventImportModel,
    ImportJobModel,
)
from ..retry import retrying

if TYPE_CHECKING:
    from ..workbook import Issue

TERMINAL = ("completed", "completed_with_errors", "failed", "checked")  # checked: a dry run's end
MAX_REPORTED_ISSUES = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def job_key(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def report_prefix(job: ImportJobModel) -> str:
    return f"reports/{job.event_id or '_'}/{job.import_id}"


def get_job(import_id: str) -> ImportJobModel:
    try:
        return ImportJobModel.get(job_key(import_id), "JOB", consistent_read=True)
    except ImportJobModel.DoesNotExist as exc:
        raise NotFound(Code.IMPORT_NOT_FOUND, f"no import {import_id!r}") from exc


def list_under_event(event_id: str, job: ImportJobModel) -> None:
    item = EventImportModel(pk=f"EVENT#{event_id}", sk=f"IMPORT#{job.created_at}#{job.import_id}", import_id=job.import_id)
    retrying(item.save, what="import listing")


def issue_order(issue: dict):
    return (issue.get("row") is None, issue.get("row") or 0, issue.get("identifier") or "")


def write_issue_reports(job: ImportJobModel, issues: list[dict]) -> str:
    """issues.json (the first MAX_REPORTED_ISSUES, for the API) and report.xlsx (all of them); returns the workbook's key."""
    prefix = report_prefix(job)
    aws.put_object(f"{prefix}/issues.json", json.dumps({"total": len(issues), "first": issues[:MAX_REPORTED_ISSUES]}).encode(),
                   "application/json")
    report_key = f"{prefix}/report.xlsx"
    aws.put_object(report_key, issues_xlsx(issues), XLSX)
    return report_key


def issues_xlsx(issues: list[dict], error: dict | None = None) -> bytes:
    from ..workbook import WorkbookReport, write_issue_report

    fields = ("row", "identifier", "column", "code", "message", "severity")
    report = WorkbookReport(status="failed" if error else "", error=error, rows_total=0,
                            issues=[_issue(i, fields) for i in issues])
    return write_issue_report(report)


def is_missing_object(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


def object_exists(key: str) -> bool:
    try:
        aws.head_object(key)
        return True
    except Exception as exc:  # botocore's ClientError
        if is_missing_object(exc):
            return False
        raise


def _issue(stored: dict, fields: tuple[str, ...]) -> Issue:
    """An issues.json entry back as an Issue (a key it lacks is None)."""
    from ..workbook import Issue

    values: dict[str, Any] = {k: stored.get(k) for k in fields}
    return Issue(**values)
