"""Makes the corpus's organiser-style guest lists (the `made/` files of manifest.json).

    .venv/bin/python tests/data/workbooks/make_lists.py        # openpyxl and XlsxWriter files
    (LibreOffice files: `soffice --headless --convert-to xlsx` of some of them, when soffice exists)

The files are committed; this script says how they were made, so they can be made again.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import xlsxwriter
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

HERE = Path(__file__).resolve().parent / "made"

FIRST = ("Anna", "Luca", "Marie", "Jonas", "Sofia", "Noah", "Léa", "Elias", "Chiara", "Louis", "Mia", "Timo")
LAST = ("Müller", "Rossi", "Favre", "Meier", "Bianchi", "Dubois", "Keller", "Weber", "Bernasconi", "Girard")


def guest(i: int) -> tuple[str, str, str]:
    first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
    return first, last, f"{first.lower()}.{i}@example.ch".replace("é", "e")


def save(book: Workbook, name: str) -> Path:
    path = HERE / name
    book.save(path)
    return path


def sommerfest_title_row() -> Path:
    """Title merged over the header, a blank row, German CRM headers, Swiss language letters,
    a pasted #N/A, a bad address and a repeated guest."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Gäste"
    sheet["A1"] = "Gästeliste Sommerfest 2027"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet.merge_cells("A1:G1")
    sheet.append([])
    sheet.append(["Anrede", "Vorname", "Nachname", "Firmenname", "E-Mail geschäftlich", "Natel", "Sprache"])
    for i in range(20):
        first, last, mail = guest(i)
        sheet.append(["Frau" if i % 2 else "Herr", first, last, f"Firma {i % 4}", mail,
                      f"079 {100 + i:03d} 45 67", "DFIE"[i % 4]])
    sheet["D8"] = "#N/A"  # a failed lookup pasted as values
    sheet["E10"] = "anna(at)example.ch"
    sheet.append(["Herr", "Luca", "Rossi", "Firma 1", guest(1)[2], "079 101 45 67", "I"])
    return save(book, "sommerfest-title-row.xlsx")


def crm_export_telefon_mobile() -> Path:
    """A CRM export with both Telefon and Mobile, long language names, an identifier column."""
    path = HERE / "crm-export-telefon-mobile.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Export")
    sheet.write_row(0, 0, ["Kontakt-ID", "Vorname", "Name", "Firma", "Telefon", "Mobile", "E-Mail",
                           "Korrespondenzsprache"])
    languages = ("Deutsch (Schweiz)", "Français", "Italiano", "English", "Allemand", "Rätoromanisch")
    for i in range(12):
        first, last, mail = guest(i)
        sheet.write_row(i + 1, 0, [f"K-{1000 + i}", first, last, f"Firma {i}", f"044 {200 + i} 11 22",
                                   f"+41 79 {300 + i} 22 33", mail, languages[i % len(languages)]])
    sheet.write_number(13, 0, 1012)  # a number in the identifier column keeps its digits
    sheet.write_row(13, 1, ["Zahl", "Kunde", "", "", "", "zahl@example.ch", "de"])
    book.close()
    return path


def bordered_rows() -> Path:
    """30 guests, then 5,000 rows that only carry a border (select down, add borders)."""
    path = HERE / "bordered-empty-rows.xlsx"
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet()
    border = book.add_format({"border": 1})
    sheet.write_row(0, 0, ["ID", "Vorname", "Nachname", "E-Mail"], border)
    for i in range(30):
        sheet.write_row(i + 1, 0, [f"G{i:03d}", *guest(i)], border)
    for r in range(31, 5031):
        for c in range(4):
            sheet.write_blank(r, c, None, border)
    book.close()
    return path


POWER_QUERY = (
    '<?xml version="1.0" encoding="utf-16"?><DataMashup sqmid="00000000-0000-0000-0000-000000000000" '
    'xmlns="http://schemas.microsoft.com/DataMashup">AAAAAEUDAABQSwMEFAACAAgAAAAAAAAAAAAAAAAAAAAAAAAA</DataMashup>'
)


