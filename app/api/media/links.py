"""MEDIA_UPLOAD_LINKS: fetch a media_url ourselves, check it like an upload, send by id instead."""
from __future__ import annotations


def materialize_link(line, body: dict, token: str | None, graph) -> dict:
    """Return body with its media `link` replaced by the id of an upload of that link's bytes."""
    raise NotImplementedError("MEDIA_UPLOAD_LINKS is being implemented in app/api/media")
