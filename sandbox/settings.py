"""Emulator settings: one mutable dataclass shared by every part of a running emulator."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, get_type_hints

# Settings that are part of a fault scenario: DELETE /_sandbox/faults puts them back.
FAULT_SETTINGS = ("latency", "slow_seconds")


@dataclass
class EmulatorSettings:
    """Everything that shapes how the emulator answers and delivers webhooks.

    Fields can be changed while the emulator runs (from Python or POST /_sandbox/faults);
    every component reads them at the moment it needs them.
    """

    access_token: str | None = None
    app_secret: str = "sandbox-app-secret"
    callback_url: str | None = None
    webhook_delay: float = 0.2
    batch_size: int = 1
    batch_window: float = 0.05
    duplicate_rate: float = 0.0
    shuffle: bool = False
    seed: int | None = None
    media_url_ttl: float = 300.0
    media_dir: str | None = None
    mps: int = 80
    pair_rate: bool = True
    pair_burst: int = 45
    pair_interval: float = 6.0
    fault_clear_after: int = 2
    slow_seconds: float = 3.0
    latency: float = 0.0
    waba_id: str = "100000000000000"
    public_url: str | None = None
    display_phone_number: str = "15550001111"
    phone_numbers: dict[str, str] = field(default_factory=dict)
    default_phone_number_id: str = "100000000000001"
    webhook_retries: int = 3
    retry_backoff: float = 0.5
    delivery_timeout: float = 10.0
    delivery_workers: int = 1
    history_limit: int = 10000

    def display_number_for(self, phone_number_id: str) -> str:
        """Return the display number webhooks show for a phone number id."""
        return self.phone_numbers.get(phone_number_id, self.display_phone_number)

    def as_dict(self) -> dict[str, Any]:
        """Return the settings as plain JSON-friendly values, with secrets masked."""
        values = dataclasses.asdict(self)
        values["app_secret"] = "***"  # nosec B105 - a mask that hides the secret
        if values["access_token"] is not None:
            values["access_token"] = "***"  # nosec B105 - a mask that hides the secret
        return values

    def copy(self) -> EmulatorSettings:
        """Return an independent copy (used to remember the start-up values)."""
        return dataclasses.replace(self, phone_numbers=dict(self.phone_numbers))

    def update(self, values: dict[str, Any]) -> dict[str, Any]:
        """Set the given fields after converting them to the field's type; return what changed.

        Raises ValueError naming the field when a key is unknown or a value cannot be converted.
        """
        converted = {name: _convert(name, value) for name, value in values.items()}
        for name, value in converted.items():
            setattr(self, name, value)
        return converted

    def restore(self, other: EmulatorSettings, names: tuple[str, ...] | None = None) -> None:
        """Copy the named fields (all fields when names is None) from other into self."""
        source = other.copy()
        for item in dataclasses.fields(self):
            if names is None or item.name in names:
                setattr(self, item.name, getattr(source, item.name))


_HINTS: dict[str, Any] = {}


def _field_types() -> dict[str, Any]:
    if not _HINTS:
        _HINTS.update(get_type_hints(EmulatorSettings))
    return _HINTS


def _convert(name: str, value: Any) -> Any:
    """Convert value to the declared type of setting name, or raise ValueError."""
    hints = _field_types()
    if name not in hints:
        raise ValueError(f"unknown setting {name!r}")
    hint = str(hints[name])
    optional = "None" in hint
    if value is None:
        if optional:
            return None
        raise ValueError(f"setting {name!r} may not be null")
    try:
        if "bool" in hint:
            return _to_bool(value)
        if "int" in hint and "float" not in hint:
            return _to_int(value)
        if "float" in hint:
            return float(value)
        if "dict" in hint:
            if not isinstance(value, dict):
                raise TypeError("expected an object")
            return {str(k): str(v) for k, v in value.items()}
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {name!r}: {exc}") from None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not a boolean")


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{value!r} is not an integer")
    return int(value)
