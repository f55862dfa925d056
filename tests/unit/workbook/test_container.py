"""File-level refusals: what is not a readable, bounded, single-sheet .xlsx never gets parsed."""

from __future__ import annotations

import io
import struct
import zipfile

import msoffcrypto.format.ooxml
import pytest

from guestlist.workbook import Limits, ReadOptions, read_workbook


def assert_failed(report, code: str) -> None:
    assert report.status == "failed", report
    assert report.error["code"] == code, report.error
    assert report.rows == [] and report.rows_total == 0
    assert report.error["message"]


def test_readable_workbook_is_valid(kit, simple):
    report = kit.read(simple)
    assert report.status == "valid"
    assert report.rows_total == 2


def test_corrupt_zip_is_unsupported_file(kit, simple):
    damaged = simple[: len(simple) // 2]
    assert_failed(kit.read(damaged), "unsupported_file")


def test_flipped_bytes_inside_a_part_are_unsupported_file(kit, simple):
    info = zipfile.ZipFile(io.BytesIO(simple)).getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(simple)
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start : start + 8] = b"\x00" * 8
    assert_failed(kit.read(bytes(data)), "unsupported_file")


def test_csv_renamed_to_xlsx_is_unsupported_file_saying_csv(kit):
    report = kit.read(b"identifier;email\nA1;anna@example.ch\n")
    assert_failed(report, "unsupported_file")
    assert "CSV" in report.error["message"]


def test_old_xls_is_unsupported_file_saying_save_as_xlsx(kit):
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 100
    report = kit.read(ole2)
    assert_failed(report, "unsupported_file")
    assert ".xls" in report.error["message"] and "save it as .xlsx" in report.error["message"]


def test_encrypted_workbook_is_unsupported_file_saying_password(kit, simple):
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(simple)).encrypt("secret", encrypted)
    report = kit.read(encrypted.getvalue())
    assert_failed(report, "unsupported_file")
    assert "password" in report.error["message"]


def test_empty_file_is_unsupported_file(kit):
    assert_failed(kit.read(b""), "unsupported_file")


def test_zip_that_is_not_a_workbook_is_unsupported_file(kit):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert_failed(kit.read(out.getvalue()), "unsupported_file")


def test_missing_path_is_a_failed_report_not_an_exception(tmp_path):
    assert_failed(read_workbook(tmp_path / "nope.xlsx"), "unsupported_file")


def test_path_and_bytes_give_the_same_report(kit, simple, tmp_path):
    path = tmp_path / "guests.xlsx"
    path.write_bytes(simple)
    assert read_workbook(path).to_dict() == read_workbook(str(path)).to_dict() == kit.read(simple).to_dict()


def test_two_non_empty_sheets_fail_multiple_sheets_naming_them(kit):
    data = kit.xlsx(["identifier"], ["A1"], sheets={"Notes": [["x"]]})
    report = kit.read(data)
    assert_failed(report, "multiple_sheets")
    assert "'Guests'" in report.error["message"] and "'Notes'" in report.error["message"]


def test_extra_empty_sheet_is_fine(kit):
    data = kit.xlsx(["identifier"], ["A1"], sheets={"Empty": []})
    report = kit.read(data)
    assert report.status == "valid" and report.rows_total == 1


def test_extra_sheet_with_only_formatting_is_fine(kit):
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    book = load_workbook(io.BytesIO(kit.xlsx(["identifier"], ["A1"], sheets={"Styled": []})))
    book["Styled"]["B4"].font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    report = kit.read(buffer.getvalue())
    assert report.status == "valid" and report.rows_total == 1


def test_data_on_second_sheet_is_read_when_the_first_is_empty(kit):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover"
    sheet = book.create_sheet("Guests")
    sheet.append(["identifier", "firstname"])
    sheet.append(["A1", "Anna"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = kit.read(buffer.getvalue())
    assert report.status == "valid"
    assert report.rows[0].fields == {"firstname": "Anna"}


BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    b' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
)


def _body(xml: bytes) -> bytes:
    """The XML without its declaration (openpyxl writes none)."""
    return xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml


def test_entity_expansion_in_sheet_xml_is_unsupported_file(kit, simple):
    sheet = kit.part(simple, "xl/worksheets/sheet1.xml")
    body = _body(sheet).replace(b"<v>", b"<v>&lol3;", 1)
    report = kit.read(kit.rezip(simple, replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS + body}))
    assert_failed(report, "unsupported_file")
    assert "entity" in report.error["message"]


