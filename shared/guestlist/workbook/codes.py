"""Every code the workbook reader reports, declared once; reports and the API use these strings."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    # file-level: the whole workbook is refused, nothing is read
    UNSUPPORTED_FILE = "unsupported_file"
    MULTIPLE_SHEETS = "multiple_sheets"
    DUPLICATE_HEADERS = "duplicate_headers"
    NO_IDENTIFIER_COLUMN = "no_identifier_column"
    TOO_LARGE = "too_large"
    INVALID_MAPPING = "invalid_mapping"
    # row-level: the row is skipped
    MISSING_IDENTIFIER = "missing_identifier"
    DUPLICATE_IDENTIFIER = "duplicate_identifier"
    FORMULA = "formula"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    ERROR_VALUE = "error_value"  # a cell showing an Excel error (#N/A, #VALUE!...)
    TOTALS_ROW = "totals_row"  # 'Total', 'Summe'... in the identifier column: the list's foot
    REPEATED_HEADER = "repeated_header"  # the header row again below the data
    # row-level warnings: the row is imported
    BLANK_ROW = "blank_row"
    UNKNOWN_LANGUAGE = "unknown_language"
    # file-level warnings: the file is read, but not quite as written
    HEADER_ROW = "header_row"  # the header is below a title row
    COMPETING_COLUMNS = "competing_columns"  # two columns look like one field; one is ignored
    EMAIL_AS_IDENTIFIER = "email_as_identifier"  # no identifier column: the email column is used


FILE_CODES = frozenset(
    {
        Code.UNSUPPORTED_FILE,
        Code.MULTIPLE_SHEETS,
        Code.DUPLICATE_HEADERS,
        Code.NO_IDENTIFIER_COLUMN,
        Code.TOO_LARGE,
        Code.INVALID_MAPPING,
    }
)

# Issue.severity values
SKIPPED = "skipped"
WARNING = "warning"

# Report status values
VALID = "valid"
VALID_WITH_ERRORS = "valid_with_errors"
FAILED = "failed"
