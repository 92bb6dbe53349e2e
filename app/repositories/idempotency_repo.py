"""Idempotency keys: claimed with a unique constraint, so only one request can own a key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from database.models import IdempotencyKey


class IdempotencyRepository:
    """Rows of idempotency_keys."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, principal: str, key: str, request_hash: str, expires_at: datetime) -> IdempotencyKey | None:
        """Insert an in-progress row; None when another request already holds the key."""
        row = IdempotencyKey(principal=principal, key=key, request_hash=request_hash, state="in_progress",
                             expires_at=expires_at)
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return None
        return row

    def get(self, principal: str, key: str) -> IdempotencyKey | None:
        return self.session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.principal == principal, IdempotencyKey.key == key)
        )

    def delete(self, row: IdempotencyKey) -> None:
        self.session.delete(row)

    def delete_expired(self, now: datetime) -> int:
        """Remove keys past their lifetime; returns how many."""
        return self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now)).rowcount
