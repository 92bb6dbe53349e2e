"""The emulator's Graph API over real HTTP: sends, validation errors, tokens, read receipts, templates."""
from __future__ import annotations

import re

import pytest
import requests

from tests.fixtures.meta import load_examples

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PNID = "100000000000001"
RECIPIENT = "+16505551234"
EMULATOR_SETTINGS = {"access_token": TOKEN, "webhook_delay": 0.01}


def fill(value, recipient: str = RECIPIENT):
    """Replace the placeholders in Meta's example bodies with usable values."""
    if isinstance(value, dict):
        return {key: fill(item, recipient) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, recipient) for item in value]
    if not isinstance(value, str):
        return value
    if "{{Recipient" in value:
        return recipient
    if value.startswith("{{"):
        return "1234567890"
    link = re.fullmatch(r"<?http\(s\)://([^>]*)>?", value)
    if link:
        return f"https://example.com/{link.group(1)}"
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1].lower().replace("_", " ").replace("-", " ")
    return value


def send(emulator, body, pnid: str = PNID, headers=None):
    return requests.post(f"{emulator.base_url}/v23.0/{pnid}/messages", json=body,
                         headers=AUTH if headers is None else headers, timeout=5)


def text_body(to: str = RECIPIENT, text: str = "hello", **extra):
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": text}, **extra}


def assert_graph_error(response, status: int, code: int, field: str | None = None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["type"] == "OAuthException"
    assert error["fbtrace_id"]
    if code != 190:
        assert error["message"].startswith(f"(#{code}) ")
        assert error["error_data"]["messaging_product"] == "whatsapp"
        if field is not None:
            assert field in error["error_data"]["details"]
    return error


SEND_EXAMPLES = load_examples().sends


@pytest.mark.parametrize("title", sorted(SEND_EXAMPLES))
def test_every_meta_example_send_body_is_accepted_with_a_meta_shaped_answer(emulator, title):
    body = fill(SEND_EXAMPLES[title])
    response = send(emulator, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    if body.get("status") == "read":
        assert answer == {"success": True}
        return
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": body["to"], "wa_id": re.sub(r"\D", "", body["to"])}]
    [message] = answer["messages"]
    assert re.fullmatch(r"wamid\.[A-Za-z0-9+/=]+", message["id"])
    if body.get("type") == "template":
        assert message["message_status"] == "accepted"
    else:
        assert "message_status" not in message
    [recorded] = emulator.state.messages()
    assert recorded.body == body and recorded.wamid == message["id"] and recorded.phone_number_id == PNID


def test_wamids_are_unique_and_contacts_echo_the_input(emulator):
    answers = [send(emulator, text_body(to="1 (650) 555-12" + f"{i:02d}")) for i in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert len({a.json()["messages"][0]["id"] for a in answers}) == 5
    assert answers[3].json()["contacts"] == [{"input": "1 (650) 555-1203", "wa_id": "16505551203"}]


def test_cta_url_message_is_accepted(emulator):
    body = {"messaging_product": "whatsapp", "to": RECIPIENT, "type": "interactive", "interactive": {
        "type": "cta_url", "header": {"type": "text", "text": "Dates"}, "body": {"text": "Tap to see dates"},
        "footer": {"text": "Thanks"},
        "action": {"name": "cta_url", "parameters": {"display_text": "See Dates", "url": "https://example.com"}}}}
    response = send(emulator, body)
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["id"].startswith("wamid.")


def interactive_buttons(count: int, title=lambda i: f"Button {i}"):
    return {"messaging_product": "whatsapp", "to": RECIPIENT, "type": "interactive", "interactive": {
        "type": "button", "body": {"text": "Pick one"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": f"b{i}", "title": title(i)}}
                               for i in range(count)]}}}


def interactive_list(rows_per_section: list[int]):
    sections = [{"title": f"Section {s}", "rows": [{"id": f"r{s}-{r}", "title": f"Row {r}"}
                                                  for r in range(count)]}
                for s, count in enumerate(rows_per_section)]
    return {"messaging_product": "whatsapp", "to": RECIPIENT, "type": "interactive", "interactive": {
        "type": "list", "body": {"text": "Choose"}, "action": {"button": "Options", "sections": sections}}}


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "hi"}}, 400, 131008, "to"),
    ({"to": RECIPIENT, "type": "text", "text": {"body": "hi"}}, 400, 131008, "messaging_product"),
    ({"messaging_product": "sms", "to": RECIPIENT, "text": {"body": "hi"}}, 400, 100, "messaging_product"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "fax", "fax": {}}, 400, 100, "type"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "image"}, 400, 131008, "image"),
    (text_body(text="x" * 4097), 400, 100, "text.body"),
    (text_body(text=""), 400, 131008, "text.body"),
    (interactive_buttons(4), 400, 100, "interactive.action.buttons"),
    (interactive_buttons(2, title=lambda i: "Same"), 400, 131009, "title"),
    (interactive_buttons(1, title=lambda i: "t" * 21), 400, 100, "title"),
    (interactive_list([6, 5]), 400, 100, "interactive.action.sections"),
    (interactive_list([0]), 400, 100, "interactive.action.sections"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "image",
      "image": {"id": "1", "link": "https://example.com/a.jpg"}}, 400, 131009, "image"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "audio",
      "audio": {"id": "1", "caption": "no"}}, 400, 131009, "audio.caption"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "image",
      "image": {"id": "1", "caption": "c" * 1025}}, 400, 100, "image.caption"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "location",
      "location": {"longitude": 1}}, 400, 131008, "location.latitude"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "contacts",
      "contacts": [{"name": {"first_name": "A"}}]}, 400, 131008, "formatted_name"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "reaction",
      "reaction": {"emoji": "x"}}, 400, 131008, "reaction.message_id"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "reaction", "context": {"message_id": "w"},
      "reaction": {"message_id": "w", "emoji": "x"}}, 400, 131009, "context"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "template",
      "template": {"name": "hello_world"}}, 400, 131008, "template.language"),
    ({"messaging_product": "whatsapp", "to": RECIPIENT, "type": "interactive",
      "interactive": {"type": "carousel_of_doom"}}, 400, 100, "interactive.type"),
], ids=["missing-to", "missing-product", "bad-product", "bad-type", "missing-type-object", "text-4097",
        "empty-text", "4-buttons", "duplicate-titles", "title-21", "11-list-rows", "0-list-rows",
        "id-and-link", "audio-caption", "caption-1025", "no-latitude", "no-formatted-name",
        "reaction-no-message-id", "reaction-with-context", "template-no-language", "unknown-interactive"])
