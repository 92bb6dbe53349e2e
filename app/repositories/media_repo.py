"""Media objects at Meta that we uploaded or received, looked up by our id or Meta's media id."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict
from database.models import Media


class MediaRepository:
    """Rows of media."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, media: Media) -> Media:
        """Insert now; Conflict when Meta's media id is already recorded."""
        try:
            with self.session.begin_nested():
                self.session.add(media)
        except IntegrityError:
            raise Conflict(f"Media {media.media_id} is already recorded.", {"media_id": media.media_id}) from None
        return media

    def get(self, row_id: uuid.UUID) -> Media | None:
        return self.session.get(Media, row_id)

    def get_by_media_id(self, media_id: str) -> Media | None:
        return self.session.scalar(select(Media).where(Media.media_id == media_id))

    def find(self, id_or_media_id: str) -> Media | None:
        """Look media up by our UUID or by Meta's media id."""
        try:
            media = self.get(uuid.UUID(id_or_media_id))
            if media is not None:
                return media
        except ValueError:
            pass
        return self.get_by_media_id(id_or_media_id)

    def delete(self, media: Media) -> None:
        self.session.delete(media)
