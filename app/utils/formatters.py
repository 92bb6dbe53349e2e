"""Pure builders from our API's message fields to Graph API send bodies, checked with WhatsApp's limits.

Builders report bad fields in our API's terms (``buttons[1].title``); ``validate_graph_native``
reports them in Graph's terms (``interactive.action.buttons[1].reply.title``). Both run the same
checks, which take an ``at`` function turning one of our field paths into the path to report.
"""
from __future__ import annotations

import copy
import functools
import math
from typing import Any, Callable
from urllib.parse import urlsplit

from app.errors import ValidationError

LIMITS: dict[str, int] = {
    "text": 4096,
    "caption": 1024,
    "buttons": 3,
    "button_title": 20,
    "button_id": 256,
    "interactive_body": 1024,  # the list page now says 4096; older references and the other types say 1024
    "header": 60,
    "footer": 60,
    "list_sections": 10,
    "list_rows": 10,  # in all sections together
    "button_text": 20,
    "section_title": 24,
    "row_title": 24,
    "row_id": 200,
    "row_description": 72,
    "cta_display_text": 20,
    "contacts": 257,
    "template_name": 512,
    "biz_opaque_callback_data": 512,
}

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
HEADER_MEDIA_TYPES = ("image", "video", "document")
TEMPLATE_COMPONENT_TYPES = ("header", "body", "footer", "button", "carousel", "limited_time_offer")
TEMPLATE_BUTTON_SUB_TYPES = ("quick_reply", "url", "copy_code", "flow", "catalog", "mpm", "voice_call",
                             "order_details")
TEMPLATE_PARAMETER_TYPES = ("text", "currency", "date_time", "image", "video", "document", "location",
                            "payload", "action", "coupon_code", "product", "limited_time_offer")

_CAPTIONED = ("image", "video", "document")
_HEADER_FIELDS = {"text": {"type", "text"}, "image": {"type", "media_id", "media_url"},
                  "video": {"type", "media_id", "media_url"},
                  "document": {"type", "media_id", "media_url", "filename"}}
_REPORTED = object()  # stands in for a value whose problem is already recorded, so checks skip it

At = Callable[..., str]


# --- collecting problems ----------------------------------------------------------------------

class _Problems:
    """Collects {field path: problem} so one ValidationError names every bad field."""

    def __init__(self) -> None:
        self.details: dict[str, str] = {}

    def add(self, path: str, problem: str) -> bool:
        self.details.setdefault(path, problem)
        return False

    def raise_if_any(self) -> None:
        if self.details:
            path, problem = next(iter(self.details.items()))
            more = f" (and {len(self.details) - 1} more)" if len(self.details) > 1 else ""
            raise ValidationError(f"Invalid field '{path}': {problem}{more}.", dict(self.details))


def _ours(path: str, **index: int) -> str:
    return path.format(**index)


def _graph(mapping: dict[str, str], prefix: str = "") -> At:
    def at(path: str, **index: int) -> str:
        return mapping.get(path, prefix + path).format(**index)
    return at


def _one_of(options) -> str:
    return "must be one of " + ", ".join(options)


def _article(word: str) -> str:
    return "an" if word[:1] in tuple("aeiou") else "a"


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# --- primitive checks: each returns True when the value is usable -------------------------------

def _string(p: _Problems, value: Any, path: str, limit: int | None = None, required: bool = True) -> bool:
    if value is _REPORTED:
        return False
    if value is None:
        return p.add(path, "is required") if required else True
    if not isinstance(value, str):
        return p.add(path, "must be a string")
    if not value.strip():
        return p.add(path, "must not be empty")
    if limit is not None and len(value) > limit:
        return p.add(path, f"must be at most {limit} characters")
    return True


def _http_url(p: _Problems, value: Any, path: str) -> bool:
    if not _string(p, value, path):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc
            or any(char.isspace() for char in value)):
        return p.add(path, "must be an http(s) URL")
    return True


def _flag(p: _Problems, value: Any, path: str) -> bool:
    if value is not None and not isinstance(value, bool):
        return p.add(path, "must be true or false")
    return True


def _number(p: _Problems, value: Any, path: str, low: float, high: float, strings: bool = False) -> bool:
    if value is None:
        return p.add(path, "is required")
    number = value
    if strings and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return p.add(path, "must be a number")
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
        return p.add(path, "must be a number")
    if not low <= number <= high:
        return p.add(path, f"must be between {low} and {high}")
    return True


