"""The build_* functions from our API's fields to Graph send bodies, and the template component helpers."""
from __future__ import annotations

import copy
from typing import Any

from app.utils.formatters.checks import (
    _check_buttons,
    _check_common,
    _check_contacts,
    _check_cta,
    _check_list,
    _check_location,
    _check_media,
    _check_reaction,
    _check_template,
    _check_text,
    _header_from_ours,
)
from app.utils.formatters.limits import MEDIA_TYPES
from app.utils.formatters.problems import _flag, _media_ref, _one_of, _ours, _Problems, _string

# --- builders ---------------------------------------------------------------------------------

def _send(to: str, message_type: str, payload: Any, reply_to: str | None) -> dict:
    # "+" always: without it Meta prepends the business number's country code (GRAPH_API.md 1.1).
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": f"+{to}",
            "type": message_type, message_type: payload}
    if reply_to is not None:
        body["context"] = {"message_id": reply_to}
    return body


def _interactive(kind: str, header: dict | None, body: str, footer: str | None, action: dict) -> dict:
    interactive: dict[str, Any] = {"type": kind, "body": {"text": body}, "action": action}
    if header is not None:
        interactive["header"] = header
    if footer is not None:
        interactive["footer"] = {"text": footer}
    return interactive


def build_text(to: str, text: str, preview_url: bool = False, reply_to: str | None = None) -> dict:
    """Build a text message; preview_url is always sent as a bool, as in Meta's examples."""
    p = _Problems()
    _check_common(p, to, reply_to)
    _check_text(p, _ours, text, preview_url)
    p.raise_if_any()
    return _send(to, "text", {"body": text, "preview_url": bool(preview_url)}, reply_to)


def build_media(media_type: str, to: str, media_id: str | None = None, media_url: str | None = None,
                caption: str | None = None, filename: str | None = None, voice: bool | None = None,
                reply_to: str | None = None) -> dict:
    """Build an image, video, audio, document or sticker message from a media id or an http(s) URL."""
    p = _Problems()
    _check_common(p, to, reply_to)
    if media_type not in MEDIA_TYPES:
        p.add("message_type", _one_of(MEDIA_TYPES))
        p.raise_if_any()
    _check_media(p, _ours, media_type, media_id, media_url, caption, filename, voice)
    p.raise_if_any()
    payload = _media_ref(media_id, media_url)
    optional = {"caption": caption, "filename": filename, "voice": voice}
    payload.update({key: value for key, value in optional.items() if value is not None})
    return _send(to, media_type, payload, reply_to)


def build_location(to: str, latitude: float, longitude: float, name: str | None = None,
                   address: str | None = None, reply_to: str | None = None) -> dict:
    """Build a location message; latitude and longitude are numbers in decimal degrees."""
    p = _Problems()
    _check_common(p, to, reply_to)
    _check_location(p, _ours, latitude, longitude, name, address)
    p.raise_if_any()
    payload = {"latitude": latitude, "longitude": longitude}
    payload.update({key: value for key, value in (("name", name), ("address", address)) if value is not None})
    return _send(to, "location", payload, reply_to)


def build_contacts(to: str, contacts: list[dict], reply_to: str | None = None) -> dict:
    """Build a contacts message from Graph-native contact objects."""
    p = _Problems()
    _check_common(p, to, reply_to)
    _check_contacts(p, contacts)
    p.raise_if_any()
    return _send(to, "contacts", copy.deepcopy(list(contacts)), reply_to)


def build_reaction(to: str, message_id: str, emoji: str, reply_to: str | None = None) -> dict:
    """Build a reaction to message_id; an empty emoji removes it. Reactions cannot quote a message."""
    p = _Problems()
    _check_common(p, to, None)
    if reply_to is not None:
        p.add("reply_to", "is not allowed for reaction messages")
    _check_reaction(p, _ours, message_id, emoji)
    p.raise_if_any()
    return _send(to, "reaction", {"message_id": message_id, "emoji": emoji}, None)


def build_template(to: str, template_name: str, language_code: str, components: list[dict] | None = None,
                   reply_to: str | None = None) -> dict:
    """Build a template message; components is Graph's list (see template_body and friends)."""
    p = _Problems()
    _check_common(p, to, reply_to)
    _check_template(p, _ours, template_name, language_code, components)
    p.raise_if_any()
    template: dict[str, Any] = {"name": template_name, "language": {"code": language_code}}
    if components is not None:
        template["components"] = copy.deepcopy(list(components))
    return _send(to, "template", template, reply_to)


