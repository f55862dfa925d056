"""read_workbook: one upload in, one report out (valid rows and every issue), never an exception."""

from __future__ import annotations

import gc
import io
import logging
import os
from collections.abc import Callable

from python_calamine import CalamineWorkbook

from . import rules
from .codes import VALID, VALID_WITH_ERRORS, Code
from .columns import ColumnPlan, header_text, is_custom, plan_columns
from .container import Container, SheetPart, inspect_container, load_source
from .formulas import locate_formulas
from .model import IDENTIFIER, Issue, ReadOptions, Row, WorkbookError, WorkbookReport
from .values import custom_number, number_text, other_value

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows read, rows expected)
PROGRESS_EVERY = 4096


def read_workbook(
    source: bytes | str | os.PathLike, options: ReadOptions = ReadOptions(), *, on_progress: Progress | None = None
) -> WorkbookReport:
    """Validates a workbook; a bad file gives status 'failed' with error {code, message} and no rows."""
    try:
        return _read(source, options, on_progress)
    except WorkbookError as exc:
        return WorkbookReport.failed(exc.code, exc.message, exc.detail.get("columns"))
    except Exception as exc:  # calamine or a part we did not foresee: still a report, never a trace
        logger.warning("workbook unreadable: %s", type(exc).__name__, exc_info=True)
        return WorkbookReport.failed(
            Code.UNSUPPORTED_FILE, "The workbook cannot be read; open it in Excel and save it again as .xlsx."
        )


def choose_sheet(sheets: list[SheetPart]) -> SheetPart:
    """The one non-empty worksheet (empty extra sheets are fine); two with data is an error."""
    filled = [sheet for sheet in sheets if sheet.non_empty]
    if len(filled) > 1:
        names = ", ".join(f"'{sheet.name}'" for sheet in filled)
        raise WorkbookError(
            Code.MULTIPLE_SHEETS,
            f"The workbook has {len(filled)} sheets with data ({names}); keep the guest list on one sheet.",
        )
    return filled[0] if filled else sheets[0]


def _too_many_rows(found: int, options: ReadOptions) -> WorkbookError:
    return WorkbookError(
        Code.TOO_LARGE, f"The sheet has {found} or more data rows; the limit is {options.limits.max_rows}."
    )


def _read(source, options: ReadOptions, on_progress: Progress | None) -> WorkbookReport:
    limits = options.limits
    data = load_source(source, limits)
    container = inspect_container(data, limits)
    sheet = choose_sheet(container.sheets)
    if sheet.row_elements > limits.max_rows + 1:
        raise _too_many_rows(sheet.row_elements - 1, options)

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    grid = book.get_sheet_by_name(sheet.name)
    width = (grid.end[1] + 1) if grid.end else 0
    if width > limits.max_columns:
        raise WorkbookError(
            Code.TOO_LARGE, f"The sheet has {width} columns; the limit is {limits.max_columns}."
        )
    rows = grid.iter_rows()
    header_cells = next(rows, None) or []
    # iter_rows starts at row 1 but at the first used column: pad so indexes are sheet columns.
    offset = max(width - len(header_cells), 0)
    headers = [""] * offset + [header_text(value) for value in header_cells]
    plan = plan_columns(headers, options.mapping)
    formulas = _formula_cells(container, sheet, plan)
    expected = grid.height
    # The file's bytes and calamine's zip are no longer needed: free them before rows pile up.
    del container, data, book
    # The loop allocates a few dicts per row and frees none, which makes the cyclic GC rescan
    # ever larger generations; nothing in it builds cycles, so it runs with the GC paused.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _read_rows(rows, offset, plan, formulas, options, expected, on_progress)
    finally:
        if paused:
            gc.enable()


def _formula_cells(container: Container, sheet: SheetPart, plan: ColumnPlan) -> dict[int, list[int]]:
    if not sheet.has_formula:
        return {}
    mapped = {index for index, _header, _target in plan.mapped}
    return locate_formulas(container.iter_part(sheet.path), sheet.prefix.decode(), mapped)


# Values repeat down a column (city, organisation, language...): sharing one string object per
# distinct value keeps 200,000 rows within the memory target. Columns that turn out mostly
# distinct stop sharing after INTERN_PROBE rows; identifier, email and phone never share.
INTERN_PROBE = 1024
INTERN_MAX = 50_000
_NEVER_INTERN = frozenset({IDENTIFIER, "email", "phone_mobile"})


