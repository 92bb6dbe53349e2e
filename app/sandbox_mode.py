"""The embedded default: the bundled Graph emulator inside this process, its webhooks sent back to us.

Used only when SANDBOX_MODE is on (development with no WHATSAPP_ACCESS_TOKEN); production never.
"""
from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)
SANDBOX_TOKEN = "sandbox-token"  # nosec B105 - the emulator accepts any token; never used with Meta


def start_embedded_sandbox(app: Flask) -> None:
    """Start the emulator on a loopback port and point the Graph client at it."""
    from sandbox import EmulatorSettings, start_in_thread

    def deliver(_url: str, body: bytes, headers: dict) -> int:
        # Full WSGI round trip into our own webhook endpoint: signature check included.
        with app.test_client() as client:
            return client.post("/api/v1/webhooks", data=body, headers=headers).status_code

    lines = app.extensions["service_config"].MESSAGING_LINES
    settings = EmulatorSettings(
        app_secret=app.config["WEBHOOK_SECRET"],
        callback_url="http://service.local/api/v1/webhooks",
        webhook_delay=app.config["SANDBOX_WEBHOOK_DELAY"],
        phone_numbers={line.phone_number_id: line.phone_number.lstrip("+") or "15550001111" for line in lines},
    )
    if not app.config["SANDBOX_META_LIMITS"]:
        settings.mps, settings.pair_rate = 0, False
    running = start_in_thread(settings, port=app.config["SANDBOX_PORT"], deliver=deliver)
    app.extensions["sandbox"] = running
    app.config["WHATSAPP_API_BASE_URL"] = running.base_url
    app.config["WHATSAPP_ACCESS_TOKEN"] = app.config.get("WHATSAPP_ACCESS_TOKEN") or SANDBOX_TOKEN
    app.config["WHATSAPP_BUSINESS_ID"] = app.config.get("WHATSAPP_BUSINESS_ID") or settings.waba_id
    log.warning("SANDBOX MODE: Graph API calls go to the bundled emulator at %s, not to Meta; "
                "simulate a user with POST %s/_sandbox/inbound", running.base_url, running.base_url)
