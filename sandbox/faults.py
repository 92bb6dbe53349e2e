"""Deterministic fault injection: reserved recipient numbers and faults queued at run time."""
from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.errors import GraphError, spec_for, token_error
from sandbox.settings import EmulatorSettings


@dataclass(frozen=True)
class Reserved:
    """What sending to one reserved number does."""

    behaviour: str  # "async_failed", "always", "first_n", "token", "slow"
    code: int | None
    http_status: int | None
    description: str


RESERVED: dict[str, Reserved] = {
    "16505550131": Reserved("async_failed", 131047, None,
                            "accepted, then `sent` and a `failed` status webhook with error 131047"),
    "16505550126": Reserved("always", 131026, 400, "HTTP 400, error 131026 (undeliverable), every time"),
    "16505550429": Reserved("first_n", 130429, 429,
                            "HTTP 429, error 130429 for the first fault_clear_after attempts, then success"),
    "16505550156": Reserved("first_n", 131056, 400,
                            "HTTP 400, error 131056 (pair rate) for the first fault_clear_after attempts"),
    "16505550500": Reserved("always", 131000, 500, "HTTP 500, error 131000, every time"),
    "16505550503": Reserved("first_n", 2, 503,
                            "HTTP 503, error 2 for the first fault_clear_after attempts, then success"),
    "16505550190": Reserved("token", 190, 401, "HTTP 401, error 190 (access token), every time"),
    "16505550999": Reserved("slow", None, None, "waits slow_seconds before answering, then success"),
}


@dataclass
class InjectedFault:
    """A fault queued through POST /_sandbox/faults: the next `count` sends fail with it."""

    code: int
    http_status: int
    count: int
    details: str | None = None
    subcode: int | None = None
    message: str | None = None
    to: str | None = None
    asynchronous: bool = False

    def error(self) -> GraphError:
        """Return the synchronous error this fault answers with."""
        if self.code == 190:
            return token_error(self.details or "The session has been invalidated.")
        return GraphError(self.code, self.details, http_status=self.http_status, subcode=self.subcode,
                          message=self.message)


@dataclass(frozen=True)
class SendOutcome:
    """How an admitted send proceeds: an extra delay, and an async failure instead of delivery."""

    delay: float = 0.0
    failure_code: int | None = None
    failure_details: str | None = None


class FaultPlan:
    """Decide, for each valid send, whether a fault applies. Thread-safe."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        self._injected: list[InjectedFault] = []

    def reset(self) -> None:
        """Clear queued faults and the per-number attempt counters."""
        with self._lock:
            self._attempts.clear()
            self._injected.clear()

    def inject(self, spec: dict[str, Any]) -> InjectedFault:
        """Queue a fault from a control-API body such as {"code": 130429, "http_status": 429, "count": 5}."""
        code = int(spec["code"])
        fault = InjectedFault(
            code=code, http_status=int(spec.get("http_status") or spec_for(code).http_status),
            count=int(spec.get("count", 1)), details=spec.get("details"), subcode=spec.get("subcode"),
            message=spec.get("message"), to=_digits(spec.get("to")), asynchronous=bool(spec.get("async", False)))
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._injected.append(fault)
        return fault

    def describe(self) -> dict[str, Any]:
        """Return queued faults, attempt counters and the reserved numbers, for GET /_sandbox/faults."""
        with self._lock:
            return {"injected": [asdict(fault) for fault in self._injected],
                    "attempts": dict(self._attempts),
                    "reserved": {number: item.description for number, item in RESERVED.items()}}

    def before_send(self, wa_id: str) -> SendOutcome:
        """Raise the fault's GraphError for this send, or return how the accepted send proceeds."""
        with self._lock:
            injected = self._take_injected(wa_id)
            if injected is None:
                attempt = self._attempts.get(wa_id, 0) + 1
                self._attempts[wa_id] = attempt
        if injected is not None:
            if injected.asynchronous:
                return SendOutcome(failure_code=injected.code, failure_details=injected.details)
            raise injected.error()
        reserved = RESERVED.get(wa_id)
        return SendOutcome() if reserved is None else self._apply_reserved(reserved, attempt)

    def _take_injected(self, wa_id: str) -> InjectedFault | None:
        for fault in self._injected:
            if fault.to is None or fault.to == wa_id:
                fault.count -= 1
                if fault.count <= 0:
                    self._injected.remove(fault)
                return fault
        return None

    def _apply_reserved(self, reserved: Reserved, attempt: int) -> SendOutcome:
        behaviour = reserved.behaviour
        if behaviour == "async_failed":
            return SendOutcome(failure_code=reserved.code)
        if behaviour == "slow":
            return SendOutcome(delay=self._settings.slow_seconds)
        if behaviour == "token":
            raise token_error("The session has been invalidated because the user changed their password.")
        if behaviour == "always" or attempt <= self._settings.fault_clear_after:
            raise GraphError(int(reserved.code or 1), http_status=reserved.http_status)
        return SendOutcome()


def _digits(value: object) -> str | None:
    return None if value in (None, "") else re.sub(r"\D", "", str(value))
