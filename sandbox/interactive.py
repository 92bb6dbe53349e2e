"""Validate interactive message objects: reply buttons, lists and CTA URL buttons in depth."""
from __future__ import annotations

from sandbox.checks import (
    count_between,
    media_reference,
    optional_object,
    require_list,
    require_object,
    text_field,
)
from sandbox.errors import bad_param, invalid, missing

# Types Meta accepts that the emulator passes through without deep validation.
PASS_THROUGH = ("flow", "product", "product_list", "catalog_message", "order_details", "order_status",
                "location_request_message", "address_message", "call_permission_request", "carousel",
                "voice_call")
HEADER_MEDIA = ("image", "video", "document")
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_BODY = 1024
MAX_LIST_BODY = 4096


def validate_interactive(obj: dict) -> None:
    """Check an interactive object; deep checks for button, list and cta_url."""
    kind = obj.get("type")
    if kind is None or kind == "":
        raise missing("interactive.type")
    checks = {"button": _buttons, "list": _list, "cta_url": _cta_url}
    if kind in checks:
        checks[kind](obj)
        return
    if kind not in PASS_THROUGH:
        known = ", ".join(list(checks) + list(PASS_THROUGH))
        raise bad_param("interactive.type", f"must be one of {{{known}}} (got {kind!r}).")


def _header(obj: dict, media_allowed: bool) -> None:
    header = optional_object(obj, "header", "interactive.header")
    if header is None:
        return
    kind = header.get("type")
    allowed = ("text",) + (HEADER_MEDIA if media_allowed else ())
    if kind not in allowed:
        raise invalid("interactive.header.type", f"must be one of {', '.join(allowed)} (got {kind!r}).")
    if kind == "text":
        text_field(header, "text", "interactive.header.text", limit=MAX_HEADER, required=True)
        return
    media = require_object(header, kind, f"interactive.header.{kind}")
    media_reference(media, f"interactive.header.{kind}")


def _body_and_footer(obj: dict, body_limit: int) -> None:
    body = require_object(obj, "body", "interactive.body")
    text_field(body, "text", "interactive.body.text", limit=body_limit, required=True)
    footer = optional_object(obj, "footer", "interactive.footer")
    if footer is not None:
        text_field(footer, "text", "interactive.footer.text", limit=MAX_FOOTER, required=True)


def _buttons(obj: dict) -> None:
    _header(obj, media_allowed=True)
    _body_and_footer(obj, MAX_BODY)
    action = require_object(obj, "action", "interactive.action")
    buttons = require_list(action, "buttons", "interactive.action.buttons")
    count_between(buttons, "interactive.action.buttons", 1, 3)
    titles: set[str] = set()
    for index, button in enumerate(buttons):
        path = f"interactive.action.buttons[{index}]"
        if not isinstance(button, dict):
            raise invalid(path, "must be a JSON object.")
        if button.get("type", "reply") != "reply":
            raise invalid(f"{path}.type", "must be 'reply'.")
        reply = require_object(button, "reply", f"{path}.reply")
        text_field(reply, "id", f"{path}.reply.id", limit=256, required=True)
        title = text_field(reply, "title", f"{path}.reply.title", limit=20, required=True)
        if title in titles:
            raise invalid(f"{path}.reply.title", f"must be unique: {title!r} is used by another button.")
        titles.add(title or "")


def _list(obj: dict) -> None:
    _header(obj, media_allowed=False)
    _body_and_footer(obj, MAX_LIST_BODY)
    action = require_object(obj, "action", "interactive.action")
    text_field(action, "button", "interactive.action.button", limit=20, required=True)
    sections = require_list(action, "sections", "interactive.action.sections")
    count_between(sections, "interactive.action.sections", 1, 10)
    row_ids: set[str] = set()
    total = 0
    for index, section in enumerate(sections):
        path = f"interactive.action.sections[{index}]"
        if not isinstance(section, dict):
            raise invalid(path, "must be a JSON object.")
        text_field(section, "title", f"{path}.title", limit=24, required=len(sections) > 1)
        rows = require_list(section, "rows", f"{path}.rows")
        total += len(rows)
        for row_index, row in enumerate(rows):
            _row(row, f"{path}.rows[{row_index}]", row_ids)
    if total < 1:
        raise bad_param("interactive.action.sections", "must contain at least 1 row in total.")
    if total > 10:
        raise bad_param("interactive.action.sections", f"must contain at most 10 rows in total (got {total}).")


def _row(row: object, path: str, seen: set[str]) -> None:
    if not isinstance(row, dict):
        raise invalid(path, "must be a JSON object.")
    row_id = text_field(row, "id", f"{path}.id", limit=200, required=True)
    text_field(row, "title", f"{path}.title", limit=24, required=True)
    text_field(row, "description", f"{path}.description", limit=72)
    if row_id in seen:
        raise invalid(f"{path}.id", f"must be unique: {row_id!r} is used by another row.")
    seen.add(row_id or "")


def _cta_url(obj: dict) -> None:
    _header(obj, media_allowed=True)
    _body_and_footer(obj, MAX_BODY)
    action = require_object(obj, "action", "interactive.action")
    if action.get("name", "cta_url") != "cta_url":
        raise invalid("interactive.action.name", "must be 'cta_url'.")
    parameters = require_object(action, "parameters", "interactive.action.parameters")
    text_field(parameters, "display_text", "interactive.action.parameters.display_text", limit=20,
               required=True)
    url = text_field(parameters, "url", "interactive.action.parameters.url", required=True) or ""
    if not url.startswith(("http://", "https://")):
        raise invalid("interactive.action.parameters.url", "must be an http(s) URL.")