def _items(p: _Problems, value: Any, path: str, low: int, high: int | None = None) -> bool:
    """Check a list's length; True when it is a list, so its items can still be checked."""
    if value is _REPORTED:
        return False
    if value is None:
        return p.add(path, "is required")
    if not isinstance(value, (list, tuple)):
        return p.add(path, "must be a list")
    if len(value) < low:
        p.add(path, f"must have at least {low} item{'s' if low != 1 else ''}")
    elif high is not None and len(value) > high:
        p.add(path, f"must have at most {high} items")
    return True


def _object(p: _Problems, value: Any, path: str) -> bool:
    if value is _REPORTED:
        return False
    if value is None:
        return p.add(path, "is required")
    if not isinstance(value, dict):
        return p.add(path, "must be an object")
    return True


def _unique(p: _Problems, value: Any, path: str, limit: int, seen: set) -> None:
    if _string(p, value, path, limit):
        if value in seen:
            p.add(path, "must be unique")
        seen.add(value)


def _source(p: _Problems, id_path: str, url_path: str, media_id: Any, media_url: Any) -> None:
    """Exactly one of an uploaded media id or an http(s) link."""
    if (media_id is None) == (media_url is None):
        names = id_path.rsplit(".", 1)[-1], url_path.rsplit(".", 1)[-1]
        p.add(id_path, f"exactly one of {names[0]} or {names[1]} is required")
    elif media_id is not None:
        _string(p, media_id, id_path)
    else:
        _http_url(p, media_url, url_path)


def _media_ref(media_id: str | None, media_url: str | None) -> dict:
    return {"id": media_id} if media_id is not None else {"link": media_url}


# --- checks per message type, shared by the builders and validate_graph_native -------------------

def _check_common(p: _Problems, to: Any, reply_to: Any) -> None:
    if not (isinstance(to, str) and to.isascii() and to.isdigit() and len(to) <= 15):
        p.add("phone_number", "must be the recipient's E.164 digits without '+', e.g. 16505551234")
    _string(p, reply_to, "reply_to", required=False)


def _check_text(p: _Problems, at: At, text: Any, preview_url: Any) -> None:
    _string(p, text, at("text"), LIMITS["text"])
    _flag(p, preview_url, at("preview_url"))


def _only_for(p: _Problems, path: str, value: Any, allowed: bool, kinds: str) -> bool:
    if value is not None and not allowed:
        return p.add(path, f"is only allowed for {kinds} messages")
    return True


def _check_media(p: _Problems, at: At, media_type: str, media_id, media_url, caption, filename, voice) -> None:
    _source(p, at("media_id"), at("media_url"), media_id, media_url)
    if _only_for(p, at("caption"), caption, media_type in _CAPTIONED, "image, video and document"):
        _string(p, caption, at("caption"), LIMITS["caption"], required=False)
    if _only_for(p, at("filename"), filename, media_type == "document", "document"):
        _string(p, filename, at("filename"), required=False)
    if _only_for(p, at("voice"), voice, media_type == "audio", "audio"):
        _flag(p, voice, at("voice"))


def _check_location(p: _Problems, at: At, latitude, longitude, name, address, strings: bool = False) -> None:
    _number(p, latitude, at("latitude"), -90, 90, strings)
    _number(p, longitude, at("longitude"), -180, 180, strings)
    _string(p, name, at("name"), required=False)
    _string(p, address, at("address"), required=False)


def _check_contacts(p: _Problems, contacts: Any, path: str = "contacts") -> None:
    if not _items(p, contacts, path, 1, LIMITS["contacts"]):
        return
    for i, contact in enumerate(contacts):
        here = f"{path}[{i}]"
        if not _object(p, contact, here):
            continue
        if _object(p, contact.get("name"), f"{here}.name"):
            _string(p, contact["name"].get("formatted_name"), f"{here}.name.formatted_name")
        for key in ("addresses", "emails", "phones", "urls"):
            if contact.get(key) is not None and _items(p, contact[key], f"{here}.{key}", 0):
                for j, item in enumerate(contact[key]):
                    _object(p, item, f"{here}.{key}[{j}]")
        if contact.get("org") is not None:
            _object(p, contact["org"], f"{here}.org")


