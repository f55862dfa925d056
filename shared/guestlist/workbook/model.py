"""The reader's inputs (limits, options) and outputs (rows, issues, the report) as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from guestlist.errors import GuestlistError
from guestlist.fields import PROFILE_FIELDS

from .codes import FAILED, SKIPPED, WARNING

if TYPE_CHECKING:
    from .columns import Targets  # columns imports this module

PREDEFINED_FIELDS = PROFILE_FIELDS  # the contact's fields, declared once in guestlist.fields

IDENTIFIER = "identifier"


@dataclass(frozen=True)
class Limits:
    """DESIGN.md s3 defaults; a deployment may pass smaller or larger ones."""

    max_file_bytes: int = 50 * 1024**2
    max_uncompressed_bytes: int = 500 * 1024**2
    max_rows: int = 200_000
    max_columns: int = 256


@dataclass(frozen=True)
class ReadOptions:
    mapping: dict[str, str] | None = None  # {"Header": "field_identifier"}, "" ignores the column
    languages: tuple[str, ...] = ("de", "fr", "en", "it")
    default_language: str = "en"
    region: str = "CH"  # default region for phone numbers written without +country code
    limits: Limits = Limits()
    targets: Targets | None = None  # the mapping targets and labels (None: the system fields)


@dataclass(slots=True)
class Issue:
    row: int | None  # Excel row number (header = 1); None for file-level issues
    identifier: str | None
    column: str | None  # the header as the organiser wrote it
    code: str
    message: str
    severity: str  # SKIPPED (row not imported) | WARNING (row imported)

    def to_dict(self) -> dict:
        return {
            "row": self.row,
            "identifier": self.identifier,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass(slots=True)
class Row:
    row: int
    identifier: str
    fields: dict  # predefined field -> value; empty cells are absent so they never erase
    custom: dict  # custom form fields -> value


@dataclass
class WorkbookReport:
    status: str  # "valid" | "valid_with_errors" | "failed"
    error: dict | None
    rows_total: int
    rows: list[Row] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    columns: dict = field(default_factory=lambda: {"mapped": {}, "ignored": []})

    def counts(self) -> dict:
        skipped = sum(1 for issue in self.issues if issue.severity == SKIPPED)
        warnings = sum(1 for issue in self.issues if issue.severity == WARNING)
        return {"valid": len(self.rows), "skipped": skipped, "warnings": warnings}

    def to_dict(self) -> dict:
        counts = self.counts()
        return {
            "status": self.status,
            "error": self.error,
            "rows_total": self.rows_total,
            "counts": counts,
            "warnings": counts["warnings"],
            "columns": {"mapped": dict(self.columns["mapped"]), "ignored": list(self.columns["ignored"])},
            "issues": [issue.to_dict() for issue in self.issues],
        }

    @classmethod
    def failed(cls, code: str, message: str, columns: dict | None = None) -> WorkbookReport:
        report = cls(status=FAILED, error={"code": str(code), "message": message}, rows_total=0)
        if columns is not None:
            report.columns = columns
        return report


class WorkbookError(GuestlistError):
    """The workbook as a whole cannot be imported; carries the file-level code and message."""

    status = 422

    def __init__(self, code: str, message: str, detail: dict | None = None):
        super().__init__(str(code), message, detail)
