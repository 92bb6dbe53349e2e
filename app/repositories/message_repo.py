"""Messages and their status, which only ever moves forward."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.utils.pagination import Page, PageRequest, paginate
from database.types import utcnow
from database.models import Message

# Which statuses each new status may replace: pending < sent < delivered < read;
# failed replaces only pending or sent; a later delivered/read proves a failure report wrong.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "sent": ("pending",),
    "delivered": ("pending", "sent", "failed"),
    "read": ("pending", "sent", "delivered", "failed"),
    "failed": ("pending", "sent"),
}
TIMESTAMP_COLUMN = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "failed": "failed_at"}


class MessageRepository:
    """Rows of messages."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, message_id: uuid.UUID) -> Message | None:
        return self.session.get(Message, message_id)

    def get_by_wamid(self, wamid: str) -> Message | None:
        return self.session.scalar(select(Message).where(Message.whatsapp_message_id == wamid))

    def find(self, id_or_wamid: str) -> Message | None:
        """Look a message up by our UUID or by Meta's wamid."""
        try:
            message = self.get(uuid.UUID(id_or_wamid))
            if message is not None:
                return message
        except ValueError:
            pass
        return self.get_by_wamid(id_or_wamid)

    def advance_status(self, wamid: str, status: str, when: datetime, error: dict | None = None) -> bool:
        """Apply a status only if it moves the message forward (one atomic UPDATE); True if it did."""
        allowed = ALLOWED_FROM.get(status)
        if allowed is None:
            return False
        table = Message.__table__.c
        column = TIMESTAMP_COLUMN[status]
        values = {"status": status, column: when, "updated_at": utcnow()}
        if error is not None:
            values["error"] = error
        moved = self.session.execute(
            update(Message.__table__)
            .where(table.whatsapp_message_id == wamid, table.direction == "outbound", table.status.in_(allowed))
            .values(**values)
        ).rowcount
        if not moved and status != "failed":
            # Still record when it happened (a delivered that arrives after read).
            self.session.execute(
                update(Message.__table__)
                .where(table.whatsapp_message_id == wamid, table[column].is_(None))
                .values({column: when})
            )
        return bool(moved)

    def record_error(self, message_id: uuid.UUID, error: dict, failed_at: datetime | None = None) -> None:
        """Keep Graph's error on a send; with failed_at, the send failed (not committed)."""
        values = {"error": error, "updated_at": utcnow()}
        if failed_at is not None:
            values.update(status="failed", failed_at=failed_at)
        self.session.execute(update(Message.__table__).where(Message.__table__.c.id == message_id).values(**values))

    def list(self, filters: dict, page: PageRequest) -> Page:
        """Messages matching the filters, newest first."""
        statement = select(Message)
        for name in ("phone_number", "line_id", "direction", "status", "message_type"):
            if filters.get(name) is not None:
                statement = statement.where(getattr(Message, name) == filters[name])
        if filters.get("since") is not None:
            statement = statement.where(Message.created_at >= filters["since"])
        if filters.get("until") is not None:
            statement = statement.where(Message.created_at < filters["until"])
        return paginate(self.session, statement, Message, page)

    def conversation(self, phone_number: str, page: PageRequest) -> Page:
        """Both directions of one contact's conversation, newest first."""
        return self.list({"phone_number": phone_number}, page)
