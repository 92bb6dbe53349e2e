"""The forwards API: list deliveries to the lines' applications and retry dead ones."""
from __future__ import annotations

import uuid

from app.api.webhooks.forwarding import redeliver
from app.errors import NotFound, ValidationError
from app.repositories.webhook_repo import WebhookRepository
from app.utils.pagination import PageRequest
from database.connection import db
from database.models import WebhookDelivery

STATES = ("pending", "delivered", "dead")


def delivery_to_dict(delivery: WebhookDelivery) -> dict:
    """The public delivery resource (the body is not repeated)."""
    return delivery.to_dict(exclude=("body", "last_response"))


class DeliveryService:
    """Read and retry webhook deliveries."""

    def __init__(self, repo: WebhookRepository | None = None) -> None:
        self.repo = repo or WebhookRepository(db.session)

    def list(self, filters: dict, page: PageRequest) -> dict:
        if filters.get("state") and filters["state"] not in STATES:
            raise ValidationError("state must be pending, delivered or dead.", {"state": "must be one of " + ", ".join(STATES)})
        result = self.repo.list_deliveries(filters, page)
        return {"items": [delivery_to_dict(d) for d in result.items], "next_cursor": result.next_cursor}

    def resume_due(self, min_age_seconds: float = 60) -> int:
        """Queue again the pending forwards whose retry time passed (e.g. their timer died with a restart)."""
        from datetime import timedelta

        from app.api.webhooks.forwarding import enqueue_deliveries
        from database.types import utcnow

        due = self.repo.due_deliveries(utcnow() - timedelta(seconds=min_age_seconds))
        enqueue_deliveries(due)
        return len(due)

    def retry(self, delivery_id: uuid.UUID) -> dict:
        delivery = self.repo.delivery(delivery_id)
        if delivery is None:
            raise NotFound(f"Delivery {delivery_id} does not exist.", {"delivery_id": str(delivery_id)})
        redeliver(delivery_id)
        return delivery_to_dict(self.repo.delivery(delivery_id))