def power_query() -> Path:
    """A list once refreshed from Get Data: Excel keeps customXml/item1.xml in UTF-16 with a BOM."""
    book = Workbook()
    book.active.append(["Identifier", "Vorname", "Nachname", "E-Mail"])
    for i in range(8):
        book.active.append([f"PQ-{i}", *guest(i)])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    path = HERE / "power-query-utf16-part.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/customXml/itemProps1.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument.customXmlProperties+xml"/></Types>')
            target.writestr(info.filename, body)
        target.writestr("customXml/item1.xml", POWER_QUERY.encode("utf-16"))
        target.writestr("customXml/itemProps1.xml", '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
                        '<ds:datastoreItem ds:itemID="{00000000-0000-0000-0000-000000000001}" '
                        'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"/>')
        target.writestr("customXml/_rels/item1.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        'relationships/customXmlProps" Target="itemProps1.xml"/></Relationships>')
    return path


def hidden_lists() -> Path:
    """Dropdowns fed from a hidden sheet, as templates do."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Anmeldungen"
    sheet.append(["E-Mail", "Prénom", "Nom", "Langue"])
    for i in range(6):
        first, last, mail = guest(i)
        sheet.append([mail, first, last, ("Français", "Allemand", "Italien")[i % 3]])
    lists = book.create_sheet("Listes")
    for value in ("Français", "Allemand", "Italien", "Anglais"):
        lists.append([value])
    lists.sheet_state = "hidden"
    validation = DataValidation(type="list", formula1="=Listes!$A$1:$A$4")
    sheet.add_data_validation(validation)
    validation.add("D2:D200")
    return save(book, "hidden-dropdown-lists.xlsx")


def empty_strings_sheet() -> Path:
    """A second sheet of pasted values of ="" (empty strings): it looks blank."""
    book = Workbook()
    book.active.append(["Identifier", "Vorname"])
    book.active.append(["ES-1", "Anna"])
    book.create_sheet("Berechnung")
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    path = HERE / "second-sheet-empty-strings.xlsx"
    blank = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + "".join(f'<row r="{r}"><c r="A{r}" t="str"><v></v></c><c r="B{r}" t="inlineStr"><is><t></t></is></c></row>'
                       for r in range(1, 40))
             + "</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = blank.encode() if info.filename == "xl/worksheets/sheet2.xml" else source.read(info.filename)
            target.writestr(info.filename, body)
    return path


def totals_and_errors() -> Path:
    """A total row computed by formulas and a row of #N/A from a failed VLOOKUP."""
    path = HERE / "totals-and-errors.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Liste")
    sheet.write_row(0, 0, ["ID", "Vorname", "Nachname", "Personen"])
    for i in range(10):
        first, last, _mail = guest(i)
        sheet.write_row(i + 1, 0, [f"T-{i}", first, last, 1 + i % 2])
    for c in range(4):
        sheet.write_formula(11, c, "=VLOOKUP(Z1,Z:Z,1,FALSE)", None, "#N/A")
    sheet.write_string(12, 0, "Total")
    sheet.write_formula(12, 3, "=SUM(D2:D11)", None, 15)
    book.close()
    return path


def merged_group_headers() -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["Person", None, "Kontakt", None, None])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:E1")
    sheet.append(["Vorname", "Nachname", "E-Mail", "Tel.", "Ort"])
    for i in range(5):
        first, last, mail = guest(i)
        sheet.append([first, last, mail, f"+41 79 {400 + i} 11 22", "Bern"])
    return save(book, "merged-group-headers.xlsx")


def italian_and_english() -> list[Path]:
    book = Workbook()
    book.active.append(["Titolo", "Nome", "Cognome", "Ragione sociale", "E-mail", "Cellulare", "Lingua"])
    for i in range(6):
        first, last, mail = guest(i)
        book.active.append(["Sig.", first, last, "Ditta SA", mail, f"076 {500 + i} 33 44", ("Italiano", "I", "tedesco")[i % 3]])
    italian = save(book, "lista-invitati-it.xlsx")
    book = Workbook()
    book.active.append(["First Name", "Last Name", "Company", "E-mail Address", "Business Phone", "Mobile Phone",
                        "Language"])
    for i in range(6):
        first, last, mail = guest(i)
        book.active.append([first, last, "ACME", mail, f"+41 44 {600 + i} 11 22", f"+41 78 {600 + i} 11 22",
                            ("English (UK)", "German", "French")[i % 3]])
    book.active["F4"] = "12"  # not a phone number
    english = save(book, "outlook-export-en.xlsx")
    return [italian, english]


def stray_column_ja() -> Path:
    book = Workbook()
    book.active.append(["Identifier", "Vorname"])
    book.active.append(["S-1", "Anna"])
    book.active["JA17"] = "x"
    return save(book, "stray-value-column-ja.xlsx")


def libreoffice(paths: list[Path]) -> list[Path]:
    """The same files opened and saved by LibreOffice Calc (its own xlsx writer)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("soffice not found: LibreOffice files not made", file=sys.stderr)
        return []
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
                            "xlsx:Calc MS Excel 2007 XML", "--outdir", tmp, str(path)], check=True, capture_output=True,
                           timeout=180)
            target = HERE / f"libreoffice-{path.name}"
            shutil.move(Path(tmp) / path.name, target)
            made.append(target)
    return made


def main() -> None:
    HERE.mkdir(exist_ok=True)
    made = [sommerfest_title_row(), crm_export_telefon_mobile(), bordered_rows(), power_query(), hidden_lists(),
            empty_strings_sheet(), totals_and_errors(), merged_group_headers(), *italian_and_english(), stray_column_ja()]
    made += libreoffice([made[0], made[1], made[4], made[6], made[7]])
    for path in made:
        print(f"{path.stat().st_size:>8}  {path.name}")


if __name__ == "__main__":
    main()
