"""Workbooks as organisers' programs write them (issue 13): each test builds a file of that kind."""

from __future__ import annotations

import io
import logging
import zipfile

import pytest
import xlsxwriter
from openpyxl import Workbook

from guestlist.workbook import Limits
from guestlist.workbook.values import normalise_language


def save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def found(report) -> list[tuple]:
    return [(issue.row, issue.code, issue.column) for issue in report.issues]


# ---------------------------------------------------------------- parts nobody reads

POWER_QUERY_ITEM = (
    '<?xml version="1.0" encoding="utf-16"?><DataMashup xmlns="http://schemas.microsoft.com/DataMashup">'
    "AAAAAEUDAABQSwMEFAACAAgA</DataMashup>"
)


def test_power_query_part_in_utf16_with_bom_is_left_alone(kit, simple):
    """Excel's Get Data stores customXml/item1.xml as UTF-16 with a BOM: not a reason to refuse."""
    data = kit.rezip(simple, add={"customXml/item1.xml": POWER_QUERY_ITEM.encode("utf-16")})
    assert zipfile.ZipFile(io.BytesIO(data)).read("customXml/item1.xml").startswith(b"\xff\xfe")
    report = kit.read(data)
    assert report.status == "valid" and report.rows_total == 2


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-16"),  # with a BOM
    lambda text: text.encode("utf-16-be"),  # no BOM: told by the shape of '<?'
    lambda text: text.replace("utf-16", "utf-7").encode("utf-7"),
], ids=["utf16-bom", "utf16be-no-bom", "utf7"])
def test_a_dtd_in_a_part_nobody_reads_is_found_in_its_own_encoding(kit, simple, encode):
    text = POWER_QUERY_ITEM.replace("?>", '?><!DOCTYPE x [<!ENTITY a "b">]>', 1)
    data = kit.rezip(simple, add={"customXml/item1.xml": encode(text)})
    report = kit.read(data)
    assert report.status == "failed" and report.error["code"] == "unsupported_file"
    assert "entity" in report.error["message"]


def test_shared_strings_not_in_utf8_are_refused(kit, simple):
    """A part the reader parses must be UTF-8, as Excel writes it."""
    strings = kit.part(simple, "xl/sharedStrings.xml") if "xl/sharedStrings.xml" in zipfile.ZipFile(
        io.BytesIO(simple)).namelist() else None
    book = xlsxwriter.Workbook(buffer := io.BytesIO())
    book.add_worksheet().write_row(0, 0, ["identifier", "Vorname"])
    book.close()
    data = buffer.getvalue()
    strings = kit.part(data, "xl/sharedStrings.xml").decode().replace("UTF-8", "UTF-16")
    report = kit.read(kit.rezip(data, replace={"xl/sharedStrings.xml": strings.encode("utf-16")}))
    assert report.status == "failed" and report.error["code"] == "unsupported_file"


def test_a_part_in_an_unknown_encoding_is_refused(kit, simple):
    body = b'<?xml version="1.0" encoding="x-made-up"?><a/>'
    report = kit.read(kit.rezip(simple, add={"customXml/item2.xml": body}))
    assert report.status == "failed" and "encoding" in report.error["message"]


# ---------------------------------------------------------------- formatted empty rows

