"""Phone numbers: parsed with the phonenumbers library and normalised to digits."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers

from app.errors import ValidationError


def normalize_phone(value: object, field: str = "phone_number") -> str:
    """Return the E.164 digits (no '+') of a number given with or without '+', or raise naming field."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} is required.", {field: "is required"})
    text = value.strip()
    # Longer than any written-out number: not parsed, and never held in the cache.
    digits, problem = _parse(text) if len(text) <= 64 else ("", "unparsable")
    if problem == "unparsable":
        raise ValidationError(f"{field} is not a phone number.",
                              {field: "is not a phone number in E.164 form, e.g. +16505551234"})
    if problem == "invalid":
        raise ValidationError(f"{field} is not a valid phone number.",
                              {field: "is not a valid phone number for its country code"})
    return digits


@lru_cache(maxsize=8192)
def _parse(text: str) -> tuple[str, str | None]:
    """(E.164 digits, None), or ("", why not). Cached: parsing costs more than the rest of a send's checks."""
    try:
        parsed = phonenumbers.parse(text if text.startswith("+") else "+" + text, None)
    except phonenumbers.NumberParseException:
        return "", "unparsable"
    if not phonenumbers.is_valid_number(parsed):
        return "", "invalid"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164).lstrip("+"), None