def test_doctype_in_any_part_is_unsupported_file(kit, simple):
    styles = kit.part(simple, "xl/styles.xml")
    doctype = b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.com/x.dtd">'
    patched = kit.rezip(simple, replace={"xl/styles.xml": doctype + _body(styles)})
    assert_failed(kit.read(patched), "unsupported_file")


def test_utf16_xml_part_is_unsupported_file(kit, simple):
    sheet = kit.part(simple, "xl/worksheets/sheet1.xml").replace(b"UTF-8", b"UTF-16")
    patched = kit.rezip(simple, replace={"xl/worksheets/sheet1.xml": sheet.decode().encode("utf-16")})
    assert_failed(kit.read(patched), "unsupported_file")


def _bomb(kit, padding_bytes: int) -> bytes:
    """A valid workbook whose sheet XML holds a huge run of whitespace (compresses ~1000:1)."""
    data = kit.xlsx(["identifier"], ["A1"])
    sheet = kit.part(data, "xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * padding_bytes, 1)
    return kit.rezip(data, replace={"xl/worksheets/sheet1.xml": sheet})


def test_zip_bomb_over_the_uncompressed_limit_is_too_large(kit):
    bomb = _bomb(kit, 8 * 1024 * 1024)
    assert len(bomb) < 100_000
    report = kit.read(bomb, limits=Limits(max_uncompressed_bytes=2 * 1024 * 1024))
    assert_failed(report, "too_large")


def _lie_about_sizes(data: bytes, name: str, claimed: int) -> bytes:
    """Patches the local header and the central directory so `name` claims `claimed` bytes."""
    patched = bytearray(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(name)
    struct.pack_into("<I", patched, info.header_offset + 22, claimed)
    encoded = name.encode()
    central = 0
    while True:
        central = data.find(b"PK\x01\x02", central)
        assert central != -1
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == encoded:
            break
        central += 4
    struct.pack_into("<I", patched, central + 24, claimed)
    return bytes(patched)


def test_zip_lying_about_its_sizes_is_stopped_at_the_limit(kit):
    liar = _lie_about_sizes(_bomb(kit, 8 * 1024 * 1024), "xl/worksheets/sheet1.xml", 1000)
    limits = Limits(max_uncompressed_bytes=2 * 1024 * 1024)
    declared = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(liar)).infolist())
    assert declared < limits.max_uncompressed_bytes  # the directory alone would let it through
    assert_failed(kit.read(liar, limits=limits), "too_large")


def test_zip_lying_about_sizes_within_the_limit_is_refused_as_damaged(kit):
    liar = _lie_about_sizes(_bomb(kit, 100_000), "xl/worksheets/sheet1.xml", 1000)
    assert_failed(kit.read(liar), "unsupported_file")


def test_file_over_the_size_limit_is_too_large(kit, simple, tmp_path):
    limits = Limits(max_file_bytes=len(simple) - 1)
    assert_failed(kit.read(simple, limits=limits), "too_large")
    path = tmp_path / "big.xlsx"
    path.write_bytes(simple)
    assert_failed(read_workbook(path, ReadOptions(limits=limits)), "too_large")


def test_rows_over_the_limit_are_too_large(kit):
    data = kit.xlsx(["identifier"], *[[f"A{i}"] for i in range(12)])
    assert_failed(kit.read(data, limits=Limits(max_rows=10)), "too_large")
    assert kit.read(data, limits=Limits(max_rows=12)).status == "valid"


def test_columns_over_the_limit_are_too_large(kit):
    data = kit.xlsx(["identifier", *[f"c{i}" for i in range(10)]], ["A1"])
    assert_failed(kit.read(data, limits=Limits(max_columns=5)), "too_large")
    assert kit.read(data, limits=Limits(max_columns=11)).status == "valid"


@pytest.mark.parametrize("payload", [b"PK\x03\x04garbage", b"PK\x05\x06" + b"\x00" * 18, b"\x00" * 64])
def test_garbage_never_raises(kit, payload):
    assert kit.read(payload).status == "failed"


def test_two_parts_with_the_same_name_are_unsupported_file(kit, simple):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we make on purpose
        doubled = kit.rezip(simple, add={"xl/worksheets/sheet1.xml": BILLION_LAUGHS[:40] + b"<worksheet/>"})
    assert_failed(kit.read(doubled), "unsupported_file")
