"""From an endpoint's validated fields to the Graph body, through app.utils.formatters."""
from __future__ import annotations

from app.api.messages import models
from app.errors import ValidationError
from app.utils import formatters
from app.utils.validation import parse

MEDIA_TYPES = ("image", "video", "audio", "sticker", "document")

# Our message types, the request model that validates each, and how to build its Graph body.
TYPE_MODELS = {
    "text": models.text_model,
    "image": models.image_model,
    "video": models.video_model,
    "audio": models.audio_model,
    "sticker": models.sticker_model,
    "document": models.document_model,
    "template": models.template_model,
    "interactive_buttons": models.buttons_model,
    "interactive_list": models.list_model,
    "interactive_cta_url": models.cta_url_model,
    "location": models.location_model,
    "contacts": models.contacts_model,
    "reaction": models.reaction_model,
}
ALIASES = {"buttons": "interactive_buttons", "list": "interactive_list", "cta_url": "interactive_cta_url",
           "interactive/buttons": "interactive_buttons", "interactive/list": "interactive_list"}


def build_for_type(message_type: str, to: str, fields: dict) -> dict:
    """The Graph body for one of our message types (fields already schema-valid, minus phone/line)."""
    if message_type in MEDIA_TYPES:
        return formatters.build_media(message_type, to, **fields)
    builder = {
        "text": formatters.build_text,
        "template": formatters.build_template,
        "interactive_buttons": formatters.build_interactive_buttons,
        "interactive_list": formatters.build_interactive_list,
        "interactive_cta_url": formatters.build_interactive_cta_url,
        "location": formatters.build_location,
        "contacts": formatters.build_contacts,
        "reaction": formatters.build_reaction,
    }[message_type]
    return builder(to, **fields)


def graph_native_body(fields: dict, to: str) -> dict:
    """A Graph-native body from the aggregator, validated and passed through."""
    return formatters.validate_graph_native({**fields, "to": "+" + to})


def resolve_aggregate(payload: dict) -> tuple[str | None, dict]:
    """Pick the aggregator's message type and validate the body against that type's model.

    Returns (None, payload) for a Graph-native body, which the formatters validate instead.
    """
    if "message_type" not in payload and "to" in payload and "type" in payload and "phone_number" not in payload:
        return None, payload
    fields = dict(payload)
    requested = fields.pop("message_type", None)
    if requested is None:
        message_type = formatters.detect_message_type(fields)
    else:
        message_type = ALIASES.get(requested, requested) if isinstance(requested, str) else None
        if message_type not in TYPE_MODELS:
            raise ValidationError(f"message_type {requested!r} is not a type this API sends.",
                                  {"message_type": "must be one of " + ", ".join(TYPE_MODELS)})
    return message_type, parse(TYPE_MODELS[message_type], fields)
