"""Simulated users: build inbound `messages` webhooks of every type in GRAPH_API.md §4.5."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from typing import Any, Callable

from sandbox.errors import spec_for
from sandbox.state import EmulatorState
from sandbox.webhooks import Update, contact_object

DEFAULT_FROM = "16505551234"
DEFAULT_NAME = "Sandbox User"
INTERACTIVE_REPLIES = ("button_reply", "list_reply", "nfm_reply")
MEDIA_DEFAULTS: dict[str, tuple[str, bytes]] = {
    "image": ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"),
    "video": ("video/mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
    "audio": ("audio/ogg", b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead"),
    "document": ("application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    "sticker": ("image/webp", b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00" + b"\x00" * 14),
}


class InboundError(ValueError):
    """The inbound request cannot be turned into a message (answered with HTTP 400)."""


def build_inbound(state: EmulatorState, body: dict[str, Any]) -> tuple[str, Update]:
    """Return the wamid and the webhook update for a simulated user's message."""
    phone_number_id = str(body.get("phone_number_id") or state.settings.default_phone_number_id)
    sender = _digits(body.get("from") or DEFAULT_FROM)
    kind = str(body.get("type") or "text")
    if kind in INTERACTIVE_REPLIES:
        body = {**body, kind: body.get(kind) or {}, "type": "interactive", "reply_type": kind}
        kind = "interactive"
    builder = BUILDERS.get(kind)
    if builder is None:
        raise InboundError(f"unknown inbound type {kind!r}; use one of {', '.join(BUILDERS)}")
    wamid = str(body.get("id") or state.ids.wamid(sender, inbound=True))
    message: dict[str, Any] = {}
    if body.get("context"):
        message["context"] = _context(state, phone_number_id, body["context"])
    message.update({"from": sender, "id": wamid, "timestamp": str(int(body.get("timestamp") or time.time())),
                    "type": kind})
    message.update(builder(state, phone_number_id, body))
    for key in ("referral", "identity", "errors"):
        if body.get(key) is not None:
            message[key] = body[key]
    contact = None if kind == "system" else contact_object(sender, str(body.get("name") or DEFAULT_NAME))
    return wamid, Update(phone_number_id, "messages", message, contact)


def _digits(value: Any) -> str:
    digits = re.sub(r"\D", "", str(value))
    if not digits:
        raise InboundError(f"{value!r} is not a phone number")
    return digits


def _context(state: EmulatorState, phone_number_id: str, given: Any) -> dict[str, Any]:
    """Return a context object; a bare string or message_id names the message replied to."""
    if isinstance(given, str):
        given = {"id": given}
    if not isinstance(given, dict):
        raise InboundError("context must be an object or a wamid string")
    context = {key: value for key, value in given.items() if key != "message_id"}
    message_id = given.get("id") or given.get("message_id")
    if message_id:
        context = {"from": given.get("from") or state.settings.display_number_for(phone_number_id),
                   "id": message_id, **{k: v for k, v in context.items() if k not in ("from", "id")}}
    return context


