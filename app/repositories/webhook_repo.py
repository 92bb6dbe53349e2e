"""Webhook events, status events and forwarding deliveries."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, text
from sqlalchemy.orm import Session

from app.repositories.upsert import insert_ignore
from app.utils.pagination import Page, PageRequest, paginate
from database.functions import WAMID_LOCK_KEY
from database.types import utcnow
from database.models import MessageStatusEvent, WebhookDelivery, WebhookEvent

STATUS_ORDER = {"sent": 1, "delivered": 2, "read": 3, "played": 4, "failed": 0}


class WebhookRepository:
    """Rows of webhook_events, message_status_events and webhook_deliveries."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- events -----------------------------------------------------------------------------
    def insert_event(self, **values) -> uuid.UUID:
        """INSERT one event in a single statement (no unit-of-work flush); its id."""
        now = utcnow()
        event_id = uuid.uuid4()
        self.session.execute(insert(WebhookEvent.__table__).values(id=event_id, created_at=now, updated_at=now,
                                                                   **values))
        return event_id

    def get(self, event_id: uuid.UUID) -> WebhookEvent | None:
        return self.session.get(WebhookEvent, event_id)

    def list(self, filters: dict, page: PageRequest) -> Page:
        statement = select(WebhookEvent)
        for name in ("processed", "event_type", "line_id"):
            if filters.get(name) is not None:
                statement = statement.where(getattr(WebhookEvent, name) == filters[name])
        return paginate(self.session, statement, WebhookEvent, page)

    def unprocessed(self, older_than: datetime, after: tuple | None = None, limit: int = 500) -> list[tuple]:
        """(created_at, id) of unprocessed events, oldest first, after the given position."""
        statement = select(WebhookEvent.created_at, WebhookEvent.id).where(
            WebhookEvent.processed.is_(False), WebhookEvent.created_at <= older_than)
        if after is not None:
            statement = statement.where(or_(WebhookEvent.created_at > after[0],
                                            and_(WebhookEvent.created_at == after[0], WebhookEvent.id > after[1])))
        statement = statement.order_by(WebhookEvent.created_at, WebhookEvent.id).limit(limit)
        return [tuple(row) for row in self.session.execute(statement)]

    # -- status events ------------------------------------------------------------------------
    def lock_wamid(self, wamid: str) -> None:
        """Serialise work on one wamid until commit, so a status and its send never miss each other."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text(f"SELECT pg_advisory_xact_lock({WAMID_LOCK_KEY.format(wamid=':w')})"),
                                 {"w": wamid})

    def add_status_event(self, values: dict) -> bool:
        """Store a status item once per (wamid, status); False when it was already stored."""
        return insert_ignore(self.session, MessageStatusEvent, values, ["whatsapp_message_id", "status"])

    def pending_status_events(self, wamid: str) -> list[MessageStatusEvent]:
        statement = select(MessageStatusEvent).where(MessageStatusEvent.whatsapp_message_id == wamid,
                                                     MessageStatusEvent.applied.is_(False))
        events = list(self.session.scalars(statement))
        return sorted(events, key=lambda e: STATUS_ORDER.get(e.status, 9))

    def status_event(self, wamid: str, status: str) -> MessageStatusEvent | None:
        return self.session.scalar(select(MessageStatusEvent).where(
            MessageStatusEvent.whatsapp_message_id == wamid, MessageStatusEvent.status == status))

    # -- deliveries ---------------------------------------------------------------------------
    def add_delivery(self, values: dict) -> bool:
        """Record a forward once per event_key; False when it already exists."""
        return insert_ignore(self.session, WebhookDelivery, values, ["event_key"])

    def delivery(self, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        return self.session.get(WebhookDelivery, delivery_id)

    def claim_delivery(self, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        """The delivery, locked until commit; None when another job holds it (or it does not exist).

        SKIP LOCKED on PostgreSQL: two jobs for one delivery (a manual retry racing the scheduled
        one) never POST at the same time. SQLite renders no FOR UPDATE; it has one writer at a time.
        """
        statement = (select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                     .with_for_update(skip_locked=True).execution_options(populate_existing=True))
        return self.session.scalars(statement).first()

    def list_deliveries(self, filters: dict, page: PageRequest) -> Page:
        statement = select(WebhookDelivery)
        for name in ("state", "line_id"):
            if filters.get(name) is not None:
                statement = statement.where(getattr(WebhookDelivery, name) == filters[name])
        return paginate(self.session, statement, WebhookDelivery, page)

    def due_deliveries(self, now: datetime, limit: int = 500) -> list[uuid.UUID]:
        statement = (select(WebhookDelivery.id)
                     .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now)
                     .order_by(WebhookDelivery.next_attempt_at).limit(limit))
        return list(self.session.scalars(statement))

