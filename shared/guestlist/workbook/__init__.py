"""Workbook reading and validation: an .xlsx upload in, valid rows and a report of every issue out.

Choices where DESIGN.md s3 is silent (each has a test in tests/unit/workbook):
- A mapping key that is not a header in row 1, or two headers mapped to one field, fails the
  file with `invalid_mapping`: importing without the column the organiser meant is worse.
- Mapping targets are taken literally: a target that is not `identifier` or a predefined field
  is a custom field. The automatic targets and their labels come from one `Targets` object
  (columns.SYSTEM_TARGETS; `with_fields` adds an event's form fields). Two headers auto-mapping
  to one field: the exact label wins, else the leftmost; the other is ignored with a
  `competing_columns` warning (none when the field was mapped explicitly).
- "Name" maps to lastname only beside a first-name column; alone it is ambiguous and ignored.
- Only the `email` column is validated as an email; an identifier that looks like an email is
  just trimmed and lower-cased.
- A row gets at most one skipping issue (error_value, formula, totals_row, repeated_header,
  missing_identifier, duplicate_identifier, invalid_email, invalid_phone, in that order); every
  row with an identifier, skipped or not, claims it, so a later row with the same identifier is the duplicate.
- An error cell (t="e") anywhere makes its row a row; only one in a mapped column skips it.
- The header search also passes over an empty row 1 (not only a lone title); a lone cell that is
  itself a column label ('E-Mail' above a one-column list) is a header, not a title.
- File-level warnings (header_row, competing_columns, email_as_identifier) carry the header row.
- blank_row warns once per run of empty rows between two data rows; empty rows right below the
  header and trailing empty rows are silent.
- A row whose identifier is a totals word (Total, Summe, Totale...) and that has no e-mail is
  skipped as `totals_row`, and one whose identifier is the identifier column's header as
  `repeated_header`: the foot of a list and a header pasted again are not guests.
- Status is `valid_with_errors` when at least one row is skipped; warnings alone keep `valid`.
- The row limit is applied before parsing to the sheet's rows holding a value (counted only when
  its </row> tags exceed it), then again to the data rows read; the column limit to calamine's
  used range (which ignores formatted empty cells) before any row is converted.
- XML parts the reader does not parse may be in any encoding Python knows (Power Query's UTF-16);
  the parts it parses must be UTF-8.
- With one non-empty worksheet it is read whatever its position; empty extra sheets are fine.
"""

from .codes import FAILED, SKIPPED, VALID, VALID_WITH_ERRORS, WARNING, Code
from .columns import LABELS, SYSTEM_TARGETS, Targets, normalise_label
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
    "FAILED",
    "LABELS",
    "PREDEFINED_FIELDS",
    "SKIPPED",
    "SYSTEM_TARGETS",
    "VALID",
    "VALID_WITH_ERRORS",
    "WARNING",
    "Code",
    "Issue",
    "Limits",
    "ReadOptions",
    "Row",
    "Targets",
    "WorkbookError",
    "WorkbookReport",
    "normalise_identifier",
    "normalise_label",
    "read_workbook",
    "write_issue_report",
]