def _check_reaction(p: _Problems, at: At, message_id: Any, emoji: Any) -> None:
    _string(p, message_id, at("message_id"))
    if emoji is None:
        p.add(at("emoji"), "is required (an empty string removes the reaction)")
    elif not isinstance(emoji, str) or (emoji and not emoji.strip()):
        p.add(at("emoji"), "must be an emoji, or empty to remove the reaction")


def _check_template(p: _Problems, at: At, name: Any, language_code: Any, components: Any) -> None:
    _string(p, name, at("template_name"), LIMITS["template_name"])
    _string(p, language_code, at("language_code"))
    if components is not None:
        _check_components(p, components, at("components"))


def _check_components(p: _Problems, components: Any, path: str) -> None:
    if not _items(p, components, path, 0):
        return
    for i, component in enumerate(components):
        here = f"{path}[{i}]"
        if not _object(p, component, here):
            continue
        kind = _lower(component.get("type"))
        if kind not in TEMPLATE_COMPONENT_TYPES:
            p.add(f"{here}.type", _one_of(TEMPLATE_COMPONENT_TYPES))
            continue
        if kind == "button":
            _check_template_button(p, component, here)
        if kind == "carousel":
            _check_cards(p, component.get("cards"), f"{here}.cards")
        parameters = component.get("parameters")
        if parameters is not None and _items(p, parameters, f"{here}.parameters", 1):
            for j, parameter in enumerate(parameters):
                _check_parameter(p, parameter, f"{here}.parameters[{j}]")


def _is_position(value: Any) -> bool:
    # Meta's examples send both 0 and "0".
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and 0 <= value <= 9) or value in tuple("0123456789")


def _check_template_button(p: _Problems, component: dict, here: str) -> None:
    sub_type = _lower(component.get("sub_type"))  # Meta's catalog example writes "CATALOG"
    if sub_type is None:
        p.add(f"{here}.sub_type", "is required for button components")
    elif sub_type not in TEMPLATE_BUTTON_SUB_TYPES:
        p.add(f"{here}.sub_type", _one_of(TEMPLATE_BUTTON_SUB_TYPES))
    if component.get("index") is None:
        p.add(f"{here}.index", "is required for button components")
    elif not _is_position(component["index"]):
        p.add(f"{here}.index", "must be the button's position, 0 to 9")


def _check_cards(p: _Problems, cards: Any, path: str) -> None:
    if not _items(p, cards, path, 1, 10):
        return
    for k, card in enumerate(cards):
        here = f"{path}[{k}]"
        if _object(p, card, here):
            if not _is_position(card.get("card_index")):
                p.add(f"{here}.card_index", "must be the card's position, 0 to 9")
            _check_components(p, card.get("components"), f"{here}.components")


def _check_parameter(p: _Problems, parameter: Any, here: str) -> None:
    if not _object(p, parameter, here):
        return
    kind = parameter.get("type")
    if kind not in TEMPLATE_PARAMETER_TYPES:
        p.add(f"{here}.type", _one_of(TEMPLATE_PARAMETER_TYPES))
        return
    value, path = parameter.get(kind), f"{here}.{kind}"
    if kind in ("text", "payload", "coupon_code"):
        _string(p, value, path)
    elif _object(p, value, path):
        if kind in HEADER_MEDIA_TYPES:
            _source(p, f"{path}.id", f"{path}.link", value.get("id"), value.get("link"))
        elif kind == "currency":
            _string(p, value.get("fallback_value"), f"{path}.fallback_value")
            _string(p, value.get("code"), f"{path}.code")
            amount = value.get("amount_1000")
            if isinstance(amount, bool) or not isinstance(amount, int):
                p.add(f"{path}.amount_1000", "must be an integer: the amount times 1000")
        elif kind == "date_time":
            _string(p, value.get("fallback_value"), f"{path}.fallback_value")
        elif kind == "location":
            _check_location(p, _graph({}, f"{path}."), value.get("latitude"), value.get("longitude"),
                            value.get("name"), value.get("address"), strings=True)
    _string(p, parameter.get("parameter_name"), f"{here}.parameter_name", required=False)


