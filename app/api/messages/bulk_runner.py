"""The bulk-send job: claim batches of queued recipients, pace them, send them, record the results.

Database work happens in batches on the job's own thread; the Graph calls of a batch run on a small
thread pool and only do HTTP. Several jobs (RQ workers, on any machine) can work on one bulk send:
claiming uses SKIP LOCKED, and pacing slots and back-offs are shared through Redis.
"""
from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select, text, update

from app.api.lines.services import line_access_token
from app.api.messages.pacing import Pacer, build_pacer
from app.api.messages.services import graph_error_record
from app.api.webhooks.statuses import apply_pending_statuses
from app.extensions import redis_client
from app.graph import GraphAPIError, GraphClient
from app.repositories.line_repo import LineRepository
from app.repositories.upsert import upsert_outbound_contacts
from app.utils.time import utc_today
from database.connection import db
from database.functions import WAMID_LOCK_KEY
from database.models import BulkJob, Contact, Message, MessageStatusEvent, MessagingLine
from database.types import utcnow

log = logging.getLogger(__name__)
LINE_BACKOFF_CODES = {4, 80007, 130429}  # throughput: the whole line waits
PAIR_RATE_CODE = 131056                  # pair rate: only that recipient waits
# A claimed recipient still 'sending' after this long was left by a worker that stopped.
STRANDED_AFTER_SECONDS = 600.0


@dataclass
class Outcome:
    """What happened to one recipient's send."""

    message_id: uuid.UUID
    wamid: str | None = None
    error: dict | None = None
    unknown: bool = False


def run_bulk(bulk_id: str) -> None:
    """Job: work on one bulk send until no recipient is left queued."""
    job = db.session.get(BulkJob, uuid.UUID(bulk_id))
    if job is None or job.state in ("cancelled", "completed"):
        return
    if job.state == "queued":
        # Conditional, so a cancel that lands at this instant is never overwritten.
        db.session.execute(update(BulkJob).where(BulkJob.id == job.id, BulkJob.state == "queued")
                           .values(state="running", started_at=utcnow()).execution_options(synchronize_session=False))
        db.session.commit()
        db.session.refresh(job)
        if job.state != "running":
            return
    line = LineRepository(db.session).get(job.line_id)
    sender = BulkSender(line, build_pacer(redis_client.get()))
    size = current_app.config["BULK_BATCH_SIZE"]
    with ThreadPoolExecutor(current_app.config["BULK_THREADS"], thread_name_prefix="bulk") as pool:
        in_flight: list = []
        in_flight_day = utc_today()
        while True:
            # The next batch is claimed and checked while the previous one is still being sent.
            batch = claim(job.id, size)
            next_day = utc_today()  # the quota day its units are reserved on
            next_flight = [pool.submit(sender.send, m) for m in _prepared(line, batch, next_day)] if batch else []
            if in_flight:
                _record_with_retry(line, [future.result() for future in in_flight], in_flight_day)
            in_flight, in_flight_day = next_flight, next_day
            if not batch:
                break
    finish(job.id)


def _prepared(line: MessagingLine, batch: list[Message], today: date) -> list[Message]:
    try:
        return prepare(line, batch, today)
    except Exception:
        db.session.rollback()
        _requeue(batch)  # nothing was sent: another round (or worker) takes them again
        raise


def _record_with_retry(line: MessagingLine, outcomes: list[Outcome], reserved_on: date) -> None:
    """Record a sent batch, retrying: its wamids exist nowhere else."""
    for attempt in range(5):
        try:
            record(line, outcomes, reserved_on)
            return
        except Exception:
            db.session.rollback()
            if attempt == 4:
                log.error("bulk: could not record %d results; they stay 'sending' (never resent)", len(outcomes))
                raise
            time.sleep(min(2 ** attempt, 10))


def _requeue(batch: list[Message]) -> None:
    db.session.execute(update(Message).where(Message.id.in_([m.id for m in batch]), Message.bulk_state == "sending")
                       .values(bulk_state="queued").execution_options(synchronize_session=False))
    db.session.commit()


