"""Sniffers for documents: PDF, legacy Office compound files (OLE2) and zips (OOXML)."""
from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping

from app.utils.media_types.lookups import Sniffed, _found
from app.utils.media_types.table import DOC, DOCX, OLE2, PPT, PPTX, XLS, XLSX, ZIP


def _extension(filename: str | None) -> str:
    if not filename or "." not in filename:
        return ""
    return "." + filename.rsplit(".", 1)[1].strip().lower()


def _sniff_pdf(head: bytes) -> Sniffed | None:
    # The header may follow up to 1024 bytes of junk (PDF 1.7, annex H.3).
    return _found("application/pdf") if b"%PDF-" in head[:1024] else None


_OLE_STREAMS = (
    ("WordDocument".encode("utf-16-le"), DOC),
    ("PowerPoint Document".encode("utf-16-le"), PPT),
    ("Workbook".encode("utf-16-le"), XLS),
    ("Book".encode("utf-16-le"), XLS),  # BIFF5
    ("__substg1.0_".encode("utf-16-le"), "application/vnd.ms-outlook"),
)
_OLE_EXTENSIONS = {
    ".doc": DOC, ".dot": DOC, ".xls": XLS, ".xlt": XLS, ".xla": XLS,
    ".ppt": PPT, ".pps": PPT, ".pot": PPT,
}
_OOXML_EXTENSIONS = {".docx": DOCX, ".xlsx": XLSX, ".pptx": PPTX}
_OOXML_MAIN = (
    (b"wordprocessingml.document.main+xml", DOCX),
    (b"spreadsheetml.sheet.main+xml", XLSX),
    (b"presentationml.presentation.main+xml", PPTX),
)
_OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))


def _hinted(family: Mapping[str, str], filename: str | None, declared: str | None) -> str | None:
    """When the bytes cannot tell: the declared type if it is of the family, else the extension."""
    if declared in family.values():
        return declared
    return family.get(_extension(filename))


def _sniff_ole(head: bytes, filename: str | None, declared: str | None) -> Sniffed | None:
    if head[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return None
    # The directory sector names the streams in UTF-16LE; in small files it is in the head.
    mime = next((m for name, m in _OLE_STREAMS if name in head), None)
    mime = mime or _hinted(_OLE_EXTENSIONS, filename, declared) or OLE2
    return _found(mime, detail="ole2")


def _zip_entries(head: bytes) -> list[tuple[str, int, bytes]]:
    """(name, method, data as far as the head holds it) of each local file header found."""
    entries = []
    pos = head.find(b"PK\x03\x04")
    while 0 <= pos and pos + 30 <= len(head):
        method, = struct.unpack_from("<H", head, pos + 8)
        compressed, = struct.unpack_from("<I", head, pos + 18)
        name_len, extra_len = struct.unpack_from("<HH", head, pos + 26)
        name = head[pos + 30:pos + 30 + name_len].decode("cp437", "replace")
        start = pos + 30 + name_len + extra_len
        entries.append((name, method, head[start:start + compressed] if compressed else head[start:]))
        pos = head.find(b"PK\x03\x04", pos + 4)
    return entries


def _inflate(method: int, data: bytes) -> bytes:
    if method == 0:
        return data
    if method == 8:
        try:
            return zlib.decompressobj(-15).decompress(data, 1 << 16)
        except zlib.error:
            return b""
    return b""


def _sniff_zip(head: bytes, filename: str | None, declared: str | None) -> Sniffed | None:
    if head[:4] == b"PK\x05\x06":  # an empty archive
        return _found(ZIP, detail="zip")
    if head[:4] != b"PK\x03\x04":
        return None
    entries = _zip_entries(head)
    mime = None
    is_ooxml = False
    for name, method, data in entries:
        if name == "[Content_Types].xml":
            is_ooxml = True
            types = _inflate(method, data)
            mime = next((m for marker, m in _OOXML_MAIN if marker in types), None)
            if mime:
                break
    if mime is None:
        for name, _, _ in entries:
            mime = next((m for prefix, m in _OOXML_PARTS if name.startswith(prefix)), None)
            if mime:
                break
    if mime is None and (is_ooxml or any(n == "_rels/.rels" for n, _, _ in entries)):
        mime = _hinted(_OOXML_EXTENSIONS, filename, declared)
    return _found(mime or ZIP, detail="zip")