def build_interactive_buttons(to: str, body: str, buttons: list[dict], header: str | dict | None = None,
                              footer: str | None = None, reply_to: str | None = None) -> dict:
    """Build a reply-buttons message from 1-3 {id, title} buttons."""
    p = _Problems()
    _check_common(p, to, reply_to)
    graph_header = _header_from_ours(p, header, media=True)
    _check_buttons(p, _ours, body, footer, buttons)
    p.raise_if_any()
    action = {"buttons": [{"type": "reply", "reply": {"id": b["id"], "title": b["title"]}} for b in buttons]}
    return _send(to, "interactive", _interactive("button", graph_header, body, footer, action), reply_to)


def _list_row(row: dict) -> dict:
    out = {"id": row["id"], "title": row["title"]}
    if row.get("description") is not None:
        out["description"] = row["description"]
    return out


def build_interactive_list(to: str, body: str, button_text: str, sections: list[dict],
                           header: str | dict | None = None, footer: str | None = None,
                           reply_to: str | None = None) -> dict:
    """Build a list message: sections of rows behind one button, at most 10 rows in all."""
    p = _Problems()
    _check_common(p, to, reply_to)
    graph_header = _header_from_ours(p, header, media=False)
    _check_list(p, _ours, body, footer, button_text, sections)
    p.raise_if_any()
    graph_sections = []
    for section in sections:
        graph_section = {"title": section["title"]} if section.get("title") is not None else {}
        graph_section["rows"] = [_list_row(row) for row in section["rows"]]
        graph_sections.append(graph_section)
    action = {"button": button_text, "sections": graph_sections}
    return _send(to, "interactive", _interactive("list", graph_header, body, footer, action), reply_to)


def build_interactive_cta_url(to: str, body: str, display_text: str, url: str, header: str | dict | None = None,
                              footer: str | None = None, reply_to: str | None = None) -> dict:
    """Build a call-to-action message: one button opening url."""
    p = _Problems()
    _check_common(p, to, reply_to)
    graph_header = _header_from_ours(p, header, media=True)
    _check_cta(p, _ours, body, footer, display_text, url)
    p.raise_if_any()
    action = {"name": "cta_url", "parameters": {"display_text": display_text, "url": url}}
    return _send(to, "interactive", _interactive("cta_url", graph_header, body, footer, action), reply_to)


def build_mark_read(message_id: str, typing_indicator: bool = False) -> dict:
    """Build the body that marks an inbound message read, optionally showing a typing indicator."""
    p = _Problems()
    _string(p, message_id, "message_id")
    _flag(p, typing_indicator, "typing_indicator")
    p.raise_if_any()
    body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
    if typing_indicator:
        body["typing_indicator"] = {"type": "text"}
    return body


# --- template helpers -------------------------------------------------------------------------

def _template_parameters(params: list | tuple | dict, kind: str) -> list[dict]:
    if isinstance(params, dict):  # named parameters: {{first_name}}
        return [{**copy.deepcopy(value), "parameter_name": name} if isinstance(value, dict)
                else {"type": kind, "parameter_name": name, kind: value} for name, value in params.items()]
    if isinstance(params, (list, tuple)):  # positional parameters: {{1}}, {{2}}...
        return [{"type": kind, kind: item} if isinstance(item, str) else copy.deepcopy(item) for item in params]
    raise TypeError("params must be a list of positional values or a dict of named parameters")


def template_body(params: list | tuple | dict) -> dict:
    """Return a body component; strings become text parameters, dicts pass through as Graph objects."""
    return {"type": "body", "parameters": _template_parameters(params, "text")}


def template_header(param: str | dict, parameter_name: str | None = None) -> dict:
    """Return a header component from text, {"type": "image"|..., "media_id"|"media_url": ...} or Graph's form."""
    if isinstance(param, str):
        graph = {"type": "text", "text": param}
    elif isinstance(param, dict) and ("media_id" in param or "media_url" in param):
        kind = param.get("type")
        ref = {key: param[ours] for key, ours in (("id", "media_id"), ("link", "media_url"), ("filename", "filename"))
               if ours in param}
        graph = {"type": kind, kind: ref}
    elif isinstance(param, dict):
        graph = copy.deepcopy(param)
    else:
        raise TypeError("param must be a string or a dict")
    if parameter_name is not None:
        graph["parameter_name"] = parameter_name
    return {"type": "header", "parameters": [graph]}


def template_button(sub_type: str, index: int | str, params: list | tuple | dict | None = None) -> dict:
    """Return a button component; strings become payload (quick_reply), coupon_code (copy_code) or text."""
    component: dict[str, Any] = {"type": "button", "sub_type": sub_type, "index": str(index)}
    if params is not None:
        kind = {"quick_reply": "payload", "copy_code": "coupon_code"}.get(sub_type, "text")
        component["parameters"] = _template_parameters(params, kind)
    return component
