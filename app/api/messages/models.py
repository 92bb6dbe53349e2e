"""RESTX models of the messages API: one strict request model per message type."""
import copy

from flask_restx import Namespace, fields

from app.private.auth import require_auth
from app.utils.restx import JsonValue, NullableRaw, NullableString

ns = Namespace("messages", description="Send WhatsApp messages of every type, follow their status, list them",
               decorators=[require_auth])

COMMON = {
    "phone_number": fields.String(required=True, min_length=1, max_length=32, example="+16505551234",
                                  description="Recipient in E.164, with or without '+'"),
    "line_id": fields.String(max_length=64, example="line_1",
                             description="Line to send from; DEFAULT_LINE_ID when absent"),
    "reply_to": fields.String(max_length=128, example="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=",
                              description="wamid of the message to quote (sent as Graph `context`)"),
}
TEXT = {
    "text": fields.String(required=True, min_length=1, max_length=4096, example="Your order has shipped."),
    "preview_url": fields.Boolean(default=False, description="Render a preview of the first URL in the text"),
}
MEDIA_REF = {
    "media_id": fields.String(max_length=128, example="1166846181421424",
                              description="Id from POST /api/v1/media (preferred); exactly one of media_id, media_url"),
    "media_url": fields.String(max_length=2048, pattern=r"^https?://", example="https://example.com/photo.jpg",
                               description="Public http(s) link Meta fetches; exactly one of media_id, media_url"),
}
CAPTION = {"caption": fields.String(max_length=1024, example="Your receipt")}

text_model = ns.model("TextMessage", {**COMMON, **TEXT}, strict=True)
image_model = ns.model("ImageMessage", {**COMMON, **MEDIA_REF, **CAPTION}, strict=True)
video_model = ns.model("VideoMessage", {**COMMON, **MEDIA_REF, **CAPTION}, strict=True)
audio_model = ns.model("AudioMessage", {
    **COMMON, **MEDIA_REF, "voice": fields.Boolean(description="Send as a voice note (OGG/OPUS)"),
}, strict=True)
sticker_model = ns.model("StickerMessage", {**COMMON, **MEDIA_REF}, strict=True)
document_model = ns.model("DocumentMessage", {
    **COMMON, **MEDIA_REF, **CAPTION,
    "filename": fields.String(max_length=255, example="invoice-1042.pdf", description="Name shown to the user"),
}, strict=True)

TEMPLATE = {
    "template_name": fields.String(required=True, min_length=1, max_length=512, example="order_update"),
    "language_code": fields.String(required=True, min_length=2, max_length=16, example="en_US"),
    "components": fields.List(fields.Raw, max_items=20, description="Graph-native template components",
                              example=[{"type": "body", "parameters": [{"type": "text", "text": "Alice"}]}]),
}
template_model = ns.model("TemplateMessage", {**COMMON, **TEMPLATE}, strict=True)

button_model = ns.model("ReplyButton", {
    "id": fields.String(required=True, min_length=1, max_length=256, example="confirm"),
    "title": fields.String(required=True, min_length=1, max_length=20, example="Confirm"),
}, strict=True)
HEADER = JsonValue(description="Text (string, ≤60) or {type: text|image|video|document, text | media_id | media_url}",
                    example="Order #1042")
INTERACTIVE = {
    "body": fields.String(required=True, min_length=1, max_length=1024, example="Shall we ship today?"),
    "header": HEADER,
    "footer": fields.String(max_length=60, example="Reply within 24 h"),
}
buttons_model = ns.model("ButtonsMessage", {
    **COMMON, **INTERACTIVE,
    "buttons": fields.List(fields.Nested(button_model), required=True, min_items=1, max_items=3),
}, strict=True)

row_model = ns.model("ListRow", {
    "id": fields.String(required=True, min_length=1, max_length=200, example="express"),
    "title": fields.String(required=True, min_length=1, max_length=24, example="Express"),
    "description": fields.String(max_length=72, example="Next-day delivery"),
}, strict=True)
section_model = ns.model("ListSection", {
    "title": fields.String(max_length=24, example="Delivery"),
    "rows": fields.List(fields.Nested(row_model), required=True, min_items=1, max_items=10),
}, strict=True)
LIST = {
    "button_text": fields.String(required=True, min_length=1, max_length=20, example="Choose"),
    "sections": fields.List(fields.Nested(section_model), required=True, min_items=1, max_items=10,
                            description="At most 10 rows in all sections together"),
}
list_model = ns.model("ListMessage", {**COMMON, **INTERACTIVE, **LIST}, strict=True)

CTA = {
    "display_text": fields.String(required=True, min_length=1, max_length=20, example="Track order"),
    "url": fields.String(required=True, max_length=2048, pattern=r"^https?://", example="https://example.com/t/1042"),
}
cta_url_model = ns.model("CtaUrlMessage", {**COMMON, **INTERACTIVE, **CTA}, strict=True)

