"""Column mapping: explicit mapping first, then field identifiers and known labels in de/fr/en/it."""

from __future__ import annotations

import pytest

from guestlist.workbook import LABELS, PREDEFINED_FIELDS, normalise_label


def test_duplicate_headers_fail_naming_them(kit):
    report = kit.read(kit.xlsx(["identifier", "Email", "Firma", "email"], ["A1", "a@example.ch", "X", "b@example.ch"]))
    assert report.status == "failed"
    assert report.error["code"] == "duplicate_headers"
    assert "'Email'" in report.error["message"] and "columns B, D" in report.error["message"]


def test_no_identifier_column_but_an_email_column_uses_the_email_as_identifier_with_a_warning(kit):
    report = kit.read(kit.xlsx(["E-Mail", "Vorname"], [" Anna@Example.ch ", "Anna"], ["", "Ben"], ["nope", "Cleo"]))
    assert report.status == "valid_with_errors"
    assert report.columns["mapped"] == {"E-Mail": "email", "Vorname": "firstname"}
    assert [(i.row, i.code, i.column, i.severity) for i in report.issues] == [
        (1, "email_as_identifier", "E-Mail", "warning"),
        (3, "missing_identifier", "E-Mail", "skipped"),
        (4, "invalid_email", "E-Mail", "skipped"),
    ]
    assert report.rows[0].identifier == "anna@example.ch"
    assert report.rows[0].fields == {"email": "Anna@example.ch", "firstname": "Anna"}  # the address as written


def test_no_identifier_and_no_email_column_fails_no_identifier_column(kit):
    report = kit.read(kit.xlsx(["Vorname", "Nachname"], ["Anna", "Muster"]))
    assert report.status == "failed" and report.error["code"] == "no_identifier_column"
    assert report.columns["mapped"] == {"Vorname": "firstname", "Nachname": "lastname"}


def test_empty_sheet_fails_no_identifier_column(kit):
    report = kit.read(kit.xlsx())
    assert report.status == "failed" and report.error["code"] == "no_identifier_column"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-Mail", "email"), ("Email address", "email"), ("Courriel", "email"), ("Posta elettronica", "email"),
        ("Prénom", "firstname"), ("Vorname", "firstname"), ("First name", "firstname"), ("Nome", "firstname"),
        ("Nachname", "lastname"), ("Nom", "lastname"), ("Cognome", "lastname"), ("Last Name", "lastname"),
        ("Firma", "organization"), ("Entreprise", "organization"), ("Organisation", "organization"),
        ("Azienda", "organization"), ("Mobile", "phone_mobile"), ("Handy", "phone_mobile"),
        ("Natel", "phone_mobile"), ("Téléphone mobile", "phone_mobile"), ("Cellulare", "phone_mobile"),
        ("PLZ", "zip"), ("NPA", "zip"), ("CAP", "zip"), ("Postal code", "zip"),
        ("Ort", "city"), ("Ville", "city"), ("Città", "city"), ("City", "city"),
        ("Strasse", "street"), ("Straße", "street"), ("Rue", "street"), ("Indirizzo", "street"),
        ("Langue", "language"), ("Sprache", "language"), ("Lingua", "language"), ("Language", "language"),
        ("Identifiant", "identifier"), ("Identifikator", "identifier"), ("ID", "identifier"),
        ("Account manager", "account_manager"), ("Responsable de compte", "account_manager"),
        ("Titel", "title"), ("Anrede", "title"), ("Civilité", "title"), ("Funktion", "function"),
        ("Fonction", "function"), ("Badge", "badge_info"), ("Job title", "job_title"),
        ("Permission group", "permission_group"), ("  e-MAIL  ", "email"), ("job_title", "job_title"),
    ],
)
def test_known_labels_map_automatically(kit, header, field):
    report = kit.read(kit.xlsx(["Identifier", header] if field != "identifier" else [header], ["A1", "x"]))
    assert report.columns["mapped"][header.strip()] == field


def test_every_field_identifier_maps_to_itself():
    for field in (*PREDEFINED_FIELDS, "identifier"):
        assert LABELS[normalise_label(field)] == field


