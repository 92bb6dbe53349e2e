"""WhatsApp's limits on message fields, and the media, header and template types the formatters know."""
from __future__ import annotations

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