def test_invalid_send_bodies_get_meta_shaped_errors(emulator, body, status, code, field):
    assert_graph_error(send(emulator, body), status, code, field)
    assert emulator.state.messages() == []


def test_text_of_exactly_4096_characters_is_accepted(emulator):
    response = send(emulator, text_body(text="x" * 4096))
    assert response.status_code == 200, response.text


def test_context_reply_is_accepted_on_any_type_but_reaction(emulator):
    response = send(emulator, text_body(context={"message_id": "wamid.prev"}))
    assert response.status_code == 200, response.text
    assert emulator.state.messages()[0].body["context"] == {"message_id": "wamid.prev"}


def test_body_that_is_not_json_is_rejected_with_code_100(emulator):
    response = requests.post(f"{emulator.base_url}/v23.0/{PNID}/messages", data="{not json",
                             headers={**AUTH, "Content-Type": "application/json"}, timeout=5)
    assert_graph_error(response, 400, 100)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}],
                         ids=["missing", "wrong", "not-bearer"])
def test_missing_or_wrong_token_gets_401_code_190(emulator, headers):
    response = send(emulator, text_body(), headers=headers)
    error = assert_graph_error(response, 401, 190)
    assert error["message"].startswith("Error validating access token: ")
    assert emulator.state.messages() == []


