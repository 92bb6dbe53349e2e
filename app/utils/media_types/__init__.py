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

from app.utils.media_types.checks import check_media
from app.utils.media_types.lookups import (
    MediaCheck,
    Sniffed,
    category_for,
    extension_for,
    is_supported,
    label_for,
    max_bytes_for,
    normalize_mime_type,
)
from app.utils.media_types.sniffing import is_text, sniff
from app.utils.media_types.table import (
    AUDIO,
    CATEGORIES,
    DOC,
    DOCUMENT,
    DOCX,
    FIELD,
    IMAGE,
    KB,
    MAX_BYTES_BY_CATEGORY,
    MB,
    OLE2,
    PPT,
    PPTX,
    SNIFF_BYTES,
    STICKER,
    STICKER_ANIMATED_MAX_BYTES,
    STICKER_STATIC_MAX_BYTES,
    SUPPORTED_TYPES,
    VIDEO,
    XLS,
    XLSX,
    ZIP,
    MediaSpec,
)

__all__ = [
    "AUDIO",
    "CATEGORIES",
    "DOC",
    "DOCUMENT",
    "DOCX",
    "FIELD",
    "IMAGE",
    "KB",
    "MAX_BYTES_BY_CATEGORY",
    "MB",
    "OLE2",
    "PPT",
    "PPTX",
    "SNIFF_BYTES",
    "STICKER",
    "STICKER_ANIMATED_MAX_BYTES",
    "STICKER_STATIC_MAX_BYTES",
    "SUPPORTED_TYPES",
    "VIDEO",
    "XLS",
    "XLSX",
    "ZIP",
    "MediaCheck",
    "MediaSpec",
    "Sniffed",
    "category_for",
    "check_media",
    "extension_for",
    "is_supported",
    "is_text",
    "label_for",
    "max_bytes_for",
    "normalize_mime_type",
    "sniff",
]
