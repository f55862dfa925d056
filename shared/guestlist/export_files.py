"""Export files, pure: rows in, an xlsx or CSV file on disk out, streamed (flat memory).

Cells are never formulas: in xlsx a value starting with `=` is written as a text cell; in
CSV every value starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` (OWASP CSV
injection). CSV is UTF-8 with a BOM so that Excel shows umlauts.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

# Characters XML 1.0 cannot carry (openpyxl refuses them): dropped from xlsx cells.
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def write_xlsx(path: str, header: list[str], rows: Iterable[list[Any]]) -> int:
    """A write-only workbook (rows go to disk as they come); no cell is ever a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("contacts")
    sheet.append(header)

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            if _ILLEGAL.search(value):
                value = _ILLEGAL.sub("", value)
            if value.startswith("="):
                text = WriteOnlyCell(sheet, value)
                text.data_type = "s"  # openpyxl would store it as a formula
                return text
        return value

    count = 0
    for row in rows:
        sheet.append([cell(v) for v in row])
        count += 1
    workbook.save(path)
    return count


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_CSV_TRIGGERS):
        return "'" + value
    return value


def write_csv(path: str, header: list[str], rows: Iterable[list[Any]]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
            count += 1
    return count
