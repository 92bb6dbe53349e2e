"""Media objects stored on disk, with expiring signed download URLs (GRAPH_API.md §2 and §3)."""
from __future__ import annotations

import hashlib
import hmac
import io
import os
import secrets
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Iterator

from sandbox.errors import GraphError
from sandbox.ids import IdFactory
from sandbox.settings import EmulatorSettings

MB = 1024 * 1024
DOCUMENT_TYPES = ("text/plain", "application/pdf", "application/msword",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "application/vnd.ms-excel",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  "application/vnd.ms-powerpoint",
                  "application/vnd.openxmlformats-officedocument.presentationml.presentation")
SIZE_LIMITS: dict[str, int] = {
    "image/jpeg": 5 * MB, "image/png": 5 * MB,
    "video/mp4": 16 * MB, "video/3gpp": 16 * MB,
    "audio/aac": 16 * MB, "audio/amr": 16 * MB, "audio/mpeg": 16 * MB, "audio/mp4": 16 * MB,
    "audio/ogg": 16 * MB,
    "image/webp": 500 * 1024,
    **{mime: 100 * MB for mime in DOCUMENT_TYPES},
}
MAX_UPLOAD = 100 * MB
CHUNK = 64 * 1024


def base_mime(mime: str) -> str:
    """Return the MIME type without parameters, lower-cased ("audio/ogg; codecs=opus" -> "audio/ogg")."""
    return mime.split(";", 1)[0].strip().lower()


def check_upload(mime: str, size: int) -> None:
    """Raise error 100 for a MIME type WhatsApp does not take, 131053 for a file over its limit."""
    limit = SIZE_LIMITS.get(base_mime(mime))
    if limit is None:
        raise GraphError(100, f"Param file must be a file with one of the following types: "
                              f"{', '.join(SIZE_LIMITS)}. Received file of type '{mime}'.")
    if size > limit:
        raise GraphError(131053, f"Media upload error: a {base_mime(mime)} file must be at most {limit} bytes "
                                 f"(got {size}).")
    if size == 0:
        raise GraphError(131053, "Media upload error: the file is empty.")


class SpoolFile(io.FileIO):
    """A file on disk that hashes and counts what is written to it (the upload stream target)."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "w+b")
        self.digest = hashlib.sha256()
        self.size = 0
        self.adopted = False

    def write(self, data) -> int:  # type: ignore[override]
        """Write all of data, updating the hash and the byte count."""
        view = memoryview(data).cast("B")
        written = 0
        while written < len(view):
            written += super().write(view[written:]) or 0
        self.digest.update(view)
        self.size += written
        return written


@dataclass
class MediaObject:
    """One stored media file."""

    id: str
    path: str
    mime_type: str
    sha256: str
    file_size: int
    uploader: str
    filename: str | None = None
    created: float = field(default_factory=time.time)

    def describe(self) -> dict:
        """Return the object as JSON-friendly values (no path)."""
        return {"id": self.id, "mime_type": self.mime_type, "sha256": self.sha256, "file_size": self.file_size,
                "phone_number_id": self.uploader, "filename": self.filename, "created": self.created}


class MediaStore:
    """Thread-safe store of media files kept in one directory."""

    def __init__(self, settings: EmulatorSettings, ids: IdFactory) -> None:
        self._settings = settings
        self._ids = ids
        self._lock = threading.Lock()
        self._objects: dict[str, MediaObject] = {}
        self._owns_dir = settings.media_dir is None
        self.directory = settings.media_dir or tempfile.mkdtemp(prefix="wa-sandbox-media-")
        os.makedirs(self.directory, exist_ok=True)
        if self._owns_dir:  # an emulator that is never stopped still leaves no temp dir behind
            weakref.finalize(self, shutil.rmtree, self.directory, True)
        self._url_key = secrets.token_bytes(32)

    def new_spool(self) -> SpoolFile:
        """Open a new upload file in the media directory."""
        return SpoolFile(os.path.join(self.directory, f".upload-{uuid.uuid4().hex}"))

    def adopt(self, spool: SpoolFile, mime: str, uploader: str, filename: str | None) -> MediaObject:
        """Turn a fully written upload file into a media object."""
        spool.adopted = True
        spool.close()
        media_id = self._ids.media_id()
        path = os.path.join(self.directory, media_id)
        os.replace(spool.name, path)
        item = MediaObject(media_id, path, mime, spool.digest.hexdigest(), spool.size, uploader, filename)
        with self._lock:
            self._objects[media_id] = item
        return item

    def store_bytes(self, data: bytes, mime: str, uploader: str, filename: str | None = None) -> MediaObject:
        """Store bytes given in memory (inbound media) as a media object."""
        spool = self.new_spool()
        try:
            spool.write(data)
        except BaseException:
            discard(spool)
            raise
        return self.adopt(spool, mime, uploader, filename)

    def get(self, media_id: str) -> MediaObject | None:
        """Return the media object with this id, or None."""
        with self._lock:
            return self._objects.get(media_id)

    def list(self) -> list[MediaObject]:
        """Return every stored media object."""
        with self._lock:
            return list(self._objects.values())

    def delete(self, media_id: str) -> bool:
        """Delete a media object and its file; False when it does not exist."""
        with self._lock:
            item = self._objects.pop(media_id, None)
        if item is None:
            return False
        _unlink(item.path)
        return True

    def signed_url(self, base_url: str, media_id: str) -> str:
        """Return a download URL that stops working media_url_ttl seconds from now."""
        expires = f"{time.time() + self._settings.media_url_ttl:.3f}"
        return f"{base_url.rstrip('/')}/_media/{media_id}?expires={expires}&sig={self._sign(media_id, expires)}"

    def url_is_valid(self, media_id: str, expires: str, signature: str) -> bool:
        """True when the signature matches and the URL has not expired."""
        if not hmac.compare_digest(self._sign(media_id, expires), signature or ""):
            return False
        try:
            return time.time() <= float(expires)
        except ValueError:
            return False

    def _sign(self, media_id: str, expires: str) -> str:
        return hmac.new(self._url_key, f"{media_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def reset(self) -> None:
        """Delete every media object and file."""
        with self._lock:
            items = list(self._objects.values())
            self._objects.clear()
        for item in items:
            _unlink(item.path)

    def close(self) -> None:
        """Delete everything, and the directory when the store created it."""
        self.reset()
        if self._owns_dir:
            shutil.rmtree(self.directory, ignore_errors=True)


def stream_file(path: str) -> Iterator[bytes]:
    """Open path now and return an iterator over its bytes in chunks, never holding the whole file."""
    handle = open(path, "rb")

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    return chunks()


def discard(spool: SpoolFile) -> None:
    """Close and delete an upload file that was not adopted."""
    if spool.adopted:
        return
    spool.close()
    _unlink(spool.name)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
