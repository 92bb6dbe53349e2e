"""Messaging lines: config sync, the lines API and the daily quota."""
from __future__ import annotations

import logging
from datetime import date

from flask import current_app
from sqlalchemy.orm import Session

from app.errors import LineInactive, NotFound, QuotaExceeded
from app.repositories.line_repo import LineRepository
from app.utils.time import next_utc_midnight, utc_today
from config.lines import ConfigError, LineConfig
from database.connection import db
from database.models import MessagingLine

log = logging.getLogger(__name__)

# Seeded from configuration; once changed through the API, the API's value wins over a later sync.
OPERATIONAL_FIELDS = ("display_name", "webhook_url", "is_active", "max_daily_messages", "max_mps")


def line_access_token(line_id: str | None) -> str | None:
    """The line's own access token from configuration (never stored), else None: the global one."""
    configured = current_app.extensions["service_config"].line(line_id) if line_id else None
    return configured.access_token if configured and configured.access_token else None


def effective_count(line: MessagingLine, today: date | None = None) -> int:
    """Messages counted against today's quota (yesterday's count no longer applies)."""
    return line.current_daily_count if line.last_reset_date == (today or utc_today()) else 0


def line_to_dict(line: MessagingLine) -> dict:
    """The public representation of a line; it never includes a secret."""
    used = effective_count(line)
    return {
        "line_id": line.line_id,
        "phone_number_id": line.phone_number_id,
        "display_name": line.display_name,
        "phone_number": line.phone_number,
        "webhook_url": line.webhook_url,
        "is_active": line.is_active,
        "max_daily_messages": line.max_daily_messages,
        "max_mps": line.max_mps,
        "current_daily_count": used,
        "remaining_today": max(line.max_daily_messages - used, 0),
        "last_reset_date": line.last_reset_date.isoformat() if line.last_reset_date else None,
    }


class LineService:
    """One unit of work per public method; commits once at the end."""

    def __init__(self, session: Session | None = None, repo: LineRepository | None = None) -> None:
        self.session = session or db.session
        self.repo = repo or LineRepository(self.session)

    def list(self) -> list[dict]:
        return [line_to_dict(line) for line in self.repo.list()]

    def get(self, line_id: str) -> dict:
        return line_to_dict(self._require(line_id))

    def update(self, line_id: str, changes: dict) -> dict:
        line = self._require(line_id)
        overrides = set(line.api_overrides or [])
        for name in OPERATIONAL_FIELDS:
            if name in changes:
                setattr(line, name, changes[name])
                overrides.add(name)
        line.api_overrides = sorted(overrides)
        self.session.commit()
        log.info("line %s updated: %s", line_id, ", ".join(sorted(changes)))
        return line_to_dict(line)

    def sync(self, configured: list[LineConfig]) -> dict[str, int]:
        """Make messaging_lines match configuration; counters are never reset."""
        created = updated = deactivated = 0
        configured_ids = {line.id for line in configured}
        for config_line in configured:
            row = self.repo.get(config_line.id)
            other = self.repo.get_by_phone_number_id(config_line.phone_number_id)
            if other is not None and (row is None or other.id != row.id):
                raise ConfigError(
                    f"phone_number_id {config_line.phone_number_id} belongs to line {other.line_id!r} "
                    f"in the database but to line {config_line.id!r} in configuration."
                )
            is_new = row is None
            if is_new:
                row = self.repo.add(MessagingLine(line_id=config_line.id, current_daily_count=0, api_overrides=[]))
                created += 1
            else:
                updated += 1
            row.phone_number_id = config_line.phone_number_id
            row.phone_number = config_line.phone_number
            for name in OPERATIONAL_FIELDS:
                if is_new or name not in (row.api_overrides or []):
                    setattr(row, name, getattr(config_line, name))
            self.repo.flush()
        for row in self.repo.list():
            if row.line_id not in configured_ids and row.is_active:
                row.is_active = False
                deactivated += 1
                log.warning("line %s is no longer configured; marked inactive", row.line_id)
        self.session.commit()
        return {"created": created, "updated": updated, "deactivated": deactivated}

    # -- used by the send path ------------------------------------------------------
    def resolve_for_send(self, line_id: str | None) -> MessagingLine:
        """The line to send from: the one named, else DEFAULT_LINE_ID; it must exist and be active."""
        line_id = line_id or current_app.config.get("DEFAULT_LINE_ID")
        if not line_id:
            raise NotFound("No line_id was given and no DEFAULT_LINE_ID is configured.", {"line_id": "is required"})
        line = self._require(line_id)
        if not line.is_active:
            raise LineInactive(f"Line {line_id!r} is inactive.", {"line_id": line_id})
        return line

    def reserve_for_send(self, line_id: str | None):
        """Reserve a unit of an active line's quota in one statement (not committed).

        Returns (line row with line_id, phone_number_id, max_daily_messages; the quota day). When
        the statement reserves nothing, a read finds out why: 404 unknown, 409 inactive, 429 quota.
        """
        line_id = line_id or current_app.config.get("DEFAULT_LINE_ID")
        if not line_id:
            raise NotFound("No line_id was given and no DEFAULT_LINE_ID is configured.", {"line_id": "is required"})
        today = utc_today()
        row = self.repo.reserve_for_send(line_id, today)
        if row is not None:
            return row, today
        line = self.resolve_for_send(line_id)
        raise QuotaExceeded(
            f"Line {line.line_id!r} has used its {line.max_daily_messages} messages for today.",
            {"line_id": line.line_id, "limit": line.max_daily_messages, "resets_at": next_utc_midnight().isoformat()},
        )

    def release(self, line_id: str, reserved_on: date) -> None:
        """Give back a unit whose send failed (not committed)."""
        self.repo.release_quota(line_id, reserved_on)

    def _require(self, line_id: str) -> MessagingLine:
        line = self.repo.get(line_id)
        if line is None:
            raise NotFound(f"Line {line_id!r} does not exist.", {"line_id": line_id})
        return line