def claim(bulk_id: uuid.UUID, size: int) -> list[Message]:
    """Take up to `size` queued recipients for this worker (others skip them)."""
    query = (select(Message.id).where(Message.bulk_id == bulk_id, Message.bulk_state == "queued")
             .order_by(Message.created_at, Message.id).limit(size).with_for_update(skip_locked=True))
    ids = list(db.session.scalars(query))
    if not ids:
        db.session.commit()
        return []
    db.session.execute(update(Message).where(Message.id.in_(ids)).values(bulk_state="sending", updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    messages = list(db.session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.created_at)))
    db.session.commit()
    return messages


def prepare(line: MessagingLine, batch: list[Message], today: date | None = None) -> list[Message]:
    """Blocked contacts and quota (of the day `today`), checked for a whole batch; the rest is returned."""
    now, today = utcnow(), today or utc_today()
    numbers = [m.phone_number for m in batch]
    blocked = set(db.session.scalars(select(Contact.phone_number)
                                     .where(Contact.phone_number.in_(numbers), Contact.is_blocked.is_(True))))
    candidates = []
    for message in batch:
        if message.phone_number in blocked:
            _fail(message, {"code": "CONTACT_BLOCKED", "title": "The recipient is blocked"}, now)
        else:
            candidates.append(message)
    granted = LineRepository(db.session).reserve_many(line.line_id, today, len(candidates)) if candidates else 0
    ready, over = candidates[:granted], candidates[granted:]
    if over:
        db.session.refresh(line)  # refused because the quota is used up, or was the line deactivated?
    for message in over:
        error = ({"code": "QUOTA_EXCEEDED", "title": "The line's daily quota is used up",
                  "limit": line.max_daily_messages} if line.is_active
                 else {"code": "LINE_INACTIVE", "title": "The line is inactive"})
        _fail(message, error, now)
    upsert_outbound_contacts(db.session, [m.phone_number for m in ready], line.line_id, now)
    db.session.commit()
    return ready


def _fail(message: Message, error: dict, now) -> None:
    message.status, message.error, message.failed_at, message.bulk_state = "failed", error, now, "done"


def record(line: MessagingLine, outcomes: list[Outcome], reserved_on: date) -> None:
    """Write a batch's results in one transaction; statuses that raced ahead are applied.

    Refused sends give their units back to the day they were reserved on: after midnight UTC those
    units are gone with yesterday's count, and today's count is left alone.
    """
    now = utcnow()
    sent = [o for o in outcomes if o.wamid]
    if sent and db.session.get_bind().dialect.name == "postgresql":
        # nosec B608 below: the only interpolation is the constant lock-key expression; wamids are bound.
        db.session.execute(text(f"SELECT pg_advisory_xact_lock({WAMID_LOCK_KEY.format(wamid='w')}) "  # nosec B608
                                "FROM unnest(CAST(:ws AS text[])) AS w"),
                           {"ws": sorted(o.wamid for o in sent)})
    rows, refused = [], 0
    for o in outcomes:
        row = {"id": o.message_id, "bulk_state": "done", "updated_at": now}
        if o.wamid:
            row.update(whatsapp_message_id=o.wamid, status="sent", sent_at=now)
        elif o.unknown:
            row.update(error=o.error)
        else:
            row.update(status="failed", error=o.error, failed_at=now)
            refused += 1
        rows.append(row)
    if refused:
        LineRepository(db.session).release_quota(line.line_id, reserved_on, units=refused)
    if rows:
        db.session.execute(update(Message), rows)
    if sent:
        waiting = db.session.scalars(select(MessageStatusEvent.whatsapp_message_id).distinct().where(
            MessageStatusEvent.whatsapp_message_id.in_([o.wamid for o in sent]),
            MessageStatusEvent.applied.is_(False)))
        for wamid in list(waiting):
            apply_pending_statuses(db.session, wamid)
    db.session.commit()


