"""Sending messages: validate, resolve the line, check the contact, reserve quota, record, call Graph."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm import Session

from app.api.lines.services import LineService, line_access_token
from app.api.media.links import materialize_link
from app.api.messages.builders import MEDIA_TYPES, build_for_type, graph_native_body
from app.api.messages.idempotency import IdempotencyService, request_fingerprint
from app.api.webhooks.statuses import apply_pending_statuses
from app.errors import ContactBlocked, NotFound, ServiceUnavailable, ValidationError, WhatsAppAPIError
from app.extensions import get_graph_client
from app.graph import GraphAPIError
from app.private.phone import normalize_phone
from app.repositories.contact_repo import ContactRepository
from app.repositories.message_repo import MessageRepository
from app.repositories.outbound_repo import OutboundRepository, PendingSend
from app.repositories.webhook_repo import WebhookRepository
from app.utils.pagination import PageRequest
from app.utils.time import iso, utc_today
from database.connection import db
from database.models import Message
from database.types import utcnow

log = logging.getLogger(__name__)
STORE_WAMID_ATTEMPTS = 5


@dataclass(frozen=True)
class SendOutcome:
    """What a send endpoint answers: status, body and whether it is a replay."""

    status: int
    body: dict
    replayed: bool = False


def message_to_dict(message: Message) -> dict[str, Any]:
    """The public message resource."""
    return {
        "id": str(message.id),
        "whatsapp_message_id": message.whatsapp_message_id,
        "line_id": message.line_id,
        "phone_number": message.phone_number,
        "message_type": message.message_type,
        "direction": message.direction,
        "status": message.status,
        "content": message.content,
        "error": message.error,
        "reply_to": message.reply_to,
        "timestamp": iso(message.timestamp),
        "sent_at": iso(message.sent_at),
        "delivered_at": iso(message.delivered_at),
        "read_at": iso(message.read_at),
        "failed_at": iso(message.failed_at),
        "created_at": iso(message.created_at),
        "updated_at": iso(message.updated_at),
    }



def graph_error_record(error: GraphAPIError) -> dict[str, Any]:
    """What we keep on a failed message: Meta's code, title, details and trace id."""
    title = error.message
    if title.startswith("(#") and ") " in title:
        title = title.split(") ", 1)[1]
    return {
        "code": error.code, "subcode": error.subcode, "title": title, "details": error.details,
        "fbtrace_id": error.fbtrace_id, "retryable": error.retryable, "http_status": error.http_status,
        "delivery_unknown": bool(getattr(error, "delivery_unknown", False)),
    }


