"""Inbound messages from simulated users: every type, shaped like Meta's own webhook examples."""
from __future__ import annotations

import base64
import hashlib

import pytest
import requests

from tests.fixtures.meta import load_examples

SECRET = "inbound-secret"
AUTH = {"Authorization": "Bearer any"}
WEBHOOKS = load_examples().webhooks
MESSAGE_EXAMPLES = sorted(title for title, payload in WEBHOOKS.items()
                          if payload["entry"][0]["changes"][0]["field"] == "messages")


EMULATOR_SETTINGS = {"app_secret": SECRET, "webhook_delay": 0.01}


def shape(value):
    """Reduce a JSON value to its structure: keys, list lengths and scalar types."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def inbound(emulator, **body):
    return requests.post(f"{emulator.base_url}/_sandbox/inbound", json=body, timeout=5)


def request_for(example: dict) -> dict:
    """Turn one of Meta's inbound webhook examples into the /_sandbox/inbound body that recreates it."""
    value = example["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    body = {key: item for key, item in message.items() if key not in ("id", "timestamp")}
    body["phone_number_id"] = value["metadata"]["phone_number_id"]
    if value.get("contacts"):
        body["name"] = value["contacts"][0]["profile"]["name"]
    for kind in ("image", "video", "audio", "document", "sticker"):
        if kind in body:  # let the emulator create a real media object instead of Meta's id
            body[kind] = {k: v for k, v in body[kind].items() if k not in ("id", "sha256")}
    return body


@pytest.mark.parametrize("title", MESSAGE_EXAMPLES)
def test_inbound_webhook_has_the_same_shape_as_metas_example(emulator, callback, title):
    example = WEBHOOKS[title]
    response = inbound(emulator, **request_for(example))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert shape(answer["payload"]) == shape(example)
    message = answer["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["id"] == answer["id"] and answer["id"].startswith("wamid.")
    assert emulator.wait_idle(5)
    [post] = callback.posts
    assert post.signature_valid(SECRET)
    assert post.json() == answer["payload"]


def test_inbound_text_keeps_the_sender_and_profile_name(emulator, callback):
    answer = inbound(emulator, phone_number_id="100000000000009", **{"from": "+1 650 555 7777"},
                     name="Alice", type="text", text={"body": "hi"})
    assert answer.status_code == 200
    value = answer.json()["payload"]["entry"][0]["changes"][0]["value"]
    assert value["metadata"]["phone_number_id"] == "100000000000009"
    assert value["contacts"] == [{"profile": {"name": "Alice"}, "wa_id": "16505557777"}]
    assert value["messages"][0]["from"] == "16505557777"
    assert value["messages"][0]["text"] == {"body": "hi"}
    assert value["messages"][0]["timestamp"].isdigit()


SHORTCUTS = [
    ({"type": "text", "body": "hello"}, "text", {"body"}),
    ({"type": "image", "caption": "pic"}, "image", {"caption", "mime_type", "sha256", "id"}),
    ({"type": "video"}, "video", {"mime_type", "sha256", "id"}),
    ({"type": "audio", "voice": True}, "audio", {"mime_type", "sha256", "id", "voice"}),
    ({"type": "document", "filename": "a.pdf"}, "document", {"filename", "mime_type", "sha256", "id"}),
    ({"type": "sticker"}, "sticker", {"mime_type", "sha256", "id", "animated"}),
    ({"type": "location", "latitude": 1.5, "longitude": 2.5}, "location", {"latitude", "longitude"}),
    ({"type": "contacts"}, "contacts", None),
    ({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}, "interactive", {"type", "button_reply"}),
    ({"type": "list_reply", "list_reply": {"id": "r1", "title": "Row"}}, "interactive", {"type", "list_reply"}),
    ({"type": "button", "payload": "STOP", "text": "Stop"}, "button", {"payload", "text"}),
    ({"type": "reaction", "message_id": "wamid.out", "emoji": "❤"}, "reaction", {"message_id", "emoji"}),
    ({"type": "order"}, "order", {"catalog_id", "text", "product_items"}),
    ({"type": "system", "new_wa_id": "12195555358"}, "system", {"body", "wa_id", "type"}),
    ({"type": "unsupported"}, "unsupported", None),
]


@pytest.mark.parametrize(("body", "kind", "keys"), SHORTCUTS, ids=[item[0]["type"] for item in SHORTCUTS])
def test_inbound_shortcuts_build_every_message_type(emulator, callback, body, kind, keys):
    response = inbound(emulator, phone_number_id="100000000000001", **body)
    assert response.status_code == 200, response.text
    value = response.json()["payload"]["entry"][0]["changes"][0]["value"]
    [message] = value["messages"]
    assert message["type"] == kind
    if keys is not None:
        assert set(message[kind]) == keys
    if kind == "system":
        assert "contacts" not in value
        assert message["system"]["type"] == "user_changed_number"
    else:
        assert value["contacts"][0]["wa_id"] == message["from"]
    if kind == "unsupported":
        assert message["errors"][0]["code"] == 131051
    assert emulator.wait_idle(5)
    assert len(callback.posts) == 1 and callback.posts[0].signature_valid(SECRET)


def test_inbound_media_is_a_real_downloadable_object(emulator):
    data = b"\x89PNG fake image bytes"
    response = inbound(emulator, phone_number_id="100000000000001", type="image", mime_type="image/png",
                       data=base64.b64encode(data).decode(), caption="look")
    assert response.status_code == 200, response.text
    image = response.json()["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
    assert image["mime_type"] == "image/png" and image["caption"] == "look"
    assert image["sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    meta = requests.get(f"{emulator.base_url}/v23.0/{image['id']}", headers=AUTH,
                        params={"phone_number_id": "100000000000001"}, timeout=5)
    assert meta.status_code == 200, meta.text
    assert meta.json()["sha256"] == hashlib.sha256(data).hexdigest()
    download = requests.get(meta.json()["url"], headers=AUTH, timeout=5)
    assert (download.status_code, download.content) == (200, data)
    assert download.headers["Content-Type"] == "image/png"


def test_inbound_voice_note_uses_ogg_opus(emulator):
    response = inbound(emulator, type="audio", voice=True)
    audio = response.json()["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]["audio"]
    assert response.status_code == 200
    assert audio["mime_type"] == "audio/ogg; codecs=opus" and audio["voice"] is True


def test_inbound_reply_carries_context_of_the_business_message(emulator):
    response = inbound(emulator, phone_number_id="100000000000001", type="button_reply",
                       button_reply={"id": "yes", "title": "Yes"}, context={"message_id": "wamid.biz"})
    assert response.status_code == 200
    message = response.json()["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["context"] == {"from": emulator.settings.display_phone_number, "id": "wamid.biz"}


def test_inbound_reaction_defaults_to_the_last_message_sent(emulator):
    sent = requests.post(f"{emulator.base_url}/v23.0/100000000000001/messages", headers=AUTH, timeout=5,
                         json={"messaging_product": "whatsapp", "to": "16505551234", "text": {"body": "x"}})
    assert sent.status_code == 200
    response = inbound(emulator, phone_number_id="100000000000001", type="reaction", emoji="👍")
    assert response.status_code == 200
    reaction = response.json()["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]
    assert reaction == {"message_id": sent.json()["messages"][0]["id"], "emoji": "👍"}


@pytest.mark.parametrize("body", [{"type": "hologram"}, {"type": "image", "data": "***"}, {"from": "abc"}],
                         ids=["unknown-type", "bad-base64", "bad-from"])
def test_bad_inbound_requests_are_rejected(emulator, callback, body):
    response = inbound(emulator, **body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert emulator.wait_idle(1) and callback.posts == []
