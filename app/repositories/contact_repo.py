"""Contacts, keyed by the normalised phone number."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from database.models import Contact


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

    def touch_outbound(self, contact: Contact, when: datetime) -> None:
        contact.last_outbound_at = when
