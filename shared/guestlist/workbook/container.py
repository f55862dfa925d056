"""The one streaming pass over the zip before any parsing: sizes, DTDs, sheets and formula presence.

Nothing here trusts the zip directory: every XML part is inflated from its raw bytes with a
running byte counter, so a part that lies about its size is stopped at the limit.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from .codes import Code
from .model import Limits, WorkbookError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# The directory entry of an encrypted OOXML package inside its OLE2 wrapper (UTF-16LE).
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
XML_SUFFIXES = (".xml", ".rels", ".vml")
MAX_PARTS = 10_000
IN_CHUNK = 16 * 1024  # compressed bytes fed at once: bounds one inflate step (deflate <= ~1032:1)
OUT_CHUNK = 1024 * 1024  # decompressed bytes handed on at once
TAIL = 32  # bytes carried between windows so a marker cut in two is still seen
ALLOWED_ENCODINGS = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", re.I)
_ROOT_PREFIX = re.compile(rb"<(\w+:)?worksheet[\s>]")
_MB = 1024 * 1024


@dataclass
class SheetPart:
    name: str
    path: str
    non_empty: bool = False
    has_formula: bool = False
    row_elements: int = 0  # <row> elements holding cells: an upper bound of the data rows
    prefix: bytes = b""


@dataclass
class Container:
    """A workbook that passed the zip checks, with what the pass learnt about its sheets."""

    data: bytes
    sheets: list[SheetPart]
    limits: Limits
    _infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict, repr=False)

    def iter_part(self, path: str) -> Iterator[bytes]:
        """Inflates one part again, under the same limit."""
        yield from _inflate(self.data, self._infos[path], _Budget(self.limits.max_uncompressed_bytes))


class _Budget:
    __slots__ = ("limit", "used")

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise WorkbookError(
                Code.TOO_LARGE,
                f"The workbook unpacks to more than {_mb(self.limit)} of data; the limit is {_mb(self.limit)}.",
            )


def _mb(n: int) -> str:
    return f"{n / _MB:.0f} MB" if n >= _MB else f"{n} bytes"


def load_source(source: bytes | bytearray | memoryview | str | os.PathLike, limits: Limits) -> bytes:
    """Reads the upload, refusing anything over the file size limit before reading it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        path = os.fspath(source)
        try:
            size = os.stat(path).st_size
            if size > limits.max_file_bytes:
                raise _file_too_large(size, limits)
            with open(path, "rb") as handle:
                data = handle.read(limits.max_file_bytes + 1)
        except OSError as exc:
            raise WorkbookError(Code.UNSUPPORTED_FILE, f"The file cannot be opened: {exc.strerror or exc}.") from exc
    if len(data) > limits.max_file_bytes:
        raise _file_too_large(len(data), limits)
    return data


def _file_too_large(size: int, limits: Limits) -> WorkbookError:
    return WorkbookError(
        Code.TOO_LARGE, f"The file is {_mb(size)}; the limit is {_mb(limits.max_file_bytes)}."
    )


