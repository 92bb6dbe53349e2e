"""INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite: dedupe enforced by the database."""
from __future__ import annotations

import uuid

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session):
    """The INSERT construct with ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_ignore(session: Session, model, values: dict, conflict_columns: list[str]) -> bool:
    """Insert a row unless one with the same conflict columns exists; True when this call inserted it.

    Safe across processes: the unique constraint decides, and PostgreSQL makes a concurrent second
    insert wait for the first to commit, then skip.
    """
    insert = dialect_insert(session)
    table = model.__table__
    statement = (insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
                 .returning(table.c.id))
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT.
    return session.execute(statement).first() is not None


def upsert_outbound_contact(session: Session, phone_number: str, line_id: str, when) -> bool:
    """Create or touch the recipient's contact in one statement; return whether it is blocked."""
    from database.models import Contact

    insert = dialect_insert(session)
    table = Contact.__table__
    statement = insert(table).values(
        phone_number=phone_number, is_blocked=False, last_outbound_at=when, last_line_id=line_id,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["phone_number"],
        set_={"last_outbound_at": when, "last_line_id": line_id, "updated_at": when},
    ).returning(table.c.is_blocked)
    return bool(session.execute(statement).scalar())


def upsert_outbound_contacts(session: Session, phone_numbers: list[str], line_id: str, when) -> None:
    """The batch form of upsert_outbound_contact, in one statement (sorted, so batches never deadlock)."""
    from database.models import Contact

    if not phone_numbers:
        return
    insert = dialect_insert(session)
    statement = insert(Contact.__table__).values([
        {"id": uuid.uuid4(), "phone_number": number, "is_blocked": False, "last_outbound_at": when,
         "last_line_id": line_id, "created_at": when, "updated_at": when} for number in sorted(set(phone_numbers))
    ])
    session.execute(statement.on_conflict_do_update(
        index_elements=["phone_number"],
        set_={"last_outbound_at": statement.excluded.last_outbound_at, "last_line_id": line_id, "updated_at": when},
    ))