def _check_buttons(p: _Problems, at: At, body: Any, footer: Any, buttons: Any) -> None:
    _string(p, body, at("body"), LIMITS["interactive_body"])
    _string(p, footer, at("footer"), LIMITS["footer"], required=False)
    if not _items(p, buttons, at("buttons"), 1, LIMITS["buttons"]):
        return
    ids: set = set()
    titles: set = set()
    for i, button in enumerate(buttons):
        if _object(p, button, at("buttons[{i}]", i=i)):
            _unique(p, button.get("id"), at("buttons[{i}].id", i=i), LIMITS["button_id"], ids)
            _unique(p, button.get("title"), at("buttons[{i}].title", i=i), LIMITS["button_title"], titles)


def _check_list(p: _Problems, at: At, body: Any, footer: Any, button_text: Any, sections: Any) -> None:
    _string(p, body, at("body"), LIMITS["interactive_body"])
    _string(p, footer, at("footer"), LIMITS["footer"], required=False)
    _string(p, button_text, at("button_text"), LIMITS["button_text"])
    if not _items(p, sections, at("sections"), 1, LIMITS["list_sections"]):
        return
    ids: set = set()
    total = 0
    for i, section in enumerate(sections):
        if not _object(p, section, at("sections[{i}]", i=i)):
            continue
        title_path = at("sections[{i}].title", i=i)
        if len(sections) > 1 and section.get("title") is None:
            p.add(title_path, "is required when there is more than one section")
        _string(p, section.get("title"), title_path, LIMITS["section_title"], required=False)
        rows = section.get("rows")
        if not _items(p, rows, at("sections[{i}].rows", i=i), 1, LIMITS["list_rows"]):
            continue
        total += min(len(rows), LIMITS["list_rows"])  # a section over the limit is reported on its own
        for j, row in enumerate(rows):
            if not _object(p, row, at("sections[{i}].rows[{j}]", i=i, j=j)):
                continue
            _unique(p, row.get("id"), at("sections[{i}].rows[{j}].id", i=i, j=j), LIMITS["row_id"], ids)
            _string(p, row.get("title"), at("sections[{i}].rows[{j}].title", i=i, j=j), LIMITS["row_title"])
            _string(p, row.get("description"), at("sections[{i}].rows[{j}].description", i=i, j=j),
                    LIMITS["row_description"], required=False)
    if total > LIMITS["list_rows"]:
        p.add(at("sections"), f"must have at most {LIMITS['list_rows']} rows in total")


def _check_cta(p: _Problems, at: At, body: Any, footer: Any, display_text: Any, url: Any) -> None:
    _string(p, body, at("body"), LIMITS["interactive_body"])
    _string(p, footer, at("footer"), LIMITS["footer"], required=False)
    _string(p, display_text, at("display_text"), LIMITS["cta_display_text"])
    _http_url(p, url, at("url"))


def _header_types(media: bool) -> tuple[str, ...]:
    return ("text",) + (HEADER_MEDIA_TYPES if media else ())


def _header_type_problem(media: bool) -> str:
    return _one_of(_header_types(True)) if media else "must be text: list messages take text headers only"


def _header_from_ours(p: _Problems, header: Any, media: bool) -> dict | None:
    """Check our header (a string, or an object with type and text or media) and return Graph's."""
    if header is None:
        return None
    if isinstance(header, str):
        _string(p, header, "header", LIMITS["header"])
        return {"type": "text", "text": header}
    if not isinstance(header, dict):
        p.add("header", "must be a string or an object")
        return None
    kind = header.get("type")
    if kind not in _header_types(media):
        p.add("header.type", _header_type_problem(media))
        return None
    for key in sorted(header.keys() - _HEADER_FIELDS[kind]):
        p.add(f"header.{key}", f"is not allowed in {_article(kind)} {kind} header")
    if kind == "text":
        _string(p, header.get("text"), "header.text", LIMITS["header"])
        return {"type": "text", "text": header.get("text")}
    _source(p, "header.media_id", "header.media_url", header.get("media_id"), header.get("media_url"))
    _string(p, header.get("filename"), "header.filename", required=False)
    ref = _media_ref(header.get("media_id"), header.get("media_url"))
    if header.get("filename") is not None:
        ref["filename"] = header["filename"]
    return {"type": kind, kind: ref}


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


# --- message types for the aggregator ---------------------------------------------------------

