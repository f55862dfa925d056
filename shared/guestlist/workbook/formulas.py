"""Finds formula and error cells with a streaming XML pass; only run on sheets whose bytes hold
an <f> tag or a t="e" cell.

python-calamine returns a formula's cached value (or nothing, when no program computed it) and
an error cell (#N/A, #VALUE!...) as an empty string, so the sheet XML is the only place that
tells a typed value from a computed one, and an error from an empty cell.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Iterable

from .codes import Code
from .model import WorkbookError


def column_index(letters: str) -> int:
    """'A' -> 0, 'AB' -> 27."""
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


def column_letters(index: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _split_ref(ref: str) -> tuple[int, int]:
    cut = 0
    while cut < len(ref) and ref[cut].isalpha():
        cut += 1
    return int(ref[cut:]), column_index(ref[:cut].upper())


def locate_formulas(chunks: Iterable[bytes], prefix: str, columns: set[int] | None = None) -> dict[int, list[int]]:
    """Excel row number -> 0-based columns holding a formula (only `columns`, when given)."""
    return locate_cells(chunks, prefix, columns)[0]


def locate_cells(
    chunks: Iterable[bytes], prefix: str, columns: set[int] | None = None
) -> tuple[dict[int, list[int]], dict[int, dict[int, str]]]:
    """(formulas, errors): Excel row -> 0-based columns holding a formula (only `columns`, when
    given), and Excel row -> {0-based column: error text} for every error cell of the sheet."""
    c_tag, f_tag, v_tag, row_tag = prefix + "c", prefix + "f", prefix + "v", prefix + "row"
    found: dict[int, list[int]] = {}
    errors: dict[int, dict[int, str]] = {}
    state = {"row": 0, "col": -1, "error": False}
    text: list[str] = []

    def start(name, attrs):
        if name == c_tag:
            ref = attrs.get("r")
            if ref:
                state["row"], state["col"] = _split_ref(ref)
            else:
                state["col"] += 1
            state["error"] = attrs.get("t") == "e"
        elif name == f_tag:
            row, col = state["row"], state["col"]
            if columns is None or col in columns:
                cols = found.setdefault(row, [])
                if col not in cols:
                    cols.append(col)
        elif name == v_tag and state["error"]:
            # the only text this pass collects: handlers are set for the error's <v> alone
            text.clear()
            parser.CharacterDataHandler = text.append
            parser.EndElementHandler = end_error
        elif name == row_tag:
            ref = attrs.get("r")
            state["row"] = int(ref) if ref else state["row"] + 1
            state["col"] = -1

    def end_error(_name):
        parser.CharacterDataHandler = None
        parser.EndElementHandler = None
        errors.setdefault(state["row"], {})[state["col"]] = "".join(text).strip() or "#ERROR"

    def refuse(*_args):
        raise WorkbookError(Code.UNSUPPORTED_FILE, "The workbook contains an XML document type declaration; it is refused.")

    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise WorkbookError(Code.UNSUPPORTED_FILE, "The file is damaged: the sheet is not valid XML.") from exc
    return found, errors
