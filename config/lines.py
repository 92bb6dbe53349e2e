"""Messaging lines from the environment: MESSAGING_LINES, else LINE_<N>_*, else one default line."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_MAX_DAILY_MESSAGES = 1000
DEFAULT_MAX_MPS = 80

_LINE_FIELDS = {
    "id", "phone_number_id", "display_name", "phone_number", "webhook_url",
    "is_active", "max_daily_messages", "access_token", "max_mps", "webhook_secret",
}
_LINE_VAR = re.compile(r"^LINE_(\d+)_([A-Z_]+)$")
_LINE_SUFFIXES = {name.upper() for name in _LINE_FIELDS - {"id"}}


class ConfigError(Exception):
    """A configuration problem that must stop start-up; the message names it."""


@dataclass(frozen=True)
class LineConfig:
    """One business phone number the service sends from."""

    id: str
    phone_number_id: str
    display_name: str = ""
    phone_number: str = ""
    webhook_url: str | None = None
    is_active: bool = True
    max_daily_messages: int = DEFAULT_MAX_DAILY_MESSAGES
    max_mps: int = DEFAULT_MAX_MPS
    # Secrets: never printed, never stored in the database.
    access_token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)


def parse_bool(value: object, name: str) -> bool:
    """Read a boolean from JSON or an environment string, naming the setting when it is neither."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}.")


def _parse_int(value: object, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be an integer, got {value!r}.")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {value!r}.") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}.")
    return number


def _optional_str(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, got {value!r}.")
    return value.strip()


def _build_line(raw: Mapping[str, object], where: str, default_id: str) -> LineConfig:
    unknown = sorted(set(raw) - _LINE_FIELDS)
    if unknown:
        raise ConfigError(
            f"{where} has unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_LINE_FIELDS))}."
        )
    phone_number_id = raw.get("phone_number_id")
    if phone_number_id is None or str(phone_number_id).strip() == "":
        raise ConfigError(f"{where} has no phone_number_id.")
    line_id = str(raw.get("id") or default_id).strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", line_id):
        raise ConfigError(f"{where} id {line_id!r} must be 1-64 letters, digits, '_', '.' or '-'.")
    return LineConfig(
        id=line_id,
        phone_number_id=str(phone_number_id).strip(),
        display_name=str(raw.get("display_name") or ""),
        phone_number=str(raw.get("phone_number") or ""),
        webhook_url=_optional_str(raw.get("webhook_url"), f"{where} webhook_url"),
        is_active=parse_bool(raw.get("is_active", True), f"{where} is_active"),
        max_daily_messages=_parse_int(
            raw.get("max_daily_messages", DEFAULT_MAX_DAILY_MESSAGES), f"{where} max_daily_messages"
        ),
        max_mps=_parse_int(raw.get("max_mps", DEFAULT_MAX_MPS), f"{where} max_mps", minimum=1),
        access_token=_optional_str(raw.get("access_token"), f"{where} access_token"),
        webhook_secret=_optional_str(raw.get("webhook_secret"), f"{where} webhook_secret"),
    )


def _from_json(text: str) -> list[LineConfig]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"MESSAGING_LINES is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from None
    if not isinstance(data, list) or not data:
        raise ConfigError("MESSAGING_LINES must be a non-empty JSON list of line objects.")
    lines = []
    for index, item in enumerate(data):
        where = f"MESSAGING_LINES[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where} must be a JSON object, got {type(item).__name__}.")
        lines.append(_build_line(item, where, default_id=f"line_{index + 1}"))
    return lines


def _from_numbered_vars(env: Mapping[str, str]) -> list[LineConfig]:
    grouped: dict[int, dict[str, str]] = {}
    for name, value in env.items():
        match = _LINE_VAR.match(name)
        if match and match.group(2) in _LINE_SUFFIXES:
            grouped.setdefault(int(match.group(1)), {})[match.group(2).lower()] = value
    lines = []
    for number in sorted(grouped):
        raw = {"id": f"line_{number}", **grouped[number]}
        if not raw.get("phone_number_id"):
            raise ConfigError(f"LINE_{number}_PHONE_NUMBER_ID is missing but other LINE_{number}_* variables are set.")
        lines.append(_build_line(raw, f"LINE_{number}", default_id=f"line_{number}"))
    return lines


def load_lines(env: Mapping[str, str], fallback_phone_number_id: str | None) -> list[LineConfig]:
    """Return the configured lines, raising ConfigError with a sentence naming any problem."""
    text = env.get("MESSAGING_LINES", "").strip()
    if text:
        lines = _from_json(text)
    else:
        lines = _from_numbered_vars(env)
    if not lines and fallback_phone_number_id:
        lines = [
            LineConfig(
                id="default",
                phone_number_id=fallback_phone_number_id,
                display_name=env.get("WHATSAPP_DISPLAY_NAME", "Default line"),
                phone_number=env.get("WHATSAPP_PHONE_NUMBER", ""),
                webhook_url=env.get("WHATSAPP_LINE_WEBHOOK_URL") or None,
            )
        ]
    _check_unique(lines)
    return lines


def _check_unique(lines: list[LineConfig]) -> None:
    for attribute in ("id", "phone_number_id"):
        seen: set[str] = set()
        for line in lines:
            value = getattr(line, attribute)
            if value in seen:
                raise ConfigError(f"Two messaging lines share the {attribute} {value!r}.")
            seen.add(value)