def test_normalise_label_ignores_case_accents_spacing_and_punctuation():
    assert normalise_label(" Prénom ") == normalise_label("PRENOM") == "prenom"
    assert normalise_label("E-Mail") == normalise_label("e mail") == "email"


def test_explicit_mapping_wins_and_empty_string_ignores_the_column(kit):
    data = kit.xlsx(
        ["Kundennummer", "E-Mail", "Bemerkung", "Vorname"], ["K1", "anna@example.ch", "VIP", "Anna"]
    )
    report = kit.read(data, mapping={"Kundennummer": "identifier", "Vorname": "", "Bemerkung": "notes"})
    assert report.status == "valid"
    assert report.columns == {
        "mapped": {"Kundennummer": "identifier", "E-Mail": "email", "Bemerkung": "notes"},
        "ignored": ["Vorname"],
    }
    row = report.rows[0]
    assert row.identifier == "K1"
    assert row.fields == {"email": "anna@example.ch"}
    assert row.custom == {"notes": "VIP"}


def test_explicit_mapping_keys_match_headers_case_insensitively(kit):
    report = kit.read(kit.xlsx(["Mail"], ["a@example.ch"]), mapping={"mail": "identifier"})
    assert report.status == "valid" and report.rows[0].identifier == "a@example.ch"


def test_explicit_mapping_overrides_an_automatic_label(kit):
    report = kit.read(kit.xlsx(["E-Mail", "Nr"], ["a@example.ch", "7"]), mapping={"E-Mail": "identifier"})
    assert report.columns["mapped"] == {"E-Mail": "identifier"}
    assert report.columns["ignored"] == ["Nr"]


def test_mapping_a_header_that_is_not_in_the_sheet_fails_invalid_mapping(kit):
    report = kit.read(kit.xlsx(["identifier"], ["A1"]), mapping={"Emial": "email"})
    assert report.status == "failed"
    assert report.error["code"] == "invalid_mapping"
    assert "'Emial'" in report.error["message"]


def test_mapping_two_headers_to_one_field_fails_invalid_mapping(kit):
    report = kit.read(kit.xlsx(["identifier", "a", "b"], ["A1", "x", "y"]), mapping={"a": "city", "b": "city"})
    assert report.status == "failed" and report.error["code"] == "invalid_mapping"


def test_second_header_with_the_same_label_is_ignored(kit):
    report = kit.read(kit.xlsx(["identifier", "E-Mail", "Email address"], ["A1", "a@example.ch", "b@example.ch"]))
    assert report.columns["mapped"] == {"identifier": "identifier", "E-Mail": "email"}
    assert report.columns["ignored"] == ["Email address"]
    assert report.rows[0].fields == {"email": "a@example.ch"}


def test_unknown_headers_are_listed_as_ignored_and_not_read(kit):
    report = kit.read(kit.xlsx(["identifier", "Notizen", "Lieblingsfarbe"], ["A1", "x", "blau"]))
    assert report.columns["ignored"] == ["Notizen", "Lieblingsfarbe"]
    assert report.rows[0].fields == {} and report.rows[0].custom == {}


def test_name_beside_vorname_is_the_last_name(kit):
    report = kit.read(kit.xlsx(["identifier", "Name", "Vorname"], ["A1", "Muster", "Anna"]))
    assert report.rows[0].fields == {"lastname": "Muster", "firstname": "Anna"}


def test_name_alone_is_ambiguous_and_ignored(kit):
    report = kit.read(kit.xlsx(["identifier", "Name"], ["A1", "Anna Muster"]))
    assert report.columns["ignored"] == ["Name"]


def test_headers_may_start_after_column_a(kit):
    report = kit.read(kit.xlsx([None, "identifier", "Vorname"], [None, "A1", "Anna"]))
    assert report.columns["mapped"] == {"identifier": "identifier", "Vorname": "firstname"}
    assert report.rows[0].identifier == "A1" and report.rows[0].fields == {"firstname": "Anna"}
