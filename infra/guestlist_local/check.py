"""`guestlist check`: validates a workbook locally exactly as an import would, writing nothing."""

from __future__ import annotations

import json
import logging
import os
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from guestlist.workbook import FAILED, SKIPPED, ReadOptions, WorkbookReport, read_workbook

SHOWN_ISSUES = 50
PROGRESS_MIN_BYTES = 1024 * 1024  # below this a check takes well under a second: no bar


def run_check(path: str | os.PathLike, mapping_json: str | None, as_json: bool, console: Console | None = None) -> int:
    """Exit code: 0 valid (with or without skipped rows), 1 the file failed, 2 bad arguments."""
    path = os.fspath(path)
    console = console or Console()
    errors = Console(stderr=True) if console.file in (sys.stdout, sys.__stdout__) else console
    mapping = None
    if mapping_json:
        try:
            mapping = json.loads(mapping_json)
        except json.JSONDecodeError as exc:
            errors.print(f"[red]error:[/] --mapping is not valid JSON ({escape(exc.msg)} at position {exc.pos}).", highlight=False)
            return 2
        if not isinstance(mapping, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
        ):
            errors.print(
                '[red]error:[/] --mapping must be a JSON object like {"E-Mail": "identifier", "Notes": ""}.', highlight=False
            )
            return 2
    if not os.path.isfile(path):
        errors.print(f"[red]error:[/] no such file: {escape(path)}", highlight=False)
        return 2

    # The reader logs why calamine gave up (for operators of the import function); here the
    # report says it, so no stray line goes to stderr.
    logging.getLogger("guestlist.workbook").addHandler(logging.NullHandler())
    options = ReadOptions(mapping=mapping)
    if not as_json and console.is_terminal and os.path.getsize(path) >= PROGRESS_MIN_BYTES:
        report = _read_with_progress(path, options, console)
    else:
        report = read_workbook(path, options)

    if as_json:
        console.file.write(json.dumps(check_json(report), ensure_ascii=False) + "\n")
        console.file.flush()
    else:
        print_summary(report, path, console)
    return 1 if report.status == FAILED else 0


def check_json(report: WorkbookReport) -> dict:
    """The import report's shape, with counts as an upsert into an empty event would give them."""
    counts = report.counts()
    return {
        "status": report.status,
        "error": report.error,
        "rows_total": report.rows_total,
        "counts": {
            "created": counts["valid"],
            "updated": 0,
            "deleted": 0,
            "skipped": counts["skipped"],
            "failed": 0,
        },
        "warnings": counts["warnings"],
        "columns": report.columns,
        "issues": [
            {
                "row": issue.row,
                "identifier": issue.identifier,
                "column": issue.column,
                "code": issue.code,
                "message": issue.message,
            }
            for issue in report.issues
        ],
    }


def _read_with_progress(path: str, options: ReadOptions, console: Console) -> WorkbookReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("checking rows"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        task = progress.add_task("check", total=None)

        def advance(done: int, expected: int) -> None:
            progress.update(task, completed=done, total=max(expected, done))

        return read_workbook(path, options, on_progress=advance)


def print_summary(report: WorkbookReport, path: str, console: Console) -> None:
    colour = {"valid": "green", "valid_with_errors": "yellow", "failed": "red"}.get(report.status, "white")
    console.print(f"[bold]{escape(path)}[/]: [bold {colour}]{report.status}[/]", highlight=False)
    if report.error:
        console.print(f"  [red]{report.error['code']}[/]: {escape(report.error['message'])}", highlight=False)
    counts = report.counts()
    if report.status != FAILED:
        console.print(
            f"  rows: {report.rows_total}  valid: {counts['valid']}  skipped: {counts['skipped']}"
            f"  warnings: {counts['warnings']}",
            highlight=False,
        )
    mapped = report.columns.get("mapped", {})
    if mapped:
        table = Table(title="Columns", title_justify="left", show_edge=False)
        table.add_column("Header")
        table.add_column("Field")
        for header, target in mapped.items():
            table.add_row(Text(header), Text(target))
        console.print(table)
    ignored = report.columns.get("ignored", [])
    if ignored:
        console.print("  ignored columns: " + escape(", ".join(ignored)), highlight=False)
    if report.issues:
        table = Table(title="Issues", title_justify="left", show_edge=False)
        for name in ("Row", "Identifier", "Column", "Code", "Message"):
            table.add_column(name)
        for issue in report.issues[:SHOWN_ISSUES]:
            style = "red" if issue.severity == SKIPPED else "yellow"
            table.add_row(
                str(issue.row or ""), Text(issue.identifier or ""), Text(issue.column or ""),
                Text(issue.code, style=style), Text(issue.message),
            )
        console.print(table)
        if len(report.issues) > SHOWN_ISSUES:
            console.print(
                f"  … and {len(report.issues) - SHOWN_ISSUES} more issues (use --json for all of them)",
                highlight=False,
            )
