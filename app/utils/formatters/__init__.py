"""Pure builders from our API's message fields to Graph API send bodies, checked with WhatsApp's limits.

Builders report bad fields in our API's terms (``buttons[1].title``); ``validate_graph_native``
reports them in Graph's terms (``interactive.action.buttons[1].reply.title``). Both run the same
checks, which take an ``at`` function turning one of our field paths into the path to report.
"""
from __future__ import annotations

from app.utils.formatters.builders import (
    build_contacts,
    build_interactive_buttons,
    build_interactive_cta_url,
    build_interactive_list,
    build_location,
    build_mark_read,
    build_media,
    build_reaction,
    build_template,
    build_text,
    template_body,
    template_button,
    template_header,
)
from app.utils.formatters.limits import (
    HEADER_MEDIA_TYPES,
    LIMITS,
    MEDIA_TYPES,
    TEMPLATE_BUTTON_SUB_TYPES,
    TEMPLATE_COMPONENT_TYPES,
    TEMPLATE_PARAMETER_TYPES,
)
from app.utils.formatters.native import validate_graph_native
from app.utils.formatters.problems import At
from app.utils.formatters.types import MESSAGE_TYPES, build_message, detect_message_type

__all__ = [
    "HEADER_MEDIA_TYPES",
    "LIMITS",
    "MEDIA_TYPES",
    "MESSAGE_TYPES",
    "TEMPLATE_BUTTON_SUB_TYPES",
    "TEMPLATE_COMPONENT_TYPES",
    "TEMPLATE_PARAMETER_TYPES",
    "At",
    "build_contacts",
    "build_interactive_buttons",
    "build_interactive_cta_url",
    "build_interactive_list",
    "build_location",
    "build_mark_read",
    "build_media",
    "build_message",
    "build_reaction",
    "build_template",
    "build_text",
    "detect_message_type",
    "template_body",
    "template_button",
    "template_header",
    "validate_graph_native",
]
