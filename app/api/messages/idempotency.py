"""Idempotency-Key handling for every send endpoint, shared across processes through the database."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.errors import IdempotencyConflict, ValidationError
from app.repositories.idempotency_repo import IdempotencyRepository
from database.models import IdempotencyKey
from database.types import utcnow

MAX_KEY_LENGTH = 255


def request_fingerprint(route: str, payload: object) -> str:
    """A hash of what was asked, independent of key order and whitespace."""
    canonical = json.dumps({"route": route, "body": payload}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Claim:
    """A key this request owns, or a stored response to replay."""

    row: IdempotencyKey | None = None
    replay_status: int | None = None
    replay_body: dict | None = None

    @property
    def is_replay(self) -> bool:
        return self.replay_status is not None


class IdempotencyService:
    """Claim a key before sending; store the response after; replay it on a repeat."""

    def __init__(self, session: Session, ttl_hours: int = 24, repo: IdempotencyRepository | None = None,
                 lease_seconds: float = 30.0) -> None:
        self.session = session
        self.ttl = timedelta(hours=ttl_hours)
        self.lease = timedelta(seconds=lease_seconds)
        self.repo = repo or IdempotencyRepository(session)

    def claim(self, principal: str, key: str, fingerprint: str) -> Claim:
        """Own the key (committed at once, so a concurrent repeat sees it) or return the stored answer."""
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise ValidationError("Idempotency-Key must be 1-255 characters.",
                                  {"Idempotency-Key": f"must be 1-{MAX_KEY_LENGTH} characters"})
        for _ in range(2):
            row = self.repo.claim(principal, key, fingerprint, utcnow() + self.ttl)
            if row is not None:
                self.session.commit()
                return Claim(row=row)
            existing = self.repo.get(principal, key)
            if existing is None:
                continue  # released by its owner in the meantime
            if existing.expires_at < utcnow():
                self.repo.delete(existing)
                self.session.commit()
                continue
            return self._existing(existing, fingerprint)
        raise IdempotencyConflict("The Idempotency-Key is being used by a concurrent request.")

    def _existing(self, row: IdempotencyKey, fingerprint: str) -> Claim:
        if row.request_hash != fingerprint:
            raise IdempotencyConflict("This Idempotency-Key was already used with a different request body.",
                                      {"Idempotency-Key": "reused with a different body"})
        if row.state != "completed":
            if row.updated_at > utcnow() - self.lease:
                raise IdempotencyConflict("A request with this Idempotency-Key is still in flight; retry shortly.",
                                          {"Idempotency-Key": "in flight"})
            return self._take_over(row)
        return Claim(replay_status=row.response_status, replay_body=row.response_body)

    def _take_over(self, row: IdempotencyKey) -> Claim:
        """Its owner died (a crash, the database going away) before it finished; decide from what it left.

        Nothing recorded: nothing was sent, so this request becomes the owner. A message recorded
        with a wamid: it was sent, replay it. Recorded without one: Graph may have it, so it is
        answered as delivery unknown, never sent again.
        """
        from app.api.messages.services import message_to_dict
        from database.models import Message

        stale = row.updated_at
        taken = self.session.execute(
            update(IdempotencyKey).where(IdempotencyKey.id == row.id, IdempotencyKey.updated_at == stale)
            .values(updated_at=utcnow()).execution_options(synchronize_session=False)).rowcount
        self.session.commit()
        self.session.refresh(row)
        if not taken:
            raise IdempotencyConflict("A request with this Idempotency-Key is still in flight; retry shortly.",
                                      {"Idempotency-Key": "in flight"})
        message = self.session.get(Message, row.message_id) if row.message_id else None
        if message is None:
            return Claim(row=row)
        claim = Claim(row=row)
        if message.whatsapp_message_id:
            self.complete(claim, 201, message_to_dict(message))
        else:
            message.error = message.error or {"delivery_unknown": True,
                                              "title": "The request ended before WhatsApp's answer was recorded"}
            self.complete(claim, 502, {"error": "WHATSAPP_API_ERROR", "message": "Delivery is unknown; the message "
                                       "was not resent.", "details": {"delivery_unknown": True,
                                                                      "message_id": str(message.id)}})
        return Claim(replay_status=row.response_status, replay_body=row.response_body)

    def complete(self, claim: Claim, status: int, body: dict) -> None:
        """Store the response to replay."""
        row = claim.row
        row.state, row.response_status, row.response_body = "completed", status, body
        self.session.commit()

    def release(self, claim: Claim) -> None:
        """Give the key back: nothing was sent, so the caller may retry with it."""
        self.session.rollback()
        row = self.session.merge(claim.row)
        self.repo.delete(row)
        self.session.commit()

    def cleanup(self) -> int:
        """Delete keys older than their lifetime."""
        removed = self.repo.delete_expired(utcnow())
        self.session.commit()
        return removed
