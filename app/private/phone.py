"""Phone numbers: parsed with the phonenumbers library and normalised to digits."""
from __future__ import annotations

import phonenumbers

from app.errors import ValidationError


def normalize_phone(value: object, field: str = "phone_number") -> str:
    """Return the E.164 digits (no '+') of a number given with or without '+', or raise naming field."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} is required.", {field: "is required"})
    text = value.strip()
    candidate = text if text.startswith("+") else "+" + text
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{field} is not a phone number.",
                              {field: "is not a phone number in E.164 form, e.g. +16505551234"}) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(f"{field} is not a valid phone number.",
                              {field: "is not a valid phone number for its country code"})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164).lstrip("+")
