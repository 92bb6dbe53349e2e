"""check_media: the upload rules, deciding what to upload as or raising the error the client gets."""
from __future__ import annotations

from app.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError
from app.utils.media_types.lookups import MediaCheck, Sniffed, _base_type, max_bytes_for, normalize_mime_type
from app.utils.media_types.sniffing import is_text, sniff
from app.utils.media_types.table import _COMPATIBLE, _GENERIC_TYPES, FIELD, KB, MB, OLE2, SNIFF_BYTES, SUPPORTED_TYPES

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
