"""The message templates the emulated WhatsApp Business Account owns (GET .../message_templates)."""
from __future__ import annotations

import base64
import copy
from typing import Any

from sandbox.ids import IdFactory

_TEMPLATES: list[dict[str, Any]] = [
    {"name": "hello_world", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "components": [
         {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
         {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to "
                                  "send a WhatsApp message notification from the Cloud API, hosted by Meta. "
                                  "Thank you for taking the time to test with us."},
         {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"}]},
    {"name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "components": [
         {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2UvanBlZw=="]}},
         {"type": "BODY", "text": "Hi {{1}}, your order of {{2}} will arrive on {{3}}.",
          "example": {"body_text": [["Alice", "$19.99", "June 1, 2025"]]}},
         {"type": "BUTTONS", "buttons": [
             {"type": "QUICK_REPLY", "text": "Stop promotions"},
             {"type": "URL", "text": "Track order", "url": "https://example.com/track/{{1}}",
              "example": ["https://example.com/track/8812"]}]}]},
    {"name": "sample_issue_resolution", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "components": [
         {"type": "BODY", "text": "Hi {{1}}, were we able to solve the issue that you were facing?",
          "example": {"body_text": [["Mr. Jones"]]}},
         {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Yes"},
                                         {"type": "QUICK_REPLY", "text": "No"}]}]},
    {"name": "intro_catalog_offer", "language": "en_US", "status": "APPROVED", "category": "MARKETING",
     "components": [
         {"type": "BODY", "text": "Now shop for your favourite products right here on WhatsApp! Get Rs {{1}} "
                                  "off on all orders above {{2}}Rs! Valid for your first {{3}} orders.",
          "example": {"body_text": [["100", "400", "3"]]}},
         {"type": "BUTTONS", "buttons": [{"type": "CATALOG", "text": "View catalog"}]}]},
    {"name": "verification_code", "language": "en_US", "status": "APPROVED", "category": "AUTHENTICATION",
     "components": [
         {"type": "BODY", "text": "*{{1}}* is your verification code.", "add_security_recommendation": True},
         {"type": "FOOTER", "text": "This code expires in 10 minutes.", "code_expiration_minutes": 10},
         {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}]},
    {"name": "hello_world", "language": "es", "status": "APPROVED", "category": "UTILITY",
     "components": [{"type": "BODY", "text": "Bienvenido y felicidades. Este mensaje es una prueba."}]},
    {"name": "spring_promo", "language": "en_US", "status": "PAUSED", "category": "MARKETING",
     "components": [{"type": "BODY", "text": "Spring sale: {{1}} off everything this weekend.",
                     "example": {"body_text": [["20%"]]}}]},
    {"name": "legacy_notice", "language": "en_US", "status": "REJECTED", "category": "MARKETING",
     "rejected_reason": "PROMOTIONAL", "components": [{"type": "BODY", "text": "Buy now!!!"}]},
]


class TemplateCatalogue:
    """A fixed set of templates with ids made once per emulator; listed with cursor paging."""

    def __init__(self, ids: IdFactory) -> None:
        self._templates = [{**copy.deepcopy(item), "id": ids.template_id()} for item in _TEMPLATES]

    def category_of(self, name: str | None) -> str | None:
        """Return the lower-case category of the named template, or None when it is unknown."""
        for item in self._templates:
            if item["name"] == name:
                return str(item["category"]).lower()
        return None

    def page(self, limit: int = 25, after: str | None = None, name: str | None = None,
             status: str | None = None) -> tuple[dict[str, Any], bool]:
        """Return one page of templates in Graph's {"data", "paging"} shape, and whether more follow."""
        items = [item for item in self._templates
                 if (name is None or name in item["name"]) and (status is None or item["status"] == status.upper())]
        start = _decode_cursor(after)
        limit = max(1, min(limit, 1000))
        chosen = items[start:start + limit]
        body: dict[str, Any] = {"data": copy.deepcopy(chosen)}
        if chosen:
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(chosen) - 1)}}
        else:
            body["paging"] = {"cursors": {}}
        return body, start + limit < len(items)


def _cursor(index: int) -> str:
    return base64.b64encode(f"template:{index}".encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    """Return the index after the one a cursor names (0 for no or bad cursor)."""
    if not cursor:
        return 0
    try:
        text = base64.b64decode(cursor.encode()).decode()
        return int(text.split(":", 1)[1]) + 1
    except (ValueError, IndexError, UnicodeDecodeError):
        return 0
