"""validate_graph_native: a Graph-native send body checked with the same limits, reported in Graph's terms."""
from __future__ import annotations

import copy
import functools
from typing import Any, Callable

from app.utils.formatters.checks import (
    _check_buttons,
    _check_contacts,
    _check_cta,
    _check_list,
    _check_location,
    _check_media,
    _check_reaction,
    _check_template,
    _check_text,
    _header_type_problem,
    _header_types,
)
from app.utils.formatters.limits import LIMITS, MEDIA_TYPES
from app.utils.formatters.problems import _REPORTED, _article, _graph, _object, _Problems, _source, _string

# --- Graph-native pass-through ----------------------------------------------------------------

_NATIVE_COMMON = frozenset({"messaging_product", "recipient_type", "to", "type", "context",
                            "biz_opaque_callback_data"})
_BUTTON_PATHS = {"body": "interactive.body.text", "footer": "interactive.footer.text",
                 "buttons": "interactive.action.buttons",
                 "buttons[{i}]": "interactive.action.buttons[{i}].reply",
                 "buttons[{i}].id": "interactive.action.buttons[{i}].reply.id",
                 "buttons[{i}].title": "interactive.action.buttons[{i}].reply.title"}
_LIST_PATHS = {"body": "interactive.body.text", "footer": "interactive.footer.text",
               "button_text": "interactive.action.button"}
_CTA_PATHS = {"body": "interactive.body.text", "footer": "interactive.footer.text",
              "display_text": "interactive.action.parameters.display_text",
              "url": "interactive.action.parameters.url"}


def _native_text(p: _Problems, text: Any) -> None:
    if _object(p, text, "text"):
        at = _graph({"text": "text.body", "preview_url": "text.preview_url"})
        _check_text(p, at, text.get("body"), text.get("preview_url"))


def _native_media(media_type: str, p: _Problems, media: Any) -> None:
    if _object(p, media, media_type):
        at = _graph({"media_id": f"{media_type}.id", "media_url": f"{media_type}.link"}, f"{media_type}.")
        _check_media(p, at, media_type, media.get("id"), media.get("link"), media.get("caption"),
                     media.get("filename"), media.get("voice"))


def _native_location(p: _Problems, location: Any) -> None:
    if _object(p, location, "location"):  # Meta's docs send the coordinates as strings too
        _check_location(p, _graph({}, "location."), location.get("latitude"), location.get("longitude"),
                        location.get("name"), location.get("address"), strings=True)


def _native_reaction(p: _Problems, reaction: Any) -> None:
    if _object(p, reaction, "reaction"):
        _check_reaction(p, _graph({}, "reaction."), reaction.get("message_id"), reaction.get("emoji"))


def _native_template(p: _Problems, template: Any) -> None:
    if not _object(p, template, "template"):
        return
    language = template.get("language")
    code = language.get("code") if isinstance(language, dict) else _REPORTED
    if code is _REPORTED:
        _object(p, language, "template.language")
    at = _graph({"template_name": "template.name", "language_code": "template.language.code",
                 "components": "template.components"})
    _check_template(p, at, template.get("name"), code, template.get("components"))


def _native_part(p: _Problems, interactive: dict, key: str) -> Any:
    """The text of interactive.body / interactive.footer, _REPORTED when the object is malformed."""
    part = interactive.get(key)
    if part is None:
        return None
    return part.get("text") if _object(p, part, f"interactive.{key}") else _REPORTED


def _native_reply(p: _Problems, button: Any, i: int) -> Any:
    path = f"interactive.action.buttons[{i}]"
    if not _object(p, button, path):
        return _REPORTED
    if button.get("type") != "reply":
        p.add(f"{path}.type", 'must be "reply"')
    return button.get("reply")


