"""Contacts: list and search, create, rename, delete, block and unblock, and the conversation."""
from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.orm import Session

from app.api.messages.services import message_to_dict
from app.errors import NotFound, ValidationError
from app.private.phone import normalize_phone
from app.repositories.contact_repo import ContactRepository
from app.repositories.message_repo import MessageRepository
from app.utils.pagination import PageRequest
from app.utils.time import iso
from database.connection import db
from database.models import Contact
from database.types import utcnow

log = logging.getLogger(__name__)

SEARCH_MAX_LENGTH = 255
_NUMERIC = re.compile(r"^\+?[\d\s().-]*\d[\d\s().-]*$")


def contact_to_dict(contact: Contact) -> dict[str, Any]:
    """The public contact resource."""
    return {
        "id": str(contact.id),
        "phone_number": contact.phone_number,
        "display_name": contact.display_name,
        "profile_name": contact.profile_name,
        "wa_id": contact.wa_id,
        "is_blocked": contact.is_blocked,
        "blocked_at": iso(contact.blocked_at),
        "last_seen": iso(contact.last_seen),
        "last_inbound_at": iso(contact.last_inbound_at),
        "last_outbound_at": iso(contact.last_outbound_at),
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }



def search_term(value: str | None) -> str | None:
    """The search as matched: trimmed; a number ('+1 650-555') reduced to the digits we store."""
    if value is None or not value.strip():
        return None
    term = value.strip()
    if len(term) > SEARCH_MAX_LENGTH:
        raise ValidationError(f"search must be at most {SEARCH_MAX_LENGTH} characters.",
                              {"search": f"must be at most {SEARCH_MAX_LENGTH} characters"})
    if _NUMERIC.match(term):
        term = re.sub(r"\D", "", term)
    return term


class ContactService:
    """One unit of work per public method; commits once at the end."""

    def __init__(self, session: Session | None = None, repo: ContactRepository | None = None,
                 messages: MessageRepository | None = None) -> None:
        self.session = session or db.session
        self.repo = repo or ContactRepository(self.session)
        self.messages = messages or MessageRepository(self.session)

    def list(self, search: str | None, is_blocked: bool | None, page: PageRequest) -> dict:
        result = self.repo.list({"search": search_term(search), "is_blocked": is_blocked}, page)
        return {"items": [contact_to_dict(c) for c in result.items], "next_cursor": result.next_cursor}

    def create(self, fields: dict) -> dict:
        phone = normalize_phone(fields.get("phone_number"))
        contact = self.repo.create(Contact(phone_number=phone, display_name=fields.get("display_name"),
                                           is_blocked=False))
        self.session.commit()
        return contact_to_dict(contact)

    def get(self, phone_number: str) -> dict:
        return contact_to_dict(self._require(phone_number))

    def update(self, phone_number: str, changes: dict) -> dict:
        contact = self._require(phone_number)
        if "display_name" in changes:
            contact.display_name = changes["display_name"]
        self.session.commit()
        return contact_to_dict(contact)

    def delete(self, phone_number: str) -> None:
        """Forget the contact; its messages stay, and a later inbound message re-creates it."""
        self.repo.delete(self._require(phone_number))
        self.session.commit()
        log.info("contact deleted; its messages are kept")

    def block(self, phone_number: str) -> dict:
        """Block a number, creating its contact when we have never seen it."""
        contact = self.repo.get_or_create(normalize_phone(phone_number))
        if not contact.is_blocked:
            contact.is_blocked, contact.blocked_at = True, utcnow()
        self.session.commit()
        return contact_to_dict(contact)

    def unblock(self, phone_number: str) -> dict:
        contact = self._require(phone_number)
        contact.is_blocked, contact.blocked_at = False, None
        self.session.commit()
        return contact_to_dict(contact)

    def conversation(self, phone_number: str, page: PageRequest) -> dict:
        """Both directions with this number, newest first; kept even after the contact is deleted."""
        phone = normalize_phone(phone_number)
        result = self.messages.conversation(phone, page)
        if not result.items and page.after is None and self.repo.get(phone) is None:
            raise NotFound(f"There is no contact and no message for {phone}.", {"phone_number": phone})
        return {"items": [message_to_dict(m) for m in result.items], "next_cursor": result.next_cursor}

    def _require(self, phone_number: str) -> Contact:
        phone = normalize_phone(phone_number)
        contact = self.repo.get(phone)
        if contact is None:
            raise NotFound(f"No contact has the phone number {phone}.", {"phone_number": phone})
        return contact
