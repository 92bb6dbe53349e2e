"""Meta's webhooks: verified, stored first, every item processed exactly once, statuses monotonic."""
import itertools
import json
import threading
import uuid

import pytest
from sqlalchemy import func, select

from app.api.webhooks.services import WebhookService
from app.repositories.message_repo import MessageRepository
from app.utils.pagination import PageRequest
from database.connection import db
from database.models import Contact, Media, Message, MessageStatusEvent, WebhookEvent
from tests.helpers import (
    META_LINES,
    META_PNID,
    drain,
    inbound_text,
    meta_json,
    post_webhook,
    status_item,
    webhook,
)


@pytest.fixture
def hook_app(make_app):
    return make_app({"MESSAGING_LINES": META_LINES})


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _outbound(app, wamid: str, status: str = "sent") -> None:
    with app.app_context():
        db.session.add(Message(whatsapp_message_id=wamid, line_id="meta", phone_number="16505551234",
                               message_type="text", direction="outbound", status=status, content={}))
        db.session.commit()


def _status_of(app, wamid: str) -> str:
    with app.app_context():
        return MessageRepository(db.session).get_by_wamid(wamid).status


# -- the handshake -------------------------------------------------------------------------------
def test_verification_handshake_echoes_challenge_as_text(client):
    response = client.get("/api/v1/webhooks?hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=987")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "987"
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize("query", ["hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
                                   "hub.mode=unsubscribe&hub.verify_token=test-verify-token&hub.challenge=1",
                                   ""])
def test_verification_with_wrong_token_or_mode_is_403(client, query):
    response = client.get(f"/api/v1/webhooks?{query}")
    assert response.status_code == 403
    assert response.get_json()["error"] == "FORBIDDEN"


# -- signatures ----------------------------------------------------------------------------------
def _signature_cases(body: bytes):
    from app.private.signature import sign

    good = sign(body, "test-webhook-secret")
    return {
        "missing header": None,
        "empty header": "",
        "wrong prefix": "sha1=" + good[7:],
        "wrong secret": sign(body, "another-secret"),
        "truncated": good[:-4],
        "tampered body": sign(body + b" ", "test-webhook-secret"),
    }


@pytest.mark.parametrize("case", ["missing header", "empty header", "wrong prefix", "wrong secret", "truncated",
                                  "tampered body"])
def test_bad_signatures_are_401_and_nothing_is_stored(hook_app, case):
    body = meta_json(webhook([inbound_text("wamid.SIG1")]))
    header = _signature_cases(body)[case]
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Hub-Signature-256"] = header
    response = hook_app.test_client().post("/api/v1/webhooks", data=body, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "UNAUTHORIZED"
    assert _count(hook_app, WebhookEvent) == 0 and _count(hook_app, Message) == 0


def test_signature_over_reserialised_non_ascii_json_fails_but_raw_bytes_pass(hook_app):
    payload = webhook([inbound_text("wamid.UNI1", body="Olá, café ☕")])
    escaped = meta_json(payload)  # what Meta sends: \u escapes
    assert b"\\u00e1" in escaped
    reserialised = json.dumps(payload, ensure_ascii=False).encode()
    from app.private.signature import sign

    response = hook_app.test_client().post("/api/v1/webhooks", data=escaped, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign(reserialised, "test-webhook-secret")})
    assert response.status_code == 401
    assert post_webhook(hook_app.test_client(), escaped).status_code == 200
    drain(hook_app)
    with hook_app.app_context():
        assert MessageRepository(db.session).get_by_wamid("wamid.UNI1").content["text"]["body"] == "Olá, café ☕"


# -- bad bodies and outages ------------------------------------------------------------------------
def test_oversize_body_is_413(hook_app):
    body = b'{"object":"x","pad":"' + b"a" * (3 * 1024 * 1024) + b'"}'
    response = post_webhook(hook_app.test_client(), body)
    assert response.status_code == 413
    assert response.get_json()["error"] == "PAYLOAD_TOO_LARGE"


