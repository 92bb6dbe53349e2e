"""Query-string parsing with errors that name the argument."""
from __future__ import annotations

from app.errors import ValidationError


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
