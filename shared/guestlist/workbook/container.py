"""The one streaming pass over the zip before any parsing: sizes, DTDs, sheets, formula and error presence.

Nothing here trusts the zip directory: every XML part is inflated from its raw bytes with a
running byte counter, so a part that lies about its size is stopped at the limit.

Only the parts the reader needs (package and workbook relationships, the workbook, its
worksheets, shared strings and styles) are parsed, by us or by calamine, and they must be
UTF-8 as Excel writes them. Every other XML part (Power Query's UTF-16 `customXml/item1.xml`,
themes, drawings...) is only counted against the size budget and scanned for a DTD or entity
declaration in its own encoding.
"""

from __future__ import annotations

import codecs
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
# The workbook relationships whose targets calamine reads besides the worksheets.
_READ_RELATIONSHIPS = ("/sharedStrings", "/styles")
_READ_FIXED = ("xl/sharedstrings.xml", "xl/styles.xml")
_DECLARATIONS = ("<!DOCTYPE", "<!ENTITY")
_MB = 1024 * 1024


@dataclass
class SheetPart:
    name: str
    path: str
    hidden: bool = False  # state="hidden"/"veryHidden": lookup lists, helper data
    non_empty: bool = False
    has_formula: bool = False
    has_error: bool = False  # a cell typed t="e" (#N/A, #VALUE!...), which calamine reads as ""
    row_elements: int = 0  # </row> tags: an upper bound of the rows (formatted empty rows included)
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

    def value_rows(self, sheet: SheetPart) -> int:
        """Rows holding a value, a formula or an error: the exact count behind `row_elements`.

        Only run when `row_elements` is over the limit (30 guests above 210,000 rows that carry
        just a border): one more pass over the sheet's bytes, one `in` test per row.
        """
        p = sheet.prefix
        row_close = b"</" + p + b"row>"
        marks = (b"<" + p + b"v>", b"<" + p + b"v ", b"<" + p + b"is>", b"<" + p + b"f>", b"<" + p + b"f ")
        count = 0
        pending = b""
        for window in self.iter_part(sheet.path):
            pieces = (pending + window).split(row_close)
            pending = pieces.pop()
            for piece in pieces:
                if any(mark in piece for mark in marks):
                    count += 1
        return count


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

    by_name = {part_name(info.filename): info for info in infos}
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
    workbook_xml = _read_part(data, by_name[workbook_path], budget)  # the path is in the archive
    workbook_rels_path = posixpath.join(posixpath.dirname(workbook_path), "_rels", posixpath.basename(workbook_path) + ".rels")
    workbook_rels = _read_small_part(data, by_name, workbook_rels_path, budget)
    sheets = _worksheets(workbook_xml, workbook_rels, workbook_path, by_name)
    sheet_by_path = {sheet.path: sheet for sheet in sheets}
    done = {"_rels/.rels", workbook_path, workbook_rels_path}
    read_parts = _read_parts(workbook_rels, workbook_path) | set(_READ_FIXED)

    # Worksheets are scanned whatever their names end with: calamine reads them as XML.
    scanned = xml_infos + [by_name[sheet.path] for sheet in sheets if by_name[sheet.path] not in xml_infos]
    for info in scanned:
        name = part_name(info.filename)
        if name in done:
            continue
        sheet = sheet_by_path.get(name)
        if sheet is not None:
            _scan_sheet(data, info, budget, sheet)
        elif name in read_parts:
            _scan_part(data, info, budget)
        else:
            _scan_other_part(data, info, budget)
    return Container(data=data, sheets=sheets, limits=limits, _infos=by_name)


def _read_parts(workbook_rels: bytes | None, workbook_path: str) -> set[str]:
    """The shared strings and styles the workbook names: calamine parses them, so they must be UTF-8."""
    parts: set[str] = set()
    if workbook_rels is None:
        return parts
    base = posixpath.dirname(workbook_path)
    for element in _parse(workbook_rels).iter():
        if _local(element.tag) == "Relationship" and element.get("Type", "").endswith(_READ_RELATIONSHIPS):
            parts.add(_target_path(base, element.get("Target", "")))
    return parts


def _target_path(base: str, target: str) -> str:
    target = target.replace("\\", "/")
    return part_name(target if target.startswith("/") else posixpath.normpath(posixpath.join(base, target)))


def part_name(name: str) -> str:
    """The key a part is found by: OPC part names are case-insensitive, and some programs
    (and zips made on Windows) write `xl\\workbook.xml`; calamine and Excel read those too."""
    return name.replace("\\", "/").lstrip("/").lower()


def _read_small_part(data: bytes, by_name: dict, path: str, budget: _Budget) -> bytes | None:
    info = by_name.get(path)
    if info is None:
        return None
    return _read_part(data, info, budget)


