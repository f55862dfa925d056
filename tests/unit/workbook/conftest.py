"""Builders for the workbook corpus: every bad workbook is made here, in the tests, from scratch."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from guestlist.workbook import ReadOptions, read_workbook


def xlsx(*rows, sheets: dict[str, list] | None = None) -> bytes:
    """A workbook whose first sheet holds `rows` (lists of cell values); `sheets` adds more."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Guests"
    for row in rows:
        sheet.append(list(row))
    for name, extra_rows in (sheets or {}).items():
        extra = book.create_sheet(name)
        for row in extra_rows:
            extra.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same package with some parts replaced or added (deflated)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = (replace or {}).get(info.filename, source.read(info.filename))
            target.writestr(info.filename, body)
        for name, body in (add or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def read(data, **options):
    return read_workbook(data, ReadOptions(**options))


def codes(report) -> list[str]:
    return [issue.code for issue in report.issues]


class Kit:
    """The builders, handed to tests as the `kit` fixture (this folder has no __init__.py)."""

    xlsx = staticmethod(xlsx)
    rezip = staticmethod(rezip)
    part = staticmethod(part)
    read = staticmethod(read)
    codes = staticmethod(codes)


@pytest.fixture
def kit() -> type[Kit]:
    return Kit


@pytest.fixture
def simple() -> bytes:
    return xlsx(
        ["Identifier", "E-Mail", "Vorname", "Nachname", "PLZ"],
        ["A1", "anna@example.ch", "Anna", "Muster", 8001],
        ["A2", "ben@example.ch", "Ben", "Beispiel", 3011],
    )
