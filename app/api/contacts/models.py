"""RESTX models of the contacts API."""
from flask_restx import Namespace, fields

from app.private.auth import require_auth
from app.utils.restx import NullableString

ns = Namespace("contacts", description="WhatsApp users: search, names, blocking, and each one's conversation",
               decorators=[require_auth])

TIME = "2026-12-03T10:00:00+00:00"

contact_model = ns.model("Contact", {
    "id": fields.String(required=True, example="6f1c2a9e-3b7d-4c1e-9a51-0d2f8e7b4c10", description="Our id (UUID)"),
    "phone_number": fields.String(required=True, example="16505551234",
                                  description="E.164 digits without '+': the contact's key"),
    "display_name": NullableString(example="Alice (VIP)",
                                   description="Our name for the contact; follows profile_name until set here"),
    "profile_name": NullableString(example="Alice", description="The name on the user's WhatsApp profile"),
    "wa_id": NullableString(example="16505551234", description="WhatsApp id from the latest webhook"),
    "is_blocked": fields.Boolean(required=True, example=False, description="Sends to a blocked contact get 409"),
    "blocked_at": NullableString(example=TIME, description="When it was blocked; null when not blocked"),
    "last_seen": NullableString(example=TIME, description="Timestamp of the newest inbound message"),
    "last_inbound_at": NullableString(example=TIME, description="When the contact last wrote to us"),
    "last_outbound_at": NullableString(example=TIME, description="When we last sent to the contact"),
    "created_at": fields.String(required=True, example=TIME),
    "updated_at": fields.String(required=True, example=TIME),
})

contact_page_model = ns.model("ContactPage", {
    "items": fields.List(fields.Nested(contact_model), required=True),
    "next_cursor": NullableString(example=None, description="Pass as ?cursor= for the next page; null on the last"),
})

contact_create_model = ns.model("ContactCreate", {
    "phone_number": fields.String(required=True, min_length=1, max_length=32, example="+16505551234",
                                  description="E.164, with or without '+'"),
    "display_name": NullableString(max_length=255, example="Alice (VIP)"),
}, strict=True)

contact_update_model = ns.model("ContactUpdate", {
    "display_name": NullableString(max_length=255, example="Alice (VIP)",
                                   description="null gives the name back to the WhatsApp profile"),
}, strict=True)
