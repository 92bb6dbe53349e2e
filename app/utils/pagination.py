"""Keyset (cursor) pagination over (created_at, id), newest first."""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_

from app.errors import ValidationError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    """A validated ?limit= and ?cursor=."""

    limit: int = DEFAULT_LIMIT
    after: tuple[datetime, uuid.UUID] | None = None


@dataclass(frozen=True)
class Page:
    """One page of rows and the cursor of the next page, if any."""

    items: list[Any]
    next_cursor: str | None


def page_request(args) -> PageRequest:
    """Read limit and cursor from query arguments, naming the bad one."""
    raw_limit = args.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)
        except ValueError:
            raise ValidationError("limit must be an integer.", {"limit": "must be an integer"}) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}.",
                                  {"limit": f"must be between 1 and {MAX_LIMIT}"})
    cursor = args.get("cursor")
    return PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None)


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    """An opaque cursor pointing just after this row."""
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Decode a cursor made by encode_cursor, or raise a validation error naming it."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("cursor is not a cursor this API returned.", {"cursor": "is invalid"}) from None


def paginate(session, statement: Select, model, page: PageRequest) -> Page:
    """Run statement newest first, returning at most page.limit rows and the next cursor."""
    if page.after is not None:
        created_at, row_id = page.after
        statement = statement.where(
            or_(model.created_at < created_at, and_(model.created_at == created_at, model.id < row_id))
        )
    statement = statement.order_by(model.created_at.desc(), model.id.desc()).limit(page.limit + 1)
    rows = list(session.scalars(statement))
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return Page(items=rows, next_cursor=next_cursor)
