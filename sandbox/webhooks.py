"""Webhook payloads in Meta's shape (GRAPH_API.md §4.4 and §4.6), serialised and signed like Meta."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sandbox.settings import EmulatorSettings

CONVERSATION_SECONDS = 24 * 60 * 60
USER_AGENT = "facebookexternalua"


@dataclass(frozen=True)
class Update:
    """One item for a webhook: a status or an inbound message, for one business phone number."""

    phone_number_id: str
    kind: str  # "statuses" or "messages"
    item: dict[str, Any]
    contact: dict[str, Any] | None = None


def serialize(payload: Any) -> bytes:
    """Serialise like Meta: compact JSON with every non-ASCII character escaped as \\uXXXX."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def signature(body: bytes, app_secret: str) -> str:
    """Return the X-Hub-Signature-256 value for body: "sha256=" + lowercase hex HMAC-SHA256."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, app_secret: str) -> dict[str, str]:
    """Return the headers Meta sends with a webhook POST."""
    return {"Content-Type": "application/json", "X-Hub-Signature-256": signature(body, app_secret),
            "User-Agent": USER_AGENT}


def envelope(settings: EmulatorSettings, updates: list[Update]) -> dict[str, Any]:
    """Wrap updates in one webhook body: an entry per phone number, a change per kind of update."""
    grouped: dict[str, dict[str, list[Update]]] = {}
    for update in updates:
        grouped.setdefault(update.phone_number_id, {}).setdefault(update.kind, []).append(update)
    entries = []
    for phone_number_id, kinds in grouped.items():
        changes = [{"value": _value(settings, phone_number_id, kind, items), "field": "messages"}
                   for kind, items in kinds.items()]
        entries.append({"id": settings.waba_id, "changes": changes})
    return {"object": "whatsapp_business_account", "entry": entries}


def _value(settings: EmulatorSettings, phone_number_id: str, kind: str, updates: list[Update]) -> dict:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": settings.display_number_for(phone_number_id),
                     "phone_number_id": phone_number_id},
    }
    contacts: list[dict] = []
    for update in updates:
        if update.contact is not None and update.contact not in contacts:
            contacts.append(update.contact)
    if contacts:
        value["contacts"] = contacts
    value[kind] = [update.item for update in updates]
    return value


def status_object(*, wamid: str, status: str, timestamp: float, recipient_id: str, category: str,
                  conversation_id: str, callback_data: str | None = None,
                  error: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a statuses[] item; conversation and pricing ride on `sent` and `delivered` only."""
    item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(int(timestamp)),
                            "recipient_id": recipient_id}
    if status in ("sent", "delivered"):
        conversation: dict[str, Any] = {"id": conversation_id}
        if status == "sent":
            conversation["expiration_timestamp"] = str(int(timestamp) + CONVERSATION_SECONDS)
        conversation["origin"] = {"type": category}
        item["conversation"] = conversation
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": category}
    if error is not None:
        item["errors"] = [error]
    if callback_data is not None:
        item["biz_opaque_callback_data"] = callback_data
    return item


def contact_object(wa_id: str, name: str) -> dict[str, Any]:
    """Return the contacts[] item that accompanies an inbound message."""
    return {"profile": {"name": name}, "wa_id": wa_id}
