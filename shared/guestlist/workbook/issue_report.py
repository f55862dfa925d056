"""The downloadable report: every skipped row and warning as an .xlsx, safe to open in Excel."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .model import WorkbookReport

HEADERS = ("Row", "Identifier", "Column", "Code", "Message")
# A text starting with one of these is run as a formula by Excel or LibreOffice (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Prefixes ' so a value like '=HYPERLINK(...)' is shown, never run."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_issue_report(report: WorkbookReport) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Issues")
    sheet.append(HEADERS)
    if report.error:
        sheet.append([None, None, None, _text(sheet, report.error.get("code")), _text(sheet, report.error.get("message"))])
    for issue in report.issues:
        sheet.append(
            [
                issue.row,
                _text(sheet, issue.identifier),
                _text(sheet, issue.column),
                _text(sheet, issue.code),
                _text(sheet, issue.message),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(sheet, value):
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=safe_text(str(value)))
    cell.data_type = "s"  # a string cell, whatever openpyxl would guess from its first character
    return cell
