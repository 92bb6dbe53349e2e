"""Status items: stored once per (wamid, status), applied monotonically, kept until their message exists."""
from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.repositories.message_repo import MessageRepository
from app.repositories.webhook_repo import WebhookRepository
from app.utils.time import from_unix
from database.models import Message, MessageStatusEvent
from database.types import utcnow

log = logging.getLogger(__name__)
KNOWN_STATUSES = {"sent", "delivered", "read", "failed", "played", "deleted", "warning"}


def status_error(errors: list | None) -> dict | None:
    """The message's error from a failed status: Meta's first error, keyed on code and details."""
    if not errors:
        return None
    first = errors[0] if isinstance(errors[0], dict) else {}
    return {"code": first.get("code"), "title": first.get("title") or first.get("message"),
            "details": (first.get("error_data") or {}).get("details"), "href": first.get("href"),
            "source": "status_webhook"}


def record_status(session: Session, item: dict, line_id: str | None, event_id) -> dict | None:
    """Store and apply one status item; None when it is a duplicate (already recorded).

    The caller holds the item's wamid lock (WebhookService.process takes every lock of an event up
    front, in sorted order), so this never races the send that stores the same wamid.
    """
    wamid, status = item.get("id"), item.get("status")
    if not isinstance(wamid, str) or not wamid or status not in KNOWN_STATUSES:
        raise ValidationError(f"status item without a wamid or with an unknown status {status!r}")
    repo = WebhookRepository(session)
    inserted = repo.add_status_event({
        "whatsapp_message_id": wamid, "status": status, "status_timestamp": from_unix(item.get("timestamp")),
        "recipient_id": item.get("recipient_id"), "errors": item.get("errors"), "pricing": item.get("pricing"),
        "conversation": item.get("conversation"), "biz_opaque_callback_data": item.get("biz_opaque_callback_data"),
        "line_id": line_id, "webhook_event_id": event_id, "applied": False,
    })
    if not inserted:
        return None
    message = MessageRepository(session).get_by_wamid(wamid)
    if message is not None:
        _apply(session, repo.status_event(wamid, status), message)
    else:
        log.info("status %s for unknown wamid kept until its message appears", status)
    return {"wamid": wamid, "status": status, "message": message}


def _apply(session: Session, event: MessageStatusEvent, message: Message) -> None:
    target = "read" if event.status == "played" else event.status
    when = event.status_timestamp or utcnow()
    error = status_error(event.errors) if target == "failed" else None
    moved = MessageRepository(session).advance_status(event.whatsapp_message_id, target, when, error)
    session.execute(update(MessageStatusEvent).where(MessageStatusEvent.id == event.id).values(applied=True))
    if moved:
        session.refresh(message)


def apply_pending_statuses(session: Session, wamid: str, message: Message | None = None) -> int:
    """Apply statuses that arrived before their message had this wamid (caller holds the wamid lock)."""
    repo = WebhookRepository(session)
    pending = repo.pending_status_events(wamid)
    if not pending:
        return 0
    message = message or MessageRepository(session).get_by_wamid(wamid)
    if message is None:
        return 0
    for event in pending:
        _apply(session, event, message)
    return len(pending)
