"""Small helpers shared by the integration tests."""
from __future__ import annotations

import json
import time

from app.jobs import wait_for_jobs
from app.private.signature import sign
from config.testing import TEST_WEBHOOK_SECRET

META_PNID = "106540352242922"  # the phone_number_id in Meta's webhook examples
META_LINES = json.dumps([{"id": "meta", "phone_number_id": META_PNID, "display_name": "Meta examples",
                          "phone_number": "+15550783881"}])


def meta_json(payload: dict) -> bytes:
    """Serialise as Meta does: compact, non-ASCII escaped as \\uXXXX."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


def post_webhook(client, payload: dict | bytes, secret: str = TEST_WEBHOOK_SECRET, headers: dict | None = None):
    """POST a webhook signed with the testing app secret."""
    body = payload if isinstance(payload, bytes) else meta_json(payload)
    all_headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret)}
    all_headers.update(headers or {})
    return client.post("/api/v1/webhooks", data=body, headers=all_headers)


def drain(app, timeout: float = 15.0) -> None:
    """Wait for the app's background jobs (processing, forwarding) to finish."""
    assert wait_for_jobs(app, timeout), "background jobs did not finish in time"


def status_item(wamid: str, status: str, timestamp: int = 1_760_000_000, recipient: str = "16505551234",
                errors: list | None = None) -> dict:
    item = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": recipient}
    if status in ("sent", "delivered"):
        item["conversation"] = {"id": "conv-1", "origin": {"type": "service"}}
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "service"}
    if errors:
        item["errors"] = errors
    return item


def webhook(changes_values: list[dict], phone_number_id: str = META_PNID, entries: int = 1) -> dict:
    """An envelope with one change per value, spread over `entries` entries."""
    changes = [{"field": "messages", "value": {"messaging_product": "whatsapp",
                                               "metadata": {"display_phone_number": "15550783881",
                                                            "phone_number_id": phone_number_id}, **value}}
               for value in changes_values]
    per_entry = max(1, -(-len(changes) // entries))
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "waba-1", "changes": changes[i:i + per_entry]}
                      for i in range(0, len(changes), per_entry)]}


def inbound_text(wamid: str, sender: str = "16505551234", body: str = "hi", name: str = "Alice",
                 timestamp: int = 1_760_000_000) -> dict:
    return {"contacts": [{"profile": {"name": name}, "wa_id": sender}],
            "messages": [{"from": sender, "id": wamid, "timestamp": str(timestamp), "type": "text",
                          "text": {"body": body}}]}


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until predicate() is truthy; return its value or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


class Receiver:
    """A loopback HTTP server that records POSTs; answers `fail_first` of them with 500."""

    def __init__(self, fail_first: int = 0, status: int = 200) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.requests: list[dict] = []
        self.fail_first, self.status = fail_first, status
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    failing = len(receiver.requests) <= receiver.fail_first
                code = 500 if failing else receiver.status
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


SEND_PNID = "100000000000001"
SEND_LINES = json.dumps([
    {"id": "main", "phone_number_id": SEND_PNID, "display_name": "Main", "phone_number": "+15550001111",
     "max_daily_messages": 50},
    {"id": "tiny", "phone_number_id": "100000000000002", "display_name": "Tiny", "max_daily_messages": 2},
    {"id": "off", "phone_number_id": "100000000000003", "display_name": "Off", "is_active": False},
])
RECIPIENT = "+16505551234"


def graph_bodies(emulator) -> list[dict]:
    """The bodies the emulator accepted, oldest first."""
    return [message.body for message in emulator.state.messages()]


def send_attempts(emulator) -> int:
    """How many send (not mark-read) requests reached the emulator."""
    return sum(1 for r in emulator.state.requests()
               if r.get("method") == "POST" and str(r.get("path", "")).endswith("/messages")
               and (r.get("json") or r.get("body") or {}).get("status") != "read")


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
