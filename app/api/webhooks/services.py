"""Meta's webhooks: verify, store first, then process every entry x change x item exactly once."""
from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from typing import Any, Callable

from flask import current_app
from sqlalchemy.orm import Session

from app.api.webhooks.forwarding import enqueue_deliveries, queue_forward
from app.api.webhooks.inbound import record_inbound
from app.api.webhooks.statuses import record_status
from app.errors import Forbidden, NotFound
from app.jobs import enqueue
from app.repositories.contact_repo import ContactRepository
from app.repositories.line_repo import LineRepository
from app.repositories.webhook_repo import WebhookRepository
from app.utils.pagination import PageRequest
from database.connection import db
from database.models import MessagingLine, WebhookEvent
from database.types import utcnow

log = logging.getLogger(__name__)


def event_to_dict(event: WebhookEvent, with_payload: bool = True) -> dict[str, Any]:
    """The public webhook event resource."""
    body = event.to_dict(exclude=("raw_body", "payload", "body_sha256"))
    if with_payload:
        body["payload"] = event.payload
    return body


def classify(payload: dict) -> tuple[str, str | None]:
    """The event type (messages, statuses, errors, another field, or mixed) and the first phone_number_id."""
    kinds: set[str] = set()
    phone_number_id = None
    for change in _changes(payload):
        value = change.get("value") or {}
        phone_number_id = phone_number_id or (value.get("metadata") or {}).get("phone_number_id")
        if change.get("field") != "messages":
            kinds.add(str(change.get("field") or "unknown"))
            continue
        found = [name for name in ("messages", "statuses", "errors") if value.get(name)]
        kinds.update(found or ["messages"])
    if not kinds:
        return "empty", None
    return (kinds.pop() if len(kinds) == 1 else "mixed"), phone_number_id


def _changes(payload: dict):
    for entry in payload.get("entry") or []:
        if isinstance(entry, dict):
            for change in entry.get("changes") or []:
                if isinstance(change, dict):
                    yield change


def _item_id(item) -> str:
    return str(item.get("id")) if isinstance(item, dict) else ""


def _item_strings(payload: dict, kind: str, key: str) -> set[str]:
    """The string `key` of every `kind` item ("statuses": their wamids, "messages": their senders)."""
    return {item[key] for change in _changes(payload) if change.get("field") == "messages"
            for item in (change.get("value") or {}).get(kind) or []
            if isinstance(item, dict) and isinstance(item.get(key), str) and item[key]}


def process_event_job(event_id: str) -> None:
    """Background job: process a stored webhook event."""
    WebhookService().process(uuid.UUID(event_id))


