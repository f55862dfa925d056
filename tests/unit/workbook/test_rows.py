"""Row rules: which rows are imported, which are skipped with which code, and the values kept."""

from __future__ import annotations

import datetime as dt
import io
import json

from openpyxl import Workbook
from openpyxl.styles import Font

from guestlist.workbook import normalise_identifier


def issue(report, code):
    found = [item for item in report.issues if item.code == code]
    assert found, f"no {code} in {report.issues}"
    return found[0]


def test_rows_carry_excel_row_numbers_and_fields(kit, simple):
    report = kit.read(simple)
    assert [row.row for row in report.rows] == [2, 3]
    assert report.rows[0].identifier == "A1"
    assert report.rows[0].fields == {
        "email": "anna@example.ch", "firstname": "Anna", "lastname": "Muster", "zip": "8001",
    }
    assert report.counts() == {"valid": 2, "skipped": 0, "warnings": 0}


def test_formula_in_a_mapped_cell_skips_the_row_naming_the_column(kit):
    data = kit.xlsx(["identifier", "Vorname", "Nachname"], ["A1", "Anna", "=UPPER(B2)"], ["A2", "Ben", "Beispiel"])
    report = kit.read(data)
    assert report.status == "valid_with_errors"
    found = issue(report, "formula")
    assert (found.row, found.column, found.identifier, found.severity) == (2, "Nachname", "A1", "skipped")
    assert "'Nachname'" in found.message
    assert [row.row for row in report.rows] == [3]


def test_formula_in_the_identifier_cell_is_reported_as_formula(kit):
    report = kit.read(kit.xlsx(["identifier", "Vorname"], ['="A"&"1"', "Anna"]))
    assert kit.codes(report) == ["formula"]
    assert report.rows_total == 1


def test_formula_in_an_ignored_column_is_fine(kit):
    report = kit.read(kit.xlsx(["identifier", "Notizen"], ["A1", "=1+1"]))
    assert report.status == "valid" and report.counts()["valid"] == 1