def _read_rows(rows, offset, plan: ColumnPlan, formulas, options: ReadOptions, expected: int, on_progress):
    text_columns = [
        (index - offset, target, None if target in _NEVER_INTERN else {})
        for index, _h, target in plan.mapped
        if not is_custom(target)
    ]
    custom_columns = [(index - offset, target, {}) for index, _h, target in plan.mapped if is_custom(target)]
    header_of = {target: header for _index, header, target in plan.mapped}
    header_at = {index: header for index, header, _target in plan.mapped}
    id_header = header_of[IDENTIFIER]
    email_header = header_of.get("email")
    phone_header = header_of.get("phone_mobile")
    language_header = header_of.get("language")
    languages, default_language, region = options.languages, options.default_language, options.region
    max_rows = options.limits.max_rows

    valid: list[Row] = []
    issues: list[Issue] = []
    first_rows: dict[str, int] = {}
    rows_total = 0
    blank_from = blank_to = 0  # the current run of empty rows, 0 when none
    excel_row = 1

    # The hot loop: per cell a type test, a strip and a shared-string lookup; the rest is rare.
    for cells in rows:
        excel_row += 1
        if excel_row % PROGRESS_EVERY == 0 or excel_row == INTERN_PROBE:
            text_columns = _prune_interning(text_columns, excel_row)
            custom_columns = _prune_interning(custom_columns, excel_row)
            if on_progress is not None:
                on_progress(excel_row - 1, expected - 1)
        fields: dict = {}
        for index, target, shared in text_columns:
            value = cells[index]
            if value.__class__ is str:
                if not value:
                    continue
                value = value.strip()
                if not value:
                    continue
            elif value.__class__ is float:
                value = number_text(value)
            elif value.__class__ is not bool:
                value = other_value(value)
            if shared is not None:
                value = shared.setdefault(value, value)
            fields[target] = value
        custom: dict = {}
        for index, target, shared in custom_columns:
            value = cells[index]
            if value.__class__ is str:
                if not value:
                    continue
                value = value.strip()
                if not value:
                    continue
            elif value.__class__ is float:
                value = custom_number(value)
            elif value.__class__ is not bool:
                value = other_value(value)
            if shared is not None:
                value = shared.setdefault(value, value)
            custom[target] = value
        formula_columns = formulas.get(excel_row) if formulas else None

        if not fields and not custom and not formula_columns and _is_empty(cells):
            if blank_from:
                blank_to = excel_row
            else:
                blank_from = blank_to = excel_row
            continue
        if blank_from:
            issues.append(rules.blank_row(blank_from, blank_to))
            blank_from = 0
        rows_total += 1
        if rows_total > max_rows:
            raise _too_many_rows(rows_total, options)

        identifier = fields.pop(IDENTIFIER, None)
        if identifier is not None:
            if identifier.__class__ is not str:
                identifier = str(identifier)
            if "@" in identifier:  # normalise_identifier, inlined: the value is already trimmed
                identifier = identifier.lower()

        # The rules, in order; the first that skips the row is its one issue.
        if formula_columns:
            if identifier:
                first_rows.setdefault(identifier, excel_row)
            issues.append(rules.formula(excel_row, identifier, [header_at[i + offset] for i in formula_columns]))
            continue
        issue = rules.missing_identifier(excel_row, identifier, id_header) or rules.duplicate_identifier(
            excel_row, identifier, id_header, first_rows
        )
        if issue is None and email_header is not None and "email" in fields:
            issue = rules.invalid_email(excel_row, identifier, email_header, fields)
        if issue is None and phone_header is not None and "phone_mobile" in fields:
            issue = rules.invalid_phone(excel_row, identifier, phone_header, fields, region)
        if issue is not None:
            issues.append(issue)
            continue
        if language_header is not None and "language" in fields:
            warning = rules.unknown_language(
                excel_row, identifier, language_header, fields, languages, default_language
            )
            if warning is not None:
                issues.append(warning)
        valid.append(Row(excel_row, identifier, fields, custom))

    skipped = rows_total - len(valid)
    status = VALID_WITH_ERRORS if skipped else VALID
    return WorkbookReport(
        status=status, error=None, rows_total=rows_total, rows=valid, issues=issues, columns=plan.report()
    )


def _prune_interning(columns: list, rows_read: int) -> list:
    """Stops sharing values in columns where they hardly repeat."""
    pruned = []
    for index, target, shared in columns:
        if shared is not None and (len(shared) > rows_read // 2 or len(shared) > INTERN_MAX):
            shared = None
        pruned.append((index, target, shared))
    return pruned


def _is_empty(cells) -> bool:
    """Only whitespace or nothing: formatted-but-empty rows are not rows."""
    for value in cells:
        if value == "":
            continue
        if type(value) is str and not value.strip():
            continue
        return False
    return True
