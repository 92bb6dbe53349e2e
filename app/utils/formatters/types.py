"""The aggregator's message types: MESSAGE_TYPES, detect_message_type and build_message."""
from __future__ import annotations

import functools
from typing import Callable

from app.errors import ValidationError
from app.utils.formatters.builders import (
    build_contacts,
    build_interactive_buttons,
    build_interactive_cta_url,
    build_interactive_list,
    build_location,
    build_media,
    build_reaction,
    build_template,
    build_text,
)
from app.utils.formatters.limits import MEDIA_TYPES
from app.utils.formatters.problems import _one_of, _Problems

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
