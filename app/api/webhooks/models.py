"""RESTX models of the webhooks API."""
from flask_restx import Namespace, fields

from app.utils.restx import NullableInteger, NullableRaw, NullableString

ns = Namespace("webhooks", description="Meta's webhook endpoint (signed, no API key) and the stored events")

receipt_model = ns.model("WebhookReceipt", {
    "status": fields.String(required=True, example="received"),
    "event_id": fields.String(required=True, description="Id of the stored WebhookEvent"),
})
event_model = ns.model("WebhookEvent", {
    "id": fields.String(required=True),
    "event_type": fields.String(required=True, example="statuses",
                                description="messages, statuses, errors, mixed, or another Meta field"),
    "line_id": NullableString(description="Receiving line, from metadata.phone_number_id"),
    "phone_number_id": NullableString(),
    "processed": fields.Boolean(required=True),
    "processed_at": NullableString(),
    "error_message": NullableString(description="Which items failed and why"),
    "retry_count": fields.Integer(required=True),
    "value_errors": NullableRaw(description="value.errors Meta reported"),
    "payload": NullableRaw(description="The body as Meta sent it"),
    "created_at": fields.String(required=True), "updated_at": fields.String(required=True),
})
event_page_model = ns.model("WebhookEventPage", {
    "items": fields.List(fields.Nested(event_model), required=True), "next_cursor": NullableString(),
})
delivery_model = ns.model("WebhookDelivery", {
    "id": fields.String(required=True), "event_key": fields.String(required=True),
    "line_id": NullableString(), "target_url": fields.String(required=True),
    "event_kind": fields.String(required=True, enum=["message.received", "message.status"]),
    "state": fields.String(required=True, enum=["pending", "delivered", "dead"]),
    "attempts": fields.Integer(required=True), "last_status_code": NullableInteger(),
    "last_error": NullableString(), "next_attempt_at": NullableString(), "delivered_at": NullableString(),
    "created_at": fields.String(required=True), "updated_at": fields.String(required=True),
})
delivery_page_model = ns.model("WebhookDeliveryPage", {
    "items": fields.List(fields.Nested(delivery_model), required=True), "next_cursor": NullableString(),
})
