"""POST /{version}/{phone_number_id}/messages: sends and read receipts, and the status webhooks they cause."""
from __future__ import annotations

import logging
import time
from typing import Any

from sandbox.errors import GraphError, status_error_object
from sandbox.faults import SendOutcome
from sandbox.state import EmulatorState, SentMessage
from sandbox.validation import SendRequest, validate_mark_read, validate_send
from sandbox.webhooks import Update, status_object

log = logging.getLogger("sandbox.sending")


def handle_messages(state: EmulatorState, phone_number_id: str, body: Any) -> dict[str, Any]:
    """Answer a /messages call like Meta: a send, a mark-as-read or a typing indicator."""
    if not isinstance(body, dict):
        raise GraphError(100, "The request body must be a JSON object.")
    if "status" in body and "to" not in body:
        validate_mark_read(body)
        state.record_read(phone_number_id, body)
        return {"success": True}
    request = validate_send(body)
    outcome = state.faults.before_send(request.wa_id)
    if outcome.delay > 0:
        time.sleep(outcome.delay)
    state.limits.admit(phone_number_id, request.wa_id)
    message = _accept(state, phone_number_id, body, request, outcome)
    reply: dict[str, Any] = {"id": message.wamid}
    if request.message_type == "template":
        reply["message_status"] = "accepted"
    return {"messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": request.wa_id}],
            "messages": [reply]}


def _accept(state: EmulatorState, phone_number_id: str, body: dict, request: SendRequest,
            outcome: SendOutcome) -> SentMessage:
    """Record the send and schedule its status webhooks."""
    message = SentMessage(wamid=state.ids.wamid(request.wa_id), phone_number_id=phone_number_id,
                          to=request.to, wa_id=request.wa_id, type=request.message_type, body=body,
                          timestamp=time.time(), statuses=_plan(request, outcome))
    state.record_send(message)
    log.info("accepted %s to %s as %s", request.message_type, request.wa_id, message.wamid)
    category = _category(state, body, request)
    delay = max(state.settings.webhook_delay, 0.0)
    for step, status in enumerate(message.statuses, start=1):
        error = status_error_object(outcome.failure_code, outcome.failure_details) if status == "failed" else None
        item = status_object(
            wamid=message.wamid, status=status, timestamp=time.time() + step * delay,
            recipient_id=request.wa_id, category=category,
            conversation_id=state.conversation_id(phone_number_id, request.wa_id, category),
            callback_data=request.callback_data, error=error)
        state.dispatcher.schedule(Update(phone_number_id, "statuses", item), step * delay)
    return message


def _plan(request: SendRequest, outcome: SendOutcome) -> list[str]:
    """Return the statuses this send will report, in order."""
    if outcome.failure_code is not None:
        return ["sent", "failed"]
    if request.message_type == "reaction":
        return ["sent"]
    return ["sent", "delivered", "read"]


def _category(state: EmulatorState, body: dict, request: SendRequest) -> str:
    """Return the pricing category: the template's category, or service for free-form messages."""
    if request.message_type != "template":
        return "service"
    return state.templates.category_of(body["template"].get("name")) or "utility"
