"""Forwarding processed events to each line's own webhook_url: signed, retried, dead-lettered.

Each POST body is JSON; the header ``X-Webhook-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of
the exact body bytes, keyed with the line's ``webhook_secret`` (MESSAGING_LINES) or else the global
FORWARD_WEBHOOK_SECRET. Delivery never runs inside Meta's request: it is a background job.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy.orm import Session

from app.jobs import enqueue
from app.private.signature import sign
from app.repositories.webhook_repo import WebhookRepository
from database.connection import db
from database.models import MessagingLine
from database.types import utcnow

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Webhook-Signature-256"
_session = requests.Session()
_session.trust_env = False  # never route forwards through an ambient proxy, and skip its per-call lookup


def forwarding_secret(line_id: str | None) -> str | None:
    """The line's own secret, else the global one."""
    configured = current_app.extensions["service_config"].line(line_id) if line_id else None
    return (configured.webhook_secret if configured else None) or current_app.config.get("FORWARD_WEBHOOK_SECRET")


def queue_forward(session: Session, line: MessagingLine | None, kind: str, event_key: str,
                  data: dict) -> uuid.UUID | None:
    """Record a delivery for a line with a webhook_url (once per event_key); the caller enqueues it."""
    if line is None or not line.webhook_url:
        return None
    delivery_id = uuid.uuid4()
    body = json.dumps({"id": str(delivery_id), "event": kind, "line_id": line.line_id,
                       "created_at": utcnow().isoformat(), "data": data}, separators=(",", ":"), default=str)
    inserted = WebhookRepository(session).add_delivery({
        "id": delivery_id, "event_key": event_key, "line_id": line.line_id, "target_url": line.webhook_url,
        "event_kind": kind, "body": body, "state": "pending", "attempts": 0, "next_attempt_at": utcnow(),
    })
    return delivery_id if inserted else None


def enqueue_deliveries(delivery_ids: list[uuid.UUID]) -> None:
    """Start delivering (after the rows are committed)."""
    for delivery_id in delivery_ids:
        enqueue(deliver, str(delivery_id))


ATTEMPT_EARLY_SLACK = timedelta(seconds=1)  # a scheduled job may fire this much before its time


def deliver(delivery_id: str) -> None:
    """Job: POST one delivery; on failure schedule the next attempt, or dead-letter it."""
    repo = WebhookRepository(db.session)
    delivery = repo.claim_delivery(uuid.UUID(delivery_id))
    # Not ours now: another job is posting it, it is done, or its next attempt is not due yet
    # (a second job for it, e.g. a manual retry, already made this attempt).
    if (delivery is None or delivery.state != "pending"
            or (delivery.next_attempt_at and delivery.next_attempt_at > utcnow() + ATTEMPT_EARLY_SLACK)):
        db.session.rollback()
        return
    body = delivery.body.encode()
    headers = {"Content-Type": "application/json", "User-Agent": "whatsapp-api-microservice",
               "X-Webhook-Id": str(delivery.id), "X-Webhook-Event": delivery.event_kind,
               "X-Webhook-Attempt": str(delivery.attempts + 1)}
    secret = forwarding_secret(delivery.line_id)
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    delivery.attempts += 1
    try:
        response = _session.post(delivery.target_url, data=body, headers=headers,
                                 timeout=current_app.config["FORWARD_TIMEOUT"], allow_redirects=False)
        delivery.last_status_code, delivery.last_response = response.status_code, response.text[:1000]
        delivery.last_error = None if response.ok else f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        delivery.last_status_code, delivery.last_error = None, f"{type(exc).__name__}: {exc}"[:1000]
    _settle(delivery)
    db.session.commit()
    if delivery.state == "pending":
        enqueue(deliver, delivery_id, delay=(delivery.next_attempt_at - utcnow()).total_seconds())


def _settle(delivery) -> None:
    config = current_app.config
    if delivery.last_error is None:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", utcnow(), None
        return
    if delivery.attempts >= config["FORWARD_MAX_ATTEMPTS"]:
        delivery.state, delivery.next_attempt_at = "dead", None
        log.error("forward %s to line %s dead after %d attempts: %s", delivery.id, delivery.line_id,
                  delivery.attempts, delivery.last_error)
        return
    backoff = config["FORWARD_RETRY_BASE_SECONDS"] * (2 ** (delivery.attempts - 1))
    delivery.next_attempt_at = utcnow() + timedelta(seconds=min(backoff, 3600))
    log.warning("forward %s attempt %d failed (%s); retrying in %.1fs", delivery.id, delivery.attempts,
                delivery.last_error, backoff)


def redeliver(delivery_id: uuid.UUID) -> None:
    """Put a dead or failed delivery back in the queue now."""
    delivery = WebhookRepository(db.session).delivery(delivery_id)
    delivery.state, delivery.next_attempt_at, delivery.attempts = "pending", utcnow(), 0
    db.session.commit()
    enqueue(deliver, str(delivery_id))