LOCATION = {
    "latitude": fields.Float(required=True, min=-90, max=90, example=37.4847),
    "longitude": fields.Float(required=True, min=-180, max=180, example=-122.1477),
    "name": fields.String(max_length=1000, example="Meta HQ"),
    "address": fields.String(max_length=1000, example="1 Hacker Way, Menlo Park, CA 94025"),
}
location_model = ns.model("LocationMessage", {**COMMON, **LOCATION}, strict=True)
contacts_model = ns.model("ContactsMessage", {
    **COMMON,
    "contacts": fields.List(fields.Raw, required=True, min_items=1, max_items=257,
                            description="Graph-native contact cards; name.formatted_name required",
                            example=[{"name": {"formatted_name": "Ana Lima", "first_name": "Ana"},
                                      "phones": [{"phone": "+5511987654321", "type": "CELL"}]}]),
}, strict=True)
REACTION = {
    "message_id": fields.String(required=True, min_length=1, max_length=128, example="wamid.HBgLM...",
                                description="wamid of the message reacted to"),
    "emoji": fields.String(required=True, max_length=16, example="\U0001F44D", description="Empty string removes"),
}
reaction_model = ns.model("ReactionMessage", {
    "phone_number": COMMON["phone_number"], "line_id": COMMON["line_id"], **REACTION,
}, strict=True)

def optional(definitions: dict) -> dict:
    """Copies of the fields with required switched off, for the aggregator's documentation."""
    out = {}
    for name, field in definitions.items():
        field = copy.copy(field)
        field.required = False
        out[name] = field
    return out


aggregate_model = ns.model("AnyMessage", optional({
    "message_type": fields.String(enum=["text", "image", "video", "audio", "sticker", "document", "template",
                                        "interactive_buttons", "interactive_list", "interactive_cta_url",
                                        "location", "contacts", "reaction"],
                                  description="Picks the type; detected from the fields when absent"),
    **COMMON, **TEXT, **MEDIA_REF, **CAPTION, **TEMPLATE, **INTERACTIVE, **LIST, **CTA, **LOCATION, **REACTION,
    "buttons": fields.List(fields.Nested(button_model)),
    "contacts": fields.List(fields.Raw),
    "filename": fields.String(), "voice": fields.Boolean(),
    "to": fields.String(description="Graph-native mode: recipient (with `type` and the `<type>` object)"),
    "type": fields.String(description="Graph-native mode: Graph message type"),
}))

read_model = ns.model("MarkRead", {
    "typing_indicator": fields.Boolean(default=False, description="Also show a typing indicator (up to 25 s)"),
}, strict=True)

message_model = ns.model("Message", {
    "id": fields.String(required=True, description="Our id (UUID)"),
    "whatsapp_message_id": NullableString(description="Meta's wamid; null until Graph accepted the send"),
    "line_id": NullableString(example="line_1"),
    "phone_number": fields.String(required=True, example="16505551234", description="The other party, digits"),
    "message_type": fields.String(required=True, example="text"),
    "direction": fields.String(required=True, enum=["outbound", "inbound"]),
    "status": fields.String(required=True, enum=["pending", "sent", "delivered", "read", "failed", "received"]),
    "content": fields.Raw(required=True, description="Outbound: the exact Graph body; inbound: Meta's message"),
    "error": NullableRaw(description="Why the send failed or why its delivery is unknown"),
    "reply_to": NullableString(),
    "timestamp": NullableString(description="Meta's timestamp of an inbound message"),
    "sent_at": NullableString(), "delivered_at": NullableString(), "read_at": NullableString(),
    "failed_at": NullableString(),
    "created_at": fields.String(required=True), "updated_at": fields.String(required=True),
})
message_page_model = ns.model("MessagePage", {
    "items": fields.List(fields.Nested(message_model), required=True),
    "next_cursor": NullableString(description="Pass as ?cursor= for the next page"),
})
read_result_model = ns.model("MarkReadResult", {
    "whatsapp_message_id": fields.String(required=True), "marked_read": fields.Boolean(required=True),
    "typing_indicator": fields.Boolean(required=True),
})

bulk_recipient_doc = ("A phone number (string), or {phone_number, components} with that recipient's "
                      "template components")
bulk_model = ns.model("BulkSend", {
    **{name: field for name, field in aggregate_model.items() if name not in ("phone_number", "to", "type")},
    "recipients": fields.List(JsonValue(description=bulk_recipient_doc), required=True, min_items=1,
                              max_items=10000, example=["+16505551234", {"phone_number": "+14155552671",
                                                                          "components": []}]),
})
bulk_accepted_model = ns.model("BulkAccepted", {
    "id": fields.String(required=True, description="Bulk send id"),
    "accepted": fields.Integer(required=True, description="Recipients queued"),
    "rejected": fields.List(fields.Raw, required=True, description="{index, phone_number, error} per invalid one"),
})
bulk_progress_model = ns.model("BulkProgress", {
    "id": fields.String(required=True), "line_id": fields.String(required=True),
    "message_type": fields.String(required=True),
    "state": fields.String(required=True, enum=["queued", "running", "completed", "cancelled"]),
    "total": fields.Integer(required=True, description="Recipients accepted"),
    "queued": fields.Integer(required=True, description="Not sent yet"),
    "sending": fields.Integer(required=True, description="Being sent right now"),
    "sent": fields.Integer(required=True, description="Accepted by WhatsApp (sent, delivered or read)"),
    "delivered": fields.Integer(required=True, description="Delivered or read"),
    "read": fields.Integer(required=True),
    "failed": fields.Integer(required=True, description="Refused (Graph error, blocked, quota)"),
    "cancelled": fields.Integer(required=True),
    "unknown": fields.Integer(required=True, description="Timed out: delivery unknown, never resent"),
    "rejected": fields.List(fields.Raw, required=True), "failures": fields.List(fields.Raw, required=True,
                                                                              description="Up to 100"),
    "created_at": fields.String(required=True), "started_at": NullableString(), "finished_at": NullableString(),
})
