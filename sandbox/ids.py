"""Identifiers that look like Meta's: wamids, numeric media ids, conversation ids."""
from __future__ import annotations

import base64
import random


class IdFactory:
    """Make unpredictable ids with enough entropy that they do not repeat in practice.

    Never seeded: a service that keeps its database across emulator restarts must not see a
    wamid twice, so ids stay random even when EmulatorSettings.seed is set.
    """

    def __init__(self) -> None:
        self._random = random.SystemRandom()

    def _hex(self, length: int) -> str:
        return "".join(self._random.choice("0123456789ABCDEF") for _ in range(length))

    def wamid(self, wa_id: str, inbound: bool = False) -> str:
        """Return a wamid shaped like Meta's: base64 of a small record holding the user's number."""
        number = wa_id.encode()[:60]
        marker = b"\x12\x18\x14" if inbound else b"\x11\x18\x12"
        token = self._hex(20 if inbound else 18).encode()
        raw = b"\x1c\x18" + bytes([len(number)]) + number + b"\x15\x02\x00" + marker + token + b"\x00"
        return "wamid." + base64.b64encode(raw).decode()

    def media_id(self) -> str:
        """Return a numeric media id (16 digits, as a string)."""
        return str(self._random.randrange(10**15, 10**16))

    def conversation_id(self) -> str:
        """Return a 32-character hexadecimal conversation id."""
        return self._hex(32).lower()

    def template_id(self) -> str:
        """Return a numeric template id."""
        return str(self._random.randrange(10**14, 10**15))
