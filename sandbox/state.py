"""Everything a running emulator remembers, behind locks, plus reset and inspection."""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.delivery import Deliver, Dispatcher
from sandbox.faults import FaultPlan
from sandbox.ids import IdFactory
from sandbox.limits import SendLimits
from sandbox.media import MediaStore
from sandbox.settings import FAULT_SETTINGS, EmulatorSettings
from sandbox.templates import TemplateCatalogue


@dataclass
class SentMessage:
    """One accepted send, as recorded for inspection."""

    wamid: str
    phone_number_id: str
    to: str
    wa_id: str
    type: str
    body: dict[str, Any]
    timestamp: float
    statuses: list[str] = field(default_factory=list)


class EmulatorState:
    """The emulator's memory: sends, requests, media, limits, faults and the webhook dispatcher."""

    def __init__(self, settings: EmulatorSettings, deliver: Deliver | None = None) -> None:
        self.settings = settings
        self.initial_settings = settings.copy()
        self.lock = threading.RLock()
        self.ids = IdFactory()
        self.media = MediaStore(settings, self.ids)
        self.limits = SendLimits(settings)
        self.faults = FaultPlan(settings)
        self.templates = TemplateCatalogue(self.ids)
        self.dispatcher = Dispatcher(settings, deliver)
        self.started = time.time()
        self._messages: deque[SentMessage] = deque(maxlen=max(settings.history_limit, 1))
        self._requests: deque[dict[str, Any]] = deque(maxlen=max(settings.history_limit, 1))
        self._reads: deque[dict[str, Any]] = deque(maxlen=max(settings.history_limit, 1))
        self._conversations: dict[tuple[str, str, str], str] = {}
        self.dispatcher.start()

    def record_send(self, message: SentMessage) -> None:
        """Remember an accepted send."""
        with self.lock:
            self._messages.append(message)

    def record_read(self, phone_number_id: str, body: dict[str, Any]) -> None:
        """Remember a mark-as-read (or typing indicator) call."""
        with self.lock:
            self._reads.append({"phone_number_id": phone_number_id, "message_id": body.get("message_id"),
                                "typing_indicator": body.get("typing_indicator"), "time": time.time()})

    def record_request(self, entry: dict[str, Any]) -> None:
        """Remember one Graph request (method, path, body; never its Authorization header)."""
        with self.lock:
            self._requests.append(entry)

    def conversation_id(self, phone_number_id: str, wa_id: str, category: str) -> str:
        """Return the open conversation id for this business number, user and category."""
        with self.lock:
            key = (phone_number_id, wa_id, category)
            if key not in self._conversations:
                self._conversations[key] = self.ids.conversation_id()
            return self._conversations[key]

    def messages(self) -> list[SentMessage]:
        """Return every accepted send, oldest first."""
        with self.lock:
            return list(self._messages)

    def messages_json(self) -> list[dict[str, Any]]:
        """Return accepted sends as JSON-friendly dicts."""
        return [asdict(message) for message in self.messages()]

    def requests(self) -> list[dict[str, Any]]:
        """Return every recorded Graph request, oldest first."""
        with self.lock:
            return list(self._requests)

    def reads(self) -> list[dict[str, Any]]:
        """Return every mark-as-read call, oldest first."""
        with self.lock:
            return list(self._reads)

    def deliveries(self) -> list[dict[str, Any]]:
        """Return every webhook delivery attempt, oldest first."""
        return self.dispatcher.attempts()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every scheduled webhook was delivered or given up; False on timeout."""
        return self.dispatcher.wait_idle(timeout)

    def clear_faults(self) -> None:
        """Clear injected faults and counters; put latency and slow_seconds back to their start values."""
        self.faults.reset()
        self.settings.restore(self.initial_settings, FAULT_SETTINGS)

    def reset(self, settings: bool = False) -> None:
        """Forget everything (sends, requests, media, counters, deliveries, faults, pending webhooks)."""
        with self.lock:
            if settings:
                self.settings.restore(self.initial_settings)
            self._messages.clear()
            self._requests.clear()
            self._reads.clear()
            self._conversations.clear()
        self.clear_faults()
        self.limits.reset()
        self.media.reset()
        self.dispatcher.reset()

    def close(self) -> None:
        """Stop the delivery workers and delete stored media."""
        self.dispatcher.stop()
        self.media.close()
