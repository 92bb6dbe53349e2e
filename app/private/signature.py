"""HMAC-SHA256 signatures over raw bytes, as Meta's X-Hub-Signature-256 uses them."""
from __future__ import annotations

import hashlib
import hmac
import re

_HEADER = re.compile(r"^sha256=([0-9a-fA-F]{64})$")


def sign(body: bytes, secret: str) -> str:
    """The X-Hub-Signature-256 header value for these exact bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_whatsapp_signature(body: bytes, header: str | None, secret: str | None) -> bool:
    """True only when header is sha256=<hex HMAC of body with secret>, compared in constant time."""
    if not header or not secret:
        return False
    match = _HEADER.match(header.strip())
    if match is None:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())
