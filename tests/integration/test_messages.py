"""Messages: every type over real HTTP to the emulator, quota, idempotency, Graph errors, status."""
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from database.connection import db
from database.models import Contact, Message, MessagingLine
from tests.helpers import drain, graph_bodies, send_attempts, wait_until

TO = "+16505551234"
MEDIA = {"media_url": "https://cdn.example.com/file.bin"}

# (endpoint, request body, the Graph body's type object we expect the emulator to have received)
CASES = [
    ("text", {"text": "Hello", "preview_url": True}, {"text": {"body": "Hello", "preview_url": True}}),
    ("image", {"media_id": "1234", "caption": "Look"}, {"image": {"id": "1234", "caption": "Look"}}),
    ("video", {**MEDIA, "caption": "Clip"}, {"video": {"link": MEDIA["media_url"], "caption": "Clip"}}),
    ("audio", {"media_id": "55", "voice": True}, {"audio": {"id": "55", "voice": True}}),
    ("sticker", {"media_id": "66"}, {"sticker": {"id": "66"}}),
    ("document", {"media_id": "77", "filename": "a.pdf", "caption": "Invoice"},
     {"document": {"id": "77", "filename": "a.pdf", "caption": "Invoice"}}),
    ("template", {"template_name": "hello_world", "language_code": "en_US"},
     {"template": {"name": "hello_world", "language": {"code": "en_US"}}}),
    ("location", {"latitude": 37.48, "longitude": -122.14, "name": "HQ"},
     {"location": {"latitude": 37.48, "longitude": -122.14, "name": "HQ"}}),
    ("contacts", {"contacts": [{"name": {"formatted_name": "Ana"}}]},
     {"contacts": [{"name": {"formatted_name": "Ana"}}]}),
    ("reaction", {"message_id": "wamid.X", "emoji": "👍"}, {"reaction": {"message_id": "wamid.X", "emoji": "👍"}}),
]


def _post(client, auth, path, body, **headers):
    return client.post(f"/api/v1/messages{path}", json=body, headers={**auth, **headers})


def _rows(app, *where):
    with app.app_context():
        return list(db.session.scalars(select(Message).where(*where).order_by(Message.created_at)))


def _line(app, line_id="main"):
    with app.app_context():
        return db.session.scalar(select(MessagingLine).where(MessagingLine.line_id == line_id))


@pytest.mark.parametrize("endpoint, fields, expected", CASES, ids=[c[0] for c in CASES])
def test_each_type_is_sent_recorded_and_reaches_graph_as_meta_documents(wa_app, emulator, auth, endpoint, fields,
                                                                        expected):
    response = _post(wa_app.test_client(), auth, f"/{endpoint}", {"phone_number": TO, **fields})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "sent" and body["direction"] == "outbound"
    assert body["whatsapp_message_id"].startswith("wamid.")
    [graph] = graph_bodies(emulator)
    assert graph["to"] == TO and graph["messaging_product"] == "whatsapp"
    for key, value in expected.items():
        assert graph[key] == value
    assert body["content"] == graph  # the exact Graph body is the recorded content
    [row] = _rows(wa_app)
    assert (row.status, row.line_id, row.phone_number) == ("sent", "main", "16505551234")


def test_interactive_buttons_list_and_cta_url(wa_app, emulator, auth):
    client = wa_app.test_client()
    buttons = {"phone_number": TO, "body": "Ship?", "header": "Order 1", "footer": "Thanks",
               "buttons": [{"id": "y", "title": "Yes"}, {"id": "n", "title": "No"}]}
    assert _post(client, auth, "/interactive/buttons", buttons).status_code == 201
    listing = {"phone_number": TO, "body": "Pick", "button_text": "Options",
               "sections": [{"title": "A", "rows": [{"id": "1", "title": "One", "description": "First"}]}]}
    assert _post(client, auth, "/interactive/list", listing).status_code == 201
    cta = {"phone_number": TO, "body": "Track", "display_text": "Open", "url": "https://example.com/t"}
    assert _post(client, auth, "/interactive/cta_url", cta).status_code == 201
    sent = [b["interactive"] for b in graph_bodies(emulator)]
    assert sent[0]["type"] == "button" and sent[0]["header"] == {"type": "text", "text": "Order 1"}
    assert [b["reply"]["title"] for b in sent[0]["action"]["buttons"]] == ["Yes", "No"]
    assert sent[1]["type"] == "list" and sent[1]["action"]["button"] == "Options"
    assert sent[2]["action"] == {"name": "cta_url", "parameters": {"display_text": "Open", "url": "https://example.com/t"}}


