"""Query-string filters of GET /api/v1/messages, validated and normalised."""
from __future__ import annotations

from app.errors import ValidationError
from app.private.phone import normalize_phone
from app.utils.time import parse_iso

DIRECTIONS = ("outbound", "inbound")
STATUSES = ("pending", "sent", "delivered", "read", "failed", "received")


def list_filters(args) -> dict:
    """Read the list filters, naming the bad one."""
    filters: dict = {}
    if args.get("phone_number"):
        filters["phone_number"] = normalize_phone(args["phone_number"])
    for name in ("line_id", "message_type"):
        if args.get(name):
            filters[name] = args[name]
    for name, allowed in (("direction", DIRECTIONS), ("status", STATUSES)):
        value = args.get(name)
        if value:
            if value not in allowed:
                raise ValidationError(f"{name} must be one of {', '.join(allowed)}.",
                                      {name: "must be one of " + ", ".join(allowed)})
            filters[name] = value
    for name in ("since", "until"):
        if args.get(name):
            try:
                filters[name] = parse_iso(args[name])
            except ValueError:
                raise ValidationError(f"{name} must be an ISO 8601 timestamp.",
                                      {name: "must be ISO 8601, e.g. 2026-12-03T10:00:00+00:00"}) from None
    return filters
