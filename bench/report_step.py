"""The import's finishing step: writing the issue workbook for N issues (DESIGN.md s12: a 200,000-row
import must not finish inside the 60 s upsert worker). Baseline in the same run: a bare openpyxl
write-only workbook of the same cells, so the ratio shows our own overhead.

    .venv/bin/python -m bench.report_step [--issues 200000]
"""

from __future__ import annotations

import argparse
import io
import time


def main() -> None:
    from openpyxl import Workbook

    from guestlist.workbook import Issue, WorkbookReport, write_issue_report

    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=200_000)
    args = parser.parse_args()
    issues = [Issue(row=i + 2, identifier=f"guest{i}@example.com", column="Telefon", code="invalid_phone",
                    message=f"Row {i + 2}, column 'Telefon': '+41 44 xx' is not a valid phone number; the field is left empty.",
                    severity="warning") for i in range(args.issues)]
    started = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Issues")
    for i in issues:
        sheet.append([i.row, i.identifier, i.column, i.code, i.message])
    book.save(io.BytesIO())
    bare = time.perf_counter() - started
    started = time.perf_counter()
    size = len(write_issue_report(WorkbookReport(status="", error=None, rows_total=0, issues=issues)))
    ours = time.perf_counter() - started
    print(f"{args.issues} issues: issue workbook {ours:.1f} s ({size // 1024} KiB), bare openpyxl write-only {bare:.1f} s, "
          f"ratio {ours / bare:.2f}x")


if __name__ == "__main__":
    main()
