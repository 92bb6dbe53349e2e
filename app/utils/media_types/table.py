"""The media WhatsApp takes: categories, size limits, and the MIME types known, supported or not."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

FIELD = "file"  # the multipart field the upload endpoint reads; named in every error's details

KB = 1024
MB = 1024 * 1024

#: How many leading bytes :func:`sniff` looks at. 8 KiB covers an OOXML zip's first local
#: headers (where ``word/``, ``xl/`` or ``ppt/`` appear), a CFB directory sector of a small
#: legacy Office file, and the second frame of an MP3/ADTS stream; more is ignored.
SNIFF_BYTES = 8192

IMAGE, VIDEO, AUDIO, STICKER, DOCUMENT = "image", "video", "audio", "sticker", "document"
CATEGORIES = (IMAGE, VIDEO, AUDIO, STICKER, DOCUMENT)

STICKER_STATIC_MAX_BYTES = 100 * KB
STICKER_ANIMATED_MAX_BYTES = 500 * KB

#: Max bytes per category. A sticker's real limit depends on whether it is animated (see
#: :func:`max_bytes_for`); the table holds the larger, animated, ceiling.
MAX_BYTES_BY_CATEGORY: Mapping[str, int] = MappingProxyType({
    IMAGE: 5 * MB,
    VIDEO: 16 * MB,
    AUDIO: 16 * MB,
    STICKER: STICKER_ANIMATED_MAX_BYTES,
    DOCUMENT: 100 * MB,
})

DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
OLE2 = "application/x-ole-storage"  # a compound file we could not tell doc/xls/ppt apart
ZIP = "application/zip"


@dataclass(frozen=True)
class MediaSpec:
    """One MIME type WhatsApp takes."""

    mime_type: str
    category: str
    extension: str
    label: str  # for messages: "the bytes are a JPEG"


_SPECS = (
    MediaSpec("image/jpeg", IMAGE, ".jpg", "a JPEG"),
    MediaSpec("image/png", IMAGE, ".png", "a PNG"),
    MediaSpec("video/mp4", VIDEO, ".mp4", "an MP4 video"),
    MediaSpec("video/3gpp", VIDEO, ".3gp", "a 3GPP video"),
    MediaSpec("audio/aac", AUDIO, ".aac", "an AAC (ADTS) audio stream"),
    MediaSpec("audio/amr", AUDIO, ".amr", "an AMR audio file"),
    MediaSpec("audio/mpeg", AUDIO, ".mp3", "an MP3"),
    MediaSpec("audio/mp4", AUDIO, ".m4a", "an M4A (MP4 audio)"),
    MediaSpec("audio/ogg", AUDIO, ".ogg", "an Ogg audio file"),
    MediaSpec("image/webp", STICKER, ".webp", "a WebP"),
    MediaSpec("text/plain", DOCUMENT, ".txt", "plain text"),
    MediaSpec("application/pdf", DOCUMENT, ".pdf", "a PDF"),
    MediaSpec(DOC, DOCUMENT, ".doc", "a Word 97-2003 document"),
    MediaSpec(DOCX, DOCUMENT, ".docx", "a Word (.docx) document"),
    MediaSpec(XLS, DOCUMENT, ".xls", "an Excel 97-2003 workbook"),
    MediaSpec(XLSX, DOCUMENT, ".xlsx", "an Excel (.xlsx) workbook"),
    MediaSpec(PPT, DOCUMENT, ".ppt", "a PowerPoint 97-2003 presentation"),
    MediaSpec(PPTX, DOCUMENT, ".pptx", "a PowerPoint (.pptx) presentation"),
)

#: Every MIME type WhatsApp takes, with its category and download extension.
SUPPORTED_TYPES: Mapping[str, MediaSpec] = MappingProxyType({s.mime_type: s for s in _SPECS})

# Types the sniffer recognises but WhatsApp does not take: (extension, label).
_UNSUPPORTED: dict[str, tuple[str, str]] = {
    "image/gif": (".gif", "a GIF"),
    "image/bmp": (".bmp", "a BMP image"),
    "image/tiff": (".tif", "a TIFF image"),
    "image/heic": (".heic", "a HEIC/HEIF image"),
    "image/avif": (".avif", "an AVIF image"),
    "image/vnd.adobe.photoshop": (".psd", "a Photoshop file"),
    "video/quicktime": (".mov", "a QuickTime movie"),
    "video/webm": (".webm", "a WebM video"),
    "video/x-matroska": (".mkv", "a Matroska video"),
    "video/x-msvideo": (".avi", "an AVI video"),
    "video/ogg": (".ogv", "an Ogg Theora video"),
    "application/mp4": (".mp4", "an ISO media file of an unknown brand"),
    "audio/wav": (".wav", "a WAV audio file"),
    "audio/flac": (".flac", "a FLAC audio file"),
    "audio/amr-wb": (".awb", "an AMR-WB audio file"),
    "audio/midi": (".mid", "a MIDI file"),
    ZIP: (".zip", "a ZIP archive (not a Word, Excel or PowerPoint file)"),
    OLE2: (".bin", "a compound file (legacy Office container) of an unknown kind"),
    "application/vnd.ms-outlook": (".msg", "an Outlook message"),
    "application/gzip": (".gz", "a gzip archive"),
    "application/x-7z-compressed": (".7z", "a 7-Zip archive"),
    "application/vnd.rar": (".rar", "a RAR archive"),
    "application/x-bzip2": (".bz2", "a bzip2 archive"),
    "application/x-xz": (".xz", "an xz archive"),
    "application/vnd.sqlite3": (".sqlite", "an SQLite database"),
    "application/x-executable": (".bin", "an ELF executable"),
    "application/vnd.microsoft.portable-executable": (".exe", "a Windows executable"),
    "application/x-mach-binary": (".bin", "a Mach-O executable"),
}

# Declared types that say nothing: the sniffed type decides.
_GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})

# Common non-canonical spellings clients send, mapped onto the type WhatsApp knows.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "video/3gp": "video/3gpp",
    "audio/mp3": "audio/mpeg",
    "audio/x-mp3": "audio/mpeg",
    "audio/mpeg3": "audio/mpeg",
    "audio/x-mpeg": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/x-aac": "audio/aac",
    "audio/aacp": "audio/aac",
    "audio/opus": "audio/ogg",
    "application/x-pdf": "application/pdf",
}

# Declared/sniffed pairs that are the same container, not a mismatch: the declared one decides.
_COMPATIBLE = frozenset({frozenset({"audio/mp4", "video/mp4"})})
