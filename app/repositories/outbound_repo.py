"""The two writes of one send, in as few round trips as each database allows.

1. Before the Graph call: reserve a unit of the line's quota, touch the recipient's contact and
   write the pending message, all or nothing.
2. After it: store the wamid and move the message to sent, under the wamid lock.

On PostgreSQL each is a single statement on an autocommit connection (one round trip each, where
the ORM's version takes five and four). The line's row is locked first and the contact's second,
the order bulk sends use, and the line's lock is held only while the statement runs. SQLite has no
data-modifying CTEs, so there the same writes are a short transaction on the session.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.repositories.line_repo import LineRepository
from app.repositories.upsert import upsert_outbound_contact
from database.models import IdempotencyKey, Message, MessageStatusEvent

# Quota first (it also refuses a blocked recipient), then the contact, then the message: each reads
# the one before, so nothing is written unless the unit was reserved.
_RECORD_PENDING = """
WITH quota AS (
    UPDATE messaging_lines
       SET current_daily_count = CASE WHEN last_reset_date = %(today)s THEN current_daily_count + 1 ELSE 1 END,
           last_reset_date = %(today)s
     WHERE line_id = %(line_id)s AND is_active AND max_daily_messages > 0
       AND (last_reset_date IS NULL OR last_reset_date <> %(today)s OR current_daily_count < max_daily_messages)
       AND NOT EXISTS (SELECT 1 FROM contacts WHERE phone_number = %(phone_number)s AND is_blocked)
 RETURNING phone_number_id
), contact AS (
    INSERT INTO contacts (id, phone_number, is_blocked, last_outbound_at, last_line_id, created_at, updated_at)
    SELECT %(contact_id)s, %(phone_number)s, false, %(now)s, %(line_id)s, %(now)s, %(now)s FROM quota
    ON CONFLICT (phone_number) DO UPDATE
       SET last_outbound_at = EXCLUDED.last_outbound_at, last_line_id = EXCLUDED.last_line_id,
           updated_at = EXCLUDED.updated_at
 RETURNING 1 AS touched
), message AS (
    INSERT INTO messages (id, line_id, phone_number, message_type, direction, status, content, reply_to,
                          created_at, updated_at)
    SELECT %(message_id)s, %(line_id)s, %(phone_number)s, %(message_type)s, 'outbound', 'pending', CAST(%(content)s AS json),
           %(reply_to)s, %(now)s, %(now)s FROM contact
 RETURNING id
), claim AS (
    UPDATE idempotency_keys SET message_id = (SELECT id FROM message)
     WHERE id = %(claim_id)s AND EXISTS (SELECT 1 FROM message)
)
SELECT quota.phone_number_id FROM quota JOIN message ON true
"""

_MARK_SENT = "SELECT wamsvc_mark_sent(%(message_id)s, CAST(%(wamid)s AS varchar), %(at)s)"


@dataclass(frozen=True)
class PendingSend:
    """A recorded pending message and the quota unit it holds."""

    message: Message  # transient: built from the values written, not loaded back
    phone_number_id: str
    reserved_on: date


class OutboundRepository:
    """The send path's writes; every method commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.engine = session.get_bind()
        self.postgresql = self.engine.dialect.name == "postgresql"

    def record_pending(self, *, line_id: str, phone_number: str, body: dict, today: date, now: datetime,
                       claim_id: uuid.UUID | None = None) -> PendingSend | None:
        """Reserve a unit, touch the contact and write the pending message, committed together.

        None when nothing was written: the recipient is blocked, or the line is unknown, inactive
        or out of quota (the caller finds out which). claim_id is the idempotency key to point
        at the new message, so a retry after a crash can tell what happened.
        """
        values = {"id": uuid.uuid4(), "line_id": line_id, "phone_number": phone_number, "message_type": body["type"],
                  "direction": "outbound", "status": "pending", "content": body,
                  "reply_to": (body.get("context") or {}).get("message_id"), "created_at": now, "updated_at": now}
        if self.postgresql:
            phone_number_id = self._record_pending_postgresql(values, today, claim_id)
        else:
            phone_number_id = self._record_pending_session(values, today, claim_id)
        if phone_number_id is None:
            return None
        return PendingSend(Message(**values), phone_number_id, today)

    def _record_pending_postgresql(self, values: dict, today: date, claim_id) -> str | None:
        params = {"today": today, "now": values["created_at"], "line_id": values["line_id"],
                  "phone_number": values["phone_number"], "contact_id": uuid.uuid4(), "message_id": values["id"],
                  "message_type": values["message_type"], "content": json.dumps(values["content"]),
                  "reply_to": values["reply_to"], "claim_id": claim_id}
        return self._execute_autocommit(_RECORD_PENDING, params)

    def _record_pending_session(self, values: dict, today: date, claim_id) -> str | None:
        session = self.session
        row = LineRepository(session).reserve_for_send(values["line_id"], today)
        if row is None or upsert_outbound_contact(session, values["phone_number"], values["line_id"],
                                                  values["created_at"]):
            session.rollback()
            return None
        session.execute(insert(Message.__table__).values(**values))
        if claim_id is not None:
            session.execute(update(IdempotencyKey.__table__).where(IdempotencyKey.__table__.c.id == claim_id)
                            .values(message_id=values["id"]))
        session.commit()
        return row.phone_number_id

    def mark_sent(self, message_id: uuid.UUID, wamid: str, at: datetime) -> int:
        """Store the wamid and move the message to sent, committed; how many statuses wait for it.

        Taken under the wamid lock, so a status webhook racing Graph's answer is either applied by
        its own processing (it sees the wamid) or counted here (it was committed before).
        """
        if self.postgresql:
            return self._execute_autocommit(_MARK_SENT, {"message_id": message_id, "wamid": wamid, "at": at})
        table = Message.__table__.c
        self.session.execute(update(Message.__table__).where(table.id == message_id)
                             .values(whatsapp_message_id=wamid, status="sent", sent_at=at, updated_at=at))
        waiting = self.session.scalar(select(func.count()).select_from(MessageStatusEvent).where(
            MessageStatusEvent.whatsapp_message_id == wamid, MessageStatusEvent.applied.is_(False)))
        self.session.commit()
        return waiting

    def _execute_autocommit(self, sql: str, params: dict):
        """Run one statement as its own transaction on a pooled connection; its first value, or None.

        Through psycopg's cursor: SQLAlchemy's execution layer costs about as much CPU as the
        statement itself here. Errors are wrapped as SQLAlchemy's (OperationalError: 503), and after
        a disconnect the pool never hands out a dead connection again.
        """
        with self.engine.connect() as connection:
            driver = connection.connection.driver_connection
            driver.autocommit = True
            try:
                with driver.cursor() as cursor:
                    row = cursor.execute(sql, params).fetchone()
            except psycopg.Error as exc:
                if self.engine.dialect.is_disconnect(exc, driver, None):
                    # As SQLAlchemy does on a disconnect: this connection, and every other one the
                    # pool holds (a restarted server dropped them all), are replaced.
                    connection.invalidate(exc)
                    self.engine.dispose(close=False)
                raise DBAPIError.instance(sql, params, exc, psycopg.Error) from exc
            finally:
                if not driver.closed:
                    driver.autocommit = False
            return row[0] if row else None