def test_signed_malformed_json_is_400_and_logged(hook_app, caplog):
    response = post_webhook(hook_app.test_client(), b"{not json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "VALIDATION_ERROR"
    assert "not JSON" in caplog.text
    assert _count(hook_app, WebhookEvent) == 0


def test_database_down_answers_503_so_meta_retries(make_app):
    app = make_app({"TEST_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "DB_CONNECT_TIMEOUT": "1"},
                   database=False)
    response = post_webhook(app.test_client(), webhook([inbound_text("wamid.DOWN")]))
    assert response.status_code == 503
    assert response.get_json()["error"] == "SERVICE_UNAVAILABLE"


def test_webhook_route_is_not_rate_limited(make_app):
    app = make_app({"MESSAGING_LINES": META_LINES, "RATELIMIT_DEFAULT": "2 per minute"})
    client = app.test_client()
    codes = [post_webhook(client, webhook([inbound_text(f"wamid.RL{i}")])).status_code for i in range(5)]
    assert codes == [200] * 5


# -- store first, process every item ----------------------------------------------------------------
def test_event_is_stored_raw_with_type_and_line_before_200(hook_app, auth):
    body = meta_json(webhook([inbound_text("wamid.STORE")]))
    response = post_webhook(hook_app.test_client(), body)
    assert response.status_code == 200
    event_id = uuid.UUID(response.get_json()["event_id"])
    with hook_app.app_context():
        event = db.session.get(WebhookEvent, event_id)
        assert (event.raw_body.encode(), event.event_type, event.line_id) == (body, "messages", "meta")
    drain(hook_app)
    stored = hook_app.test_client().get(f"/api/v1/webhooks/events/{event_id}", headers=auth).get_json()
    assert stored["processed"] is True and stored["payload"]["entry"][0]["id"] == "waba-1"


@pytest.mark.parametrize("title", [
    "Text Message", "Text Message with Context (Product Inquiry)", "Text Message from Click to WhatsApp Ad",
    "Reaction Message", "Image Message", "Location Message", "Contact Sharing Message", "Unsupported Message",
    "Button Message", "Interactive List Reply Message", "Interactive Button Reply Message", "Order Message",
])
def test_meta_inbound_examples_record_message_and_contact(hook_app, meta_examples, title):
    payload = meta_examples.webhooks[title]
    value = payload["entry"][0]["changes"][0]["value"]
    item, profile = value["messages"][0], value["contacts"][0]
    assert post_webhook(hook_app.test_client(), payload).status_code == 200
    drain(hook_app)
    with hook_app.app_context():
        message = MessageRepository(db.session).get_by_wamid(item["id"])
        assert (message.direction, message.status, message.message_type, message.line_id) == (
            "inbound", "received", item["type"], "meta")
        assert message.phone_number == item["from"] and message.content == item
        assert int(message.timestamp.timestamp()) == int(item["timestamp"])
        contact = db.session.scalar(select(Contact).where(Contact.phone_number == item["from"]))
        assert contact.display_name == profile["profile"]["name"] and contact.wa_id == profile["wa_id"]
        assert contact.last_seen == message.timestamp
        event = db.session.scalar(select(WebhookEvent))
        assert event.processed is True and event.error_message is None
        if item["type"] == "image":
            media = db.session.scalar(select(Media).where(Media.media_id == item["image"]["id"]))
            assert (media.mime_type, media.sha256, media.direction) == (
                item["image"]["mime_type"], item["image"]["sha256"], "inbound")
        if "context" in item and "id" in item["context"]:
            assert message.reply_to == item["context"]["id"]


def test_meta_system_example_moves_contact_to_new_number(hook_app, meta_examples):
    payload = meta_examples.webhooks["System Message"]
    item = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    with hook_app.app_context():
        db.session.add(Contact(phone_number=item["from"], display_name="Sheena", is_blocked=False))
        db.session.commit()
    assert post_webhook(hook_app.test_client(), payload).status_code == 200
    drain(hook_app)
    with hook_app.app_context():
        moved = db.session.scalar(select(Contact).where(Contact.phone_number == item["system"]["wa_id"]))
        assert moved is not None and moved.display_name == "Sheena"
        assert MessageRepository(db.session).get_by_wamid(item["id"]).message_type == "system"


@pytest.mark.parametrize("title, field", [("Group Create Message", "group_lifecycle_update"),
                                          ("Group Settings Update", "group_settings_update"),
                                          ("Group Remove Participants", "group_participants_update")])
def test_meta_group_examples_are_stored_and_marked_processed(hook_app, meta_examples, title, field):
    assert post_webhook(hook_app.test_client(), meta_examples.webhooks[title]).status_code == 200
    drain(hook_app)
    with hook_app.app_context():
        event = db.session.scalar(select(WebhookEvent))
        assert (event.event_type, event.processed, event.error_message, event.line_id) == (field, True, None, "meta")
    assert _count(hook_app, Message) == 0


def test_unknown_phone_number_id_is_stored_without_line_and_answered_200(hook_app, caplog):
    response = post_webhook(hook_app.test_client(), webhook([inbound_text("wamid.NOLINE")], phone_number_id="999"))
    assert response.status_code == 200
    assert "unknown phone_number_id" in caplog.text
    drain(hook_app)
    with hook_app.app_context():
        assert db.session.scalar(select(WebhookEvent)).line_id is None
        assert MessageRepository(db.session).get_by_wamid("wamid.NOLINE").line_id is None


def test_a_batch_of_many_messages_and_statuses_loses_nothing(hook_app):
    for i in range(20):
        _outbound(hook_app, f"wamid.OUT{i}")
    messages = [{"from": f"1650555{1000 + i}", "id": f"wamid.IN{i}", "timestamp": "1760000000", "type": "text",
                 "text": {"body": f"m{i}"}} for i in range(30)]
    contacts = [{"profile": {"name": f"U{i}"}, "wa_id": f"1650555{1000 + i}"} for i in range(30)]
    statuses = [status_item(f"wamid.OUT{i}", s) for i in range(20) for s in ("sent", "delivered")]
    payload = webhook([{"contacts": contacts[:15], "messages": messages[:15]},
                       {"contacts": contacts[15:], "messages": messages[15:]},
                       {"statuses": statuses}], entries=2)
    assert len(payload["entry"]) == 2
    assert post_webhook(hook_app.test_client(), payload).status_code == 200
    drain(hook_app)
    assert _count(hook_app, Message, Message.direction == "inbound") == 30
    assert _count(hook_app, Contact) == 30
    assert _count(hook_app, MessageStatusEvent) == 40
    assert _count(hook_app, Message, Message.status == "delivered") == 20


def test_two_entries_in_one_post_are_both_processed(hook_app):
    payload = webhook([inbound_text("wamid.E1", sender="16505550001"), inbound_text("wamid.E2", sender="16505550002")],
                      entries=2)
    assert len(payload["entry"]) == 2
    post_webhook(hook_app.test_client(), payload)
    drain(hook_app)
    assert _count(hook_app, Message) == 2


def test_the_same_body_twice_changes_nothing_the_second_time(hook_app):
    _outbound(hook_app, "wamid.DUP-OUT")
    payload = webhook([inbound_text("wamid.DUP"), {"statuses": [status_item("wamid.DUP-OUT", "delivered")]}])
    client = hook_app.test_client()
    assert post_webhook(client, payload).status_code == 200
    drain(hook_app)
    assert post_webhook(client, payload).status_code == 200
    drain(hook_app)
    assert _count(hook_app, WebhookEvent) == 2  # both deliveries are kept as received
    assert _count(hook_app, Message, Message.direction == "inbound") == 1
    assert _count(hook_app, MessageStatusEvent) == 1
    with hook_app.app_context():
        assert all(e.processed for e in db.session.scalars(select(WebhookEvent)))


def test_concurrent_duplicates_on_postgres_process_each_item_once(make_app, postgres_url):
    app = make_app({"MESSAGING_LINES": META_LINES, "TEST_DATABASE_URL": postgres_url})
    for i in range(5):
        _outbound(app, f"wamid.C-OUT{i}")
    payload = webhook([{"contacts": [{"profile": {"name": "A"}, "wa_id": "16505551234"}],
                        "messages": [{"from": "16505551234", "id": f"wamid.C-IN{i}", "timestamp": "1760000000",
                                      "type": "text", "text": {"body": "x"}} for i in range(10)]},
                       {"statuses": [status_item(f"wamid.C-OUT{i}", s) for i in range(5)
                                     for s in ("delivered", "read")]}])
    body = meta_json(payload)
    barrier = threading.Barrier(8)
    codes = []

    def send():
        client = app.test_client()
        barrier.wait()
        codes.append(post_webhook(client, body).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    drain(app, 30)
    assert codes == [200] * 8
    assert _count(app, Message, Message.direction == "inbound") == 10
    assert _count(app, MessageStatusEvent) == 10
    assert _count(app, Message, Message.status == "read") == 5
    with app.app_context():
        events = list(db.session.scalars(select(WebhookEvent)))
        assert len(events) == 8 and all(e.processed and e.error_message is None for e in events)


def test_concurrent_messages_from_one_sender_never_move_the_contact_backwards(make_app, postgres_url, monkeypatch):
    """Two events for one sender processed at once: the newer message's time and name win, every time."""
    import time

    from app.api.webhooks import inbound
    from app.repositories.webhook_repo import WebhookRepository
    from app.utils.time import from_unix

    apply_profile = inbound.apply_profile

    def slow_apply_profile(*args):  # a slow worker: both would read the contact before either writes
        time.sleep(0.2)
        apply_profile(*args)

    monkeypatch.setattr(inbound, "apply_profile", slow_apply_profile)
    app = make_app({"MESSAGING_LINES": META_LINES, "TEST_DATABASE_URL": postgres_url})
    for round_ in range(3):
        sender = f"1650555{7000 + round_}"
        ids = []
        with app.app_context():
            db.session.add(Contact(phone_number=sender, is_blocked=False))  # known: no insert to wait on
            for n, (stamp, name) in enumerate(((1_760_000_000, "Old"), (1_760_000_100, "New"))):
                payload = webhook([inbound_text(f"wamid.RACE{round_}.{n}", sender=sender, name=name,
                                                timestamp=stamp)])
                ids.append(WebhookRepository(db.session).insert_event(
                    event_type="messages", line_id="meta", phone_number_id=META_PNID, payload=payload,
                    raw_body=meta_json(payload).decode(), body_sha256="x", processed=False, retry_count=0))
            db.session.commit()
        barrier = threading.Barrier(2)

        def process(event_id):
            with app.app_context():
                barrier.wait()
                WebhookService().process(event_id)

        threads = [threading.Thread(target=process, args=(event_id,)) for event_id in reversed(ids)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with app.app_context():
            contact = db.session.scalar(select(Contact).where(Contact.phone_number == sender))
            assert contact.last_seen == from_unix("1760000100") and contact.profile_name == "New"
            assert _count(app, Message, Message.phone_number == sender) == 2


# -- statuses ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", list(itertools.permutations(["sent", "delivered", "read"])))
def test_every_order_of_statuses_ends_read(hook_app, order):
    _outbound(hook_app, "wamid.ORDER", status="pending")
    client = hook_app.test_client()
    for status in order:
        post_webhook(client, webhook([{"statuses": [status_item("wamid.ORDER", status)]}]))
        drain(hook_app)
    assert _status_of(hook_app, "wamid.ORDER") == "read"
    with hook_app.app_context():
        message = MessageRepository(db.session).get_by_wamid("wamid.ORDER")
        assert message.sent_at and message.delivered_at and message.read_at


def test_failed_after_read_does_not_move_back(hook_app):
    _outbound(hook_app, "wamid.FAR")
    client = hook_app.test_client()
    post_webhook(client, webhook([{"statuses": [status_item("wamid.FAR", "read")]}]))
    drain(hook_app)
    failed = status_item("wamid.FAR", "failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    post_webhook(client, webhook([{"statuses": [failed]}]))
    drain(hook_app)
    assert _status_of(hook_app, "wamid.FAR") == "read"
    assert _count(hook_app, MessageStatusEvent) == 2  # history keeps both


def test_failed_status_stores_its_error_on_the_message(hook_app):
    _outbound(hook_app, "wamid.FAIL")
    errors = [{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
               "error_data": {"details": "More than 24 hours have passed"}}]
    post_webhook(hook_app.test_client(), webhook([{"statuses": [status_item("wamid.FAIL", "failed", errors=errors)]}]))
    drain(hook_app)
    with hook_app.app_context():
        message = MessageRepository(db.session).get_by_wamid("wamid.FAIL")
        assert message.status == "failed"
        assert message.error["code"] == 131047 and message.error["details"] == "More than 24 hours have passed"


def test_status_history_keeps_pricing_and_conversation(hook_app):
    _outbound(hook_app, "wamid.HIST")
    post_webhook(hook_app.test_client(), webhook([{"statuses": [status_item("wamid.HIST", "sent")]}]))
    drain(hook_app)
    with hook_app.app_context():
        event = db.session.scalar(select(MessageStatusEvent))
        assert event.pricing["pricing_model"] == "PMP" and event.conversation["id"] == "conv-1"
        assert event.applied is True and int(event.status_timestamp.timestamp()) == 1_760_000_000


def test_status_for_unknown_wamid_is_kept_and_applied_when_message_appears(hook_app):
    post_webhook(hook_app.test_client(), webhook([{"statuses": [status_item("wamid.LATE", "delivered")]}]))
    drain(hook_app)
    with hook_app.app_context():
        assert db.session.scalar(select(MessageStatusEvent)).applied is False
        db.session.add(Message(line_id="meta", phone_number="16505551234", message_type="text",
                               direction="outbound", status="sent", content={}))
        db.session.commit()
        message = db.session.scalar(select(Message))
        message.whatsapp_message_id = "wamid.LATE"
        db.session.flush()
        from app.api.webhooks.statuses import apply_pending_statuses

        assert apply_pending_statuses(db.session, "wamid.LATE") == 1
        db.session.commit()
        assert message.status == "delivered"


def test_played_status_is_recorded_and_implies_read(hook_app):
    _outbound(hook_app, "wamid.VOICE", status="delivered")
    post_webhook(hook_app.test_client(), webhook([{"statuses": [status_item("wamid.VOICE", "played")]}]))
    drain(hook_app)
    assert _status_of(hook_app, "wamid.VOICE") == "read"


# -- errors and failures ------------------------------------------------------------------------------
def test_value_errors_are_stored_and_logged(hook_app, caplog, auth):
    errors = [{"code": 131000, "title": "Something went wrong", "error_data": {"details": "x"}}]
    response = post_webhook(hook_app.test_client(), webhook([{"errors": errors}]))
    drain(hook_app)
    event_id = response.get_json()["event_id"]
    body = hook_app.test_client().get(f"/api/v1/webhooks/events/{event_id}", headers=auth).get_json()
    assert body["event_type"] == "errors" and body["value_errors"] == errors and body["processed"] is True
    assert "131000" in caplog.text


def test_one_bad_item_does_not_stop_the_others_and_retry_completes(hook_app, auth):
    good = {"from": "16505551234", "id": "wamid.GOOD", "timestamp": "1760000000", "type": "text",
            "text": {"body": "ok"}}
    bad = {"id": "wamid.BAD", "type": "text"}  # no "from"
    response = post_webhook(hook_app.test_client(), webhook([{"messages": [bad, good]}]))
    drain(hook_app)
    event_id = response.get_json()["event_id"]
    client = hook_app.test_client()
    event = client.get(f"/api/v1/webhooks/events/{event_id}", headers=auth).get_json()
    assert event["processed"] is False and "wamid.BAD" in event["error_message"]
    assert _count(hook_app, Message) == 1
    listed = client.get("/api/v1/webhooks/events?processed=false", headers=auth).get_json()
    assert [item["id"] for item in listed["items"]] == [event_id]
    # Fix the stored payload (as an operator would after a bug fix) and retry.
    with hook_app.app_context():
        stored = db.session.get(WebhookEvent, uuid.UUID(event_id))
        payload = json.loads(stored.raw_body)
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = "16505550009"
        stored.payload = payload
        db.session.commit()
    retried = client.post(f"/api/v1/webhooks/events/{event_id}/retry", headers=auth)
    assert retried.status_code == 200
    body = retried.get_json()
    assert body["processed"] is True and body["retry_count"] == 1 and body["error_message"] is None
    assert _count(hook_app, Message) == 2


def test_items_applied_before_a_failing_one_are_kept_once(hook_app, auth):
    """The first pass applies items together; when a later one fails it is rolled back and redone."""
    goods = [{"from": "16505551234", "id": f"wamid.A{n}", "timestamp": "1760000000", "type": "text",
              "text": {"body": "ok"}} for n in range(3)]
    bad = {"id": "wamid.ZBAD", "type": "text"}  # sorts last; no "from"
    statuses = [status_item("wamid.A0", "read")]
    response = post_webhook(hook_app.test_client(), webhook([{"messages": [*goods, bad], "statuses": statuses}]))
    drain(hook_app)
    event = hook_app.test_client().get(f"/api/v1/webhooks/events/{response.get_json()['event_id']}",
                                       headers=auth).get_json()
    assert event["processed"] is False and "wamid.ZBAD" in event["error_message"]
    assert "wamid.A" not in event["error_message"]
    assert _count(hook_app, Message) == 3 and _count(hook_app, MessageStatusEvent) == 1


def test_events_api_filters_and_404(hook_app, auth):
    client = hook_app.test_client()
    post_webhook(client, webhook([inbound_text("wamid.F1")]))
    post_webhook(client, webhook([{"statuses": [status_item("wamid.none", "sent")]}]))
    drain(hook_app)
    statuses = client.get("/api/v1/webhooks/events?event_type=statuses", headers=auth).get_json()["items"]
    assert [e["event_type"] for e in statuses] == ["statuses"]
    assert client.get("/api/v1/webhooks/events?line_id=meta", headers=auth).get_json()["items"][0]["line_id"] == "meta"
    assert client.get("/api/v1/webhooks/events?processed=maybe", headers=auth).status_code == 400
    assert client.get(f"/api/v1/webhooks/events/{uuid.uuid4()}", headers=auth).status_code == 404
    assert client.get("/api/v1/webhooks/events/not-a-uuid", headers=auth).status_code == 404
    assert client.get("/api/v1/webhooks/events").status_code == 401


def test_retry_failed_command_reprocesses_unprocessed_events(hook_app):
    with hook_app.app_context():
        payload = webhook([inbound_text("wamid.CLI")])
        db.session.add(WebhookEvent(event_type="messages", line_id="meta", phone_number_id=META_PNID,
                                    payload=payload, raw_body=json.dumps(payload), body_sha256="0" * 64))
        db.session.commit()
    result = hook_app.test_cli_runner().invoke(args=["webhooks", "retry-failed", "--min-age", "0"])
    assert result.exit_code == 0 and "reprocessed 1 event" in result.output
    assert _count(hook_app, Message) == 1
    with hook_app.app_context():
        assert len(WebhookService().list({"processed": True}, PageRequest())["items"]) == 1
