"""The result types, and lookups by MIME type: normalising, category, size limit, extension, label."""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from app.errors import UnsupportedMediaType
from app.utils.media_types.table import (
    _ALIASES,
    _UNSUPPORTED,
    FIELD,
    MAX_BYTES_BY_CATEGORY,
    STICKER,
    STICKER_ANIMATED_MAX_BYTES,
    STICKER_STATIC_MAX_BYTES,
    SUPPORTED_TYPES,
)


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
