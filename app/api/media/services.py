"""Media: check and upload to WhatsApp, record, describe, stream back down, delete."""
from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from app.api.lines.services import LineService, line_access_token
from app.api.media.transfer import MediaStream, clean_filename, measure, sha256_of
from app.errors import NotFound, WhatsAppAPIError
from app.extensions import get_graph_client
from app.graph import GraphAPIError, MediaDownload, MediaInfo, MediaURLExpired
from app.repositories.media_repo import MediaRepository
from app.utils.media_types import SNIFF_BYTES, MediaCheck, check_media, extension_for
from database.connection import db
from database.models import Media

log = logging.getLogger(__name__)

GONE_CODE, GONE_SUBCODE = 100, 33  # Graph's "object does not exist"


@dataclass(frozen=True)
class UploadTarget:
    """Where an upload goes: the line's business number, with the line's own token if it has one."""

    line_id: str
    phone_number_id: str
    token: str | None = field(default=None, repr=False)


@dataclass
class CheckedFile:
    """A file that passed check_media: a seekable stream at its first byte, its size and hash."""

    stream: BinaryIO
    check: MediaCheck
    size: int
    sha256: str
    filename: str | None


def media_to_dict(media: Media) -> dict[str, Any]:
    """The public media resource."""
    return {
        "id": str(media.id),
        "media_id": media.media_id,
        "mime_type": media.mime_type,
        "file_size": media.file_size,
        "sha256": hex_digest(media.sha256),
        "filename": media.filename,
        "line_id": media.line_id,
        "direction": media.direction,
        "created_at": media.created_at.isoformat(),
    }


def hex_digest(value: str | None) -> str | None:
    """SHA-256 as hex: webhooks give it in base64 (as Meta does), uploads and Graph in hex."""
    if not value or len(value) == 64:
        return value
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    return raw.hex() if len(raw) == 32 else value


def _graph_error(action: str, exc: GraphAPIError) -> WhatsAppAPIError:
    return WhatsAppAPIError(f"WhatsApp refused to {action}: {exc.message}", exc.to_details())