def test_reply_to_becomes_graph_context(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": TO, "text": "Re", "reply_to": "wamid.Q"})
    assert response.status_code == 201
    assert graph_bodies(emulator)[0]["context"] == {"message_id": "wamid.Q"}
    assert response.get_json()["reply_to"] == "wamid.Q"


@pytest.mark.parametrize("path, body, field", [
    ("/text", {"text": "x" * 4097}, "text"),
    ("/text", {"text": ""}, "text"),
    ("/text", {}, "text"),
    ("/image", {"media_id": "1", "caption": "c" * 1025}, "caption"),
    ("/image", {"media_id": "1", "media_url": "https://a.example/x.jpg"}, "media_id"),
    ("/image", {}, "media_id"),
    ("/interactive/buttons", {"body": "b", "buttons": [{"id": str(i), "title": f"t{i}"} for i in range(4)]},
     "buttons"),
    ("/interactive/buttons", {"body": "b", "buttons": [{"id": "1", "title": "t" * 21}]}, "buttons[0].title"),
    ("/interactive/buttons", {"body": "b" * 1025, "buttons": [{"id": "1", "title": "t"}]}, "body"),
    ("/interactive/buttons", {"body": "b", "footer": "f" * 61, "buttons": [{"id": "1", "title": "t"}]}, "footer"),
    ("/interactive/buttons", {"body": "b", "header": "h" * 61, "buttons": [{"id": "1", "title": "t"}]}, "header"),
    ("/interactive/list", {"body": "b", "button_text": "x" * 21,
                           "sections": [{"rows": [{"id": "1", "title": "t"}]}]}, "button_text"),
    ("/interactive/list", {"body": "b", "button_text": "go", "sections": [
        {"title": "A", "rows": [{"id": str(i), "title": "t"} for i in range(6)]},
        {"title": "B", "rows": [{"id": f"b{i}", "title": "t"} for i in range(5)]}]}, "sections"),
    ("/interactive/list", {"body": "b", "button_text": "go",
                           "sections": [{"rows": [{"id": "1", "title": "t" * 25}]}]}, "sections[0].rows[0].title"),
    ("/interactive/list", {"body": "b", "button_text": "go",
                           "sections": [{"rows": [{"id": "1", "title": "t", "description": "d" * 73}]}]},
     "sections[0].rows[0].description"),
    ("/location", {"latitude": 91, "longitude": 0}, "latitude"),
    ("/text", {"text": "hi", "colour": "red"}, "colour"),
    ("/text", {"text": 5}, "text"),
])
def test_limits_and_bad_fields_are_400_naming_the_field_and_send_nothing(wa_app, emulator, auth, path, body, field):
    response = _post(wa_app.test_client(), auth, path, {"phone_number": TO, **body})
    assert response.status_code == 400, response.get_json()
    envelope = response.get_json()
    assert envelope["error"] == "VALIDATION_ERROR"
    assert field in envelope["details"], envelope["details"]
    assert graph_bodies(emulator) == [] and _rows(wa_app) == []


@pytest.mark.parametrize("number", ["12", "not-a-number", "+1555", "+44 7700"])
def test_bad_phone_number_is_400_naming_phone_number(wa_app, auth, number):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": number, "text": "x"})
    assert response.status_code == 400
    assert "phone_number" in response.get_json()["details"]


def test_unknown_line_is_404_and_inactive_line_is_409(wa_app, emulator, auth):
    client = wa_app.test_client()
    missing = _post(client, auth, "/text", {"phone_number": TO, "text": "x", "line_id": "nope"})
    assert missing.status_code == 404 and missing.get_json()["error"] == "NOT_FOUND"
    inactive = _post(client, auth, "/text", {"phone_number": TO, "text": "x", "line_id": "off"})
    assert inactive.status_code == 409 and inactive.get_json()["error"] == "LINE_INACTIVE"
    assert graph_bodies(emulator) == [] and _rows(wa_app) == []


@pytest.mark.parametrize("path, body", [
    ("/text", {"text": "x"}),
    ("/image", {"media_id": "1"}),
    ("/reaction", {"message_id": "wamid.A", "emoji": "x"}),
    ("", {"message_type": "text", "text": "x"}),
    ("", {"text": "detected"}),
])
def test_sending_to_a_blocked_contact_is_409_from_every_path(wa_app, emulator, auth, path, body):
    with wa_app.app_context():
        db.session.add(Contact(phone_number="16505551234", is_blocked=True))
        db.session.commit()
    response = _post(wa_app.test_client(), auth, path, {"phone_number": TO, **body})
    assert response.status_code == 409 and response.get_json()["error"] == "CONTACT_BLOCKED"
    assert graph_bodies(emulator) == [] and _rows(wa_app) == []


def test_graph_native_body_to_blocked_contact_is_409(wa_app, emulator, auth):
    with wa_app.app_context():
        db.session.add(Contact(phone_number="16505551234", is_blocked=True))
        db.session.commit()
    response = _post(wa_app.test_client(), auth, "", {"to": TO, "type": "text", "text": {"body": "x"}})
    assert response.status_code == 409 and response.get_json()["error"] == "CONTACT_BLOCKED"


def test_send_creates_the_recipient_contact(wa_app, auth):
    _post(wa_app.test_client(), auth, "/text", {"phone_number": TO, "text": "x"})
    with wa_app.app_context():
        contact = db.session.scalar(select(Contact))
        assert contact.phone_number == "16505551234" and contact.last_outbound_at is not None


# -- the aggregator ---------------------------------------------------------------------------------
def test_aggregator_with_message_type(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "", {"message_type": "image", "phone_number": TO, "media_id": "9"})
    assert response.status_code == 201
    assert graph_bodies(emulator)[0]["image"] == {"id": "9"}


def test_aggregator_detects_the_type_from_fields(wa_app, emulator, auth):
    client = wa_app.test_client()
    assert _post(client, auth, "", {"phone_number": TO, "text": "auto"}).status_code == 201
    assert _post(client, auth, "", {"phone_number": TO, "latitude": 1.5, "longitude": 2.5}).status_code == 201
    assert [b["type"] for b in graph_bodies(emulator)] == ["text", "location"]


@pytest.mark.parametrize("body", [
    {"phone_number": TO},
    {"phone_number": TO, "media_id": "1"},
    {"phone_number": TO, "text": "a", "latitude": 1, "longitude": 2},
])
def test_aggregator_ambiguous_body_is_400_saying_why(wa_app, auth, body):
    response = _post(wa_app.test_client(), auth, "", body)
    assert response.status_code == 400
    envelope = response.get_json()
    assert "message_type" in envelope["details"] and envelope["message"]


def test_aggregator_rejects_unknown_message_type(wa_app, auth):
    response = _post(wa_app.test_client(), auth, "", {"message_type": "fax", "phone_number": TO})
    assert response.status_code == 400 and "message_type" in response.get_json()["details"]


def test_aggregator_passes_graph_native_unmodelled_types_through(wa_app, emulator, auth):
    flow = {"to": TO, "type": "interactive", "interactive": {
        "type": "flow", "body": {"text": "Book"}, "action": {"name": "flow", "parameters": {
            "flow_message_version": "3", "flow_id": "123", "flow_cta": "Book!"}}}}
    response = _post(wa_app.test_client(), auth, "", flow)
    assert response.status_code == 201, response.get_json()
    sent = graph_bodies(emulator)[0]
    assert sent["interactive"] == flow["interactive"] and sent["to"] == TO


def test_aggregator_validates_graph_native_bodies(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "", {"to": TO, "type": "text", "text": {"body": "x" * 5000}})
    assert response.status_code == 400
    assert any("text" in key for key in response.get_json()["details"])
    assert graph_bodies(emulator) == []


# -- quota ----------------------------------------------------------------------------------------------
def test_quota_exhaustion_is_429_with_details(wa_app, auth):
    client = wa_app.test_client()
    codes = [_post(client, auth, "/text", {"phone_number": TO, "text": f"{i}", "line_id": "tiny"}).status_code
             for i in range(3)]
    assert codes == [201, 201, 429]
    response = _post(client, auth, "/text", {"phone_number": TO, "text": "again", "line_id": "tiny"})
    envelope = response.get_json()
    assert envelope["error"] == "QUOTA_EXCEEDED"
    assert envelope["details"]["line_id"] == "tiny" and envelope["details"]["limit"] == 2
    assert envelope["details"]["resets_at"].endswith("T00:00:00+00:00")
    assert len(_rows(wa_app)) == 2  # the refused sends left no rows


def test_a_failed_send_does_not_consume_quota(wa_app, auth):
    client = wa_app.test_client()
    failed = _post(client, auth, "/text", {"phone_number": "+16505550126", "text": "x", "line_id": "tiny"})
    assert failed.status_code == 502
    assert _line(wa_app, "tiny").current_daily_count == 0
    assert [_post(client, auth, "/text", {"phone_number": TO, "text": "x", "line_id": "tiny"}).status_code
            for _ in range(3)] == [201, 201, 429]


def test_sends_racing_from_many_threads_stop_exactly_at_the_quota(make_app, emulator, auth, postgres_url):
    from tests.helpers import SEND_LINES

    app = make_app({"WHATSAPP_API_BASE_URL": emulator.base_url, "WHATSAPP_ACCESS_TOKEN": "test-graph-token",
                    "MESSAGING_LINES": SEND_LINES, "TEST_DATABASE_URL": postgres_url})
    emulator.target.app = app
    codes: list[int] = []
    barrier = threading.Barrier(10)

    def worker(n):
        client = app.test_client()
        barrier.wait()
        for i in range(8):
            codes.append(_post(client, auth, "/text", {"phone_number": TO, "text": f"{n}-{i}"}).status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes.count(201) == 50 and codes.count(429) == 30
    assert _line(app, "main").current_daily_count == 50
    assert len(graph_bodies(emulator)) == 50
    with app.app_context():  # a refused send writes nothing
        assert db.session.query(Message).count() == 50


# -- idempotency -----------------------------------------------------------------------------------------
def test_idempotent_replay_returns_the_first_response_and_sends_nothing(wa_app, emulator, auth):
    client = wa_app.test_client()
    body = {"phone_number": TO, "text": "once"}
    first = _post(client, auth, "/text", body, **{"Idempotency-Key": "k-1"})
    second = _post(client, auth, "/text", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert len(graph_bodies(emulator)) == 1 and len(_rows(wa_app)) == 1


def test_same_key_with_another_body_is_409(wa_app, emulator, auth):
    client = wa_app.test_client()
    _post(client, auth, "/text", {"phone_number": TO, "text": "a"}, **{"Idempotency-Key": "k-2"})
    response = _post(client, auth, "/text", {"phone_number": TO, "text": "b"}, **{"Idempotency-Key": "k-2"})
    assert response.status_code == 409 and response.get_json()["error"] == "IDEMPOTENCY_CONFLICT"
    assert len(graph_bodies(emulator)) == 1


def test_keys_belong_to_their_caller(make_app, emulator):
    from tests.helpers import SEND_LINES

    app = make_app({"WHATSAPP_API_BASE_URL": emulator.base_url, "WHATSAPP_ACCESS_TOKEN": "test-graph-token",
                    "MESSAGING_LINES": SEND_LINES, "VALID_API_KEYS": "key-a,key-b"})
    client = app.test_client()
    body = {"phone_number": TO, "text": "same"}
    assert _post(client, {"X-API-Key": "key-a"}, "/text", body, **{"Idempotency-Key": "shared"}).status_code == 201
    other = _post(client, {"X-API-Key": "key-b"}, "/text", body, **{"Idempotency-Key": "shared"})
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert len(graph_bodies(emulator)) == 2


def test_a_graph_failure_is_replayed_too(wa_app, emulator, auth):
    client = wa_app.test_client()
    body = {"phone_number": "+16505550126", "text": "x"}
    first = _post(client, auth, "/text", body, **{"Idempotency-Key": "k-3"})
    second = _post(client, auth, "/text", body, **{"Idempotency-Key": "k-3"})
    assert first.status_code == second.status_code == 502
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["details"] == first.get_json()["details"]
    assert send_attempts(emulator) == 1


def test_a_validation_error_does_not_burn_the_key(wa_app, auth):
    client = wa_app.test_client()
    bad = _post(client, auth, "/text", {"phone_number": TO, "text": ""}, **{"Idempotency-Key": "k-4"})
    assert bad.status_code == 400
    assert _post(client, auth, "/text", {"phone_number": TO, "text": "ok"},
                 **{"Idempotency-Key": "k-4"}).status_code == 201


def test_concurrent_requests_with_one_key_make_one_graph_call(wa_app, emulator, auth):
    emulator.settings.latency = 0.5  # keep the first request in flight
    body = {"phone_number": TO, "text": "race"}
    results: list = []
    barrier = threading.Barrier(6)

    def worker():
        client = wa_app.test_client()
        barrier.wait()
        response = _post(client, auth, "/text", body, **{"Idempotency-Key": "k-race"})
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert send_attempts(emulator) == 1
    winners = [body for code, body in results if code == 201]
    assert winners and all(w["id"] == winners[0]["id"] for w in winners)
    assert all(code == 201 or body["error"] == "IDEMPOTENCY_CONFLICT" for code, body in results)
    assert len(_rows(wa_app)) == 1


def test_idempotency_key_too_long_is_400(wa_app, auth):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": TO, "text": "x"},
                     **{"Idempotency-Key": "k" * 300})
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["details"]


# -- Graph errors ---------------------------------------------------------------------------------------
def test_sync_graph_error_is_502_and_the_message_is_recorded_failed(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": "+16505550126", "text": "x"})
    assert response.status_code == 502
    envelope = response.get_json()
    assert envelope["error"] == "WHATSAPP_API_ERROR"
    details = envelope["details"]
    assert details["graph_code"] == 131026 and details["retryable"] is False and details["fbtrace_id"]
    assert "test-graph-token" not in response.get_data(as_text=True)
    assert emulator.base_url not in response.get_data(as_text=True)
    [row] = _rows(wa_app)
    assert row.status == "failed" and row.whatsapp_message_id is None
    assert row.error["code"] == 131026 and row.error["fbtrace_id"] == details["fbtrace_id"]
    assert str(row.id) == details["message_id"]
    assert send_attempts(emulator) == 1  # not retryable: never retried


def test_retryable_throughput_error_is_retried_then_succeeds(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": "+16505550429", "text": "x"})
    assert response.status_code == 201, response.get_json()
    assert send_attempts(emulator) == 3  # two 130429s, then success
    assert _rows(wa_app)[0].status == "sent"


def test_server_errors_are_retried_then_succeed(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": "+16505550503", "text": "x"})
    assert response.status_code == 201
    assert send_attempts(emulator) == 3


def test_pair_rate_limit_backs_off_then_succeeds(wa_app, emulator, auth):
    emulator.settings.fault_clear_after = 1
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": "+16505550156", "text": "x"})
    assert response.status_code == 201, response.get_json()
    assert send_attempts(emulator) == 2


def test_persistent_server_error_gives_up_within_the_budget(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": "+16505550500", "text": "x"})
    assert response.status_code == 502
    assert response.get_json()["details"]["retryable"] is True
    assert send_attempts(emulator) == wa_app.config["GRAPH_MAX_ATTEMPTS"]
    assert _rows(wa_app)[0].status == "failed"


def test_read_timeout_keeps_the_record_with_delivery_unknown_and_never_resends(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": "+16505550999", "text": "slow"})
    assert response.status_code == 502
    details = response.get_json()["details"]
    assert details["delivery_unknown"] is True
    assert "unknown" in response.get_json()["message"]
    [row] = _rows(wa_app)
    assert row.status == "pending" and row.error["delivery_unknown"] is True
    # The emulator logs a request once it has answered it (2.5 s later); no second attempt follows.
    wait_until(lambda: send_attempts(emulator) >= 1, timeout=10)
    time.sleep(0.5)
    assert send_attempts(emulator) == 1
    assert _line(wa_app).current_daily_count == 1  # it may have been sent: the unit stays used


def test_async_failure_arrives_as_a_failed_status(wa_app, emulator, auth):
    response = _post(wa_app.test_client(), auth, "/text", {"phone_number": "+16505550131", "text": "late"})
    assert response.status_code == 201
    message_id = response.get_json()["id"]
    client = wa_app.test_client()

    def failed():
        body = client.get(f"/api/v1/messages/status/{message_id}", headers=auth).get_json()
        return body if body["status"] == "failed" else None

    body = wait_until(failed)
    assert body["error"]["code"] == 131047


# -- status, history, list ---------------------------------------------------------------------------
def test_status_moves_to_delivered_then_read_through_the_emulators_webhooks(wa_app, emulator, auth):
    client = wa_app.test_client()
    sent = _post(client, auth, "/text", {"phone_number": TO, "text": "track me"}).get_json()

    def read():
        body = client.get(f"/api/v1/messages/status/{sent['id']}", headers=auth).get_json()
        return body if body["status"] == "read" else None

    body = wait_until(read)
    assert body["delivered_at"] and body["read_at"]
    by_wamid = client.get(f"/api/v1/messages/status/{sent['whatsapp_message_id']}", headers=auth)
    assert by_wamid.status_code == 200 and by_wamid.get_json()["id"] == sent["id"]


def test_status_of_unknown_message_is_404(wa_app, auth):
    client = wa_app.test_client()
    assert client.get(f"/api/v1/messages/status/{uuid.uuid4()}", headers=auth).status_code == 404
    assert client.get("/api/v1/messages/status/wamid.nothing", headers=auth).status_code == 404


def test_list_filters_and_paginates(wa_app, emulator, auth):
    client = wa_app.test_client()
    for i in range(5):
        _post(client, auth, "/text", {"phone_number": TO, "text": f"t{i}"})
    _post(client, auth, "/text", {"phone_number": "+16505550126", "text": "fails"})
    _post(client, auth, "/location", {"phone_number": "+14155552671", "latitude": 1, "longitude": 2})
    page = client.get("/api/v1/messages?limit=3", headers=auth).get_json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = client.get(f"/api/v1/messages?limit=3&cursor={page['next_cursor']}", headers=auth).get_json()
    everything = page["items"] + rest["items"]
    assert len({m["id"] for m in everything}) == 6
    last = client.get(f"/api/v1/messages?limit=3&cursor={rest['next_cursor']}", headers=auth).get_json()
    assert len(last["items"]) == 1 and last["next_cursor"] is None
    created = [m["created_at"] for m in everything + last["items"]]
    assert created == sorted(created, reverse=True)

    def count(query):
        return len(client.get(f"/api/v1/messages?{query}", headers=auth).get_json()["items"])

    assert count("status=failed") == 1
    assert count("message_type=location") == 1
    assert count("phone_number=14155552671") == 1
    assert count("phone_number=%2B16505551234") == 5
    assert count("direction=inbound") == 0
    assert count("line_id=main") == 7
    assert count("since=2000-01-01T00:00:00%2B00:00&until=2100-01-01T00:00:00%2B00:00") == 7
    assert count("until=2000-01-01T00:00:00%2B00:00") == 0


@pytest.mark.parametrize("query, field", [("status=lost", "status"), ("direction=up", "direction"),
                                          ("since=yesterday", "since"), ("limit=0", "limit"), ("limit=500", "limit"),
                                          ("cursor=garbage", "cursor"), ("phone_number=abc", "phone_number")])
def test_list_bad_filters_are_400_naming_them(wa_app, auth, query, field):
    response = wa_app.test_client().get(f"/api/v1/messages?{query}", headers=auth)
    assert response.status_code == 400 and field in response.get_json()["details"]


def test_mark_read_of_an_inbound_message(wa_app, emulator, auth):
    import requests

    inbound = requests.post(f"{emulator.base_url}/_sandbox/inbound", json={
        "phone_number_id": "100000000000001", "from": "16505551234", "name": "Alice", "type": "text",
        "text": {"body": "hello business"}}, timeout=5).json()
    wamid = inbound["id"]
    wait_until(lambda: _rows(wa_app, Message.whatsapp_message_id == wamid))
    drain(wa_app)
    client = wa_app.test_client()
    response = client.post(f"/api/v1/messages/{wamid}/read", json={"typing_indicator": True}, headers=auth)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"whatsapp_message_id": wamid, "marked_read": True, "typing_indicator": True}
    [read] = emulator.state.reads()
    assert read["message_id"] == wamid and read["typing_indicator"] == {"type": "text"}
    assert client.post("/api/v1/messages/wamid.unknown/read", headers=auth).status_code == 404


def test_list_queries_use_an_index_on_postgres(make_app, postgres_url):
    app = make_app({"TEST_DATABASE_URL": postgres_url})
    from sqlalchemy import text

    with app.app_context():
        db.session.execute(text(
            "INSERT INTO messages (id, created_at, updated_at, phone_number, message_type, direction, status, content)"
            " SELECT gen_random_uuid(), now() - (g || ' seconds')::interval, now(), (16505550000 + g % 500)::text,"
            " (ARRAY['text','image','template'])[1 + g % 3], (ARRAY['outbound','inbound'])[1 + g % 2],"
            " (ARRAY['sent','delivered','read','failed','received'])[1 + g % 5], '{}'"
            " FROM generate_series(1, 30000) AS g"))
        db.session.execute(text("ANALYZE messages"))
        for where in ["phone_number = '16505550007'", "status = 'failed'", "message_type = 'image'",
                      "direction = 'inbound'", "created_at >= now() - interval '1 minute'", "line_id = 'x'", "TRUE"]:
            plan = "\n".join(row[0] for row in db.session.execute(text(
                f"EXPLAIN SELECT * FROM messages WHERE {where} ORDER BY created_at DESC, id DESC LIMIT 51")))
            assert "Seq Scan" not in plan, (where, plan)
        assert db.session.scalar(select(func.count()).select_from(Message)) == 30000
        db.session.rollback()
