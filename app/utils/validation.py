"""Request-body parsing and validation against the RESTX models that document them."""
from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError as SchemaError

from app.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError


def json_body() -> Any:
    """Parse the request body as JSON, with envelope errors for every way it can be wrong."""
    if request.content_length is not None and request.content_length > (request.max_content_length or 1 << 62):
        raise PayloadTooLarge(f"The body is larger than {request.max_content_length} bytes.")
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ValidationError("A JSON body is required.", {"body": "is required"})
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.",
                                   {"content_type": request.mimetype or "missing"})
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Malformed JSON: {exc}.", {"body": "is not valid JSON"}) from None


def json_body_object() -> dict:
    """The JSON body, which must be an object."""
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("The JSON body must be an object.", {"body": "must be a JSON object"})
    return data


def parse(model, payload: Any | None = None) -> dict:
    """Validate a JSON object against a RESTX model; details map each bad field to a sentence."""
    data = json_body() if payload is None else payload
    if not isinstance(data, dict):
        raise ValidationError("The JSON body must be an object.", {"body": "must be a JSON object"})
    errors = field_errors(model, data)
    if errors:
        raise ValidationError(_summary(errors), errors)
    return data


def field_errors(model, data: dict) -> dict[str, str]:
    """Return {field path: problem} for every way data fails the model's schema."""
    validator = _validator(model.name)
    details: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        for path, message in _describe(error):
            details.setdefault(path, message)
    return details


def _summary(errors: dict[str, str]) -> str:
    first = next(iter(errors.items()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Invalid field '{first[0]}': {first[1]}{more}."


def _validator(name: str) -> Draft4Validator:
    api = current_app.extensions["restx_api"]
    cache = api.__dict__.setdefault("_body_validators", {})
    if name not in cache:
        definitions = {model_name: model.__schema__ for model_name, model in api.models.items()}
        schema = _allow_nulls(dict(api.models[name].__schema__, definitions=definitions))
        cache[name] = Draft4Validator(schema)
    return cache[name]


def _allow_nulls(node: Any) -> Any:
    """Turn Swagger 2.0's x-nullable into JSON Schema's type list, which the validator understands."""
    if isinstance(node, list):
        return [_allow_nulls(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _allow_nulls(value) for key, value in node.items()}
    if out.get("x-nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _join(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: SchemaError):
    base = _join(error.absolute_path)
    validator, value = error.validator, error.validator_value
    if validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        for name in value:
            if name not in present:
                yield (f"{base}.{name}" if base else name), "is required"
        return
    if validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        for name in error.instance:
            if name not in allowed:
                yield (f"{base}.{name}" if base else name), "is not an allowed field"
        return
    yield base or "body", _message(error, validator, value)


def _message(error: SchemaError, validator: str, value: Any) -> str:
    messages = {
        "type": lambda: f"must be of type {value if isinstance(value, str) else ' or '.join(value)}",
        "maxLength": lambda: f"must be at most {value} characters",
        "minLength": lambda: f"must be at least {value} characters" if value > 1 else "must not be empty",
        "maxItems": lambda: f"must have at most {value} items",
        "minItems": lambda: f"must have at least {value} item{'s' if value != 1 else ''}",
        "maximum": lambda: f"must be at most {value}",
        "minimum": lambda: f"must be at least {value}",
        "enum": lambda: "must be one of " + ", ".join(map(str, value)),
        "pattern": lambda: f"must match {value}",
    }
    return messages.get(validator, lambda: error.message)()
