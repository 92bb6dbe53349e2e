"""Contacts, keyed by the normalised phone number."""
from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.repositories.upsert import dialect_insert
from app.utils.pagination import Page, PageRequest, paginate
from database.models import Contact
from database.types import utcnow

SEARCHED_COLUMNS = (Contact.display_name, Contact.profile_name, Contact.phone_number)


def like_pattern(term: str) -> str:
    """A LIKE pattern matching term anywhere, with LIKE's own wildcards taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ContactRepository:
    """Rows of contacts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, phone_number: str) -> Contact | None:
        return self.session.scalar(select(Contact).where(Contact.phone_number == phone_number))

    def add(self, contact: Contact) -> Contact:
        self.session.add(contact)
        return contact

    def create(self, contact: Contact) -> Contact:
        """Insert a new contact now; Conflict when its number exists (also when two requests race)."""
        try:
            with self.session.begin_nested():
                self.add(contact)
        except IntegrityError:
            raise Conflict(f"A contact with the phone number {contact.phone_number} already exists.",
                           {"phone_number": contact.phone_number}) from None
        return contact

    def delete(self, contact: Contact) -> None:
        self.session.delete(contact)

    def lock_many(self, phone_numbers: Iterable[str]) -> None:
        """Create any missing contacts and lock all of them until commit, in phone-number order.

        Inbound messages read a contact, then write it (names, last_seen): the lock makes two
        events for one sender take turns, so the later message's time is never overwritten by the
        earlier one. Sorted, so two events locking the same senders can never deadlock.
        """
        numbers = sorted(set(phone_numbers))
        if not numbers:
            return
        now = utcnow()
        self.session.execute(dialect_insert(self.session)(Contact.__table__).values([
            {"id": uuid.uuid4(), "phone_number": number, "is_blocked": False, "created_at": now, "updated_at": now}
            for number in numbers
        ]).on_conflict_do_nothing(index_elements=["phone_number"]))
        # FOR UPDATE on PostgreSQL; SQLite renders none (its writer lock is already held).
        locked = (select(Contact).where(Contact.phone_number.in_(numbers)).order_by(Contact.phone_number)
                  .with_for_update().execution_options(populate_existing=True))
        self.session.scalars(locked).all()

    def get_or_create(self, phone_number: str) -> Contact:
        """The contact for this number, created if missing; safe when two requests race."""
        contact = self.get(phone_number)
        if contact is not None:
            return contact
        try:
            with self.session.begin_nested():
                contact = self.add(Contact(phone_number=phone_number, is_blocked=False))
        except IntegrityError:
            contact = self.get(phone_number)
            if contact is None:
                raise
        return contact


    def list(self, filters: dict, page: PageRequest) -> Page:
        """Contacts matching the filters, newest first; search is a case-insensitive substring."""
        statement = select(Contact)
        if filters.get("is_blocked") is not None:
            statement = statement.where(Contact.is_blocked == filters["is_blocked"])
        if filters.get("search"):
            pattern = like_pattern(filters["search"])
            # ILIKE on PostgreSQL, where the trigram indexes serve it; lower() LIKE lower() on SQLite.
            statement = statement.where(or_(*(column.ilike(pattern, escape="\\") for column in SEARCHED_COLUMNS)))
        return paginate(self.session, statement, Contact, page)
