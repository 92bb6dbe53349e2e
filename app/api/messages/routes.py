"""Messages API: one endpoint per type, the aggregator, status, read receipts and the list."""
from flask import g, jsonify, make_response, request
from flask_restx import Resource

from app.api.messages import models as m
from app.api.messages.builders import TYPE_MODELS, resolve_aggregate
from app.api.messages.bulk import BulkService
from app.api.messages.filters import list_filters
from app.api.messages.services import MessageService, SendOutcome
from app.utils.pagination import page_request
from app.utils.query import parse_uuid
from app.utils.validation import json_body_object, parse

ns = m.ns
IDEMPOTENCY_HEADER = {"Idempotency-Key": {"description": "Repeat-safe key: same key and body replay the first "
                                                         "response without sending again", "in": "header"}}
SEND_RESPONSES = [
    (201, "Sent (accepted by WhatsApp)", m.message_model), (400, "Invalid field", None),
    (404, "Unknown line", None), (409, "Contact blocked, line inactive, or Idempotency-Key conflict", None),
    (429, "Daily quota used up, or rate limited", None), (502, "WhatsApp refused or failed", None),
]


def respond(outcome: SendOutcome):
    """Build the send response, marking replays."""
    response = make_response(jsonify(outcome.body), outcome.status)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def send(message_type, fields):
    """Send through the service with the caller's identity and Idempotency-Key."""
    key = request.headers.get("Idempotency-Key")
    return respond(MessageService().send(message_type, fields, str(g.principal), request.path, key))


def documented_send(model):
    """Swagger decorators shared by every send endpoint."""
    def decorate(method):
        method = ns.doc(params=IDEMPOTENCY_HEADER)(method)
        method = ns.expect(model)(method)
        for code, description, schema in SEND_RESPONSES:
            method = ns.response(code, description, schema)(method)
        return method
    return decorate


def _typed_resource(message_type: str, model, summary: str):
    class TypedSend(Resource):
        @documented_send(model)
        def post(self):
            return send(message_type, parse(model))

    TypedSend.post.__doc__ = summary
    TypedSend.__name__ = f"Send{message_type.title().replace('_', '')}"
    return TypedSend


for _path, _type, _summary in [
    ("/text", "text", "Send a text message"),
    ("/image", "image", "Send an image (JPEG/PNG) by media id or link"),
    ("/video", "video", "Send a video (MP4/3GPP) by media id or link"),
    ("/audio", "audio", "Send audio or a voice note by media id or link"),
    ("/sticker", "sticker", "Send a WebP sticker by media id or link"),
    ("/document", "document", "Send a document by media id or link"),
    ("/template", "template", "Send an approved template"),
    ("/interactive/buttons", "interactive_buttons", "Send up to three reply buttons"),
    ("/interactive/list", "interactive_list", "Send a list of options"),
    ("/interactive/cta_url", "interactive_cta_url", "Send a call-to-action URL button"),
    ("/location", "location", "Send a location pin"),
    ("/contacts", "contacts", "Send contact cards"),
    ("/reaction", "reaction", "React to a message with an emoji"),
]:
    ns.route(_path)(_typed_resource(_type, TYPE_MODELS[_type], _summary))


@ns.route("")
class MessageList(Resource):
    @documented_send(m.aggregate_model)
    def post(self):
        """Send any type: by message_type, by detected fields, or as a Graph-native body"""
        return send(*resolve_aggregate(json_body_object()))

    @ns.doc(params={
        "phone_number": "Recipient or sender", "line_id": "Line", "direction": "outbound | inbound",
        "status": "pending | sent | delivered | read | failed | received", "message_type": "Graph type",
        "since": "ISO 8601, inclusive", "until": "ISO 8601, exclusive",
        "limit": "1-200 (default 50)", "cursor": "next_cursor of the previous page"})
    @ns.response(200, "Messages, newest first", m.message_page_model)
    @ns.response(400, "Invalid filter")
    def get(self):
        """List messages with filters, newest first"""
        return MessageService().list(list_filters(request.args), page_request(request.args))


@ns.route("/status/<string:message_id>")
@ns.param("message_id", "Our message id (UUID) or Meta's wamid")
class MessageStatus(Resource):
    @ns.response(200, "The message and its status", m.message_model)
    @ns.response(404, "Unknown message")
    def get(self, message_id):
        """Get a message and its current status"""
        return MessageService().get(message_id)


@ns.route("/<string:message_id>/read")
@ns.param("message_id", "wamid of an inbound message")
class MessageRead(Resource):
    @ns.expect(m.read_model)
    @ns.response(200, "Marked read at WhatsApp", m.read_result_model)
    @ns.response(404, "Unknown inbound message")
    @ns.response(502, "WhatsApp refused")
    def post(self, message_id):
        """Mark an inbound message read, optionally showing a typing indicator"""
        fields = parse(m.read_model) if request.get_data() else {}
        return MessageService().mark_read(message_id, bool(fields.get("typing_indicator")))


@ns.route("/bulk")
class BulkList(Resource):
    @ns.expect(m.bulk_model)
    @ns.response(202, "Queued", m.bulk_accepted_model)
    @ns.response(400, "Invalid fields, or no valid recipient")
    @ns.response(404, "Unknown line")
    @ns.response(409, "Line inactive")
    def post(self):
        """Send one message to many recipients, paced to the line's throughput"""
        return BulkService().submit(json_body_object(), str(g.principal)), 202


@ns.route("/bulk/<string:bulk_id>")
@ns.param("bulk_id", "Bulk send id")
class BulkItem(Resource):
    @ns.response(200, "Progress", m.bulk_progress_model)
    @ns.response(404, "Unknown bulk send")
    def get(self, bulk_id):
        """Follow a bulk send: counts, and the failures with their errors"""
        return BulkService().get(parse_uuid(bulk_id, "bulk_id"))

    @ns.response(200, "Cancelled; progress after cancelling", m.bulk_progress_model)
    @ns.response(404, "Unknown bulk send")
    def delete(self, bulk_id):
        """Cancel the recipients still queued"""
        return BulkService().cancel(parse_uuid(bulk_id, "bulk_id"))
