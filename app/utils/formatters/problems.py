"""Collecting {field path: problem}, and the primitive checks the per-type checks are built from."""
from __future__ import annotations

import math
from typing import Any, Callable
from urllib.parse import urlsplit

from app.errors import ValidationError

_REPORTED = object()  # stands in for a value whose problem is already recorded, so checks skip it

At = Callable[..., str]


# --- collecting problems ----------------------------------------------------------------------

class _Problems:
    """Collects {field path: problem} so one ValidationError names every bad field."""

    def __init__(self) -> None:
        self.details: dict[str, str] = {}

    def add(self, path: str, problem: str) -> bool:
        self.details.setdefault(path, problem)
        return False

    def raise_if_any(self) -> None:
        if self.details:
            path, problem = next(iter(self.details.items()))
            more = f" (and {len(self.details) - 1} more)" if len(self.details) > 1 else ""
            raise ValidationError(f"Invalid field '{path}': {problem}{more}.", dict(self.details))


def _ours(path: str, **index: int) -> str:
    return path.format(**index)


def _graph(mapping: dict[str, str], prefix: str = "") -> At:
    def at(path: str, **index: int) -> str:
        return mapping.get(path, prefix + path).format(**index)
    return at


def _one_of(options) -> str:
    return "must be one of " + ", ".join(options)


def _article(word: str) -> str:
    return "an" if word[:1] in tuple("aeiou") else "a"


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# --- primitive checks: each returns True when the value is usable -------------------------------

def _string(p: _Problems, value: Any, path: str, limit: int | None = None, required: bool = True) -> bool:
    if value is _REPORTED:
        return False
    if value is None:
        return p.add(path, "is required") if required else True
    if not isinstance(value, str):
        return p.add(path, "must be a string")
    if not value.strip():
        return p.add(path, "must not be empty")
    if limit is not None and len(value) > limit:
        return p.add(path, f"must be at most {limit} characters")
    return True


def _http_url(p: _Problems, value: Any, path: str) -> bool:
    if not _string(p, value, path):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc
            or any(char.isspace() for char in value)):
        return p.add(path, "must be an http(s) URL")
    return True


def _flag(p: _Problems, value: Any, path: str) -> bool:
    if value is not None and not isinstance(value, bool):
        return p.add(path, "must be true or false")
    return True


def _number(p: _Problems, value: Any, path: str, low: float, high: float, strings: bool = False) -> bool:
    if value is None:
        return p.add(path, "is required")
    number = value
    if strings and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return p.add(path, "must be a number")
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
        return p.add(path, "must be a number")
    if not low <= number <= high:
        return p.add(path, f"must be between {low} and {high}")
    return True


def _items(p: _Problems, value: Any, path: str, low: int, high: int | None = None) -> bool:
    """Check a list's length; True when it is a list, so its items can still be checked."""
    if value is _REPORTED:
        return False
    if value is None:
        return p.add(path, "is required")
    if not isinstance(value, (list, tuple)):
        return p.add(path, "must be a list")
    if len(value) < low:
        p.add(path, f"must have at least {low} item{'s' if low != 1 else ''}")
    elif high is not None and len(value) > high:
        p.add(path, f"must have at most {high} items")
    return True


def _object(p: _Problems, value: Any, path: str) -> bool:
    if value is _REPORTED:
        return False
    if value is None:
        return p.add(path, "is required")
    if not isinstance(value, dict):
        return p.add(path, "must be an object")
    return True


def _unique(p: _Problems, value: Any, path: str, limit: int, seen: set) -> None:
    if _string(p, value, path, limit):
        if value in seen:
            p.add(path, "must be unique")
        seen.add(value)


def _source(p: _Problems, id_path: str, url_path: str, media_id: Any, media_url: Any) -> None:
    """Exactly one of an uploaded media id or an http(s) link."""
    if (media_id is None) == (media_url is None):
        names = id_path.rsplit(".", 1)[-1], url_path.rsplit(".", 1)[-1]
        p.add(id_path, f"exactly one of {names[0]} or {names[1]} is required")
    elif media_id is not None:
        _string(p, media_id, id_path)
    else:
        _http_url(p, media_url, url_path)


def _media_ref(media_id: str | None, media_url: str | None) -> dict:
    return {"id": media_id} if media_id is not None else {"link": media_url}
