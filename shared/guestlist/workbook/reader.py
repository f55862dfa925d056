"""read_workbook: one upload in, one report out (valid rows and every issue), never an exception."""

from __future__ import annotations

import gc
import io
import itertools
import logging
import os
from collections.abc import Callable

from python_calamine import CalamineWorkbook

from . import rules
from .codes import VALID, VALID_WITH_ERRORS, Code
from .columns import SYSTEM_TARGETS, ColumnPlan, Targets, header_text, is_custom, plan_columns
from .container import Container, SheetPart, inspect_container, load_source
from .formulas import column_letters, locate_cells
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
        logger.warning("workbook unreadable: %s: %s", type(exc).__name__, str(exc)[:200])
        return WorkbookReport.failed(
            Code.UNSUPPORTED_FILE, "The workbook cannot be read; open it in Excel and save it again as .xlsx."
        )


def choose_sheet(sheets: list[SheetPart], holds_values: Callable[[SheetPart], bool] | None = None) -> SheetPart:
    """The one non-empty worksheet (empty extra sheets are fine); two with data is an error.

    The byte scan marks a sheet non-empty when it holds any value; when two are marked,
    `holds_values` looks again at their cells: a sheet of empty strings (pasted values of
    `=""`) or spaces looks blank to the organiser and is not a sheet with data. Hidden sheets
    (dropdown lists, lookup data) count only when no visible sheet has data.
    """
    filled = [sheet for sheet in sheets if sheet.non_empty]
    if len(filled) > 1:
        filled = [sheet for sheet in filled if not sheet.hidden] or filled
    if len(filled) > 1 and holds_values is not None:
        filled = [sheet for sheet in filled if holds_values(sheet)] or filled[:1]
    if len(filled) > 1:
        names = ", ".join(f"'{sheet.name}'" for sheet in filled)
        raise WorkbookError(
            Code.MULTIPLE_SHEETS,
            f"The workbook has {len(filled)} sheets with data ({names}); keep the guest list on one sheet.",
        )
    return filled[0] if filled else sheets[0]


def _sheet_holds_values(book: CalamineWorkbook, sheet: SheetPart) -> bool:
    if sheet.has_error:
        return True  # an error cell shows (#N/A), calamine reads it as ""
    return any(not _is_empty(cells) for cells in book.get_sheet_by_name(sheet.name).iter_rows())


def _too_many_rows(found: int, options: ReadOptions) -> WorkbookError:
    return WorkbookError(
        Code.TOO_LARGE, f"The sheet has {found} or more data rows; the limit is {options.limits.max_rows}."
    )


# The header is row 1, or the first row below a lone title within this many rows (DESIGN.md s3).
HEADER_SEARCH_ROWS = 10


def _read(source, options: ReadOptions, on_progress: Progress | None) -> WorkbookReport:
    limits = options.limits
    data = load_source(source, limits)
    container = inspect_container(data, limits)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheet = choose_sheet(container.sheets, lambda candidate: _sheet_holds_values(book, candidate))  # noqa: F821 - book is bound above; ruff is misled by the `del book` below
    # </row> tags bound the rows; formatted empty rows (a border down to row 210,000) have
    # them too, so only a count of rows holding values may refuse the file.
    bound = limits.max_rows + HEADER_SEARCH_ROWS
    if sheet.row_elements > bound:
        value_rows = container.value_rows(sheet)
        if value_rows > bound:
            raise _too_many_rows(value_rows - 1, options)

    grid = book.get_sheet_by_name(sheet.name)
    width = (grid.end[1] + 1) if grid.end else 0
    if width > limits.max_columns:
        # calamine's range also spans cells holding "" (pasted values of =""): only a value counts
        stray = _stray_cell(grid.iter_rows(), grid.start[1] if grid.start else 0, limits.max_columns)
        if stray is not None:
            raise _too_many_columns(width, limits.max_columns, stray)
    rows = grid.iter_rows()
    # The header: row 1, or the real header below a lone title (read ahead, then put back).
    first_rows = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    # iter_rows starts at row 1 but at the first used column: pad so indexes are sheet columns.
    offset = grid.start[1] if grid.start else 0
    header_index, moved = find_header_row(first_rows, options.mapping, options.targets or SYSTEM_TARGETS)
    header_cells = first_rows[header_index] if first_rows else []
    headers = [""] * offset + [header_text(value) for value in header_cells]
    header_row = header_index + 1
    plan = plan_columns(headers, options.mapping, options.targets or SYSTEM_TARGETS, header_row)
    if header_index:
        plan.warnings.insert(0, rules.header_row(header_row, moved))
    formulas, errors = _formula_and_error_cells(container, sheet, plan)
    expected = grid.height
    rows = itertools.chain(first_rows[header_index + 1 :], rows)
    # The file's bytes and calamine's zip are no longer needed: free them before rows pile up.
    del container, data, book
    # The loop allocates a few dicts per row and frees none, which makes the cyclic GC rescan
    # ever larger generations; nothing in it builds cycles, so it runs with the GC paused.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _read_rows(rows, offset, plan, formulas, errors, options, expected, on_progress, header_row)
    finally:
        if paused:
            gc.enable()


def _cells_of(cells) -> list[tuple[int, object]]:
    """(position, value) of the non-empty cells of a calamine row."""
    return [(i, value) for i, value in enumerate(cells) if not (value == "" or (type(value) is str and not value.strip()))]