def bordered(guests: int, empty_rows: int, *, limits_rows: int | None = None) -> bytes:
    """`guests` rows, then `empty_rows` rows holding only a border (select down, add borders)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    sheet = book.add_worksheet("Gäste")
    border = book.add_format({"border": 1})
    sheet.write_row(0, 0, ["Identifier", "Vorname", "Nachname"], border)
    for i in range(guests):
        sheet.write_row(i + 1, 0, [f"G{i}", "Anna", "Muster"], border)
    for r in range(guests + 1, guests + 1 + empty_rows):
        sheet.write_blank(r, 0, None, border)
        sheet.write_blank(r, 2, None, border)
    book.close()
    return buffer.getvalue()


def test_thirty_guests_above_210000_border_only_rows_import_fine(kit):
    report = kit.read(bordered(30, 210_000))
    assert report.status == "valid", report.error
    assert report.rows_total == 30 and not report.issues


def test_formatted_empty_rows_do_not_count_against_the_row_limit_but_real_rows_do(kit):
    data = bordered(8, 500)
    assert kit.read(data, limits=Limits(max_rows=10)).status == "valid"
    over = kit.read(bordered(12, 500), limits=Limits(max_rows=10))
    assert over.status == "failed" and over.error["code"] == "too_large"
    beyond_search = kit.read(bordered(30, 500), limits=Limits(max_rows=10))  # over the limit and the header search
    assert beyond_search.error["code"] == "too_large"


# ---------------------------------------------------------------- error cells

def test_a_row_showing_na_in_every_column_is_an_error_value_row_not_a_blank_row(kit):
    book = Workbook()
    sheet = book.active
    sheet.append(["Identifier", "Vorname", "Nachname"])
    sheet.append(["A1", "Anna", "Muster"])
    sheet.append(["#N/A", "#N/A", "#N/A"])  # pasted values of a failed VLOOKUP: t="e" cells
    sheet.append(["A3", "Cleo", "#VALUE!"])
    sheet.append(["A4", "Dan", "Beispiel"])
    report = kit.read(save(book))
    assert report.rows_total == 4
    assert found(report) == [(3, "error_value", "Identifier"), (4, "error_value", "Nachname")]
    assert "#N/A" in report.issues[0].message and "'Nachname' shows #VALUE!" in report.issues[1].message
    assert report.issues[1].identifier == "A3"
    assert [row.row for row in report.rows] == [2, 5]


def test_an_error_computed_by_a_formula_is_reported_as_the_error_the_organiser_sees(kit):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Identifier", "Firma"])
    sheet.write_row(1, 0, ["A1", "ACME"])
    sheet.write_string(2, 0, "A2")
    sheet.write_formula(2, 1, "=VLOOKUP(A3,Z:Z,1,FALSE)", None, "#N/A")
    book.close()
    report = kit.read(buffer.getvalue())
    assert found(report) == [(3, "error_value", "Firma")]
    assert report.counts() == {"valid": 1, "skipped": 1, "warnings": 0}


def test_an_error_in_an_ignored_column_does_not_skip_the_row(kit):
    book = Workbook()
    book.active.append(["Identifier", "Notizen"])
    book.active.append(["A1", "#DIV/0!"])
    report = kit.read(save(book))
    assert report.status == "valid" and report.rows_total == 1


# ---------------------------------------------------------------- extra sheets

def test_a_second_sheet_of_empty_strings_is_not_a_sheet_with_data(kit):
    data = kit.xlsx(["identifier"], ["A1"], sheets={"Hilfsblatt": []})
    empty_strings = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t></t></is></c><c r="B1" t="str"><v></v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">  </t></is></c></row>'
        "</sheetData></worksheet>"
    )
    report = kit.read(kit.rezip(data, replace={"xl/worksheets/sheet2.xml": empty_strings.encode()}))
    assert report.status == "valid" and report.rows_total == 1


def test_a_second_sheet_showing_an_error_is_a_sheet_with_data(kit):
    book = Workbook()
    book.active.append(["identifier"])
    book.active.append(["A1"])
    book.create_sheet("Lookup").append(["#N/A"])
    assert kit.read(save(book)).error["code"] == "multiple_sheets"


# ---------------------------------------------------------------- columns

def test_an_exact_label_beats_a_looser_one_and_the_competition_is_reported(kit):
    report = kit.read(kit.xlsx(["ID", "Telefon", "Mobile"], ["A1", "044 123 45 67", "079 123 45 67"]))
    assert report.columns == {"mapped": {"ID": "identifier", "Mobile": "phone_mobile"}, "ignored": ["Telefon"]}
    assert report.rows[0].fields == {"phone_mobile": "+41791234567"}
    assert found(report) == [(1, "competing_columns", "Telefon")]
    assert "'Mobile'" in report.issues[0].message and report.issues[0].severity == "warning"


def test_two_equal_labels_for_one_field_keep_the_leftmost_with_a_warning(kit):
    report = kit.read(kit.xlsx(["ID", "E-Mail privat", "E-Mail geschäftlich"], ["A1", "a@example.ch", "b@example.ch"]))
    assert report.columns["mapped"] == {"ID": "identifier", "E-Mail privat": "email"}
    assert found(report) == [(1, "competing_columns", "E-Mail geschäftlich")]


def test_a_column_mapped_explicitly_gives_no_competition_warning(kit):
    report = kit.read(kit.xlsx(["ID", "Telefon", "Mobile"], ["A1", "", "079 123 45 67"]), mapping={"Telefon": ""})
    assert not report.issues and report.columns["mapped"]["Mobile"] == "phone_mobile"


@pytest.mark.parametrize(("header", "field"), [
    ("Firmenname", "organization"), ("Tel.", "phone_mobile"), ("E-Mail geschäftlich", "email"),
    ("Natel", "phone_mobile"), ("Raison sociale", "organization"), ("N° de portable", "phone_mobile"),
    ("Téléphone", "phone_mobile"), ("Ragione sociale", "organization"), ("Numero di telefono", "phone_mobile"),
    ("E-Mail-Adresse", "email"), ("Mobiltelefon", "phone_mobile"), ("Straße und Hausnummer", "street"),
    ("Company Name", "organization"), ("Business Phone", "phone_mobile"), ("Korrespondenzsprache", "language"),
    ("Email professionnel", "email"), ("Telefon geschäftlich", "phone_mobile"), ("Handy", "phone_mobile"),
])
def test_header_variants_in_four_languages_map(kit, header, field):
    report = kit.read(kit.xlsx(["Identifier", header], ["A1", ""]))
    assert report.columns["mapped"][header] == field


@pytest.mark.parametrize(("value", "code"), [
    ("de", "de"), ("D", "de"), ("de-CH", "de"), ("Deutsch", "de"), ("Deutsch (Schweiz)", "de"),
    ("Allemand", "de"), ("German", "de"), ("Français", "fr"), ("F", "fr"), ("fr_CH", "fr"),
    ("Français (Suisse)", "fr"), ("I", "it"), ("Italiano", "it"), ("E", "en"), ("english (UK)", "en"),
    ("DEUTSCH", "de"), ("tedesco", "de"), ("Inglese", "en"),
])
def test_language_codes_and_names_in_any_case(value, code):
    assert normalise_language(value) == code


def test_swiss_crm_language_letters_import_without_a_warning(kit):
    data = kit.xlsx(["ID", "Sprache"], ["A1", "D"], ["A2", "F"], ["A3", "I"], ["A4", "E"], ["A5", "Klingonisch"])
    report = kit.read(data)
    assert [row.fields["language"] for row in report.rows] == ["de", "fr", "it", "en", "en"]
    assert found(report) == [(6, "unknown_language", "Sprache")]


# ---------------------------------------------------------------- messages

def test_an_unreadable_file_leaves_no_traceback(kit, simple, caplog, capsys):
    """A part calamine cannot read: one warning line, no stack trace on stderr."""
    broken = kit.part(simple, "xl/worksheets/sheet1.xml").replace(b"<sheetData>", b"<sheetData><row r='x'>", 1)
    with caplog.at_level(logging.WARNING, logger="guestlist.workbook.reader"):
        report = kit.read(kit.rezip(simple, replace={"xl/worksheets/sheet1.xml": broken}))
    assert report.status == "failed" and report.error["code"] == "unsupported_file"
    assert all(record.exc_info is None for record in caplog.records)
    assert "Traceback" not in capsys.readouterr().err


def test_too_many_columns_names_the_column_and_the_stray_cell(kit):
    book = Workbook()
    book.active.append(["Identifier", "Vorname"])
    book.active.append(["A1", "Anna"])
    book.active["JA17"] = "x"
    report = kit.read(save(book))
    assert report.error["code"] == "too_large"
    assert "column JA" in report.error["message"] and "cell JA17" in report.error["message"]


def test_an_invalid_phone_is_said_once(kit):
    report = kit.read(kit.xlsx(["ID", "Mobile"], ["A1", "12"]))
    message = report.issues[0].message
    assert report.issues[0].code == "invalid_phone"
    assert message.count("not a valid phone number") == 1 and "+41" in message


# ---------------------------------------------------------------- header row

def titled(*rows, title="Gästeliste Sommerfest 2027", gap: int = 1) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet["A1"] = title
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(r) for r in rows))
    for index, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=2 + gap + index, column=column, value=value)
    return save(book)


def test_a_title_above_the_header_is_skipped_and_the_header_row_named(kit):
    data = titled(["Vorname", "Nachname", "E-Mail"], ["Anna", "Muster", "anna@example.ch"],
                  ["Ben", "Beispiel", "kein-mail"])
    report = kit.read(data)
    assert report.status == "valid_with_errors"
    assert found(report) == [(3, "header_row", None), (3, "email_as_identifier", "E-Mail"), (5, "invalid_email", "E-Mail")]
    assert "'Gästeliste Sommerfest 2027'" in report.issues[0].message
    assert report.rows[0].row == 4 and report.rows[0].identifier == "anna@example.ch"


def test_a_header_in_row_1_is_used_as_before(kit):
    report = kit.read(kit.xlsx(["Identifier", "Vorname"], ["A1", "Anna"]))
    assert not report.issues and report.rows[0].row == 2


def test_a_one_column_list_is_not_mistaken_for_a_title(kit):
    report = kit.read(kit.xlsx(["E-Mail"], ["a@example.ch"], ["b@example.ch"]))
    assert [row.identifier for row in report.rows] == ["a@example.ch", "b@example.ch"]
    assert [issue.code for issue in report.issues] == ["email_as_identifier"]


def test_a_title_above_no_recognisable_header_still_fails_naming_row_1(kit):
    report = kit.read(titled(["Spalte 1", "Spalte 2"], ["x", "y"]))
    assert report.error["code"] == "no_identifier_column" and "row 1" in report.error["message"]


def test_a_header_starting_in_column_b_below_empty_rows_reports_excel_rows(kit):
    book = Workbook()
    sheet = book.active
    for column, value in enumerate(["Identifier", "Vorname", "Nachname"], start=2):
        sheet.cell(row=3, column=column, value=value)
    for column, value in enumerate(["A1", "Anna", "=UPPER(C4)"], start=2):
        sheet.cell(row=4, column=column, value=value)
    for column, value in enumerate(["A2", "Ben", "Beispiel"], start=2):
        sheet.cell(row=5, column=column, value=value)
    report = kit.read(save(book))
    assert found(report) == [(3, "header_row", None), (4, "formula", "Nachname")]
    assert [row.row for row in report.rows] == [5]


def test_merged_group_headers_above_the_real_header_are_passed_over(kit):
    book = Workbook()
    sheet = book.active
    sheet.append(["Person", None, "Kontakt", None])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:D1")
    sheet.append(["Vorname", "Nachname", "E-Mail", "Natel"])
    sheet.append(["Anna", "Muster", "anna@example.ch", "079 123 45 67"])
    report = kit.read(save(book))
    assert found(report) == [(2, "header_row", None), (2, "email_as_identifier", "E-Mail")]
    assert "no identifier or e-mail column" in report.issues[0].message
    assert report.rows[0].row == 3 and report.rows[0].fields["phone_mobile"] == "+41791234567"


# ---------------------------------------------------------------- packages as other programs write them

def test_part_names_with_backslashes_and_other_case_are_read(kit, simple):
    """Some exporters (and zips made on Windows) write `xl\\worksheets\\sheet1.xml`, `[content_types].xml`."""
    source = zipfile.ZipFile(io.BytesIO(simple))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            name = info.filename if info.filename == "_rels/.rels" else info.filename.replace("/", "\\")
            target.writestr(name.replace("sharedStrings", "sharedstrings"), source.read(info.filename))
    report = kit.read(out.getvalue())
    assert report.status == "valid" and report.rows_total == 2


def test_a_hidden_sheet_of_dropdown_lists_is_not_a_second_sheet_with_data(kit):
    book = Workbook()
    book.active.append(["Identifier", "Sprache"])
    book.active.append(["A1", "Deutsch"])
    lists = book.create_sheet("Listen")
    for language in ("Deutsch", "Français", "Italiano"):
        lists.append([language])
    lists.sheet_state = "hidden"
    report = kit.read(save(book))
    assert report.status == "valid" and report.rows[0].fields == {"language": "de"}
    lists_visible = load_visible(save(book))
    assert kit.read(lists_visible).error["code"] == "multiple_sheets"


def load_visible(data: bytes) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        sheet.sheet_state = "visible"
    return save(book)


def test_a_totals_row_at_the_foot_is_skipped_as_totals_row(kit):
    data = kit.xlsx(["ID", "Vorname", "Personen"], ["T-1", "Anna", 2], ["T-2", "Ben", 1], [None, None, None],
                    ["Total", None, "=SUM(C2:C3)"], ["Summe", "", 3])
    report = kit.read(data)
    assert found(report) == [(4, "blank_row", None), (5, "totals_row", "ID"), (6, "totals_row", "ID")]
    assert [row.identifier for row in report.rows] == ["T-1", "T-2"]


def test_empty_rows_between_the_header_and_the_first_guest_are_not_blank_row_warnings(kit):
    report = kit.read(kit.xlsx(["ID", "Vorname"], [None, None], ["A1", "Anna"], [None, None], ["A2", "Ben"]))
    assert found(report) == [(4, "blank_row", None)]
    assert [row.row for row in report.rows] == [3, 5]


def test_the_header_row_pasted_again_below_is_skipped_as_repeated_header(kit):
    data = kit.xlsx(["E-Mail", "Vorname"], ["a@example.ch", "Anna"], ["E-Mail", "Vorname"], ["b@example.ch", "Ben"])
    report = kit.read(data)
    assert found(report) == [(1, "email_as_identifier", "E-Mail"), (3, "repeated_header", "E-Mail")]
    assert [row.identifier for row in report.rows] == ["a@example.ch", "b@example.ch"]


def test_empty_strings_beyond_the_column_limit_are_not_too_many_columns(kit):
    data = kit.xlsx(["Identifier", "Vorname"], ["A1", "Anna"])
    sheet = kit.part(data, "xl/worksheets/sheet1.xml").replace(
        b"</row></sheetData>", b'<c r="JA2" t="inlineStr"><is><t></t></is></c></row></sheetData>', 1)
    report = kit.read(kit.rezip(data, replace={"xl/worksheets/sheet1.xml": sheet}))
    assert report.status == "valid" and report.rows[0].fields == {"firstname": "Anna"}


def test_a_part_claiming_utf16_but_holding_an_ascii_dtd_is_refused(kit, simple):
    body = b'<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY a "b">]><a/>'
    report = kit.read(kit.rezip(simple, add={"customXml/item1.xml": body}))
    assert report.status == "failed" and "entity" in report.error["message"]
