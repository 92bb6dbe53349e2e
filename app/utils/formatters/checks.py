"""The checks per message type, shared by the builders and validate_graph_native, and our header's conversion."""
from __future__ import annotations

from typing import Any

from app.utils.formatters.limits import (
    _CAPTIONED,
    _HEADER_FIELDS,
    HEADER_MEDIA_TYPES,
    LIMITS,
    TEMPLATE_BUTTON_SUB_TYPES,
    TEMPLATE_COMPONENT_TYPES,
    TEMPLATE_PARAMETER_TYPES,
)
from app.utils.formatters.problems import (
    At,
    _article,
    _flag,
    _graph,
    _http_url,
    _items,
    _lower,
    _media_ref,
    _number,
    _object,
    _one_of,
    _Problems,
    _source,
    _string,
    _unique,
)

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
