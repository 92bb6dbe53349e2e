"""Webhooks API: Meta's handshake and events, and the stored events and forwards."""
import json
import logging

from flask import current_app, make_response, request
from flask_restx import Resource

from app.api.webhooks import models as m
from app.api.webhooks.deliveries import DeliveryService
from app.api.webhooks.services import WebhookService
from app.errors import Unauthorized, ValidationError
from app.private.auth import require_auth
from app.private.signature import verify_whatsapp_signature
from app.utils.pagination import page_request
from app.utils.query import bool_arg, parse_uuid

ns = m.ns
log = logging.getLogger(__name__)


@ns.route("")
class MetaWebhook(Resource):
    @ns.doc(security=[], params={"hub.mode": "subscribe", "hub.verify_token": "WEBHOOK_VERIFY_TOKEN",  # nosec B105 - the name of a query parameter, not a secret
                                 "hub.challenge": "Echoed back"})
    @ns.produces(["text/plain", "application/json"])
    @ns.response(200, "The hub.challenge, as text/plain")
    @ns.response(403, "Verification token mismatch")
    def get(self):
        """Answer Meta's subscription handshake"""
        args = request.args
        challenge = WebhookService().verify_subscription(args.get("hub.mode"), args.get("hub.verify_token"),
                                                         args.get("hub.challenge"))
        return make_response(challenge, 200, {"Content-Type": "text/plain; charset=utf-8"})

    @ns.doc(security=[], params={"X-Hub-Signature-256": {"in": "header", "required": True,
                                                         "description": "sha256=<hex HMAC-SHA256 of the raw body>"}})
    @ns.response(200, "Stored; processed in the background", m.receipt_model)
    @ns.response(400, "Signed but not JSON")
    @ns.response(401, "Missing or wrong signature; nothing processed")
    @ns.response(413, "Body over 3 MB")
    @ns.response(503, "Database down: Meta should retry")
    def post(self):
        """Receive Meta's signed events: verify, store, acknowledge"""
        raw = request.get_data(cache=True)
        if not verify_whatsapp_signature(raw, request.headers.get("X-Hub-Signature-256"),
                                         current_app.config.get("WEBHOOK_SECRET")):
            raise Unauthorized("The X-Hub-Signature-256 signature is missing or wrong.")
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            log.warning("signed webhook body is not JSON (%d bytes)", len(raw))
            raise ValidationError("The webhook body is not valid JSON.", {"body": "is not valid JSON"}) from None
        if not isinstance(payload, dict):
            raise ValidationError("The webhook body must be a JSON object.", {"body": "must be a JSON object"})
        event_id = WebhookService().receive(raw, payload)
        return {"status": "received", "event_id": str(event_id)}


@ns.route("/events")
class WebhookEventList(Resource):
    method_decorators = [require_auth]

    @ns.doc(params={"processed": "true | false", "event_type": "messages, statuses, ...", "line_id": "Line",
                    "limit": "1-200", "cursor": "next_cursor"})
    @ns.response(200, "Stored events, newest first", m.event_page_model)
    def get(self):
        """List stored webhook events"""
        filters = {"processed": bool_arg(request.args, "processed"), "event_type": request.args.get("event_type"),
                   "line_id": request.args.get("line_id")}
        return WebhookService().list(filters, page_request(request.args))


@ns.route("/events/<string:event_id>")
class WebhookEventItem(Resource):
    method_decorators = [require_auth]

    @ns.response(200, "The event with its payload", m.event_model)
    @ns.response(404, "Unknown event")
    def get(self, event_id):
        """Get a stored webhook event"""
        return WebhookService().get(parse_uuid(event_id, "event_id"))


@ns.route("/events/<string:event_id>/retry")
class WebhookEventRetry(Resource):
    method_decorators = [require_auth]

    @ns.response(200, "Reprocessed; items already applied are skipped", m.event_model)
    @ns.response(404, "Unknown event")
    def post(self, event_id):
        """Process a stored event again"""
        return WebhookService().retry(parse_uuid(event_id, "event_id"))


@ns.route("/deliveries")
class DeliveryList(Resource):
    method_decorators = [require_auth]

    @ns.doc(params={"state": "pending | delivered | dead", "line_id": "Line", "limit": "1-200",
                    "cursor": "next_cursor"})
    @ns.response(200, "Forwards to the lines' webhook URLs, newest first", m.delivery_page_model)
    def get(self):
        """List forwards of events to the lines' applications"""
        filters = {"state": request.args.get("state"), "line_id": request.args.get("line_id")}
        return DeliveryService().list(filters, page_request(request.args))


@ns.route("/deliveries/<string:delivery_id>/retry")
class DeliveryRetry(Resource):
    method_decorators = [require_auth]

    @ns.response(200, "Queued again", m.delivery_model)
    @ns.response(404, "Unknown delivery")
    def post(self, delivery_id):
        """Send a dead or pending forward again now"""
        return DeliveryService().retry(parse_uuid(delivery_id, "delivery_id"))
