"""Status webhooks: lifecycle, envelope, signatures, batching, duplicates, shuffle, retries, raw payloads."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from sandbox import EmulatorSettings, start_in_thread
from sandbox.testing import CallbackRecorder

SECRET = "webhook-secret"
AUTH = {"Authorization": "Bearer any"}
PNID = "100000000000001"


EMULATOR_SETTINGS = {"app_secret": SECRET, "webhook_delay": 0.05, "retry_backoff": 0.05}


def send(emulator, to: str = "+16505551234", pnid: str = PNID, **body):
    payload = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hi"}, **body}
    response = requests.post(f"{emulator.base_url}/v23.0/{pnid}/messages", json=payload, headers=AUTH, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["messages"][0]["id"]


def hmac_hex(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_send_produces_sent_delivered_read_in_order_with_meta_envelope(emulator, callback):
    started = time.time()
    wamid = send(emulator, biz_opaque_callback_data="order-77")
    assert emulator.wait_idle(5)
    assert [s["status"] for s in callback.all_statuses()] == ["sent", "delivered", "read"]
    first = callback.posts[0].json()
    assert first["object"] == "whatsapp_business_account"
    [entry] = first["entry"]
    assert entry["id"] == emulator.settings.waba_id
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {"display_phone_number": emulator.settings.display_phone_number,
                                 "phone_number_id": PNID}
    sent, delivered, read = callback.all_statuses()
    for status in (sent, delivered, read):
        assert status["id"] == wamid and status["recipient_id"] == "16505551234"
        assert status["timestamp"].isdigit() and int(status["timestamp"]) >= int(started)
        assert status["biz_opaque_callback_data"] == "order-77"
    assert set(sent["conversation"]) == {"id", "expiration_timestamp", "origin"}
    assert set(delivered["conversation"]) == {"id", "origin"}
    assert sent["conversation"]["id"] == delivered["conversation"]["id"]
    for status in (sent, delivered):
        assert status["pricing"] == {"billable": True, "pricing_model": "PMP", "type": "regular",
                                     "category": "service"}
    assert "conversation" not in read and "pricing" not in read


def test_statuses_are_spaced_by_webhook_delay(emulator, callback):
    emulator.settings.webhook_delay = 0.15
    send(emulator)
    assert emulator.wait_idle(5)
    times = [attempt["time"] for attempt in emulator.state.deliveries()]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.1 and times[2] - times[1] >= 0.1


def test_every_post_is_signed_with_the_app_secret_over_the_exact_bytes(emulator, callback):
    send(emulator)
    assert emulator.wait_idle(5)
    assert len(callback.posts) == 3
    for post in callback.posts:
        assert post.headers["Content-Type"] == "application/json"
        assert post.headers["X-Hub-Signature-256"] == "sha256=" + hmac_hex(post.body)
        assert not post.signature_valid("another-secret")


def test_non_ascii_is_escaped_and_the_signature_covers_the_escaped_bytes(emulator, callback):
    response = requests.post(f"{emulator.base_url}/_sandbox/inbound", timeout=5, json={
        "phone_number_id": PNID, "from": "16505551234", "name": "Zoë", "type": "text",
        "text": {"body": "héllo 👋"}})
    assert response.status_code == 200, response.text
    assert emulator.wait_idle(5)
    [post] = callback.posts
    assert post.body.isascii()
    assert b"h\\u00e9llo \\ud83d\\udc4b" in post.body and b"Zo\\u00eb" in post.body
    assert post.body == json.dumps(post.json(), ensure_ascii=True, separators=(",", ":")).encode()
    assert post.headers["X-Hub-Signature-256"] == "sha256=" + hmac_hex(post.body)
    assert post.json()["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] == "héllo 👋"


def test_template_send_reports_the_template_category(emulator, callback):
    send(emulator, type="template", template={"name": "intro_catalog_offer", "language": {"code": "en_US"}})
    assert emulator.wait_idle(5)
    sent = callback.all_statuses()[0]
    assert sent["pricing"]["category"] == "marketing" and sent["conversation"]["origin"]["type"] == "marketing"


def test_reaction_gets_only_a_sent_status(emulator, callback):
    wamid = send(emulator, type="reaction", reaction={"message_id": "wamid.x", "emoji": "👍"})
    assert emulator.wait_idle(5)
    time.sleep(0.2)
    assert [(s["id"], s["status"]) for s in callback.all_statuses()] == [(wamid, "sent")]


def test_batching_combines_due_updates_in_one_post(emulator, callback):
    emulator.settings.update({"batch_size": 3, "batch_window": 0.1, "webhook_delay": 0.15})
    wamids = [send(emulator, to=f"+1650555{1200 + i}") for i in range(3)]
    assert emulator.wait_idle(5)
    assert len(callback.posts) == 3
    for post, status in zip(callback.posts, ["sent", "delivered", "read"]):
        statuses = post.statuses()
        assert [s["status"] for s in statuses] == [status] * 3
        assert sorted(s["id"] for s in statuses) == sorted(wamids)
        assert len(post.json()["entry"]) == 1


def test_batch_with_two_phone_numbers_has_an_entry_for_each(emulator, callback):
    emulator.settings.update({"batch_size": 2, "batch_window": 0.1, "webhook_delay": 0.15})
    send(emulator, pnid="100000000000001")
    send(emulator, pnid="100000000000002", to="+16505551299")
    assert emulator.wait_idle(5)
    first = callback.posts[0].json()
    assert [e["changes"][0]["value"]["metadata"]["phone_number_id"] for e in first["entry"]] == [
        "100000000000001", "100000000000002"]
    assert all(len(e["changes"][0]["value"]["statuses"]) == 1 for e in first["entry"])


def test_duplicate_rate_one_delivers_every_post_twice_byte_for_byte(emulator, callback):
    emulator.settings.duplicate_rate = 1.0
    send(emulator, type="reaction", reaction={"message_id": "wamid.x", "emoji": "👍"})
    assert emulator.wait_idle(5)
    assert len(callback.posts) == 2
    assert callback.posts[0].body == callback.posts[1].body
    assert callback.posts[0].headers["X-Hub-Signature-256"] == callback.posts[1].headers["X-Hub-Signature-256"]
    assert [a["duplicate"] for a in emulator.state.deliveries()] == [False, True]


def _duplicate_pattern(emulator, callback) -> list[bool]:
    for i in range(4):
        send(emulator, to=f"+1650555{1300 + i}")
    assert emulator.wait_idle(5)
    return [attempt["duplicate"] for attempt in emulator.state.deliveries()]


def test_duplicates_are_reproducible_with_a_seed(emulator, callback):
    emulator.settings.update({"duplicate_rate": 0.5, "seed": 11, "webhook_delay": 0.02})
    emulator.state.reset()
    first = _duplicate_pattern(emulator, callback)
    emulator.state.reset()
    second = _duplicate_pattern(emulator, callback)
    assert first == second
    assert 12 < len(first) < 24  # some, not all, of the 12 posts were doubled


def _shuffled_order(emulator, callback) -> list[int]:
    callback.clear()
    wamids = [send(emulator, to=f"+1650555{1400 + i}") for i in range(5)]

    def ours(post) -> bool:
        return any(s["id"] in wamids for s in post.statuses())

    assert callback.wait_for(lambda posts: any(ours(p) for p in posts), 5)
    first = next(p for p in callback.posts if ours(p))
    return [wamids.index(s["id"]) for s in first.statuses()]


def test_shuffle_with_a_seed_reorders_a_batch_the_same_way_each_time(emulator, callback):
    emulator.settings.update({"shuffle": True, "seed": 3, "batch_size": 5, "batch_window": 0.2,
                              "webhook_delay": 0.1})
    emulator.state.reset()
    first = _shuffled_order(emulator, callback)
    emulator.state.reset()
    second = _shuffled_order(emulator, callback)
    assert sorted(first) == [0, 1, 2, 3, 4]
    assert first == second
    assert first != [0, 1, 2, 3, 4]


def test_failed_delivery_is_retried_with_the_same_bytes():
    recorder = CallbackRecorder(answers=[500, 503])
    running = start_in_thread(EmulatorSettings(app_secret=SECRET, callback_url=recorder.url,
                                               webhook_delay=0.01, retry_backoff=0.02))
    try:
        send(running, type="reaction", reaction={"message_id": "wamid.x", "emoji": "👍"})
        assert running.wait_idle(5)
        assert [p.answered for p in recorder.posts] == [500, 503, 200]
        assert len({p.body for p in recorder.posts}) == 1
        attempts = running.state.deliveries()
        assert [(a["attempt"], a["status"]) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
        assert attempts[0]["url"] == recorder.url and attempts[0]["body"] == recorder.posts[0].body.decode()
    finally:
        running.stop()
        recorder.stop()


def test_unreachable_callback_is_given_up_after_the_retries():
    running = start_in_thread(EmulatorSettings(callback_url="http://127.0.0.1:9/hook", webhook_delay=0.01,
                                               retry_backoff=0.01, webhook_retries=2))
    try:
        send(running, type="reaction", reaction={"message_id": "wamid.x", "emoji": "👍"})
        assert running.wait_idle(5)
        attempts = running.state.deliveries()
        assert [a["attempt"] for a in attempts] == [1, 2, 3]
        assert all(a["status"] is None and a["error"] for a in attempts)
    finally:
        running.stop()


def test_deliver_hook_replaces_http_delivery():
    calls = []

    def deliver(url: str, body: bytes, headers: dict) -> int:
        calls.append((url, body, headers))
        return 200

    running = start_in_thread(EmulatorSettings(callback_url="inprocess://service", webhook_delay=0.01),
                              deliver=deliver)
    try:
        wamid = send(running)
        assert running.wait_idle(5)
        assert [c[0] for c in calls] == ["inprocess://service"] * 3
        assert json.loads(calls[0][1])["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] == wamid
        assert calls[0][2]["X-Hub-Signature-256"] == "sha256=" + hmac_hex(calls[0][1], "sandbox-app-secret")
    finally:
        running.stop()


def test_no_callback_url_means_no_webhooks():
    running = start_in_thread(EmulatorSettings(webhook_delay=0.01))
    try:
        send(running)
        assert running.wait_idle(1)
        assert running.state.deliveries() == []
    finally:
        running.stop()


def test_raw_webhook_is_signed_and_delivered_as_given(emulator, callback):
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT", "note": "ñ"}}]}]}
    response = requests.post(f"{emulator.base_url}/_sandbox/webhooks/raw", json=payload, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["queued"] is True
    assert emulator.wait_idle(5)
    [post] = callback.posts
    assert post.json() == payload
    assert post.body.decode() == response.json()["body"]
    assert post.headers["X-Hub-Signature-256"] == response.json()["signature"] == "sha256=" + hmac_hex(post.body)


def test_deliveries_endpoint_lists_attempts(emulator, callback):
    send(emulator, type="reaction", reaction={"message_id": "wamid.x", "emoji": "👍"})
    idle = requests.get(f"{emulator.base_url}/_sandbox/idle", params={"timeout": 5}, timeout=10)
    assert (idle.status_code, idle.json()) == (200, {"idle": True})
    response = requests.get(f"{emulator.base_url}/_sandbox/deliveries", timeout=5)
    assert response.status_code == 200
    [attempt] = response.json()["data"]
    assert attempt["url"] == callback.url and attempt["status"] == 200
    assert json.loads(attempt["body"])["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] == "sent"
