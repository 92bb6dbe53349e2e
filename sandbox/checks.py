"""Small field checks shared by the send validators; each raises a Meta-shaped GraphError."""
from __future__ import annotations

from typing import Any

from sandbox.errors import bad_param, invalid, missing


def require_object(parent: dict, key: str, path: str) -> dict:
    """Return parent[key] when it is a JSON object; 131008 when absent, 131009 when not an object."""
    value = parent.get(key)
    if value is None:
        raise missing(path)
    if not isinstance(value, dict):
        raise invalid(path, "must be a JSON object.")
    return value


def optional_object(parent: dict, key: str, path: str) -> dict | None:
    """Return parent[key] when present (must be an object), else None."""
    if parent.get(key) is None:
        return None
    return require_object(parent, key, path)


def require_list(parent: dict, key: str, path: str) -> list:
    """Return parent[key] when it is a JSON array; 131008 when absent, 131009 otherwise."""
    value = parent.get(key)
    if value is None:
        raise missing(path)
    if not isinstance(value, list):
        raise invalid(path, "must be an array.")
    return value


def text_field(parent: dict, key: str, path: str, *, limit: int | None = None,
               required: bool = False) -> str | None:
    """Return a string field; check presence (131008), type (131009) and length (100)."""
    value = parent.get(key)
    if value is None or (required and value == ""):
        if required:
            raise missing(path)
        return None
    if not isinstance(value, str):
        raise invalid(path, "must be a string.")
    if limit is not None and len(value) > limit:
        raise bad_param(path, f"must be at most {limit} characters long (got {len(value)}).")
    return value


def count_between(items: list, path: str, low: int, high: int) -> None:
    """Check low <= len(items) <= high (error 100 naming path otherwise)."""
    if len(items) < low:
        raise bad_param(path, f"must have at least {low} item{'s' if low != 1 else ''} (got {len(items)}).")
    if len(items) > high:
        raise bad_param(path, f"must have at most {high} items (got {len(items)}).")


def coordinate(parent: dict, key: str, path: str, bound: float) -> float:
    """Return a latitude/longitude (number or numeric string) within +-bound."""
    value: Any = parent.get(key)
    if value is None or value == "":
        raise missing(path)
    if isinstance(value, bool):
        raise invalid(path, "must be a number in decimal degrees.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid(path, "must be a number in decimal degrees.") from None
    if not -bound <= number <= bound:
        raise invalid(path, f"must be between -{bound:g} and {bound:g}.")
    return number


def media_reference(obj: dict, path: str) -> None:
    """Check that a media object names its media by exactly one of id or link."""
    has_id = obj.get("id") not in (None, "")
    has_link = obj.get("link") not in (None, "")
    if not has_id and not has_link:
        raise missing(f"{path}.id or {path}.link")
    if has_id and has_link:
        raise invalid(path, "must contain either id or link, not both.")
    key = "id" if has_id else "link"
    if not isinstance(obj[key], str):
        raise invalid(f"{path}.{key}", "must be a string.")
