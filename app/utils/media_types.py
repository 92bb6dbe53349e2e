"""The media WhatsApp takes, and the checks an upload passes before anything goes to Meta.

Pure: no Flask request, no I/O. The caller hands over the file's leading bytes (``head``, at
least :data:`SNIFF_BYTES` of them when the file is that long), the declared ``Content-Type``,
the size when known, and the client's filename; :func:`check_media` either returns what to
upload as, or raises the API error the client gets:

* 400 ``VALIDATION_ERROR`` ``{"file": "is empty"}`` for an empty file (an empty body has no
  media type, so this is a request error rather than a 415);
* 415 ``UNSUPPORTED_MEDIA_TYPE`` when the bytes or the declared type are something WhatsApp
  does not take, or when they disagree (the common cause of Meta's error 131053);
* 413 ``PAYLOAD_TOO_LARGE`` when the size is over WhatsApp's limit for that type.

The type is sniffed from magic bytes (libmagic is not available): see :func:`sniff`.
"""
from __future__ import annotations

import codecs
import mimetypes
import struct
import unicodedata
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from app.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError

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


@dataclass(frozen=True)
class Sniffed:
    """What the leading bytes are.

    ``category`` is the WhatsApp category of ``mime_type``, None when WhatsApp does not take
    it. ``animated`` is set for WebP only. ``detail`` says more: the MP4 brand ("isom",
    "M4A"), the Ogg codec ("opus", "vorbis"), the WebP flavour ("lossy", "lossless",
    "extended"), "ole2"/"zip" for containers.
    """

    mime_type: str
    category: str | None
    animated: bool | None = None
    detail: str | None = None

    @property
    def supported(self) -> bool:
        return self.category is not None

    @property
    def label(self) -> str:
        return label_for(self.mime_type, self.detail)


@dataclass(frozen=True)
class MediaCheck:
    """The outcome of :func:`check_media`: upload to Meta as ``mime_type``."""

    mime_type: str
    category: str
    max_bytes: int
    animated: bool | None = None

    @property
    def extension(self) -> str:
        return extension_for(self.mime_type)


# --------------------------------------------------------------------------- lookups

def _base_type(value: str | None) -> str | None:
    """Lowercase, parameters (``; codecs=opus``) stripped; None when empty."""
    if not value:
        return None
    base = value.split(";", 1)[0].strip().lower()
    return base or None


def normalize_mime_type(value: str | None) -> str | None:
    """``"Audio/OGG; codecs=opus"`` → ``"audio/ogg"``; common aliases (image/jpg) made canonical."""
    base = _base_type(value)
    return _ALIASES.get(base, base) if base else None


def is_supported(mime_type: str | None) -> bool:
    return normalize_mime_type(mime_type) in SUPPORTED_TYPES


def category_for(mime_type: str | None) -> str | None:
    """The WhatsApp category (image, video, audio, sticker, document), None if not taken."""
    spec = SUPPORTED_TYPES.get(normalize_mime_type(mime_type) or "")
    return spec.category if spec else None


def max_bytes_for(mime_type: str, animated: bool | None = None) -> int:
    """WhatsApp's size limit for ``mime_type``, for enforcing it while streaming.

    A WebP sticker takes 500 KB when ``animated`` is true and 100 KB otherwise; an unknown
    animation (None) gets the strict static limit. A type WhatsApp does not take raises
    :class:`UnsupportedMediaType`.
    """
    mime = normalize_mime_type(mime_type)
    spec = SUPPORTED_TYPES.get(mime or "")
    if spec is None:
        raise UnsupportedMediaType(f"{mime_type!r} is not a media type WhatsApp takes.",
                                   {FIELD: "type not supported by WhatsApp", "declared": mime})
    if spec.category == STICKER:
        return STICKER_ANIMATED_MAX_BYTES if animated else STICKER_STATIC_MAX_BYTES
    return MAX_BYTES_BY_CATEGORY[spec.category]


_PLAIN_MIMETYPES = mimetypes.MimeTypes()  # Python's built-in table only, not /etc/mime.types


def extension_for(mime_type: str | None) -> str:
    """The file extension (with the dot) for download filenames; ``.bin`` when unknown.

    Takes any type, parameters and all, since inbound documents can be of any type.
    """
    base = _base_type(mime_type)
    if not base:
        return ".bin"
    mime = _ALIASES.get(base, base)
    if mime in SUPPORTED_TYPES:
        return SUPPORTED_TYPES[mime].extension
    if mime in _UNSUPPORTED:
        return _UNSUPPORTED[mime][0]
    return _PLAIN_MIMETYPES.guess_extension(mime) or ".bin"


