"""Sheet XML as other programs write it: Excel's shared formulas, namespace prefixes, cells without refs."""

from __future__ import annotations

from guestlist.workbook import Limits
from guestlist.workbook.container import inspect_container

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def with_sheet_xml(kit, xml: str) -> bytes:
    base = kit.xlsx(["placeholder"], ["x"])
    return kit.rezip(base, replace={"xl/worksheets/sheet1.xml": xml.encode()})


def inline(ref: str, text: str, prefix: str = "") -> str:
    p = prefix
    return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def test_excel_shared_formulas_are_found_in_every_cell_they_cover(kit):
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS}><sheetData>'
        f'<row r="1">{inline("A1", "identifier")}{inline("B1", "Ort")}</row>'
        f'<row r="2">{inline("A2", "A1")}<c r="B2" t="str"><f t="shared" ref="B2:B3" si="0">LOWER(A2)</f><v>a1</v></c></row>'
        f'<row r="3">{inline("A3", "A2")}<c r="B3" t="str"><f t="shared" si="0"/><v>a2</v></c></row>'
        f'<row r="4">{inline("A4", "A3")}{inline("B4", "Bern")}</row>'
        "</sheetData></worksheet>"
    )
    report = kit.read(with_sheet_xml(kit, xml))
    assert [(issue.row, issue.code, issue.column) for issue in report.issues] == [
        (2, "formula", "Ort"), (3, "formula", "Ort"),
    ]
    assert [row.row for row in report.rows] == [4]


def test_namespace_prefixed_sheet_is_read_and_its_formulas_found(kit):
    p = "x:"
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        f'<x:row r="1">{inline("A1", "identifier", p)}{inline("B1", "Vorname", p)}</x:row>'
        f'<x:row r="2">{inline("A2", "A1", p)}{inline("B2", "Anna", p)}</x:row>'
        f'<x:row r="3">{inline("A3", "A2", p)}<x:c r="B3"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    report = kit.read(with_sheet_xml(kit, xml))
    assert report.rows[0].fields == {"firstname": "Anna"}
    assert [(issue.row, issue.code) for issue in report.issues] == [(3, "formula")]


def test_cells_without_references_are_placed_by_position(kit):
    xml = (
        f'<worksheet {NS}><sheetData>'
        '<row><c t="inlineStr"><is><t>identifier</t></is></c><c t="inlineStr"><is><t>PLZ</t></is></c></row>'
        '<row><c t="inlineStr"><is><t>A1</t></is></c><c><f>8000+1</f><v>8001</v></c></row>'
        "</sheetData></worksheet>"
    )
    report = kit.read(with_sheet_xml(kit, xml))
    assert [(issue.row, issue.code, issue.column) for issue in report.issues] == [(2, "formula", "PLZ")]


def test_filter_columns_are_not_mistaken_for_formulas(kit):
    xml = (
        f'<worksheet {NS}><sheetData>'
        f'<row r="1">{inline("A1", "identifier")}</row><row r="2">{inline("A2", "A1")}</row>'
        '</sheetData><autoFilter ref="A1:A2"><filterColumn colId="0"><filters><filter val="A1"/></filters>'
        "</filterColumn></autoFilter></worksheet>"
    )
    data = with_sheet_xml(kit, xml)
    assert inspect_container(data, Limits()).sheets[0].has_formula is False  # no second XML pass
    report = kit.read(data)
    assert report.status == "valid" and report.issues == []
