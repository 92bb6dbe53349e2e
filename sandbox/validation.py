"""Validate /messages bodies the way Meta does (GRAPH_API.md §1.2 and §2)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.checks import (
    coordinate,
    count_between,
    media_reference,
    optional_object,
    require_list,
    require_object,
    text_field,
)
from sandbox.errors import bad_param, invalid, missing
from sandbox.interactive import validate_interactive

MESSAGE_TYPES = ("text", "image", "video", "audio", "document", "sticker", "location", "contacts",
                 "reaction", "template", "interactive")
CAPTION_TYPES = ("image", "video", "document")
TYPING_TYPES = ("text",)
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CONTACTS = 257


@dataclass(frozen=True)
class SendRequest:
    """What the emulator needs to know about an accepted send body."""

    message_type: str
    to: str
    wa_id: str
    context_id: str | None
    callback_data: str | None


def validate_send(body: dict) -> SendRequest:
    """Check a send body; return its essentials or raise the GraphError Meta would answer with."""
    _messaging_product(body)
    to = body.get("to")
    if to is None or to == "":
        raise missing("to")
    if not isinstance(to, (str, int)) or isinstance(to, bool):
        raise invalid("to", "must be a phone number string.")
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type not in ("individual", "group"):
        raise invalid("recipient_type", "must be one of individual, group.")
    wa_id = str(to) if recipient_type == "group" else re.sub(r"\D", "", str(to))
    if recipient_type == "individual" and not 5 <= len(wa_id) <= 15:
        raise invalid("to", "is not a valid WhatsApp phone number.")
    message_type = body.get("type") or _implied_type(body)
    if message_type not in MESSAGE_TYPES:
        raise bad_param("type", f"must be one of {{{', '.join(MESSAGE_TYPES)}}} (got {message_type!r}).")
    context_id = _context(body, message_type)
    callback_data = text_field(body, "biz_opaque_callback_data", "biz_opaque_callback_data", limit=512)
    if message_type == "contacts":
        validate_contacts(body)
    else:
        _VALIDATORS[message_type](require_object(body, message_type, message_type))
    return SendRequest(message_type, str(to), wa_id, context_id, callback_data)


def validate_mark_read(body: dict) -> None:
    """Check a mark-as-read body, with its optional typing indicator."""
    _messaging_product(body)
    if body.get("status") != "read":
        raise invalid("status", "must be 'read'.")
    text_field(body, "message_id", "message_id", required=True)
    indicator = optional_object(body, "typing_indicator", "typing_indicator")
    if indicator is not None:
        kind = indicator.get("type")
        if kind is None:
            raise missing("typing_indicator.type")
        if kind not in TYPING_TYPES:
            raise invalid("typing_indicator.type", f"must be one of {', '.join(TYPING_TYPES)} (got {kind!r}).")


def _implied_type(body: dict) -> str:
    """Return the type a body without `type` means: its only type object, else text (Meta's default)."""
    present = [kind for kind in MESSAGE_TYPES if kind in body]
    return present[0] if len(present) == 1 else "text"


def _messaging_product(body: dict) -> None:
    product = body.get("messaging_product")
    if product is None:
        raise missing("messaging_product")
    if product != "whatsapp":
        raise bad_param("messaging_product", f"must be 'whatsapp' (got {product!r}).")


def _context(body: dict, message_type: str) -> str | None:
    context = optional_object(body, "context", "context")
    if context is None:
        return None
    if message_type == "reaction":
        raise invalid("context", "is not allowed on reaction messages: a reaction cannot be a reply.")
    return text_field(context, "message_id", "context.message_id", required=True)


def _text(obj: dict) -> None:
    text_field(obj, "body", "text.body", limit=MAX_TEXT, required=True)
    preview = obj.get("preview_url")
    if preview is not None and not isinstance(preview, bool):
        raise invalid("text.preview_url", "must be a boolean.")


def _media(kind: str):
    def check(obj: dict) -> None:
        media_reference(obj, kind)
        if kind in CAPTION_TYPES:
            text_field(obj, "caption", f"{kind}.caption", limit=MAX_CAPTION)
        elif obj.get("caption") is not None:
            raise invalid(f"{kind}.caption", f"is not allowed: {kind} messages take no caption.")
        if kind == "document":
            text_field(obj, "filename", "document.filename")
        if kind == "audio" and obj.get("voice") is not None and not isinstance(obj["voice"], bool):
            raise invalid("audio.voice", "must be a boolean.")
    return check


def _location(obj: dict) -> None:
    coordinate(obj, "latitude", "location.latitude", 90)
    coordinate(obj, "longitude", "location.longitude", 180)
    text_field(obj, "name", "location.name")
    text_field(obj, "address", "location.address")


def validate_contacts(body: dict) -> None:
    """Check the contacts array: 1..257 cards, each with name.formatted_name."""
    cards = require_list(body, "contacts", "contacts")
    count_between(cards, "contacts", 1, MAX_CONTACTS)
    for index, card in enumerate(cards):
        path = f"contacts[{index}]"
        if not isinstance(card, dict):
            raise invalid(path, "must be a JSON object.")
        name = require_object(card, "name", f"{path}.name")
        text_field(name, "formatted_name", f"{path}.name.formatted_name", required=True)
        phones = card.get("phones")
        if phones is not None and not isinstance(phones, list):
            raise invalid(f"{path}.phones", "must be an array.")


def _reaction(obj: dict) -> None:
    text_field(obj, "message_id", "reaction.message_id", required=True)
    emoji = obj.get("emoji")
    if emoji is not None and not isinstance(emoji, str):
        raise invalid("reaction.emoji", "must be a string.")


def _template(obj: dict) -> None:
    text_field(obj, "name", "template.name", limit=512, required=True)
    language = require_object(obj, "language", "template.language")
    text_field(language, "code", "template.language.code", required=True)
    components = obj.get("components")
    if components is None:
        return
    if not isinstance(components, list):
        raise invalid("template.components", "must be an array.")
    for index, component in enumerate(components):
        if not isinstance(component, dict):
            raise invalid(f"template.components[{index}]", "must be a JSON object.")
        if not component.get("type"):
            raise missing(f"template.components[{index}].type")


_VALIDATORS = {
    "text": _text,
    "image": _media("image"),
    "video": _media("video"),
    "audio": _media("audio"),
    "document": _media("document"),
    "sticker": _media("sticker"),
    "location": _location,
    "reaction": _reaction,
    "template": _template,
    "interactive": validate_interactive,
}