def label_for(mime_type: str, detail: str | None = None) -> str:
    """A phrase for messages: ``"a JPEG"``, ``"an Ogg Vorbis audio file"``."""
    if mime_type == "audio/ogg" and detail:
        return f"an Ogg {detail.capitalize()} audio file"
    if mime_type in SUPPORTED_TYPES:
        return SUPPORTED_TYPES[mime_type].label
    if mime_type in _UNSUPPORTED:
        return _UNSUPPORTED[mime_type][1]
    return f"a file of type {mime_type}"


# --------------------------------------------------------------------------- sniffing

def _found(mime: str, animated: bool | None = None, detail: str | None = None) -> Sniffed:
    return Sniffed(mime, category_for(mime), animated, detail)


def _extension(filename: str | None) -> str:
    if not filename or "." not in filename:
        return ""
    return "." + filename.rsplit(".", 1)[1].strip().lower()


def _sniff_riff(head: bytes) -> Sniffed | None:
    if head[:4] != b"RIFF" or len(head) < 12:
        return None
    form = head[8:12]
    if form == b"WAVE":
        return _found("audio/wav")
    if form == b"AVI ":
        return _found("video/x-msvideo")
    if form != b"WEBP":
        return None
    # Walk the chunks: animated when VP8X has the animation flag (0x02) or ANIM/ANMF shows up.
    animated = False
    pos = 12
    while pos + 8 <= len(head) and not animated:
        fourcc = head[pos:pos + 4]
        (size,) = struct.unpack_from("<I", head, pos + 4)
        if fourcc == b"VP8X" and pos + 8 < len(head) and head[pos + 8] & 0x02:
            animated = True
        if fourcc in (b"ANIM", b"ANMF"):
            animated = True
        pos += 8 + size + (size & 1)
    flavour = {b"VP8 ": "lossy", b"VP8L": "lossless", b"VP8X": "extended"}.get(head[12:16])
    return _found("image/webp", animated, flavour)


_BRANDS_3GPP = (b"3g",)  # 3gp4..3gp7, 3gg6, 3ge6, 3g2a.. (3GPP2 reported as 3GPP)
_BRANDS_M4A = {b"M4A ", b"M4B "}
_BRANDS_MP4 = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
    b"mp41", b"mp42", b"mp71", b"avc1", b"avc2", b"avc3", b"avc4", b"hvc1", b"dash",
    b"M4V ", b"M4VH", b"M4VP", b"mmp4", b"MSNV", b"NDAS", b"NDSC", b"NDSH", b"NDSM",
    b"NDSP", b"NDSS", b"NDXC", b"NDXH", b"NDXM", b"NDXP", b"NDXS", b"f4v ", b"XAVC",
}
_BRANDS_HEIC = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_BRANDS_AVIF = {b"avif", b"avis"}


def _brand_type(brand: bytes) -> str | None:
    if brand.startswith(_BRANDS_3GPP):
        return "video/3gpp"
    if brand in _BRANDS_M4A:
        return "audio/mp4"
    if brand in _BRANDS_MP4:
        return "video/mp4"
    if brand == b"qt  ":
        return "video/quicktime"
    if brand in _BRANDS_AVIF:
        return "image/avif"
    if brand in _BRANDS_HEIC:
        return "image/heic"
    return None


