"""Time helpers: everything is timezone-aware UTC."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from database.types import utcnow

__all__ = ["utcnow", "utc_today", "next_utc_midnight", "from_unix", "parse_iso", "iso"]


def utc_today() -> date:
    """Today's date in UTC, the quota day."""
    return utcnow().date()


def next_utc_midnight(now: datetime | None = None) -> datetime:
    """When today's quota resets."""
    now = now or utcnow()
    return datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=timezone.utc)


def from_unix(value: object) -> datetime | None:
    """Meta's timestamps: Unix seconds, often as a string."""
    try:
        return datetime.fromtimestamp(int(str(value)), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def iso(value: datetime | None) -> str | None:
    """ISO 8601 for an API field, or None."""
    return value.isoformat() if value is not None else None


def parse_iso(value: str) -> datetime:
    """Parse ISO 8601; a value without an offset is taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
