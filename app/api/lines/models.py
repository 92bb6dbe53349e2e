"""RESTX models of the lines API."""
from flask_restx import Namespace, fields

from app.private.auth import require_auth
from app.utils.restx import NullableString

ns = Namespace("lines", description="Messaging lines (business phone numbers) and their daily quotas",
               decorators=[require_auth])

line_model = ns.model("Line", {
    "line_id": fields.String(required=True, example="line_1", description="The line's id from configuration"),
    "phone_number_id": fields.String(required=True, example="106540352242922", description="Meta's phone number id"),
    "display_name": fields.String(required=True, example="Support"),
    "phone_number": fields.String(required=True, example="+15550001111"),
    "webhook_url": NullableString(example="https://app.example.com/whatsapp-events",
                                  description="Where this line's events are forwarded"),
    "is_active": fields.Boolean(required=True),
    "max_daily_messages": fields.Integer(required=True, example=1000),
    "max_mps": fields.Integer(required=True, example=80, description="Bulk sends' messages per second"),
    "current_daily_count": fields.Integer(required=True, description="Messages sent today (UTC day)"),
    "remaining_today": fields.Integer(required=True),
    "last_reset_date": NullableString(description="UTC day the counter refers to", example="2026-12-03"),
})

line_list_model = ns.model("LineList", {"items": fields.List(fields.Nested(line_model), required=True)})

line_update_model = ns.model("LineUpdate", {
    "display_name": fields.String(min_length=1, max_length=255, example="Sales"),
    "webhook_url": NullableString(max_length=2048, pattern=r"^https?://\S+$",
                                  example="https://app.example.com/whatsapp-events"),
    "is_active": fields.Boolean(example=True),
    "max_daily_messages": fields.Integer(min=0, max=10_000_000, example=5000),
    "max_mps": fields.Integer(min=1, max=1000, example=80,
                              description="Messages per second bulk sends may use (Meta's default is 80)"),
}, strict=True)