def _sniff_isobmff(head: bytes) -> Sniffed | None:
    if len(head) < 12:
        return None
    box = head[4:8]
    if box in (b"moov", b"mdat", b"wide", b"pnot"):  # old QuickTime files start without ftyp
        return _found("video/quicktime")
    if box != b"ftyp":
        return None
    (size,) = struct.unpack_from(">I", head, 0)
    major = head[8:12]
    detail = major.decode("latin-1").strip()
    mime = _brand_type(major)
    if mime is None:  # an unknown major brand: the compatible brands may say what it is
        compatible = [head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
        mime = next((m for m in map(_brand_type, compatible) if m), "application/mp4")
    return _found(mime, detail=detail)


_OGG_CODECS = (
    (b"OpusHead", "opus"), (b"\x01vorbis", "vorbis"), (b"Speex   ", "speex"),
    (b"\x7fFLAC", "flac"), (b"\x80theora", "theora"),
)


def _sniff_ogg(head: bytes) -> Sniffed | None:
    if head[:4] != b"OggS" or len(head) < 27 or head[4] != 0:
        return None
    # The first page's first packet identifies the codec: after the 27-byte page header
    # and the segment table (one lacing byte per segment, count at offset 26).
    packet = head[27 + head[26]:]
    codec = next((name for magic, name in _OGG_CODECS if packet.startswith(magic)), None)
    if codec == "theora":
        return _found("video/ogg", detail=codec)
    return _found("audio/ogg", detail=codec)


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


_MP3_KBPS = {
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0),  # MPEG-1
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0),  # MPEG-2/2.5
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame_length(head: bytes, pos: int) -> int | None:
    """Length of the MPEG audio Layer III frame at ``pos``, None if no valid header is there."""
    if pos + 4 > len(head) or head[pos] != 0xFF or head[pos + 1] & 0xE0 != 0xE0:
        return None
    b1, b2, b3 = head[pos + 1], head[pos + 2], head[pos + 3]
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if version == 1 or layer != 1 or rate_index == 3 or b3 & 3 == 2:
        return None  # reserved version, not layer III, reserved rate or emphasis
    kbps = _MP3_KBPS[version == 3][bitrate_index]
    if not kbps:
        return None  # free format or the bad index
    factor = 144 if version == 3 else 72
    return factor * kbps * 1000 // _MP3_RATES[version][rate_index] + ((b2 >> 1) & 1)


def _adts_frame_length(head: bytes, pos: int) -> int | None:
    """Length of the ADTS frame at ``pos`` (sync 0xFFF, layer 00), None if there is none."""
    if pos + 7 > len(head) or head[pos] != 0xFF or head[pos + 1] & 0xF6 != 0xF0:
        return None
    if (head[pos + 2] >> 2) & 0xF > 12:
        return None  # reserved sampling frequency index
    length = ((head[pos + 3] & 3) << 11) | (head[pos + 4] << 3) | (head[pos + 5] >> 5)
    header = 7 if head[pos + 1] & 1 else 9
    return length if length >= header else None


def _frames_at(head: bytes, pos: int, frame_length) -> bool:
    """A valid frame at ``pos``, and another right after it when the head reaches that far."""
    length = frame_length(head, pos)
    if length is None:
        return False
    following = pos + length
    return following + 4 > len(head) or frame_length(head, following) is not None


def _sniff_audio_stream(head: bytes, pos: int = 0) -> Sniffed | None:
    if head[pos:pos + 4] == b"fLaC":
        return _found("audio/flac")
    if _frames_at(head, pos, _adts_frame_length):
        return _found("audio/aac", detail="adts")
    if _frames_at(head, pos, _mp3_frame_length):
        return _found("audio/mpeg")
    return None


def _sniff_id3(head: bytes) -> Sniffed | None:
    # ID3v2: "ID3", major version 2-4, revision, flags, then a 28-bit syncsafe size.
    if head[:3] != b"ID3" or len(head) < 10 or head[3] not in (2, 3, 4) or head[4] == 0xFF:
        return None
    if any(b & 0x80 for b in head[6:10]):
        return None
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    end = 10 + size + (10 if head[5] & 0x10 else 0)  # a footer follows when flagged
    if end >= len(head):
        return _found("audio/mpeg", detail="id3")  # the tag outlasts the head (cover art)
    # ID3 tags also prefix FLAC and AAC: what follows the tag decides.
    return _sniff_audio_stream(head, end) or _found("audio/mpeg", detail="id3")


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


# --------------------------------------------------------------------------- the upload rules

def _compatible(declared: str, sniffed: Sniffed) -> bool:
    if declared == sniffed.mime_type or frozenset({declared, sniffed.mime_type}) in _COMPATIBLE:
        return True
    # An ID3 tag whose stream was not seen (cover art past the head) may front AAC as well.
    return sniffed.detail == "id3" and declared in ("audio/mpeg", "audio/aac")


def _unsupported(message: str, reason: str, detected: str | None, declared: str | None):
    return UnsupportedMediaType(message, {FIELD: reason, "detected": detected, "declared": declared})