class MessageService:
    """One send, or one query, per public method."""

    def __init__(self, session: Session | None = None, lines: LineService | None = None,
                 messages: MessageRepository | None = None, contacts: ContactRepository | None = None,
                 graph=None) -> None:
        self.session = session or db.session
        self.lines = lines or LineService(self.session)
        self.messages = messages or MessageRepository(self.session)
        self.contacts = contacts or ContactRepository(self.session)
        self.outbound = OutboundRepository(self.session)
        self._graph = graph
        self._graph_called = False
        self._claim = None

    @property
    def graph(self):
        if self._graph is None:
            self._graph = get_graph_client()
        return self._graph

    # -- sending --------------------------------------------------------------------------
    def send(self, message_type: str | None, payload: dict, principal: str, route: str,
             idempotency_key: str | None = None) -> SendOutcome:
        """Send one message of message_type (None: the aggregator decides), idempotently when keyed."""
        if not idempotency_key:
            return self._send(message_type, payload)
        idempotency = IdempotencyService(self.session, current_app.config["IDEMPOTENCY_TTL_HOURS"],
                                         lease_seconds=current_app.config["IDEMPOTENCY_LEASE_SECONDS"])
        claim = idempotency.claim(principal, idempotency_key, request_fingerprint(route, payload))
        if claim.is_replay:
            return SendOutcome(claim.replay_status, claim.replay_body, replayed=True)
        self._claim = claim
        try:
            outcome = self._send(message_type, payload)
        except WhatsAppAPIError as exc:
            details = exc.details or {}
            if details.get("retryable") and not details.get("delivery_unknown"):
                idempotency.release(claim)  # nothing went out; retrying with the same key may succeed
            else:
                idempotency.complete(claim, exc.status, {"error": exc.code, "message": exc.message,
                                                         "details": exc.details})
            raise
        except BaseException:
            if not self._graph_called:
                idempotency.release(claim)
            # Otherwise Graph may have the message: the key stays claimed, so a retry is refused
            # (409) instead of sending it a second time.
            raise
        idempotency.complete(claim, outcome.status, outcome.body)
        return outcome

    def _send(self, message_type: str | None, payload: dict) -> SendOutcome:
        to, line_id, body = self._build(message_type, payload)
        if current_app.config["MEDIA_UPLOAD_LINKS"] and body.get("type") in MEDIA_TYPES:
            line = self.lines.resolve_for_send(line_id)
            self._refuse_blocked(to)  # don't fetch a link for a message that cannot go out
            body = materialize_link(line, body, line_access_token(line.line_id), self.graph)
        message = self._call_graph(self._record_pending(line_id, to, body))
        return SendOutcome(201, message_to_dict(message))

    def _build(self, message_type: str | None, payload: dict) -> tuple[str, str | None, dict]:
        fields = dict(payload)
        line_id = fields.pop("line_id", None)
        if message_type is None and "to" in fields and "type" in fields and "phone_number" not in fields:
            to = normalize_phone(fields.get("to"), field="to")
            return to, line_id, graph_native_body(fields, to)
        to = normalize_phone(fields.pop("phone_number", None))
        return to, line_id, build_for_type(message_type, to, fields)

    def _refuse_blocked(self, to: str) -> None:
        contact = self.contacts.get(to)
        if contact is not None and contact.is_blocked:
            self.session.rollback()
            raise ContactBlocked(f"{to} is blocked; unblock the contact to message it.", {"phone_number": to})

    def _record_pending(self, line_id: str | None, to: str, body: dict) -> PendingSend:
        """A quota unit, the contact and the pending row, committed together before the Graph call.

        A crash from here on leaves a trace, not nothing. When nothing could be written, reads
        find out why: 409 blocked, 404 unknown line, 409 inactive line, 429 quota used up.
        """
        line_id = line_id or current_app.config.get("DEFAULT_LINE_ID")
        if not line_id:
            raise NotFound("No line_id was given and no DEFAULT_LINE_ID is configured.", {"line_id": "is required"})
        claim = self._claim.row if self._claim is not None else None
        for _ in range(2):
            pending = self.outbound.record_pending(line_id=line_id, phone_number=to, body=body, today=utc_today(),
                                                   now=utcnow(), claim_id=claim.id if claim is not None else None)
            if pending is not None:
                break
            self._refuse_blocked(to)
            self.lines.reserve_for_send(line_id)  # raises 404, 409 or 429
            # Nothing is wrong any more (a unit was given back, the day turned): give this one back, retry.
            self.session.rollback()
        else:
            raise ServiceUnavailable("The send could not be recorded; retry.", {"line_id": line_id})
        if claim is not None:
            set_committed_value(claim, "message_id", pending.message.id)
        return pending

    def _call_graph(self, pending: PendingSend) -> Message:
        """Send the recorded body; the message as it stands after Graph's answer is recorded."""
        self._graph_called = True
        message = pending.message
        try:
            result = self.graph.send_message(pending.phone_number_id, message.content,
                                             token=line_access_token(message.line_id))
        except GraphAPIError as exc:
            self._graph_failed(pending, exc)
        return self._store_wamid(message, result.wamid)

    def _store_wamid(self, message: Message, wamid: str) -> Message:
        """Record Graph's acceptance, retrying a failed commit: losing the wamid would lose the message."""
        # About 7.5 s in all (0.5, 1, 2, 4 s apart): long enough for a quick database restart.
        for attempt in range(STORE_WAMID_ATTEMPTS):
            try:
                now = utcnow()
                waiting = self.outbound.mark_sent(message.id, wamid, now)
                break
            except OperationalError:
                self.session.rollback()
                if attempt == STORE_WAMID_ATTEMPTS - 1:
                    log.error("send %s accepted by Graph as %s but could not be recorded", message.id, wamid)
                    raise
                time.sleep(0.5 * 2 ** attempt)
        message.whatsapp_message_id, message.status, message.sent_at, message.updated_at = wamid, "sent", now, now
        if not waiting:
            return message
        # Statuses that arrived before Graph's answer: applied now, under the wamid lock.
        WebhookRepository(self.session).lock_wamid(wamid)
        stored = self.messages.get(message.id)
        apply_pending_statuses(self.session, wamid, stored)
        self.session.commit()
        return stored

    def _graph_failed(self, pending: PendingSend, exc: GraphAPIError) -> None:
        message = pending.message
        message.error = graph_error_record(exc)
        if exc.delivery_unknown:
            # Meta may have accepted it (a read timeout, a 504, an answer without an id): keep the
            # unit and the pending row, and never resend on our own.
            self.messages.record_error(message.id, message.error)
            self.session.commit()
            log.warning("send %s: delivery unknown (%s); not resending", message.id, type(exc).__name__)
            raise WhatsAppAPIError("WhatsApp's answer left delivery unknown; the message was not resent.",
                                   {**exc.to_details(), "message_id": str(message.id)}) from None
        self.lines.release(message.line_id, pending.reserved_on)
        message.status, message.failed_at = "failed", utcnow()
        self.messages.record_error(message.id, message.error, failed_at=message.failed_at)
        self.session.commit()
        log.info("send %s failed at Graph: code=%s fbtrace_id=%s", message.id, exc.code, exc.fbtrace_id)
        raise WhatsAppAPIError(f"WhatsApp refused the message: {message.error['title']}",
                               {**exc.to_details(), "message_id": str(message.id)}) from None

    # -- reading --------------------------------------------------------------------------
    def get(self, id_or_wamid: str) -> dict:
        message = self.messages.find(id_or_wamid)
        if message is None:
            raise NotFound(f"No message has the id or wamid {id_or_wamid!r}.", {"message_id": id_or_wamid})
        return message_to_dict(message)

    def list(self, filters: dict, page: PageRequest) -> dict:
        result = self.messages.list(filters, page)
        return {"items": [message_to_dict(m) for m in result.items], "next_cursor": result.next_cursor}

    def mark_read(self, wamid: str, typing_indicator: bool = False) -> dict:
        """Mark an inbound message read at Meta, optionally with a typing indicator."""
        message = self.messages.find(wamid)
        if message is None or message.direction != "inbound" or not message.whatsapp_message_id:
            raise NotFound(f"No inbound message has the wamid {wamid!r}.", {"message_id": wamid})
        line = self.lines.repo.get(message.line_id) if message.line_id else None
        if line is None:
            raise ValidationError("The message was received on no known line.", {"message_id": wamid})
        try:
            self.graph.mark_read(line.phone_number_id, message.whatsapp_message_id,
                                 typing_indicator=typing_indicator, token=line_access_token(line.line_id))
        except GraphAPIError as exc:
            raise WhatsAppAPIError(f"WhatsApp refused the read receipt: {exc.message}", exc.to_details()) from None
        message.read_at = message.read_at or utcnow()
        self.session.commit()
        return {"whatsapp_message_id": message.whatsapp_message_id, "marked_read": True,
                "typing_indicator": typing_indicator}
