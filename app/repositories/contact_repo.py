"""Contacts, keyed by the normalised phone number."""
from __future__ import annotations


from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.utils.pagination import Page, PageRequest, paginate
from database.models import Contact

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

    def flush(self) -> None:
        self.session.flush()

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
