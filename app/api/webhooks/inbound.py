"""Inbound message items: recorded once per wamid, with their contact and media."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.repositories.contact_repo import ContactRepository
from app.repositories.message_repo import MessageRepository
from app.repositories.upsert import insert_ignore
from app.utils.time import from_unix
from database.models import Contact, Media, Message
from database.types import utcnow

log = logging.getLogger(__name__)
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


def apply_profile(contact: Contact, profile_name: str | None, wa_id: str | None, seen_at: datetime) -> None:
    """Update a contact from an inbound message.

    - profile_name follows WhatsApp's latest; display_name follows it too unless someone set a
      different display_name through the API (then it is theirs to keep);
    - webhooks arrive out of order, so an older message changes neither the names nor last_seen,
      and last_seen and last_inbound_at only move forward.
    """
    newest = contact.last_seen is None or seen_at >= contact.last_seen
    if profile_name and newest:
        if contact.display_name in (None, "", contact.profile_name):
            contact.display_name = profile_name
        contact.profile_name = profile_name
    if wa_id:
        contact.wa_id = wa_id
    if contact.last_seen is None or seen_at > contact.last_seen:
        contact.last_seen = seen_at
    if contact.last_inbound_at is None or seen_at > contact.last_inbound_at:
        contact.last_inbound_at = seen_at


def record_inbound(session: Session, item: dict, profiles: dict[str, dict], line_id: str | None) -> Message | None:
    """Store one inbound message item; None when this wamid was already recorded."""
    wamid, sender, message_type = item.get("id"), item.get("from"), item.get("type") or "unknown"
    if not isinstance(wamid, str) or not wamid or not isinstance(sender, str) or not sender:
        raise ValidationError("inbound message without id or from")
    sent_at = from_unix(item.get("timestamp")) or utcnow()
    context = item.get("context") or {}
    inserted = insert_ignore(session, Message, {
        "whatsapp_message_id": wamid, "line_id": line_id, "phone_number": sender, "message_type": message_type,
        "direction": "inbound", "status": "received", "content": item, "timestamp": sent_at,
        "reply_to": context.get("id"),
    }, ["whatsapp_message_id"])
    if not inserted:
        return None
    message = MessageRepository(session).get_by_wamid(wamid)
    contacts = ContactRepository(session)
    contact = contacts.get_or_create(sender)
    contact.last_line_id = line_id
    profile = profiles.get(sender) or {}
    apply_profile(contact, (profile.get("profile") or {}).get("name"), profile.get("wa_id"), sent_at)
    if message_type in MEDIA_TYPES:
        _record_media(session, item.get(message_type) or {}, message, line_id)
    elif message_type == "system":
        _apply_system(contacts, contact, item.get("system") or {})
    return message


def _record_media(session: Session, media: dict, message: Message, line_id: str | None) -> None:
    if not media.get("id"):
        return
    insert_ignore(session, Media, {
        "media_id": str(media["id"]), "line_id": line_id, "mime_type": media.get("mime_type"),
        "sha256": media.get("sha256"), "filename": media.get("filename"), "direction": "inbound",
        "message_id": message.id, "file_size": _int_or_none(media.get("file_size")),
    }, ["media_id"])


def _apply_system(contacts: ContactRepository, contact: Contact, system: dict) -> None:
    """A user who changed number: the contact moves to the new number, keeping its history of names."""
    new_id = system.get("wa_id") or system.get("new_wa_id")
    if system.get("type") != "user_changed_number" or not new_id:
        return
    existing = contacts.get(str(new_id))
    if existing is None:
        log.info("contact changed number; moving it to the new number")
        contact.phone_number = str(new_id)
        contact.wa_id = str(new_id)
    else:
        existing.display_name = existing.display_name or contact.display_name
        existing.profile_name = existing.profile_name or contact.profile_name
        log.info("contact changed number to one we already know; keeping both")


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
