"""Tables. Behaviour that needs atomicity lives in repositories, not here."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from database.connection import db
from database.functions import create_functions_ddl
from database.types import UTCDateTime, utcnow

LINE_FK = "messaging_lines.line_id"


class BaseModel(db.Model):
    """A UUID primary key and UTC creation and update times."""

    __abstract__ = True

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    def to_dict(self, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
        """Return the columns as JSON-ready values: UUIDs as strings, times in ISO 8601."""
        result: dict[str, Any] = {}
        for column in self.__table__.columns:
            if column.key in exclude:
                continue
            result[column.key] = _jsonable(getattr(self, column.key))
        return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


class MessagingLine(BaseModel):
    """A business phone number and its daily quota. Identity comes from configuration."""

    __tablename__ = "messaging_lines"

    line_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    phone_number: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    max_daily_messages: Mapped[int] = mapped_column(Integer, nullable=False, default=1000)
    # Messages per second a bulk send may use on this line (Meta's default throughput is 80).
    max_mps: Mapped[int] = mapped_column(Integer, nullable=False, default=80, server_default="80")
    current_daily_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_reset_date: Mapped[date | None] = mapped_column(Date)
    # Fields changed through the API; a config sync leaves these alone.
    api_overrides: Mapped[list] = mapped_column(JSON, nullable=False, default=list)


class Contact(BaseModel):
    """A WhatsApp user, keyed by the normalised (digits only) phone number."""

    __tablename__ = "contacts"

    phone_number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(255))
    # The name on the user's WhatsApp profile, as the latest webhook gave it.
    profile_name: Mapped[str | None] = mapped_column(String(255))
    wa_id: Mapped[str | None] = mapped_column(String(32))
    is_blocked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_line_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_contacts_is_blocked_created_at", "is_blocked", "created_at", "id"),
        Index("ix_contacts_created_at_id", "created_at", "id"),
        # Substring search (ILIKE '%term%'): trigram GIN indexes on PostgreSQL; plain indexes on SQLite.
        *(Index(f"ix_contacts_{name}_trgm", name, postgresql_using="gin", postgresql_ops={name: "gin_trgm_ops"})
          for name in ("display_name", "profile_name", "phone_number")),
    )


# create_all() (tests, init-db) needs the trigram operator class before the indexes above.
event.listen(Contact.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class Message(BaseModel):
    """One WhatsApp message, outbound or inbound."""

    __tablename__ = "messages"

    # Nullable: a send that fails before Meta returns an id is still recorded.
    whatsapp_message_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    line_id: Mapped[str | None] = mapped_column(String(64), ForeignKey(LINE_FK))
    phone_number: Mapped[str] = mapped_column(String(32), nullable=False)
    message_type: Mapped[str] = mapped_column(String(32), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[dict | None] = mapped_column(JSON)
    reply_to: Mapped[str | None] = mapped_column(String(128))
    # Meta's timestamp for inbound messages; status times for outbound ones.
    timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bulk sends: the job, and where this recipient's message is (queued, sending, done, cancelled).
    bulk_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("bulk_jobs.id"))
    bulk_state: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_messages_bulk_id_bulk_state", "bulk_id", "bulk_state"),
        Index("ix_messages_created_at_id", "created_at", "id"),
        Index("ix_messages_phone_number_created_at", "phone_number", "created_at", "id"),
        Index("ix_messages_line_id_created_at", "line_id", "created_at", "id"),
        Index("ix_messages_status_created_at", "status", "created_at", "id"),
        Index("ix_messages_direction_created_at", "direction", "created_at", "id"),
        Index("ix_messages_message_type_created_at", "message_type", "created_at", "id"),
    )


class WebhookEvent(BaseModel):
    """A webhook body exactly as Meta sent it, stored before it is processed."""

    __tablename__ = "webhook_events"

    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    line_id: Mapped[str | None] = mapped_column(String(64), ForeignKey(LINE_FK))
    phone_number_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict | None] = mapped_column(JSON)
    raw_body: Mapped[str] = mapped_column(Text, nullable=False)
    body_sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    processed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_message: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Value-level errors Meta reported in this event (value.errors), kept for inspection.
    value_errors: Mapped[list | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_webhook_events_created_at_id", "created_at", "id"),
        Index("ix_webhook_events_processed_created_at", "processed", "created_at", "id"),
        Index("ix_webhook_events_event_type_created_at", "event_type", "created_at", "id"),
        Index("ix_webhook_events_line_id_created_at", "line_id", "created_at", "id"),
    )


class Media(BaseModel):
    """A media object at Meta: uploaded by us, or received in a webhook."""

    __tablename__ = "media"

    media_id: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    line_id: Mapped[str | None] = mapped_column(String(64), ForeignKey(LINE_FK))
    mime_type: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(128))
    filename: Mapped[str | None] = mapped_column(String(255))
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (Index("ix_media_created_at_id", "created_at", "id"),)


class IdempotencyKey(BaseModel):
    """A caller's Idempotency-Key: the request it was first used with and the response it got."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(128), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="in_progress")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict | None] = mapped_column(JSON)
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)

    __table_args__ = (UniqueConstraint("principal", "key"),)


class MessageStatusEvent(BaseModel):
    """Every status webhook item, once per (wamid, status); kept even before its message is known."""

    __tablename__ = "message_status_events"

    whatsapp_message_id: Mapped[str] = mapped_column(String(128), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    status_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient_id: Mapped[str | None] = mapped_column(String(64))
    errors: Mapped[list | None] = mapped_column(JSON)
    pricing: Mapped[dict | None] = mapped_column(JSON)
    conversation: Mapped[dict | None] = mapped_column(JSON)
    biz_opaque_callback_data: Mapped[str | None] = mapped_column(String(512))
    line_id: Mapped[str | None] = mapped_column(String(64))
    webhook_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # False while no message with this wamid exists yet; applied when it appears.
    applied: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (
        UniqueConstraint("whatsapp_message_id", "status"),
        Index("ix_message_status_events_applied_created_at", "applied", "created_at"),
    )


# The send path's wamsvc_mark_sent() (database/functions.py) reads this table and messages.
event.listen(MessageStatusEvent.__table__, "after_create", create_functions_ddl())


class WebhookDelivery(BaseModel):
    """One event forwarded to a line's webhook_url, with its attempts and a dead-letter state."""

    __tablename__ = "webhook_deliveries"

    event_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    line_id: Mapped[str | None] = mapped_column(String(64), ForeignKey(LINE_FK))
    target_url: Mapped[str] = mapped_column(String(2048), nullable=False)
    event_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_response: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_webhook_deliveries_state_created_at", "state", "created_at", "id"),
        Index("ix_webhook_deliveries_line_id_created_at", "line_id", "created_at", "id"),
        Index("ix_webhook_deliveries_created_at_id", "created_at", "id"),
    )


class BulkJob(BaseModel):
    """One bulk send: the shared message and its recipients' messages (Message.bulk_id)."""

    __tablename__ = "bulk_jobs"

    line_id: Mapped[str] = mapped_column(String(64), ForeignKey(LINE_FK), nullable=False)
    message_type: Mapped[str] = mapped_column(String(32), nullable=False)
    request: Mapped[dict] = mapped_column(JSON, nullable=False)
    principal: Mapped[str] = mapped_column(String(128), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    rejected: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_bulk_jobs_created_at_id", "created_at", "id"),
        Index("ix_bulk_jobs_state", "state"),  # the stranded-recipient sweep reads running jobs
    )