def check_media(head: bytes, declared_type: str | None, size: int | None,
                filename: str | None = None) -> MediaCheck:
    """Decide what an upload is, or raise the error the client gets. Runs before Meta is called.

    * ``head``: the file's leading bytes (at least :data:`SNIFF_BYTES` when the file is longer).
      An empty ``head`` means an empty file: :class:`ValidationError` (400)
      ``{"file": "is empty"}``; an empty body has no type to call unsupported.
    * ``declared_type``: the part's Content-Type, lowercased and stripped of parameters; a
      missing one or ``application/octet-stream`` lets the sniffed type decide.
    * ``size``: the total size, or None while streaming (then only the type is checked and
      the caller enforces ``result.max_bytes``, i.e. :func:`max_bytes_for`, on the stream).

    415 :class:`UnsupportedMediaType`, details ``{"file", "detected", "declared"}``, when: the
    bytes are not recognised, or are a type WhatsApp does not take (GIF, a plain ZIP, an
    executable), or an Ogg stream that is not Opus; the declared type is one WhatsApp does not
    take; declared and sniffed disagree (Meta would fail with 131053). Not a mismatch:
    audio/mp4 vs video/mp4 (the declared one decides), text/plain declared for any UTF-8
    text, and audio/aac declared for an ID3 tag whose stream lies past the head. ``declared``
    in the details is the Content-Type as sent, lowercased and without parameters (None when
    missing).

    413 :class:`PayloadTooLarge`, details ``{"file", "limit_bytes", "size_bytes"}``, when
    ``size`` is over the type's limit (stickers: 100 KB static, 500 KB animated).
    """
    head = bytes(head[:SNIFF_BYTES])
    if not head:
        raise ValidationError("The file is empty.", {FIELD: "is empty"})

    declared_raw = _base_type(declared_type)
    declared = normalize_mime_type(declared_type)
    if declared in _GENERIC_TYPES:
        declared = None
    shown = declared_raw  # what the client said, for messages and details

    sniffed = sniff(head, filename, declared_type=declared)

    if declared == "text/plain" and is_text(head):
        mime, animated = "text/plain", None
    else:
        if sniffed is None:
            what = "not UTF-8 text" if declared == "text/plain" else "not a type WhatsApp takes"
            prefix = f"The file is declared {shown} but its contents are" if declared else "The file's contents are"
            raise _unsupported(f"{prefix} {what}: they could not be recognised.",
                               "contents not recognised", None, shown)
        if sniffed.mime_type == OLE2:
            raise _unsupported(
                "The file is a legacy Office compound file, but whether it is a Word (.doc), Excel "
                "(.xls) or PowerPoint (.ppt) file could not be told: declare its type or name it "
                "with its extension.", "legacy Office kind unknown", OLE2, shown)
        if not sniffed.supported:
            raise _unsupported(
                f"The file is {sniffed.label} ({sniffed.mime_type}), which WhatsApp does not take.",
                "type not supported by WhatsApp", sniffed.mime_type, shown)
        if declared and declared not in SUPPORTED_TYPES:
            raise _unsupported(f"{shown} is not a media type WhatsApp takes.",
                               "type not supported by WhatsApp", sniffed.mime_type, shown)
        if declared and not _compatible(declared, sniffed):
            raise _unsupported(
                f"The file is declared {shown} but the bytes are {sniffed.label} "
                f"({sniffed.mime_type}); Meta would fail the upload with error 131053 "
                "(media type mismatch). Declare the real type or send the right file.",
                "declared type does not match the contents", sniffed.mime_type, shown)
        mime = declared or sniffed.mime_type
        if mime == "audio/ogg" and sniffed.detail != "opus":
            raise _unsupported(
                f"The file is {sniffed.label}; WhatsApp takes Ogg audio only with the Opus codec.",
                "Ogg audio must be Opus", sniffed.mime_type, shown)
        animated = sniffed.animated if mime == "image/webp" else None

    limit = max_bytes_for(mime, animated)
    if size is not None and size > limit:
        kind = ("an animated sticker" if animated else "a static sticker") if mime == "image/webp" else mime
        raise PayloadTooLarge(
            f"The file is {size} bytes; WhatsApp takes at most {limit} bytes "
            f"({_human(limit)}) for {kind}.",
            {FIELD: "is too large", "limit_bytes": limit, "size_bytes": size})
    return MediaCheck(mime, SUPPORTED_TYPES[mime].category, limit, animated)


def _human(n: int) -> str:
    return f"{n // MB} MB" if n % MB == 0 else f"{n // KB} KB"