class MediaService:
    """One unit of work per public method; Graph I/O happens outside any database transaction."""

    def __init__(self, session: Session | None = None, lines: LineService | None = None,
                 repo: MediaRepository | None = None, graph=None) -> None:
        self.session = session or db.session
        self.lines = lines or LineService(self.session)
        self.repo = repo or MediaRepository(self.session)
        self._graph = graph

    @property
    def graph(self):
        if self._graph is None:
            self._graph = get_graph_client()
        return self._graph

    # -- upload ---------------------------------------------------------------------------------
    def upload(self, stream: BinaryIO, declared_type: str | None, filename: str | None,
               line_id: str | None) -> dict:
        """Check a spooled upload (type from its bytes, size), send it to WhatsApp, record it."""
        name = clean_filename(filename)
        size = measure(stream)
        check = check_media(stream.read(SNIFF_BYTES), declared_type, size, name)
        stream.seek(0)
        line = self.lines.resolve_for_send(line_id)
        target = UploadTarget(line.line_id, line.phone_number_id, line_access_token(line.line_id))
        self.end_read_transaction()
        file = CheckedFile(stream, check, size, sha256_of(stream), name)
        return media_to_dict(self.upload_checked(target, file))

    def upload_checked(self, target: UploadTarget, file: CheckedFile) -> Media:
        """Upload a checked file from target's number and record it; nothing is recorded if Graph refuses."""
        self.end_read_transaction()
        upload_name = file.filename or f"upload{file.check.extension}"
        try:
            media_id = self.graph.upload_media(target.phone_number_id, file.stream, upload_name,
                                               file.check.mime_type, token=target.token)
        except GraphAPIError as exc:
            raise _graph_error("take the upload", exc) from None
        media = self.repo.add(Media(
            media_id=media_id, line_id=target.line_id, mime_type=file.check.mime_type, file_size=file.size,
            sha256=file.sha256, filename=file.filename, direction="outbound",
        ))
        self.session.commit()
        log.info("media %s uploaded from line %s: %s, %d bytes", media_id, target.line_id,
                 file.check.mime_type, file.size)
        return media

    # -- reading --------------------------------------------------------------------------------
    def get(self, id_or_media_id: str) -> dict:
        return media_to_dict(self._require(id_or_media_id))

    def download(self, id_or_media_id: str) -> MediaStream:
        """Open a streamed download through a fresh Graph URL (re-fetched once if it has expired)."""
        media = self._require(id_or_media_id)
        media_id, mime_type, filename = media.media_id, media.mime_type, media.filename
        phone_number_id, token = self._owner(media)
        self.end_read_transaction()
        info, download = self._open(media_id, phone_number_id, token)
        mime_type = download.content_type or info.mime_type or mime_type or "application/octet-stream"
        return MediaStream(download, mime_type, download.content_length,
                           filename or f"{media_id}{extension_for(mime_type)}")

    def _open(self, media_id: str, phone_number_id: str | None, token: str | None) -> tuple[MediaInfo, MediaDownload]:
        """A fresh URL and its download; a URL that expired before we used it is fetched again, once."""
        try:
            return self._fetch(media_id, phone_number_id, token)
        except MediaURLExpired:
            log.info("media %s: the download URL expired before use; fetching a new one", media_id)
        try:
            return self._fetch(media_id, phone_number_id, token)
        except MediaURLExpired as exc:
            raise _graph_error("serve the media (a fresh URL expired too)", exc) from None

    def _fetch(self, media_id: str, phone_number_id: str | None, token: str | None) -> tuple[MediaInfo, MediaDownload]:
        try:
            info = self.graph.get_media(media_id, phone_number_id=phone_number_id, token=token)
            if not info.url:
                raise WhatsAppAPIError("WhatsApp gave no download URL for the media.", {"media_id": media_id})
            return info, self.graph.download_media(info.url, token=token)
        except MediaURLExpired:
            raise
        except GraphAPIError as exc:
            raise _graph_error("serve the media", exc) from None

    # -- delete ---------------------------------------------------------------------------------
    def delete(self, id_or_media_id: str) -> None:
        """Delete the media at WhatsApp (already gone there is fine), then our record of it."""
        media = self._require(id_or_media_id)
        row_id, media_id = media.id, media.media_id
        phone_number_id, token = self._owner(media)
        self.end_read_transaction()
        try:
            self.graph.delete_media(media_id, phone_number_id=phone_number_id, token=token)
        except GraphAPIError as exc:
            if (exc.code, exc.subcode) != (GONE_CODE, GONE_SUBCODE):
                raise _graph_error("delete the media", exc) from None
            log.info("media %s was already gone at WhatsApp; forgetting it here", media_id)
        media = self.repo.get(row_id)
        if media is not None:
            self.repo.delete(media)
        self.session.commit()

    # -- helpers --------------------------------------------------------------------------------
    def _require(self, id_or_media_id: str) -> Media:
        media = self.repo.find(id_or_media_id)
        if media is None:
            raise NotFound(f"No media has the id {id_or_media_id!r}.", {"media_id": id_or_media_id})
        return media

    def _owner(self, media: Media) -> tuple[str | None, str | None]:
        """The phone_number_id the media belongs to at Meta and the token to use, when its line is known."""
        line = self.lines.repo.get(media.line_id) if media.line_id else None
        return (line.phone_number_id if line else None), line_access_token(line.line_id if line else None)

    def end_read_transaction(self) -> None:
        """End a transaction that has only read, before slow network I/O.

        Transfers can take a while: hold no connection or lock meanwhile (SQLite's BEGIN IMMEDIATE
        takes the write lock at the first SELECT).
        """
        self.session.rollback()