MESSAGE_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "text": {"required": ("text",), "optional": ("preview_url",)},
    "image": {"required": (), "optional": ("media_id", "media_url", "caption")},
    "video": {"required": (), "optional": ("media_id", "media_url", "caption")},
    "audio": {"required": (), "optional": ("media_id", "media_url", "voice")},
    "document": {"required": (), "optional": ("media_id", "media_url", "caption", "filename")},
    "sticker": {"required": (), "optional": ("media_id", "media_url")},
    "location": {"required": ("latitude", "longitude"), "optional": ("name", "address")},
    "contacts": {"required": ("contacts",), "optional": ()},
    "reaction": {"required": ("message_id", "emoji"), "optional": ()},
    "template": {"required": ("template_name", "language_code"), "optional": ("components",)},
    "interactive_buttons": {"required": ("body", "buttons"), "optional": ("header", "footer")},
    "interactive_list": {"required": ("body", "button_text", "sections"), "optional": ("header", "footer")},
    "interactive_cta_url": {"required": ("body", "display_text", "url"), "optional": ("header", "footer")},
}

_BUILDERS: dict[str, Callable[..., dict]] = {
    "text": build_text,
    "location": build_location,
    "contacts": build_contacts,
    "reaction": build_reaction,
    "template": build_template,
    "interactive_buttons": build_interactive_buttons,
    "interactive_list": build_interactive_list,
    "interactive_cta_url": build_interactive_cta_url,
    **{media_type: functools.partial(build_media, media_type) for media_type in MEDIA_TYPES},
}

# The fields that tell one type from another; body, header and footer are shared by interactive types.
_SIGNALS = {
    "text": ("text", "preview_url"),
    "template": ("template_name", "language_code", "components"),
    "interactive_buttons": ("buttons",),
    "interactive_list": ("sections", "button_text"),
    "interactive_cta_url": ("display_text", "url"),
    "location": ("latitude", "longitude"),
    "contacts": ("contacts",),
    "reaction": ("emoji", "message_id"),
    "media": ("media_id", "media_url", "caption", "filename", "voice"),
}
_MEDIA_CHOICE = "image, video, audio, document or sticker"
_ROUTING_FIELDS = frozenset({"phone_number", "line_id", "message_type", "reply_to"})


def detect_message_type(fields: dict) -> str:
    """Return the message_type the fields describe, or raise naming message_type when they don't say."""
    present = {key for key, value in fields.items() if value is not None}
    found = {kind: sorted(present.intersection(keys)) for kind, keys in _SIGNALS.items()}
    found = {kind: keys for kind, keys in found.items() if keys}
    if list(found) == ["media"]:
        raise ValidationError(f"{' and '.join(found['media'])} do not say which kind of media this is; "
                              f"send message_type {_MEDIA_CHOICE}.",
                              {"message_type": f"is required for media: one of {_MEDIA_CHOICE}"})
    if len(found) == 1:
        return next(iter(found))
    if not found:
        raise ValidationError("The message type cannot be detected: no field of any message type was sent; "
                              "send message_type and that type's fields.",
                              {"message_type": "is required: no message fields were found"})
    kinds = ", ".join(f"{kind} (from {', '.join(keys)})" for kind, keys in found.items())
    raise ValidationError(f"The fields point to several message types: {kinds}; send message_type to choose.",
                          {"message_type": f"is required: the fields fit {', '.join(found)}"})


def build_message(message_type: str, to: str, fields: dict) -> dict:
    """Build the Graph body for an aggregator request; routing fields (phone_number, line_id...) are ignored."""
    spec = MESSAGE_TYPES.get(message_type)
    if spec is None:
        raise ValidationError(f"Unknown message_type {message_type!r}.", {"message_type": _one_of(MESSAGE_TYPES)})
    given = {key: value for key, value in fields.items() if key not in _ROUTING_FIELDS and value is not None}
    p = _Problems()
    for name in spec["required"]:
        if name not in given:
            p.add(name, f"is required for {message_type} messages")
    for name in sorted(given.keys() - set(spec["required"]) - set(spec["optional"])):
        p.add(name, f"is not allowed in {message_type} messages")
    p.raise_if_any()
    return _BUILDERS[message_type](to=to, reply_to=fields.get("reply_to"), **given)
