"""Moving media bytes without holding them: the multipart upload, hashing, and the streamed download."""
from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, request, stream_with_context
from werkzeug.datastructures import FileStorage

from app.errors import UnsupportedMediaType, ValidationError
from app.graph import GraphAPIError, MediaDownload

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
FILENAME_MAX = 255


@dataclass
class MediaStream:
    """An open download from Meta and the headers to answer it with."""

    download: MediaDownload
    content_type: str
    content_length: int | None
    filename: str


def upload_from_request() -> tuple[FileStorage, str | None]:
    """The multipart `file` part and the optional `line_id`, or the error for a request without them."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the upload as multipart/form-data with the file in a `file` part.",
                                   {"content_type": request.mimetype or "missing"})
    upload = request.files.get("file")  # werkzeug spools big parts to a temporary file, not memory
    if upload is None:
        raise ValidationError("The multipart field file is required (as a file part, with a filename).",
                              {"file": "is required"})
    return upload, request.form.get("line_id") or None


def clean_filename(name: str | None) -> str | None:
    """The client's file name without any path, control characters or quotes; None when nothing is left."""
    if not name:
        return None
    base = re.split(r"[/\\]", name)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch != '"').strip()
    if not base.strip("."):
        return None
    return base[:FILENAME_MAX]


def measure(stream: BinaryIO) -> int:
    """The size of a seekable stream, left at its first byte."""
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    return size


def sha256_of(stream: BinaryIO) -> str:
    """Hex SHA-256 of a seekable stream, read in chunks and left at its first byte."""
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def content_disposition(filename: str) -> str:
    """`attachment; filename="..."`, with an RFC 5987 UTF-8 name too when it is not plain ASCII."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace("\\", "_")
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def stream_response(media: MediaStream) -> Response:
    """A streamed answer: the bytes pass through in 64 KiB chunks, never whole, never Meta's URL."""
    download = media.download

    def chunks() -> Iterator[bytes]:
        try:
            yield from download.iter_chunks(CHUNK)
        except GraphAPIError as exc:
            # Headers are gone already: all we can do is cut the body short of its Content-Length.
            log.warning("media download interrupted: %s", exc.message)
        finally:
            download.close()

    headers = {"Content-Disposition": content_disposition(media.filename), "Cache-Control": "private, no-store"}
    if media.content_length is not None:
        headers["Content-Length"] = str(media.content_length)
    response = Response(stream_with_context(chunks()), status=200, content_type=media.content_type,
                        headers=headers, direct_passthrough=True)
    response.call_on_close(download.close)  # also when the client leaves before the first chunk
    return response
