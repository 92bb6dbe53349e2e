"""Messaging lines and their daily quota, reserved with single atomic statements."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from database.models import MessagingLine


class LineRepository:
    """Rows of messaging_lines."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self) -> list[MessagingLine]:
        return list(self.session.scalars(select(MessagingLine).order_by(MessagingLine.line_id)))

    def get(self, line_id: str) -> MessagingLine | None:
        return self.session.scalar(select(MessagingLine).where(MessagingLine.line_id == line_id))

    def get_by_phone_number_id(self, phone_number_id: str) -> MessagingLine | None:
        return self.session.scalar(select(MessagingLine).where(MessagingLine.phone_number_id == phone_number_id))

    def add(self, line: MessagingLine) -> MessagingLine:
        self.session.add(line)
        return line

    def flush(self) -> None:
        self.session.flush()

    def reserve_quota(self, line_id: str, today: date) -> int | None:
        """Take one unit of today's quota; return the new count, or None when used up or inactive."""
        row = self.reserve_for_send(line_id, today)
        return row.current_daily_count if row is not None else None

    def reserve_for_send(self, line_id: str, today: date):
        """Take one unit of an active line's quota in one statement; the line's row, or None.

        None means: unknown line, inactive line, or quota used up (the caller finds out which).

        The day rollover is part of the same statement, and PostgreSQL re-checks the WHERE clause
        against the latest row version after waiting on a concurrent update, so this stays exact.
        """
        line = MessagingLine.__table__.c
        statement = (
            update(MessagingLine.__table__)
            .where(line.line_id == line_id)
            .where(line.is_active.is_(True))
            .where(line.max_daily_messages > 0)
            .where(
                or_(
                    line.last_reset_date.is_(None),
                    line.last_reset_date != today,
                    line.current_daily_count < line.max_daily_messages,
                )
            )
            .values(
                current_daily_count=case(
                    (line.last_reset_date == today, line.current_daily_count + 1), else_=1
                ),
                last_reset_date=today,
            )
            .returning(line.line_id, line.phone_number_id, line.max_daily_messages, line.current_daily_count)
        )
        return self.session.execute(statement).first()

    def reserve_many(self, line_id: str, today: date, wanted: int) -> int:
        """Reserve up to `wanted` units of an active line's quota at once; returns how many were granted.

        The line's row is locked (SELECT ... FOR UPDATE; SQLite's write lock is already held) between
        the read and the write, so concurrent reservations stay exact.
        """
        line = MessagingLine.__table__.c
        query = select(line.current_daily_count, line.last_reset_date, line.max_daily_messages).where(
            line.line_id == line_id, line.is_active.is_(True))
        row = self.session.execute(query.with_for_update()).first()  # SQLite renders no FOR UPDATE
        if row is None:
            return 0
        used = row.current_daily_count if row.last_reset_date == today else 0
        granted = max(0, min(wanted, row.max_daily_messages - used))
        if granted:
            self.session.execute(update(MessagingLine.__table__).where(line.line_id == line_id)
                                 .values(current_daily_count=used + granted, last_reset_date=today))
        return granted

    def release_quota(self, line_id: str, reserved_on: date, units: int = 1) -> bool:
        """Give back units reserved on reserved_on; units from an earlier day are already gone."""
        line = MessagingLine.__table__.c
        statement = (
            update(MessagingLine.__table__)
            .where(line.line_id == line_id)
            .where(line.last_reset_date == reserved_on)
            .where(line.current_daily_count >= units)
            .values(current_daily_count=line.current_daily_count - units)
        )
        return self.session.execute(statement).rowcount == 1
