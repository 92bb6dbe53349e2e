"""Bulk sends: one message to up to 10,000 recipients, each recorded like a single send."""
from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.api.lines.services import LineService
from app.api.messages.builders import build_for_type, resolve_aggregate
from app.errors import NotFound, ValidationError
from app.jobs import enqueue
from app.jobs.queue import BULK_QUEUE
from app.private.phone import normalize_phone
from app.utils.time import iso
from database.connection import db
from database.models import BulkJob, Message
from database.types import utcnow

PLACEHOLDER = "+16505550100"  # validates the shared fields before any recipient is looked at
FAILURE_SAMPLE = 100


def bulk_to_dict(job: BulkJob, counts: dict[str, int], failures: list[dict]) -> dict[str, Any]:
    """The progress resource: top-level counts, and the failures with their errors."""
    return {"id": str(job.id), "line_id": job.line_id, "message_type": job.message_type, "state": job.state,
            "total": job.total, **counts, "rejected": job.rejected, "failures": failures,
            "created_at": job.created_at.isoformat(), "started_at": iso(job.started_at),
            "finished_at": iso(job.finished_at)}



class BulkService:
    """Submit, follow and cancel bulk sends; the sending itself is app.api.messages.bulk_runner."""

    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session

    def submit(self, payload: dict, principal: str) -> dict:
        fields = dict(payload)
        recipients = fields.pop("recipients", None)
        limit = current_app.config["BULK_MAX_RECIPIENTS"]
        if not isinstance(recipients, list) or not 1 <= len(recipients) <= limit:
            raise ValidationError(f"recipients must be a list of 1 to {limit} recipients.",
                                  {"recipients": f"must be a list of 1-{limit} phone numbers or objects"})
        if "phone_number" in fields or "to" in fields:
            raise ValidationError("A bulk send takes recipients, not phone_number.",
                                  {"phone_number": "use recipients instead"})
        message_type, shared = resolve_aggregate({**fields, "phone_number": PLACEHOLDER})
        line = LineService(self.session).resolve_for_send(shared.pop("line_id", None))
        shared.pop("phone_number")
        bodies, rejected = self._bodies(message_type, shared, recipients)
        if not bodies:
            raise ValidationError("No recipient is valid.", {f"recipients[{r['index']}]": r["error"] for r in rejected})
        job = BulkJob(id=uuid.uuid4(), line_id=line.line_id, message_type=message_type, request=payload,
                      principal=principal, state="queued", total=len(bodies), rejected=rejected)
        self.session.add(job)
        self.session.flush()
        now = utcnow()
        self.session.execute(insert(Message), [{
            "id": uuid.uuid4(), "line_id": line.line_id, "phone_number": to, "message_type": body["type"],
            "direction": "outbound", "status": "pending", "content": body, "bulk_id": job.id,
            "bulk_state": "queued", "created_at": now, "updated_at": now,
        } for to, body in bodies])
        self.session.commit()
        for _ in range(max(1, current_app.config["BULK_PARALLELISM"])):
            enqueue("app.api.messages.bulk_runner:run_bulk", str(job.id), queue=BULK_QUEUE)
        return {"id": str(job.id), "accepted": len(bodies), "rejected": rejected}

    def _bodies(self, message_type: str, shared: dict, recipients: list) -> tuple[list, list]:
        """(recipient, Graph body) for each valid recipient; the others with why."""
        bodies, rejected, seen = [], [], set()
        for index, recipient in enumerate(recipients):
            try:
                to, extra = self._recipient(recipient, message_type)
                if to in seen:
                    raise ValidationError("duplicate recipient", {"phone_number": "appears twice"})
                bodies.append((to, build_for_type(message_type, to, {**shared, **extra})))
                seen.add(to)
            except ValidationError as exc:
                reason = "; ".join(f"{k}: {v}" for k, v in (exc.details or {}).items()) or exc.message
                number = recipient.get("phone_number") if isinstance(recipient, dict) else recipient
                rejected.append({"index": index, "phone_number": number, "error": reason})
        return bodies, rejected

    @staticmethod
    def _recipient(recipient: Any, message_type: str) -> tuple[str, dict]:
        if isinstance(recipient, str):
            return normalize_phone(recipient), {}
        if not isinstance(recipient, dict) or set(recipient) - {"phone_number", "components"}:
            raise ValidationError("bad recipient", {"recipient": "must be a phone number or "
                                                                 "{phone_number, components}"})
        if "components" in recipient and message_type != "template":
            raise ValidationError("bad recipient", {"components": "only template sends take components"})
        extra = {"components": recipient["components"]} if "components" in recipient else {}
        return normalize_phone(recipient.get("phone_number")), extra

    def get(self, bulk_id: uuid.UUID) -> dict:
        job = self._require(bulk_id)
        return bulk_to_dict(job, self._counts(job.id), self._failures(job.id))

    def cancel(self, bulk_id: uuid.UUID) -> dict:
        """Cancel the recipients still queued; those already sent stay sent."""
        job = self._require(bulk_id)
        now = utcnow()
        self.session.execute(
            update(Message).where(Message.bulk_id == job.id, Message.bulk_state == "queued")
            .values(bulk_state="cancelled", status="failed", failed_at=now, updated_at=now,
                    error={"code": "CANCELLED", "title": "The bulk send was cancelled before this message went out"})
            .execution_options(synchronize_session=False))
        self.session.execute(update(BulkJob).where(BulkJob.id == job.id, BulkJob.state.in_(("queued", "running")))
                             .values(state="cancelled", finished_at=now).execution_options(synchronize_session=False))
        self.session.commit()
        return self.get(bulk_id)

    def _require(self, bulk_id: uuid.UUID) -> BulkJob:
        job = self.session.get(BulkJob, bulk_id)
        if job is None:
            raise NotFound(f"No bulk send has the id {bulk_id}.", {"bulk_id": str(bulk_id)})
        self.session.refresh(job)
        return job

    def _counts(self, bulk_id: uuid.UUID) -> dict[str, int]:
        rows = self.session.execute(select(Message.bulk_state, Message.status, func.count())
                                    .where(Message.bulk_id == bulk_id)
                                    .group_by(Message.bulk_state, Message.status)).all()
        counts = {"queued": 0, "sending": 0, "sent": 0, "delivered": 0, "read": 0, "failed": 0, "cancelled": 0,
                  "unknown": 0}
        for state, status, count in rows:
            if state == "cancelled":
                counts["cancelled"] += count
            elif state in ("queued", "sending"):
                counts[state] += count
            elif status == "failed":
                counts["failed"] += count
            elif status == "pending":
                counts["unknown"] += count  # read timeout: delivery unknown, never resent
            else:
                counts["sent"] += count
                counts["delivered"] += count if status in ("delivered", "read") else 0
                counts["read"] += count if status == "read" else 0
        return counts

    def _failures(self, bulk_id: uuid.UUID) -> list[dict]:
        rows = self.session.execute(select(Message.id, Message.phone_number, Message.error)
                                    .where(Message.bulk_id == bulk_id, Message.status == "failed",
                                           Message.bulk_state != "cancelled")
                                    .order_by(Message.created_at, Message.id).limit(FAILURE_SAMPLE)).all()
        return [{"message_id": str(row.id), "phone_number": row.phone_number, "error": row.error} for row in rows]
