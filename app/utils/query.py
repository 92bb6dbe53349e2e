"""Query-string parsing with errors that name the argument."""
from __future__ import annotations

import uuid

from app.errors import NotFound, ValidationError


def parse_uuid(value: str, name: str) -> uuid.UUID:
    """A UUID path parameter; anything else cannot name a resource, so it is a 404."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {name.replace('_id', '')} has the id {value!r}.", {name: value}) from None


def bool_arg(args, name: str) -> bool | None:
    """true/false (or 1/0) from the query string; None when absent."""
    value = args.get(name)
    if value in (None, ""):
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValidationError(f"{name} must be true or false.", {name: "must be true or false"})