class WebhookService:
    """Receive, process, list and retry Meta's webhook events."""

    def __init__(self, session: Session | None = None, repo: WebhookRepository | None = None) -> None:
        self.session = session or db.session
        self.repo = repo or WebhookRepository(self.session)
        self.lines = LineRepository(self.session)

    def verify_subscription(self, mode: str | None, token: str | None, challenge: str | None) -> str:
        """Meta's GET handshake: the challenge back when the verify token matches, else 403."""
        expected = current_app.config.get("WEBHOOK_VERIFY_TOKEN") or ""
        if mode != "subscribe" or not expected or not hmac.compare_digest((token or "").encode(), expected.encode()):
            raise Forbidden("The webhook verification token does not match.")
        return challenge or ""

    def receive(self, raw: bytes, payload: dict) -> uuid.UUID:
        """Store the raw event durably, then queue its processing; Meta gets 200 only after the commit."""
        event_type, phone_number_id = classify(payload)
        line_id = self._line_id_for(phone_number_id) if phone_number_id else None
        if phone_number_id and line_id is None:
            log.warning("webhook for unknown phone_number_id %s stored without a line", phone_number_id)
        event_id = self.repo.insert_event(
            event_type=event_type, line_id=line_id, phone_number_id=phone_number_id,
            payload=payload, raw_body=raw.decode("utf-8", errors="replace"),
            body_sha256=hashlib.sha256(raw).hexdigest(), processed=False, retry_count=0,
        )
        self.session.commit()
        enqueue(process_event_job, str(event_id))
        return event_id

    def _line_id_for(self, phone_number_id: str) -> str | None:
        """Configuration owns which line a phone_number_id is, so it answers without a query."""
        configured = current_app.extensions["service_config"].line_for_phone_number_id(str(phone_number_id))
        if configured is not None:
            return configured.id
        row = self.lines.get_by_phone_number_id(str(phone_number_id))  # a line no longer configured
        return row.line_id if row else None

    def process(self, event_id: uuid.UUID) -> WebhookEvent:
        """Process every item of a stored event; each item is idempotent and isolated from the others.

        The items are first applied together in one transaction, without a savepoint each (two
        round trips fewer per item). If one fails, that work is rolled back and the event applied
        again with a savepoint per item, so the failing item is recorded for retry and the rest kept.
        """
        try:
            event = self._require(event_id)
            failures, deliveries, value_errors = self._apply(event, isolate=False)
        except NotFound:
            raise
        except Exception:
            self.session.rollback()
            event = self._require(event_id)
            failures, deliveries, value_errors = self._apply(event, isolate=True)
        for error in value_errors:
            log.error("webhook error from Meta: code=%s title=%s", (error or {}).get("code"),
                      (error or {}).get("title"))
        self._finish(event, failures, value_errors)
        enqueue_deliveries(deliveries)
        return event

    def _require(self, event_id: uuid.UUID) -> WebhookEvent:
        event = self.repo.get(event_id)
        if event is None:
            raise NotFound(f"Webhook event {event_id} does not exist.")
        return event

    def _apply(self, event: WebhookEvent, isolate: bool) -> tuple[list[str], list[uuid.UUID], list]:
        """Apply the event's items: (failures, deliveries to send, Meta's value errors)."""
        failures: list[str] = []
        deliveries: list[uuid.UUID] = []
        value_errors: list = []
        # Every status wamid of the event, locked up front in one order (sorted, as bulk sends lock
        # theirs), so two transactions touching the same wamids can never deadlock.
        for wamid in sorted(_item_strings(event.payload or {}, "statuses", "id")):
            self.repo.lock_wamid(wamid)
        ContactRepository(self.session).lock_many(_item_strings(event.payload or {}, "messages", "from"))
        for change in _changes(event.payload or {}):
            if change.get("field") != "messages":
                continue  # stored and acknowledged; nothing to apply
            value = change.get("value") or {}
            line = self._line_for(value)
            profiles = {c.get("wa_id"): c for c in value.get("contacts") or [] if isinstance(c, dict)}
            for item in sorted(value.get("messages") or [], key=_item_id):  # one insert order everywhere
                self._item("message", item, failures, deliveries, isolate,
                           lambda item=item: self._inbound(item, profiles, line))
            for item in value.get("statuses") or []:
                self._item("status", item, failures, deliveries, isolate,
                           lambda item=item: self._status(item, line, event.id))
            value_errors.extend(value.get("errors") or [])
        return failures, deliveries, value_errors

    def _item(self, kind: str, item: Any, failures: list, deliveries: list, isolate: bool, work: Callable) -> None:
        if not isolate:
            delivery_id = work()  # a failure propagates: process() starts again, isolating each item
        else:
            try:
                with self.session.begin_nested():
                    delivery_id = work()
            except Exception as exc:  # one bad item must not stop the others; it is recorded for retry
                wamid = item.get("id") if isinstance(item, dict) else None
                log.exception("webhook %s item %s failed", kind, wamid)
                failures.append(f"{kind} {wamid or '?'}: {type(exc).__name__}: {exc}"[:500])
                return
        if delivery_id:
            deliveries.append(delivery_id)

    def _inbound(self, item: dict, profiles: dict, line: MessagingLine | None) -> uuid.UUID | None:
        if not isinstance(item, dict):
            raise TypeError("message item is not an object")
        message = record_inbound(self.session, item, profiles, line.line_id if line else None)
        if message is None:
            return None
        from app.api.messages.services import message_to_dict

        return queue_forward(self.session, line, "message.received", f"message:{message.whatsapp_message_id}",
                             {"message": message_to_dict(message), "contact": profiles.get(message.phone_number)})

    def _status(self, item: dict, line: MessagingLine | None, event_id) -> uuid.UUID | None:
        if not isinstance(item, dict):
            raise TypeError("status item is not an object")
        recorded = record_status(self.session, item, line.line_id if line else None, event_id)
        if recorded is None:
            return None
        message = recorded["message"]
        return queue_forward(self.session, line, "message.status",
                             f"status:{recorded['wamid']}:{recorded['status']}", {
                                 "status": item, "message_id": str(message.id) if message else None,
                                 "current_status": message.status if message else None})

    def _line_for(self, value: dict) -> MessagingLine | None:
        phone_number_id = (value.get("metadata") or {}).get("phone_number_id")
        return self.lines.get_by_phone_number_id(str(phone_number_id)) if phone_number_id else None

    def _finish(self, event: WebhookEvent, failures: list[str], value_errors: list) -> None:
        if event.processed_at is not None or event.error_message:
            event.retry_count += 1
        event.value_errors = value_errors or event.value_errors
        event.processed = not failures
        event.processed_at = utcnow()
        event.error_message = (f"{len(failures)} item(s) failed: " + "; ".join(failures))[:4000] if failures else None
        self.session.commit()

    # -- the events API ---------------------------------------------------------------------
    def list(self, filters: dict, page: PageRequest) -> dict:
        result = self.repo.list(filters, page)
        return {"items": [event_to_dict(e, with_payload=False) for e in result.items],
                "next_cursor": result.next_cursor}

    def get(self, event_id: uuid.UUID) -> dict:
        event = self.repo.get(event_id)
        if event is None:
            raise NotFound(f"Webhook event {event_id} does not exist.", {"event_id": str(event_id)})
        return event_to_dict(event)

    def retry(self, event_id: uuid.UUID) -> dict:
        """Reprocess an event now; items already applied are skipped by their unique keys."""
        self.get(event_id)
        return event_to_dict(self.process(event_id))

    def retry_failed(self, min_age_seconds: float = 60) -> list[str]:
        """Reprocess every unprocessed event older than min_age_seconds (CLI)."""
        from datetime import timedelta

        cutoff, position, done = utcnow() - timedelta(seconds=min_age_seconds), None, []
        while batch := self.repo.unprocessed(cutoff, position):
            for _created, event_id in batch:
                self.process(event_id)  # each once: an event that fails again stays for the next run
                done.append(str(event_id))
            position = batch[-1]
        return done
