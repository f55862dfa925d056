"""Export cells (DESIGN.md s4): no xlsx cell is a formula, CSV formula triggers get a leading quote."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from guestlist.export_files import csv_cell, write_csv, write_xlsx

HOSTILE = ["=1+2", "=HYPERLINK(\"http://x\")", "+41", "-1", "@A1", "\tTab", "\rCR", "plain", "Zürich", "a\x00b\x07c", 42, None]


def test_xlsx_cells_are_values_never_formulas_and_control_characters_are_dropped(tmp_path):
    path = str(tmp_path / "x.xlsx")
    assert write_xlsx(path, ["h"] * len(HOSTILE), iter([HOSTILE, HOSTILE])) == 2
    rows = list(load_workbook(path).active.iter_rows(min_row=2))
    assert all(cell.data_type != "f" for row in rows for cell in row)
    values = [cell.value for cell in rows[0]]
    assert values[:6] == HOSTILE[:6] and values[7:9] == HOSTILE[7:9]
    assert values[6] in ("\rCR", "\nCR")  # XML readers normalise a CR to a line feed
    assert values[9] == "abc" and values[10] == 42 and values[11] is None


def test_csv_prefixes_every_trigger_and_keeps_the_rest(tmp_path):
    assert [csv_cell(v) for v in HOSTILE[:7]] == ["'=1+2", "'=HYPERLINK(\"http://x\")", "'+41", "'-1", "'@A1", "'\tTab", "'\rCR"]
    assert csv_cell("plain") == "plain" and csv_cell(None) == "" and csv_cell(42) == 42
    path = tmp_path / "x.csv"
    write_csv(str(path), ["a", "b"], iter([["Zürich", "=x"]]))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1] == ["Zürich", "'=x"]