def _native_interactive(p: _Problems, interactive: Any) -> None:
    if not _object(p, interactive, "interactive"):
        return
    kind = interactive.get("type")
    if kind not in ("button", "list", "cta_url"):
        _string(p, kind, "interactive.type")
        return  # flow, product, product_list, catalog_message, order_details... pass through untouched
    body, footer = _native_part(p, interactive, "body"), _native_part(p, interactive, "footer")
    _native_header(p, interactive.get("header"), media=kind != "list")
    action = interactive.get("action")
    if not _object(p, action, "interactive.action"):
        return
    if kind == "button":
        buttons = action.get("buttons")
        if isinstance(buttons, list):
            buttons = [_native_reply(p, button, i) for i, button in enumerate(buttons)]
        _check_buttons(p, _graph(_BUTTON_PATHS), body, footer, buttons)
    elif kind == "list":
        _check_list(p, _graph(_LIST_PATHS, "interactive.action."), body, footer, action.get("button"),
                    action.get("sections"))
    else:
        if action.get("name") != "cta_url":
            p.add("interactive.action.name", 'must be "cta_url"')
        parameters = action.get("parameters")
        if not _object(p, parameters, "interactive.action.parameters"):
            parameters = {"display_text": _REPORTED, "url": _REPORTED}
        _check_cta(p, _graph(_CTA_PATHS), body, footer, parameters.get("display_text"), parameters.get("url"))


def _native_header(p: _Problems, header: Any, media: bool) -> None:
    path = "interactive.header"
    if header is None or not _object(p, header, path):
        return
    kind = header.get("type")
    if kind not in _header_types(media):
        p.add(f"{path}.type", _header_type_problem(media))
    elif kind == "text":
        _string(p, header.get("text"), f"{path}.text", LIMITS["header"])
    elif _object(p, header.get(kind), f"{path}.{kind}"):
        _source(p, f"{path}.{kind}.id", f"{path}.{kind}.link", header[kind].get("id"), header[kind].get("link"))


_NATIVE_CHECKS: dict[str, Callable[[_Problems, Any], None]] = {
    "text": _native_text,
    "location": _native_location,
    "contacts": _check_contacts,
    "reaction": _native_reaction,
    "template": _native_template,
    "interactive": _native_interactive,
    **{media_type: functools.partial(_native_media, media_type) for media_type in MEDIA_TYPES},
}


def validate_graph_native(body: Any) -> dict:
    """Check a Graph-native send body with our limits and return a copy with the defaults filled in."""
    p = _Problems()
    if not _object(p, body, "body"):
        p.raise_if_any()
    out = copy.deepcopy(body)
    out.setdefault("messaging_product", "whatsapp")
    out.setdefault("recipient_type", "individual")
    if "type" not in out and "text" not in out:
        p.add("type", "is required (Graph assumes text when it is missing)")
        p.raise_if_any()
    message_type = out.setdefault("type", "text")  # Graph's own default
    if out["messaging_product"] != "whatsapp":
        p.add("messaging_product", 'must be "whatsapp"')
    if out["recipient_type"] != "individual":
        p.add("recipient_type", 'must be "individual"')
    _string(p, out.get("to"), "to")
    _string(p, out.get("biz_opaque_callback_data"), "biz_opaque_callback_data",
            LIMITS["biz_opaque_callback_data"], required=False)
    if not isinstance(message_type, str) or not message_type.strip():
        p.add("type", "must be a message type such as text or image")
        p.raise_if_any()
    if out.get("context") is not None:
        if message_type == "reaction":
            p.add("context", "is not allowed for reaction messages")
        elif _object(p, out["context"], "context"):
            _string(p, out["context"].get("message_id"), "context.message_id")
    for key in sorted(out.keys() - _NATIVE_COMMON - {message_type}):
        p.add(key, f"is not allowed in {_article(message_type)} {message_type} message")
    payload = out.get(message_type)
    if payload is None:
        p.add(message_type, f"is required for type {message_type}")
    elif message_type in _NATIVE_CHECKS:
        _NATIVE_CHECKS[message_type](p, payload)
    elif not isinstance(payload, (dict, list)):
        p.add(message_type, "must be an object")
    p.raise_if_any()
    return out
