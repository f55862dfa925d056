"""The downloadable issue report: every skipped row and warning, never a live formula."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from guestlist.workbook import Issue, WorkbookReport, write_issue_report


def sheet_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_issue_report_lists_every_skipped_row_and_warning(kit):
    report = kit.read(kit.xlsx(["identifier", "E-Mail", "Sprache"], ["A1", "bad", "de"], [None], ["A2", None, "xx"]))
    rows = sheet_rows(write_issue_report(report))
    assert rows[0] == ("Row", "Identifier", "Column", "Code", "Message")
    assert [(row[0], row[3]) for row in rows[1:]] == [(2, "invalid_email"), (3, "blank_row"), (4, "unknown_language")]


def test_issue_report_text_cells_cannot_run_formulas():
    evil = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"]
    report = WorkbookReport(
        status="valid_with_errors", error=None, rows_total=len(evil),
        issues=[Issue(i + 2, value, value, "missing_identifier", value, "skipped") for i, value in enumerate(evil)],
    )
    data = write_issue_report(report)
    book = load_workbook(io.BytesIO(data))
    for row in book.active.iter_rows(min_row=2):
        for cell in row[1:]:
            assert cell.data_type == "s"
            assert not str(cell.value).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert b"<f>" not in data


def test_issue_report_of_a_failed_file_carries_the_error(kit):
    rows = sheet_rows(write_issue_report(kit.read(b"nope")))
    assert rows[1][3] == "unsupported_file"