def sniff(data: bytes) -> None:
    """Refuses what is not a zip at all, saying what it looks like instead."""
    if data[:4] in ZIP_MAGICS:
        return
    if not data:
        raise WorkbookError(Code.UNSUPPORTED_FILE, "The file is empty.")
    if data.startswith(OLE2_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise WorkbookError(
                Code.UNSUPPORTED_FILE,
                "This workbook is password-protected (encrypted); remove the password in Excel and save it again as .xlsx.",
            )
        raise WorkbookError(
            Code.UNSUPPORTED_FILE, "This is an old .xls file (Excel 97-2003); open it in Excel and save it as .xlsx."
        )
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = head.lower()
    if lowered.startswith(b"<") and (b"<html" in lowered or b"office:spreadsheet" in lowered or b"<table" in lowered):
        raise WorkbookError(
            Code.UNSUPPORTED_FILE,
            "This is an HTML or XML spreadsheet export, not an .xlsx workbook; open it in Excel and save it as .xlsx.",
        )
    if _looks_like_text(head):
        raise WorkbookError(
            Code.UNSUPPORTED_FILE,
            "This is a CSV or text file with an .xlsx name; open it in Excel and save it as an .xlsx workbook.",
        )
    raise WorkbookError(Code.UNSUPPORTED_FILE, "This file is not an .xlsx workbook.")


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    if not text:
        return False
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    return printable / len(text) > 0.95


def inspect_container(data: bytes, limits: Limits) -> Container:
    """The pass itself: directory checks, then every XML part inflated and scanned once."""
    sniff(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise WorkbookError(
            Code.UNSUPPORTED_FILE, "The file is damaged: it is not a readable .xlsx (zip) workbook."
        ) from exc
    if len(infos) > MAX_PARTS:
        raise WorkbookError(Code.TOO_LARGE, f"The workbook has {len(infos)} parts; the limit is {MAX_PARTS}.")

    by_name = {info.filename: info for info in infos}
    if len(by_name) != len(infos):
        # Readers disagree on which of two same-named parts counts; Excel never writes them.
        raise WorkbookError(Code.UNSUPPORTED_FILE, "The file is damaged: it holds two parts with the same name.")
    xml_infos = [info for info in infos if info.filename.lower().endswith(XML_SUFFIXES)]
    declared = sum(info.file_size for info in xml_infos)
    if declared > limits.max_uncompressed_bytes:
        raise WorkbookError(
            Code.TOO_LARGE,
            f"The workbook unpacks to {_mb(declared)}; the limit is {_mb(limits.max_uncompressed_bytes)}.",
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise WorkbookError(
                Code.UNSUPPORTED_FILE,
                "This workbook is password-protected (encrypted); remove the password and save it again.",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookError(Code.UNSUPPORTED_FILE, "The workbook uses a zip compression Excel does not write.")

    budget = _Budget(limits.max_uncompressed_bytes)
    # Structure parts first: they name the worksheets, whose parts get the extra scans.
    rels = _read_small_part(data, by_name, "_rels/.rels", budget)
    workbook_path = _office_document_path(rels, by_name)
    workbook_xml = _read_small_part(data, by_name, workbook_path, budget)
    workbook_rels_path = posixpath.join(posixpath.dirname(workbook_path), "_rels", posixpath.basename(workbook_path) + ".rels")
    workbook_rels = _read_small_part(data, by_name, workbook_rels_path, budget)
    sheets = _worksheets(workbook_xml, workbook_rels, workbook_path, by_name)
    sheet_by_path = {sheet.path: sheet for sheet in sheets}
    done = {"_rels/.rels", workbook_path, workbook_rels_path}

    # Worksheets are scanned whatever their names end with: calamine reads them as XML.
    scanned = xml_infos + [by_name[sheet.path] for sheet in sheets if sheet.path not in {i.filename for i in xml_infos}]
    for info in scanned:
        if info.filename in done:
            continue
        sheet = sheet_by_path.get(info.filename)
        if sheet is None:
            _scan_part(data, info, budget)
        else:
            _scan_sheet(data, info, budget, sheet)
    return Container(data=data, sheets=sheets, limits=limits, _infos=by_name)


def _read_small_part(data: bytes, by_name: dict, path: str, budget: _Budget) -> bytes | None:
    info = by_name.get(path)
    if info is None:
        return None
    chunks = []
    for window in _scanned(data, info, budget):
        chunks.append(window)
    return b"".join(chunks)


def _office_document_path(rels: bytes | None, by_name: dict) -> str:
    target = None
    if rels is not None:
        for element in _parse(rels).iter():
            if _local(element.tag) == "Relationship" and element.get("Type", "").endswith("/officeDocument"):
                target = element.get("Target", "").lstrip("/")
                break
    if target is None and "xl/workbook.xml" in by_name:
        target = "xl/workbook.xml"
    if target is None or target not in by_name:
        if "mimetype" in by_name:
            raise WorkbookError(
                Code.UNSUPPORTED_FILE, "This is an OpenDocument spreadsheet (.ods); save it as an .xlsx workbook."
            )
        raise WorkbookError(Code.UNSUPPORTED_FILE, "This file is a zip archive but not an Excel workbook.")
    if target.lower().endswith(".bin"):
        raise WorkbookError(
            Code.UNSUPPORTED_FILE, "This is a binary .xlsb workbook; open it in Excel and save it as .xlsx."
        )
    return target


def _worksheets(workbook_xml: bytes, workbook_rels: bytes | None, workbook_path: str, by_name: dict) -> list[SheetPart]:
    targets: dict[str, str] = {}
    base = posixpath.dirname(workbook_path)
    if workbook_rels is not None:
        for element in _parse(workbook_rels).iter():
            if _local(element.tag) == "Relationship" and element.get("Type", "").endswith("/worksheet"):
                target = element.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
                targets[element.get("Id", "")] = path
    sheets = []
    for element in _parse(workbook_xml).iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
        path = targets.get(rel_id or "")
        if path is not None and path in by_name:
            sheets.append(SheetPart(name=element.get("name", ""), path=path))
    if not sheets:
        raise WorkbookError(Code.UNSUPPORTED_FILE, "The workbook has no worksheet.")
    return sheets


def _parse(xml: bytes) -> ET.Element:
    # Only called on parts the scan already cleared of DTDs and entity declarations.
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise WorkbookError(Code.UNSUPPORTED_FILE, "The file is damaged: a workbook part is not valid XML.") from exc


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _scan_part(data: bytes, info: zipfile.ZipInfo, budget: _Budget) -> None:
    for _ in _scanned(data, info, budget):
        pass


def _scan_sheet(data: bytes, info: zipfile.ZipInfo, budget: _Budget, sheet: SheetPart) -> None:
    row_close = None
    value_marks: tuple[bytes, ...] = ()
    formula_mark = b""
    previous = b""
    for window in _scanned(data, info, budget):
        if row_close is None:
            match = _ROOT_PREFIX.search(window)
            sheet.prefix = (match.group(1) or b"") if match else b""
            p = sheet.prefix
            row_close = b"</" + p + b"row>"
            value_marks = (b"<" + p + b"v>", b"<" + p + b"v ", b"<" + p + b"is>")
            formula_mark = b"<" + p + b"f"
        # Markers cut by a window edge are found in `seam`; it is shorter than twice a marker,
        # so a closing row tag is counted in exactly one of window and seam.
        seam = previous + window[: len(row_close) - 1]
        sheet.row_elements += window.count(row_close) + seam.count(row_close)
        if not sheet.has_formula and (_has_formula_tag(window, formula_mark) or _has_formula_tag(seam + window[:8], formula_mark)):
            sheet.has_formula = True
            sheet.non_empty = True
        if not sheet.non_empty and any(mark in window or mark in seam + window[:8] for mark in value_marks):
            sheet.non_empty = True
        previous = window[-(len(row_close) - 1) :]


def _has_formula_tag(win: bytes, mark: bytes) -> bool:
    """True when the bytes hold an <f> element; `<filterColumn` and friends are not formulas."""
    start = win.find(mark)
    n = len(mark)
    while start != -1:
        follower = win[start + n : start + n + 1]
        if follower in (b" ", b">", b"/", b"\t", b"\r", b"\n"):
            return True
        start = win.find(mark, start + 1)
    return False


def _scanned(data: bytes, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """Inflates a part, refusing DTDs, entity declarations and non-UTF-8 XML as it goes."""
    previous = b""
    first = True
    for chunk in _inflate(data, info, budget):
        if first:
            _check_encoding(chunk, info.filename)
            first = False
        seam = previous + chunk[:TAIL]
        if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk or b"<!DOCTYPE" in seam or b"<!ENTITY" in seam:
            raise WorkbookError(
                Code.UNSUPPORTED_FILE,
                "The workbook contains an XML document type or entity declaration, which Excel never writes; it is refused.",
            )
        previous = chunk[-TAIL:]
        yield chunk


def _check_encoding(head: bytes, name: str) -> None:
    # A byte scan for <!DOCTYPE only works on UTF-8; Excel writes nothing else.
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")) or head[1:2] == b"\x00":
        raise WorkbookError(Code.UNSUPPORTED_FILE, f"The workbook part {name} is not UTF-8 XML; it is refused.")
    match = _XML_DECL_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    if match and match.group(1).lower() not in ALLOWED_ENCODINGS:
        raise WorkbookError(Code.UNSUPPORTED_FILE, f"The workbook part {name} is not UTF-8 XML; it is refused.")


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """Yields the part's bytes, counting them against the budget, whatever the directory claims."""
    offset = info.header_offset
    if offset + 30 > len(data):
        raise _damaged()
    signature, *_rest, name_len, extra_len = struct.unpack_from("<IHHHHHIIIHH", data, offset)
    if signature != 0x04034B50:
        raise _damaged()
    start = offset + 30 + name_len + extra_len
    end = start + info.compress_size
    if end > len(data):
        raise _damaged()
    raw = memoryview(data)[start:end]
    crc = 0
    size = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for i in range(0, len(raw), OUT_CHUNK):
            chunk = bytes(raw[i : i + OUT_CHUNK])
            budget.spend(len(chunk))
            size += len(chunk)
            crc = zlib.crc32(chunk, crc)
            yield chunk
    else:
        inflater = zlib.decompressobj(-15)
        try:
            for i in range(0, len(raw), IN_CHUNK):
                pending = raw[i : i + IN_CHUNK]
                while pending:
                    chunk = inflater.decompress(pending, OUT_CHUNK)
                    pending = inflater.unconsumed_tail
                    if chunk:
                        budget.spend(len(chunk))
                        size += len(chunk)
                        crc = zlib.crc32(chunk, crc)
                        yield chunk
                if inflater.eof:
                    break
            chunk = inflater.flush()
        except zlib.error as exc:
            raise _damaged() from exc
        if chunk:
            budget.spend(len(chunk))
            size += len(chunk)
            crc = zlib.crc32(chunk, crc)
            yield chunk
    if size != info.file_size or crc != info.CRC:
        raise _damaged()


def _damaged() -> WorkbookError:
    return WorkbookError(Code.UNSUPPORTED_FILE, "The file is damaged: a part of the workbook cannot be unpacked.")
