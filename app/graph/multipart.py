"""A multipart/form-data body that streams its file part instead of buffering it.

``requests``' own ``files=`` encoder reads the whole file into memory; documents may be 100 MB.
This body has a known length (so it is sent with Content-Length, not chunked) and is read in
blocks by urllib3 while it is sent. ``rewind()`` makes it sendable again for a retry.
"""
from __future__ import annotations

import io
import re
import shutil
import tempfile
from typing import BinaryIO

from urllib3.fields import format_multipart_header_param
from urllib3.filepost import choose_boundary

_MIME_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")
_SPOOL_BYTES = 8 * 1024 * 1024


class MultipartFileBody:
    """Form fields followed by one file, read from ``fileobj`` as the request is sent."""

    def __init__(
        self, fields: dict[str, str], file_field: str, fileobj: BinaryIO, filename: str, mime_type: str
    ) -> None:
        if not _MIME_TYPE.match(mime_type):
            raise ValueError("mime_type must look like 'type/subtype'.")
        self.boundary = choose_boundary()
        self._file = _seekable(fileobj)
        self._start = self._file.tell()
        self._size = self._file.seek(0, io.SEEK_END) - self._start
        self._head = self._encode_head(fields, file_field, filename, mime_type)
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.rewind()

    @property
    def content_type(self) -> str:
        """The Content-Type header value, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def rewind(self) -> None:
        """Go back to the first byte so the body can be sent again."""
        self._file.seek(self._start)
        self._file_left = self._size
        self._buffer = io.BytesIO(self._head)
        self._stage = 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left if negative)."""
        out = bytearray()
        while self._stage < 3 and (size < 0 or len(out) < size):
            want = -1 if size < 0 else size - len(out)
            chunk = self._read_stage(want)
            if chunk:
                out += chunk
            else:
                self._next_stage()
        return bytes(out)

    def _read_stage(self, want: int) -> bytes:
        if self._stage == 1:
            # Never send more than was measured: Content-Length must stay true.
            n = self._file_left if want < 0 else min(want, self._file_left)
            chunk = self._file.read(n) if n else b""
            self._file_left -= len(chunk)
            return chunk
        return self._buffer.read(want)

    def _next_stage(self) -> None:
        if self._stage == 1 and self._file_left:
            raise OSError("The upload file shrank while it was being sent.")
        self._stage += 1
        if self._stage == 2:
            self._buffer = io.BytesIO(self._tail)

    def _encode_head(self, fields: dict[str, str], file_field: str, filename: str, mime_type: str) -> bytes:
        parts = []
        for name, value in fields.items():
            parts.append(
                f"--{self.boundary}\r\nContent-Disposition: form-data; "
                f"{format_multipart_header_param('name', name)}\r\n\r\n{value}\r\n"
            )
        parts.append(
            f"--{self.boundary}\r\nContent-Disposition: form-data; "
            f"{format_multipart_header_param('name', file_field)}; "
            f"{format_multipart_header_param('filename', filename)}\r\n"
            f"Content-Type: {mime_type}\r\n\r\n"
        )
        return "".join(parts).encode("utf-8")


def _seekable(fileobj: BinaryIO) -> BinaryIO:
    """Return ``fileobj`` if it can be rewound, else a spooled copy (memory up to 8 MB, then disk)."""
    seekable = getattr(fileobj, "seekable", None)
    if seekable is not None and seekable():
        return fileobj
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - lives with the body
    shutil.copyfileobj(fileobj, spool)
    spool.seek(0)
    return spool  # type: ignore[return-value]
