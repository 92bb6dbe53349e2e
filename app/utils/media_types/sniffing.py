"""sniff: the real type of a file from its leading bytes, trying every family's signatures, then text."""
from __future__ import annotations

import codecs
import struct
import unicodedata

from app.utils.media_types.lookups import Sniffed, _found, normalize_mime_type
from app.utils.media_types.sniff_av import _sniff_audio_stream, _sniff_id3, _sniff_isobmff, _sniff_ogg, _sniff_riff
from app.utils.media_types.sniff_documents import _sniff_ole, _sniff_pdf, _sniff_zip
from app.utils.media_types.table import SNIFF_BYTES

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"8BPS", "image/vnd.adobe.photoshop"),
    (b"#!AMR\n", "audio/amr"),
    (b"#!AMR-WB\n", "audio/amr-wb"),
    (b"MThd", "audio/midi"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"BZh", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (b"\x1a\x45\xdf\xa3", "video/x-matroska"),  # EBML; WebM is told apart below
    (b"\x7fELF", "application/x-executable"),
    (b"\xfe\xed\xfa\xce", "application/x-mach-binary"),
    (b"\xfe\xed\xfa\xcf", "application/x-mach-binary"),
    (b"\xce\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
)


def _sniff_signature(head: bytes) -> Sniffed | None:
    mime = next((m for magic, m in _SIGNATURES if head.startswith(magic)), None)
    if mime == "application/x-bzip2" and not (len(head) > 3 and head[3] in b"123456789"):
        mime = None  # "BZh" + block size digit; plain text may start with "BZh"
    if mime == "video/x-matroska" and b"webm" in head[:64]:
        mime = "video/webm"  # the EBML header's DocType
    return _found(mime) if mime else None


def _sniff_weak(head: bytes) -> Sniffed | None:
    """Short signatures plain text could start with, so each also needs a NUL byte or more."""
    if head[:2] == b"BM" and len(head) >= 18 and head[6:10] == b"\x00\x00\x00\x00":
        (dib,) = struct.unpack_from("<I", head, 14)
        if dib in (12, 40, 52, 56, 64, 108, 124):
            return _found("image/bmp")
    if head[:2] == b"MZ" and len(head) >= 64 and b"\x00" in head[:64]:
        return _found("application/vnd.microsoft.portable-executable")
    return None


_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1b")


def is_text(head: bytes) -> bool:
    """Valid UTF-8, no NUL, at least 99% printable (control characters other than whitespace).

    A full :data:`SNIFF_BYTES` head may end inside a character (the file goes on); a shorter
    one is the whole file, so it must not.
    """
    if not head or b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return False
    if not text:
        return False
    bad = sum(1 for ch in text if ch not in _TEXT_CONTROLS and unicodedata.category(ch) == "Cc")
    return bad * 100 <= len(text)


def sniff(head: bytes, filename: str | None = None, *, declared_type: str | None = None) -> Sniffed | None:
    """The real type of a file from its leading bytes, None when unrecognised.

    Only the first :data:`SNIFF_BYTES` are looked at. ``filename`` (its extension) and
    ``declared_type`` are hints used only where the bytes cannot decide: which legacy Office
    format a compound file is, or which OOXML format a zip is when neither its content types
    nor its part names are in the head (the declared type wins over the extension then).
    Plain text (UTF-8) is the last resort, after every binary signature.
    """
    head = bytes(head[:SNIFF_BYTES])
    declared = normalize_mime_type(declared_type)
    return (
        _sniff_signature(head)
        or _sniff_riff(head)
        or _sniff_isobmff(head)
        or _sniff_ogg(head)
        or _sniff_pdf(head)
        or _sniff_ole(head, filename, declared)
        or _sniff_zip(head, filename, declared)
        or _sniff_id3(head)
        or _sniff_audio_stream(head)
        or _sniff_weak(head)
        or (_found("text/plain") if is_text(head) else None)
    )
