"""Contacts API: list and search, create, get, rename, delete, block, unblock, conversation."""
from flask import Response, request
from flask_restx import Resource

from app.api.contacts.models import (
    contact_create_model,
    contact_model,
    contact_page_model,
    contact_update_model,
    ns,
)
from app.api.contacts.services import ContactService
from app.api.messages.models import message_page_model
from app.utils.pagination import page_request
from app.utils.query import bool_arg
from app.utils.validation import parse

PHONE = "E.164 number, with or without '+' (URL-encode it as %2B or leave it out)"
PAGE = {"limit": "1-200 (default 50)", "cursor": "next_cursor of the previous page"}


@ns.route("")
class ContactList(Resource):
    @ns.doc(params={"search": "Case-insensitive substring of display_name, profile_name or phone_number "
                              "(a leading '+' and separators in a number are ignored)",
                    "is_blocked": "true | false", **PAGE})
    @ns.response(200, "Contacts, newest first", contact_page_model)
    @ns.response(400, "Invalid filter")
    def get(self):
        """List contacts, optionally searched and filtered by blocked state"""
        args = request.args
        return ContactService().list(args.get("search"), bool_arg(args, "is_blocked"), page_request(args))

    @ns.expect(contact_create_model)
    @ns.response(201, "Created", contact_model)
    @ns.response(400, "Invalid field or phone number")
    @ns.response(409, "A contact with this phone number exists (CONFLICT)")
    def post(self):
        """Create a contact"""
        return ContactService().create(parse(contact_create_model)), 201


@ns.route("/<string:phone_number>")
@ns.param("phone_number", PHONE)
class ContactItem(Resource):
    @ns.response(200, "The contact", contact_model)
    @ns.response(404, "Unknown contact")
    def get(self, phone_number):
        """Get a contact"""
        return ContactService().get(phone_number)

    @ns.expect(contact_update_model)
    @ns.response(200, "The updated contact", contact_model)
    @ns.response(400, "Invalid or unknown field")
    @ns.response(404, "Unknown contact")
    def patch(self, phone_number):
        """Rename a contact (display_name null follows the WhatsApp profile name again)"""
        return ContactService().update(phone_number, parse(contact_update_model))

    @ns.response(204, "Deleted; no body. Its messages are kept, and a later inbound message re-creates it")
    @ns.response(404, "Unknown contact")
    def delete(self, phone_number):
        """Delete a contact, keeping its message history"""
        ContactService().delete(phone_number)
        return Response(status=204)


@ns.route("/<string:phone_number>/block")
@ns.param("phone_number", PHONE)
class ContactBlock(Resource):
    @ns.response(200, "Blocked (already blocked is fine); a number never seen gets a blocked contact",
                 contact_model)
    @ns.response(400, "Invalid phone number")
    def post(self, phone_number):
        """Block a number: every send to it gets 409 CONTACT_BLOCKED until unblocked"""
        return ContactService().block(phone_number)


@ns.route("/<string:phone_number>/unblock")
@ns.param("phone_number", PHONE)
class ContactUnblock(Resource):
    @ns.response(200, "Unblocked (not blocked is fine)", contact_model)
    @ns.response(404, "Unknown contact")
    def post(self, phone_number):
        """Unblock a contact"""
        return ContactService().unblock(phone_number)


@ns.route("/<string:phone_number>/messages")
@ns.param("phone_number", PHONE)
class ContactMessages(Resource):
    @ns.doc(params=PAGE)
    @ns.response(200, "The conversation, inbound and outbound, newest first", message_page_model)
    @ns.response(404, "Neither a contact nor any message for this number")
    def get(self, phone_number):
        """List the conversation with a number, newest first (kept after the contact is deleted)"""
        return ContactService().conversation(phone_number, page_request(request.args))