def find_header_row(first_rows: list, mapping: dict | None, targets: Targets) -> tuple[int, str]:
    """(0-based index of the header among the first rows, why it is not row 1).

    Row 1, unless it is empty or a lone title (one non-empty cell that is not itself a column
    label): then the first row below, within HEADER_SEARCH_ROWS, with two or more cells of which
    one names a field (a label or a key of the explicit mapping). Also when row 1 has no column
    that could be the identifier (an identifier or e-mail label) and a row below has one, as
    under a row of merged group headers ('Person' over A:B, 'Kontakt' over C:E). Else row 1.
    """
    if len(first_rows) < 2:
        return 0, ""
    explicit = {key.strip().casefold(): target for key, target in (mapping or {}).items()}

    def target_of(value) -> str | None:
        text = header_text(value)
        if not text:
            return None
        if text.casefold() in explicit:
            return explicit[text.casefold()] or None
        found = targets.lookup(text)
        return found[0] if found else None

    def finds_identifier(cells) -> bool:
        return any(target_of(value) in (IDENTIFIER, "email") for _i, value in cells)

    top = _cells_of(first_rows[0])
    lone = not top or (len(top) == 1 and target_of(top[0][1]) is None)
    if not lone and finds_identifier(top):
        return 0, ""
    for index in range(1, len(first_rows)):
        cells = _cells_of(first_rows[index])
        if len(cells) < 2:
            continue
        if lone and any(target_of(value) for _i, value in cells):
            title = header_text(top[0][1]) if top else None
            return index, (f"row 1 holds only the title {rules.shown(title)}" if title else "row 1 is empty")
        if not lone and finds_identifier(cells):
            return index, "the rows above it have no identifier or e-mail column"
    return 0, ""


def _stray_cell(rows, offset: int, limit: int) -> str | None:
    """The first cell beyond the column limit that shows something ('JA17'), None when all are empty."""
    for number, cells in enumerate(rows, start=1):
        beyond = [i for i, _value in _cells_of(cells) if i + offset >= limit]
        if beyond:
            return f"{column_letters(beyond[0] + offset)}{number}"
    return None


def _too_many_columns(width: int, limit: int, cell: str) -> WorkbookError:
    """Names the column the sheet reaches and the first cell beyond the limit, so it can be found."""
    return WorkbookError(
        Code.TOO_LARGE,
        f"The sheet uses {width} columns, up to column {column_letters(width - 1)}; the limit is {limit} "
        f"(up to column {column_letters(limit - 1)}); the first value beyond it is in cell {cell}. "
        "Delete the stray cells or columns.",
    )


def _formula_and_error_cells(container: Container, sheet: SheetPart, plan: ColumnPlan):
    if not sheet.has_formula and not sheet.has_error:
        return {}, {}
    mapped = {index for index, _header, _target in plan.read}
    return locate_cells(container.iter_part(sheet.path), sheet.prefix.decode(), mapped)


# Values repeat down a column (city, organisation, language...): sharing one string object per
# distinct value keeps 200,000 rows within the memory target. Columns that turn out mostly
# distinct stop sharing after INTERN_PROBE rows; identifier, email and phone never share.
INTERN_PROBE = 1024
INTERN_MAX = 50_000
_NEVER_INTERN = frozenset({IDENTIFIER, "email", "phone_mobile"})


def _read_rows(rows, offset, plan: ColumnPlan, formulas, errors, options: ReadOptions, expected: int, on_progress,
               header_row: int = 1):
    # (cell index, target, its shared values or None when not interned)
    text_columns: list[tuple[int, str, dict | None]] = [
        (index - offset, target, None if target in _NEVER_INTERN else {})
        for index, _h, target in plan.read
        if not is_custom(target)
    ]
    custom_columns: list[tuple[int, str, dict | None]] = [(index - offset, target, {}) for index, _h, target in plan.read if is_custom(target)]
    header_of = {target: header for _index, header, target in plan.read}
    header_at = {index: header for index, header, _target in plan.read}
    id_header = header_of[IDENTIFIER]
    id_length = len(id_header)
    email_header = header_of.get("email")
    phone_header = header_of.get("phone_mobile")
    language_header = header_of.get("language")
    languages, default_language, region = options.languages, options.default_language, options.region
    max_rows = options.limits.max_rows

    valid: list[Row] = []
    issues: list[Issue] = list(plan.warnings)
    first_rows: dict[str, int] = {}
    rows_total = 0
    blank_from = blank_to = 0  # the current run of empty rows, 0 when none
    excel_row = header_row

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
        error_cells = errors.get(excel_row) if errors else None

        if not fields and not custom and not formula_columns and not error_cells and _is_empty(cells):
            if blank_from:
                blank_to = excel_row
            else:
                blank_from = blank_to = excel_row
            continue
        if blank_from:
            if rows_total:  # empty rows between the header and the first data row are spacing
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
        if error_cells:
            shown = [(header_at[i], text) for i, text in error_cells.items() if i in header_at]
            if shown:
                if identifier:
                    first_rows.setdefault(identifier, excel_row)
                issues.append(rules.error_value(excel_row, identifier, shown))
                continue
        if formula_columns:
            if identifier:
                first_rows.setdefault(identifier, excel_row)
            issues.append(rules.formula(excel_row, identifier, [header_at[i] for i in formula_columns]))
            continue
        issue = None
        # totals_row and repeated_header only for identifiers that may be one (a cheap first look)
        if identifier and (identifier[:3].lower() in rules.TOTAL_PREFIXES or len(identifier) == id_length):
            issue = rules.totals_row(excel_row, identifier, id_header, fields) or rules.repeated_header(
                excel_row, identifier, id_header
            )
        issue = (
            issue
            or rules.missing_identifier(excel_row, identifier, id_header)
            or rules.duplicate_identifier(excel_row, identifier, id_header, first_rows)
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