def sweep_stranded(older_than: float = STRANDED_AFTER_SECONDS) -> int:
    """Recipients a dead worker left 'sending' for longer than older_than seconds; how many were settled.

    Graph may have their messages, so they are never resent: each is recorded as delivery unknown
    (status stays pending, its quota unit stays used), and a job with nothing left is completed.
    A live worker that records a result later still wins: its update sets the row by id.
    """
    cutoff, now = utcnow() - timedelta(seconds=older_than), utcnow()
    error = {"delivery_unknown": True, "retryable": False,
             "title": "The bulk worker stopped before WhatsApp's answer was recorded; not resent"}
    settled = 0
    for bulk_id in list(db.session.scalars(select(BulkJob.id).where(BulkJob.state == "running"))):
        settled += db.session.execute(
            update(Message).where(Message.bulk_id == bulk_id, Message.bulk_state == "sending",
                                  Message.updated_at < cutoff)
            .values(bulk_state="done", error=error, updated_at=now).execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        finish(bulk_id)
    if settled:
        log.warning("bulk: %d recipient(s) left 'sending' by a stopped worker recorded as delivery unknown", settled)
    return settled


def finish(bulk_id: uuid.UUID) -> None:
    """Mark the job completed once nothing is queued or in flight."""
    remaining = db.session.scalar(select(Message.id).where(
        Message.bulk_id == bulk_id, Message.bulk_state.in_(("queued", "sending"))).limit(1))
    if remaining is None:
        db.session.execute(update(BulkJob).where(BulkJob.id == bulk_id, BulkJob.state == "running")
                           .values(state="completed", finished_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()


class BulkSender:
    """Sends one recipient's message with pacing and Meta-aware retries (thread-safe, no database)."""

    def __init__(self, line: MessagingLine, pacer: Pacer) -> None:
        config = current_app.config
        self.line_id, self.phone_number_id = line.line_id, line.phone_number_id
        self.max_mps = line.max_mps if config["BULK_PACING"] else 0
        self.pace_pairs = config["BULK_PACING"]
        self.attempts = config["BULK_MAX_ATTEMPTS"]
        self.pacer = pacer
        self.token = line_access_token(line.line_id)
        # One attempt per call: retries happen here, where the back-off can be shared by the line.
        self.graph = current_app.extensions.get("bulk_graph_client") or GraphClient.from_config(
            current_app.config, max_attempts=1)
        current_app.extensions["bulk_graph_client"] = self.graph

    def send(self, message: Message) -> Outcome:
        body, recipient = message.content, message.phone_number
        error: GraphAPIError | None = None
        for attempt in range(self.attempts):
            if self.pace_pairs:
                self.pacer.wait_for_slot(self.line_id, self.max_mps, recipient)
            try:
                result = self.graph.send_message(self.phone_number_id, body, token=self.token)
                return Outcome(message.id, wamid=result.wamid)
            except GraphAPIError as exc:
                if exc.delivery_unknown:  # Meta may have it: never resend
                    return Outcome(message.id, error=graph_error_record(exc), unknown=True)
                error = exc
                if not self._back_off(exc, recipient, attempt):
                    break
        return Outcome(message.id, error=graph_error_record(error) if error else None)

    def _back_off(self, exc: GraphAPIError, recipient: str, attempt: int) -> bool:
        """Push the shared slots back after a rate-limit error; False when retrying cannot help."""
        if exc.code in LINE_BACKOFF_CODES:
            seconds = exc.retry_after or min(2.0 ** attempt, 30.0)
            self.pacer.back_off_line(self.line_id, seconds)
        elif exc.code == PAIR_RATE_CODE:
            seconds = 4.0 ** attempt
            self.pacer.back_off_recipient(self.line_id, recipient, seconds)
        elif exc.retryable:
            seconds = min(0.5 * 2 ** attempt, 10.0)
            time.sleep(seconds)
            return True
        else:
            return False
        if not self.pace_pairs:
            time.sleep(seconds)  # no shared slots to wait on: wait here
        return True