def test_any_token_is_accepted_when_no_access_token_is_configured(emulator):
    emulator.settings.access_token = None
    response = send(emulator, text_body(), headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 200, response.text
    assert_graph_error(send(emulator, text_body(), headers={}), 401, 190)


def test_mark_read_and_typing_indicator_answer_success(emulator):
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in1"}
    first = send(emulator, read)
    second = send(emulator, {**read, "typing_indicator": {"type": "text"}})
    assert (first.status_code, first.json()) == (200, {"success": True})
    assert (second.status_code, second.json()) == (200, {"success": True})
    reads = emulator.state.reads()
    assert [r["message_id"] for r in reads] == ["wamid.in1", "wamid.in1"]
    assert reads[1]["typing_indicator"] == {"type": "text"}
    assert emulator.state.messages() == []


@pytest.mark.parametrize(("extra", "code", "field"), [
    ({"typing_indicator": {"type": "audio"}}, 131009, "typing_indicator.type"),
    ({"typing_indicator": "text"}, 131009, "typing_indicator"),
    ({"status": "delivered"}, 131009, "status"),
    ({"message_id": None}, 131008, "message_id"),
])
def test_bad_mark_read_bodies_are_rejected(emulator, extra, code, field):
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in1", **extra}
    assert_graph_error(send(emulator, {k: v for k, v in body.items() if v is not None}), 400, code, field)


def test_templates_are_listed_with_paging_and_limit(emulator):
    url = f"{emulator.base_url}/v23.0/{emulator.settings.waba_id}/message_templates"
    everything = requests.get(url, headers=AUTH, timeout=5)
    assert everything.status_code == 200
    templates = everything.json()["data"]
    assert len(templates) >= 4
    hello = next(t for t in templates if t["name"] == "hello_world" and t["language"] == "en_US")
    assert hello["status"] == "APPROVED" and hello["category"] == "UTILITY" and hello["id"].isdigit()
    assert {c["type"] for c in hello["components"]} == {"HEADER", "BODY", "FOOTER"}
    first = requests.get(url, params={"limit": 2}, headers=AUTH, timeout=5)
    assert first.status_code == 200
    page = first.json()
    assert [t["name"] for t in page["data"]] == [t["name"] for t in templates[:2]]
    assert set(page["paging"]["cursors"]) == {"before", "after"} and "next" in page["paging"]
    second = requests.get(url, params={"limit": 2, "after": page["paging"]["cursors"]["after"]},
                          headers=AUTH, timeout=5)
    assert second.status_code == 200
    assert [t["id"] for t in second.json()["data"]] == [t["id"] for t in templates[2:4]]


def test_templates_of_an_unknown_account_get_code_100(emulator):
    response = requests.get(f"{emulator.base_url}/v23.0/999/message_templates", headers=AUTH, timeout=5)
    error = assert_graph_error(response, 400, 100)
    assert error["message"].startswith("(#100) Unsupported get request")


def test_unknown_paths_get_a_json_graph_error(emulator):
    response = requests.get(f"{emulator.base_url}/nowhere", headers=AUTH, timeout=5)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 2500


def test_requests_log_keeps_bodies_but_never_the_token(emulator):
    send(emulator, text_body(text="logged"))
    response = requests.get(f"{emulator.base_url}/_sandbox/requests", timeout=5)
    assert response.status_code == 200
    [entry] = response.json()["data"]
    assert entry["method"] == "POST" and entry["path"] == f"/v23.0/{PNID}/messages"
    assert entry["json"]["text"] == {"body": "logged"} and entry["status"] == 200
    assert TOKEN not in response.text


def test_messages_control_endpoint_lists_exact_bodies(emulator):
    body = text_body(text="exact", biz_opaque_callback_data="tracking-1")
    wamid = send(emulator, body).json()["messages"][0]["id"]
    response = requests.get(f"{emulator.base_url}/_sandbox/messages", timeout=5)
    assert response.status_code == 200
    [item] = response.json()["data"]
    assert item["wamid"] == wamid and item["body"] == body and item["wa_id"] == "16505551234"
    assert item["statuses"] == ["sent", "delivered", "read"]