def test_formula_cells_are_found_in_sheets_with_autofilter(kit):
    book = Workbook()
    sheet = book.active
    sheet.append(["identifier", "Ort"])
    sheet.append(["A1", "=LOWER(\"X\")"])
    sheet.auto_filter.ref = "A1:B2"
    sheet.auto_filter.add_filter_column(0, ["A1"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert kit.codes(kit.read(buffer.getvalue())) == ["formula"]


def test_blank_rows_between_data_rows_warn_once_per_run_and_reading_continues(kit):
    data = kit.xlsx(
        ["identifier"], ["A1"], [None], [None], ["A2"], [None], ["A3"], [None], [None]
    )
    book_rows = kit.read(data)
    assert [row.row for row in book_rows.rows] == [2, 5, 7]
    blanks = [item for item in book_rows.issues if item.code == "blank_row"]
    assert [(item.row, item.severity) for item in blanks] == [(3, "warning"), (6, "warning")]
    assert "Rows 3-4" in blanks[0].message
    assert book_rows.rows_total == 3
    assert book_rows.status == "valid"


def test_formatted_empty_rows_are_not_rows(kit):
    book = Workbook()
    sheet = book.active
    sheet.append(["identifier", "Vorname"])
    sheet.append(["A1", "Anna"])
    for row in range(3, 40):
        sheet.cell(row=row, column=1).font = Font(bold=True)
        sheet.cell(row=row, column=2).value = "   "
    buffer = io.BytesIO()
    book.save(buffer)
    report = kit.read(buffer.getvalue())
    assert report.rows_total == 1 and report.issues == []


def test_row_without_identifier_is_skipped_missing_identifier(kit):
    report = kit.read(kit.xlsx(["identifier", "Vorname"], [None, "Anna"], ["  ", "Ben"], ["A3", "Cleo"]))
    assert kit.codes(report) == ["missing_identifier", "missing_identifier"]
    assert [item.row for item in report.issues] == [2, 3]
    assert report.counts() == {"valid": 1, "skipped": 2, "warnings": 0}


def test_row_with_data_only_in_ignored_columns_counts_and_is_skipped(kit):
    report = kit.read(kit.xlsx(["identifier", "Notizen"], ["A1", "x"], [None, "orphan note"]))
    assert report.rows_total == 2
    assert kit.codes(report) == ["missing_identifier"]


def test_duplicate_identifier_names_first_row(kit):
    report = kit.read(kit.xlsx(["identifier", "Vorname"], ["A1", "Anna"], ["A2", "Ben"], ["A1", "Anna again"]))
    found = issue(report, "duplicate_identifier")
    assert (found.row, found.identifier, found.severity) == (4, "A1", "skipped")
    assert "row 2" in found.message
    assert [row.fields["firstname"] for row in report.rows] == ["Anna", "Ben"]


def test_duplicate_email_identifiers_differing_in_case_are_duplicates(kit):
    report = kit.read(kit.xlsx(["identifier"], ["Anna@Example.ch"], [" anna@example.CH "]))
    assert report.rows[0].identifier == "anna@example.ch"
    assert kit.codes(report) == ["duplicate_identifier"]


def test_non_email_identifiers_stay_case_sensitive(kit):
    report = kit.read(kit.xlsx(["identifier"], ["ab12"], ["AB12"]))
    assert [row.identifier for row in report.rows] == ["ab12", "AB12"]


def test_normalise_identifier_trims_and_lowercases_emails_only():
    assert normalise_identifier("  Anna@Example.CH ") == "anna@example.ch"
    assert normalise_identifier(" K-0012 ") == "K-0012"


def test_invalid_email_skips_the_row_naming_column_and_value(kit):
    report = kit.read(kit.xlsx(["identifier", "E-Mail"], ["A1", "anna@"], ["A2", "Ben@Example.CH"]))
    found = issue(report, "invalid_email")
    assert (found.row, found.column) == (2, "E-Mail")
    assert "'anna@'" in found.message
    assert report.rows[0].fields["email"] == "Ben@example.ch"  # email-validator's normalised form


def test_invalid_phone_skips_the_row(kit):
    report = kit.read(kit.xlsx(["identifier", "Mobile"], ["A1", "12"], ["A2", "not a number"], ["A3", "079 123 45 67"]))
    assert kit.codes(report) == ["invalid_phone", "invalid_phone"]
    assert report.rows[0].fields["phone_mobile"] == "+41791234567"


def test_phones_are_stored_as_e164_also_from_number_cells(kit):
    report = kit.read(
        kit.xlsx(["identifier", "Natel"], ["A1", 791234567], ["A2", 41791234568], ["A3", "+49 30 123456"]),
    )
    assert [row.fields["phone_mobile"] for row in report.rows] == ["+41791234567", "+41791234568", "+4930123456"]


def test_phone_region_comes_from_options(kit):
    report = kit.read(kit.xlsx(["identifier", "Mobile"], ["A1", "030 1234567"]), region="DE")
    assert report.rows[0].fields["phone_mobile"] == "+49301234567"


def test_numbers_in_text_fields_keep_their_digits(kit):
    report = kit.read(kit.xlsx(["identifier", "PLZ", "Badge"], [123, 8001, 2.5]))
    row = report.rows[0]
    assert row.identifier == "123"
    assert row.fields == {"zip": "8001", "badge_info": "2.5"}


def test_identifier_typed_as_text_keeps_leading_zeros(kit):
    report = kit.read(kit.xlsx(["identifier"], ["00123"]))
    assert report.rows[0].identifier == "00123"


def test_dates_become_iso_strings_and_booleans_stay_booleans(kit):
    data = kit.xlsx(
        ["identifier", "Geburtstag", "Ankunft", "VIP"],
        ["A1", dt.date(1990, 5, 17), dt.datetime(2025, 3, 1, 18, 30), True],
    )
    report = kit.read(data, mapping={"Geburtstag": "birthday", "Ankunft": "badge_info", "VIP": "vip"})
    row = report.rows[0]
    assert row.custom == {"birthday": "1990-05-17", "vip": True}
    assert row.fields == {"badge_info": "2025-03-01T18:30:00"}


def test_custom_numbers_stay_numbers(kit):
    report = kit.read(kit.xlsx(["identifier", "Gäste"], ["A1", 2]), mapping={"Gäste": "companions"})
    assert report.rows[0].custom == {"companions": 2}


def test_empty_cells_are_absent_so_they_never_erase(kit):
    report = kit.read(kit.xlsx(["identifier", "Vorname", "Nachname", "Ort"], ["A1", None, "  ", "Bern"]))
    assert report.rows[0].fields == {"city": "Bern"}


def test_language_spellings_are_normalised(kit):
    values = ["DE", "Deutsch", "français", "fr-CH", "it_CH", " english "]
    report = kit.read(kit.xlsx(["identifier", "Sprache"], *[[f"A{i}", v] for i, v in enumerate(values)]))
    assert [row.fields["language"] for row in report.rows] == ["de", "de", "fr", "fr", "it", "en"]
    assert report.issues == []


def test_unknown_language_becomes_default_with_a_warning(kit):
    report = kit.read(kit.xlsx(["identifier", "Langue"], ["A1", "klingon"]), default_language="fr")
    assert report.status == "valid"
    assert report.rows[0].fields["language"] == "fr"
    found = issue(report, "unknown_language")
    assert (found.row, found.severity, found.column) == (2, "warning", "Langue")
    assert report.counts() == {"valid": 1, "skipped": 0, "warnings": 1}


def test_language_not_offered_by_the_event_becomes_default(kit):
    report = kit.read(kit.xlsx(["identifier", "Lingua"], ["A1", "italiano"]), languages=("de", "fr"), default_language="de")
    assert report.rows[0].fields["language"] == "de"
    assert kit.codes(report) == ["unknown_language"]


def test_a_skipped_row_gets_exactly_one_issue(kit):
    report = kit.read(kit.xlsx(["identifier", "E-Mail", "Mobile", "Sprache"], ["A1", "bad", "bad", "xx"]))
    assert kit.codes(report) == ["invalid_email"]
    assert report.counts() == {"valid": 0, "skipped": 1, "warnings": 0}


def test_report_to_dict_is_json(kit):
    report = kit.read(kit.xlsx(["identifier", "E-Mail"], ["A1", "bad"], ["A2", "b@example.ch"]))
    body = json.loads(json.dumps(report.to_dict()))
    assert body["status"] == "valid_with_errors"
    assert body["counts"] == {"valid": 1, "skipped": 1, "warnings": 0}
    assert body["issues"][0]["code"] == "invalid_email"
    assert set(body) == {"status", "error", "rows_total", "counts", "warnings", "columns", "issues"}


def test_failed_report_to_dict_is_json(kit):
    body = json.loads(json.dumps(kit.read(b"nope").to_dict()))
    assert body["status"] == "failed" and body["error"]["code"] == "unsupported_file"
