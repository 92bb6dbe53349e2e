"""Real-looking secrets, every route exercised: none of them may show up in a response or a log line."""
import json
import logging
import re
import time

import jwt
import pytest

from app.private.signature import sign
from tests.helpers import drain, meta_json, webhook

GRAPH_TOKEN = "EAAGm0PX4ZCpsBAKZCcK3Jd8ZBvL2ZAqXo9ZBgWZCmD2Rxlc8eH0ZAtZBZC7wYqO1sPZA4fZA"
LINE_TOKEN = "EAAJb5nXq1ZBkBAOZCZB3uLmQp9ZAv7ZAkZCjNfZBtZBVw2Zr4YsZA0eZCmZBnH2ZCq"
API_KEY = "sk_live_4f9a2c7e1b8d6a3f5e0c9b7a2d4f6e8a"
APP_SECRET = "9b2f7c4e1a8d3f6b0e5c7a9d2f4b6e8c"
VERIFY_TOKEN = "vt_7d3e9a1c5f2b8e4d6a0c"
FORWARD_SECRET = "fw_2c8e4a6d0f3b7e1c9a5d"
JWT_SECRET = "jwt_e3a7c1f9b5d2e8a4c6f0b3d7e1a9c5f2"
SECRETS = [GRAPH_TOKEN, LINE_TOKEN, API_KEY, APP_SECRET, VERIFY_TOKEN, FORWARD_SECRET, JWT_SECRET]


@pytest.fixture
def secret_app(make_app, emulator):
    emulator.settings.access_token = GRAPH_TOKEN
    lines = [{"id": "main", "phone_number_id": "100000000000001", "webhook_url": "http://127.0.0.1:9/hook"},
             {"id": "own", "phone_number_id": "100000000000002", "access_token": LINE_TOKEN}]
    app = make_app({"WHATSAPP_API_BASE_URL": emulator.base_url, "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
                    "MESSAGING_LINES": json.dumps(lines), "VALID_API_KEYS": API_KEY, "WEBHOOK_SECRET": APP_SECRET,
                    "WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN, "FORWARD_WEBHOOK_SECRET": FORWARD_SECRET,
                    "JWT_SECRET_KEY": JWT_SECRET, "LOG_LEVEL": "DEBUG", "FORWARD_MAX_ATTEMPTS": "1",
                    "RATELIMIT_AUTH_FAILURES": "100000 per minute"})
    emulator.target.app = app
    emulator.settings.app_secret = APP_SECRET
    return app


def _concrete(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "16505551234", rule.rule)


def test_no_secret_appears_in_any_response_or_log(secret_app, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    client = secret_app.test_client()
    token = jwt.encode({"sub": "svc", "exp": int(time.time()) + 60}, JWT_SECRET, algorithm="HS256")
    seen: list[str] = []

    def record(response):
        seen.append(response.get_data(as_text=True))
        seen.append(json.dumps(dict(response.headers)))

    for rule in secret_app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, {"X-API-Key": API_KEY}, {"Authorization": f"Bearer {token}"},
                            {"X-API-Key": API_KEY[:-1] + "x"}):
                record(client.open(_concrete(rule), method=method, json={}, headers=headers))
    auth = {"X-API-Key": API_KEY}
    for body in ({"phone_number": "+16505551234", "text": "hi"}, {"phone_number": "+16505550126", "text": "x"},
                 {"phone_number": "+16505550190", "text": "x"}, {"phone_number": "+16505551234", "text": "own",
                                                                 "line_id": "own"}):
        record(client.post("/api/v1/messages/text", json=body, headers=auth))
    record(client.get(f"/api/v1/webhooks?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"))
    payload = meta_json(webhook([{"statuses": [{"id": "wamid.X", "status": "sent", "timestamp": "1"}]}],
                                phone_number_id="100000000000001"))
    record(client.post("/api/v1/webhooks", data=payload, headers={"Content-Type": "application/json",
                                                                  "X-Hub-Signature-256": sign(payload, APP_SECRET)}))
    emulator.wait_idle(10)
    drain(secret_app)
    record(client.get("/api/v1/lines", headers=auth))
    record(client.get("/api/v1/webhooks/deliveries", headers=auth))
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(seen) > 100 and len(caplog.records) > 20  # the test really looked at something
    everything = "\n".join(seen) + "\n" + logs
    leaked = [secret[:6] + "..." for secret in SECRETS if secret in everything]
    assert leaked == []