def _read_part(data: bytes, info: zipfile.ZipInfo, budget: _Budget) -> bytes:
    return b"".join(_scanned(data, info, budget))


def _office_document_path(rels: bytes | None, by_name: dict) -> str:
    target = None
    if rels is not None:
        for element in _parse(rels).iter():
            if _local(element.tag) == "Relationship" and element.get("Type", "").endswith("/officeDocument"):
                target = part_name(element.get("Target", ""))
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
                targets[element.get("Id", "")] = _target_path(base, element.get("Target", ""))
    sheets = []
    for element in _parse(workbook_xml).iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
        path = targets.get(rel_id or "")
        if path is not None and path in by_name:
            hidden = element.get("state", "visible") != "visible"
            sheets.append(SheetPart(name=element.get("name", ""), path=path, hidden=hidden))
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


def _scan_other_part(data: bytes, info: zipfile.ZipInfo, budget: _Budget) -> None:
    """A part nobody parses: counted against the budget and scanned for declarations in its own encoding."""
    decoder = None
    previous_bytes, previous_text = b"", ""
    for index, chunk in enumerate(_with_head(_inflate(data, info, budget))):
        if index == 0:
            encoding = _declared_encoding(chunk, info.filename)
            if encoding is not None:
                decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        # the byte scan always (a part may lie about its encoding), the text scan when it has one
        _refuse_declarations_bytes(chunk, previous_bytes + chunk[:TAIL])
        previous_bytes = chunk[-TAIL:]
        if decoder is not None:
            text = previous_text + decoder.decode(chunk)
            _refuse_declarations(text)
            previous_text = text[-TAIL:]
    if decoder is not None:
        _refuse_declarations(previous_text + decoder.decode(b"", final=True))


def _declared_encoding(head: bytes, name: str) -> str | None:
    """The codec of a part that is not UTF-8 (None when UTF-8 or ASCII-compatible).

    A byte-order mark decides, then the UTF-16/32 shape of '<?', then the XML declaration;
    an encoding Python does not know is refused, since the part could not be scanned.
    """
    if head.startswith(b"\x4c\x6f\xa7\x94"):  # '<?xm' in EBCDIC
        raise WorkbookError(Code.UNSUPPORTED_FILE, f"The workbook part {name} is in an EBCDIC encoding; it is refused.")
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, None), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return codec
    for shape, codec in ((b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
                         (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be")):
        if head.startswith(shape):
            return codec
    match = _XML_DECL_ENCODING.match(head)
    if match is None or match.group(1).lower() in ALLOWED_ENCODINGS:
        return None
    declared = match.group(1).decode("ascii")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise WorkbookError(
            Code.UNSUPPORTED_FILE, f"The workbook part {name} is in an unknown encoding ({declared}); it is refused."
        ) from None
    return None if codec in ("utf-8", "ascii") else codec


def _refuse_declarations(text: str) -> None:
    if any(marker in text for marker in _DECLARATIONS):
        raise _declaration_error()


def _refuse_declarations_bytes(chunk: bytes, seam: bytes) -> None:
    if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk or b"<!DOCTYPE" in seam or b"<!ENTITY" in seam:
        raise _declaration_error()


def _declaration_error() -> WorkbookError:
    return WorkbookError(
        Code.UNSUPPORTED_FILE,
        "The workbook contains an XML document type or entity declaration, which Excel never writes; it is refused.",
    )


def _scan_sheet(data: bytes, info: zipfile.ZipInfo, budget: _Budget, sheet: SheetPart) -> None:
    row_close = None
    value_marks: tuple[bytes, ...] = ()
    formula_mark = b""
    previous = b""
    error_marks = (b' t="e"', b" t='e'")
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
        if not sheet.has_error and any(mark in window or mark in seam + window[:8] for mark in error_marks):
            sheet.has_error = True
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
    for chunk in _with_head(_inflate(data, info, budget)):
        if first:
            _check_encoding(chunk, info.filename)
            first = False
        _refuse_declarations_bytes(chunk, previous + chunk[:TAIL])
        previous = chunk[-TAIL:]
        yield chunk


HEAD = 256  # bytes an encoding is told from: a crafted stream may yield its first bytes one by one


def _with_head(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The same bytes, the first chunk at least HEAD long (or the whole part)."""
    head: bytes | None = b""
    for chunk in chunks:
        if head is not None:
            head += chunk
            if len(head) < HEAD:
                continue
            chunk, head = head, None
        yield chunk
    if head:
        yield head


def _check_encoding(head: bytes, name: str) -> None:
    # The parts we and calamine parse are UTF-8, as Excel writes them (and a byte scan for
    # <!DOCTYPE only works on an ASCII-based encoding).
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
                pending: memoryview | bytes = raw[i : i + IN_CHUNK]
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