def _text(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    given = body.get("text")
    if isinstance(given, dict):
        return {"text": dict(given)}
    return {"text": {"body": str(given if given is not None else body.get("body", "Hello"))}}


def _media(kind: str) -> Callable[[EmulatorState, str, dict], dict]:
    def build(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
        given = dict(body.get(kind) or {})

        def option(key: str, default: Any = None) -> Any:
            return given.get(key, body.get(key, default))

        obj: dict[str, Any] = {}
        if option("caption") is not None and kind in ("image", "video", "document"):
            obj["caption"] = option("caption")
        if kind == "document":
            obj["filename"] = option("filename") or "document.pdf"
        obj.update(_media_reference(state, phone_number_id, kind, given, body))
        if kind == "audio":
            obj["voice"] = bool(option("voice", False))
        if kind == "sticker":
            obj["animated"] = bool(option("animated", False))
        return {kind: obj}
    return build


def _media_reference(state: EmulatorState, phone_number_id: str, kind: str, given: dict, body: dict) -> dict:
    """Return mime_type, sha256 (base64, as in Meta's webhooks) and id of a real stored media object."""
    existing = state.media.get(str(given["id"])) if given.get("id") else None
    if existing is not None:
        digest = bytes.fromhex(existing.sha256)
        return {"mime_type": existing.mime_type, "sha256": base64.b64encode(digest).decode(), "id": existing.id}
    if given.get("id"):
        return {"mime_type": given.get("mime_type") or MEDIA_DEFAULTS[kind][0],
                "sha256": given.get("sha256") or "", "id": str(given["id"])}
    mime, data = MEDIA_DEFAULTS[kind]
    if kind == "audio" and (given.get("voice") or body.get("voice")):
        mime = "audio/ogg; codecs=opus"
    mime = given.get("mime_type") or body.get("mime_type") or mime
    encoded = given.get("data", body.get("data"))
    if encoded is not None:
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise InboundError("data must be base64") from None
    item = state.media.store_bytes(data, mime, phone_number_id, given.get("filename") or body.get("filename"))
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    return {"mime_type": item.mime_type, "sha256": digest, "id": item.id}


def _location(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    given = dict(body.get("location") or {})
    for key in ("latitude", "longitude", "name", "address", "url"):
        if key not in given and body.get(key) is not None:
            given[key] = body[key]
    given.setdefault("latitude", 37.44221496582)
    given.setdefault("longitude", -122.16165924072)
    try:
        given["latitude"], given["longitude"] = float(given["latitude"]), float(given["longitude"])
    except (TypeError, ValueError):
        raise InboundError("latitude and longitude must be numbers") from None
    return {"location": given}


def _contacts(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    cards = body.get("contacts") or [{
        "name": {"first_name": "Lucía", "last_name": "Gómez", "formatted_name": "Lucía Gómez"},
        "org": {"company": "Google"},
        "phones": [{"phone": "+1 (983) 555-2319", "wa_id": "19835552319", "type": "MOBILE"}]}]
    if not isinstance(cards, list):
        raise InboundError("contacts must be an array of contact cards")
    return {"contacts": cards}


def _interactive(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    if isinstance(body.get("interactive"), dict):
        return {"interactive": body["interactive"]}
    reply_type = body.get("reply_type") or next((k for k in INTERACTIVE_REPLIES if body.get(k)), "button_reply")
    defaults = {"button_reply": {"id": "button-1", "title": "Yes"},
                "list_reply": {"id": "row-1", "title": "First row", "description": "Row description"},
                "nfm_reply": {"response_json": "{\"flow_token\": \"sandbox\"}", "body": "Sent", "name": "flow"}}
    return {"interactive": {"type": reply_type, reply_type: body.get(reply_type) or defaults[reply_type]}}


def _button(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    if isinstance(body.get("button"), dict):
        return {"button": body["button"]}
    text = body.get("text") if isinstance(body.get("text"), str) else None
    payload = body.get("payload") or text or "Yes"
    return {"button": {"payload": str(payload), "text": str(text or payload)}}


def _reaction(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    if isinstance(body.get("reaction"), dict):
        return {"reaction": body["reaction"]}
    target = body.get("message_id")
    if not target:
        sent = [m for m in state.messages() if m.phone_number_id == phone_number_id]
        if not sent:
            raise InboundError("reaction needs message_id (no message was sent yet to react to)")
        target = sent[-1].wamid
    return {"reaction": {"message_id": target, "emoji": body.get("emoji", "\U0001f44d")}}


def _order(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    return {"order": body.get("order") or {
        "catalog_id": "194836987003835", "text": "",
        "product_items": [{"product_retailer_id": "di9ozbzfi4", "quantity": 2, "item_price": 30, "currency": "USD"},
                          {"product_retailer_id": "nqryix03ez", "quantity": 1, "item_price": 25,
                           "currency": "USD"}]}}


def _system(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    if isinstance(body.get("system"), dict):
        return {"system": body["system"]}
    old = _digits(body.get("from") or DEFAULT_FROM)
    new = _digits(body.get("new_wa_id") or "12195555358")
    name = body.get("name") or DEFAULT_NAME
    return {"system": {"body": f"User {name} changed from {old} to {new}", "wa_id": new,
                       "type": "user_changed_number"}}


def _unsupported(state: EmulatorState, phone_number_id: str, body: dict) -> dict:
    spec = spec_for(131051)
    extra = {"unsupported": {"type": body["unsupported_type"]}} if body.get("unsupported_type") else {}
    return {"errors": [{"code": 131051, "title": spec.title, "message": spec.title,
                        "error_data": {"details": spec.details}}], **extra}


BUILDERS: dict[str, Callable[[EmulatorState, str, dict], dict]] = {
    "text": _text, "image": _media("image"), "video": _media("video"), "audio": _media("audio"),
    "document": _media("document"), "sticker": _media("sticker"), "location": _location,
    "contacts": _contacts, "interactive": _interactive, "button": _button, "reaction": _reaction,
    "order": _order, "system": _system, "unsupported": _unsupported,
}
