"""Workbook reading and validation: an .xlsx upload in, valid rows and a report of every issue out."""

from .codes import FAILED, SKIPPED, VALID, VALID_WITH_ERRORS, WARNING, Code
from .columns import LABELS, normalise_label
from .issue_report import write_issue_report
from .model import (
    PREDEFINED_FIELDS,
    Issue,
    Limits,
    ReadOptions,
    Row,
    WorkbookError,
    WorkbookReport,
)
from .reader import read_workbook
from .values import normalise_identifier

__all__ = [
    "Code",
    "FAILED",
    "Issue",
    "LABELS",
    "Limits",
    "PREDEFINED_FIELDS",
    "ReadOptions",
    "Row",
    "SKIPPED",
    "VALID",
    "VALID_WITH_ERRORS",
    "WARNING",
    "WorkbookError",
    "WorkbookReport",
    "normalise_identifier",
    "normalise_label",
    "read_workbook",
    "write_issue_report",
]
