"""Send-path failures the emulator cannot produce: a Graph answer that leaves delivery unknown, and
a database failure after Graph accepted the message."""
import json

import pytest
from sqlalchemy.exc import OperationalError

from app.graph import GraphAPIError, SendResult
from app.repositories.outbound_repo import OutboundRepository
from database.connection import db
from database.models import Message, MessageStatusEvent

LINES = json.dumps([{"id": "main", "phone_number_id": "100000000000001", "max_daily_messages": 10}])


class FakeGraph:
    """Stands in for the Graph client: answers from a script, counts calls."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0

    def send_message(self, phone_number_id, body, token=None):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer() if callable(answer) else answer


@pytest.fixture
def fake_graph(make_app, monkeypatch):
    app = make_app({"MESSAGING_LINES": LINES})
    graph = FakeGraph()
    app.extensions["graph_client"] = graph
    return app, graph


def _send(app, auth, key=None):
    headers = {**auth, **({"Idempotency-Key": key} if key else {})}
    return app.test_client().post("/api/v1/messages/text", json={"phone_number": "+16505551234", "text": "x"},
                                  headers=headers)


def test_a_graph_answer_that_leaves_delivery_unknown_keeps_the_record_pending(fake_graph, auth):
    app, graph = fake_graph
    graph.answers.append(GraphAPIError("(#0) Gateway timeout", http_status=504, retryable=False,
                                       delivery_unknown=True))
    response = _send(app, auth)
    assert response.status_code == 502 and response.get_json()["details"]["delivery_unknown"] is True
    with app.app_context():
        [message] = db.session.query(Message).all()
        assert message.status == "pending" and message.error["delivery_unknown"] is True
        assert app.test_client().get("/api/v1/lines/main", headers=auth).get_json()["current_daily_count"] == 1


def test_a_status_webhook_processed_before_graph_answers_is_applied_to_the_send(fake_graph, auth):
    """Meta's delivered status can be stored and processed before Graph's answer is recorded."""
    from tests.helpers import drain, post_webhook, status_item, webhook

    app, graph = fake_graph

    def answer_after_the_webhook():
        payload = webhook([{"statuses": [status_item("wamid.EARLY", "delivered")]}], phone_number_id="100000000000001")
        assert post_webhook(app.test_client(), payload).status_code == 200
        drain(app)
        with app.app_context():  # stored, but no message had the wamid yet
            [event] = db.session.query(MessageStatusEvent).all()
            assert event.applied is False
        return SendResult(wamid="wamid.EARLY", wa_id="16505551234", input="+16505551234", message_status=None, raw={})

    graph.answers.append(answer_after_the_webhook)
    response = _send(app, auth)
    assert response.status_code == 201 and response.get_json()["status"] == "delivered"
    with app.app_context():
        [message] = db.session.query(Message).all()
        assert message.whatsapp_message_id == "wamid.EARLY" and message.status == "delivered"
        assert message.delivered_at is not None and message.sent_at is not None
        assert db.session.query(MessageStatusEvent).one().applied is True


def test_database_failure_after_graph_accepted_never_leads_to_a_second_send(fake_graph, auth, monkeypatch):
    app, graph = fake_graph
    graph.answers += [SendResult(wamid="wamid.ACCEPTED", wa_id="16505551234", input="+16505551234",
                                 message_status=None, raw={})] * 2

    def broken(self, *args, **kwargs):
        raise OperationalError("UPDATE messages", {}, Exception("connection lost"))

    monkeypatch.setattr(OutboundRepository, "mark_sent", broken)
    monkeypatch.setattr("app.api.messages.services.time.sleep", lambda s: None)
    first = _send(app, auth, key="k-db")
    assert first.status_code == 503
    retry = _send(app, auth, key="k-db")
    assert retry.status_code == 409 and retry.get_json()["error"] == "IDEMPOTENCY_CONFLICT"
    assert graph.calls == 1


def test_a_retryable_graph_failure_gives_the_idempotency_key_back(fake_graph, auth):
    app, graph = fake_graph
    graph.answers += [GraphAPIError("(#131000) Something went wrong", code=131000, http_status=500, retryable=True),
                      SendResult(wamid="wamid.LATER", wa_id="16505551234", input="+16505551234",
                                 message_status=None, raw={})]
    assert _send(app, auth, key="k-retry").status_code == 502
    second = _send(app, auth, key="k-retry")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert graph.calls == 2


def _stale_key(app, key, message_id=None):
    """A key whose request died: in flight, last touched long ago."""
    from datetime import timedelta

    from app.api.messages.idempotency import request_fingerprint
    from app.private.auth import key_fingerprint
    from database.models import IdempotencyKey
    from database.types import utcnow

    with app.app_context():
        old = utcnow() - timedelta(minutes=5)
        db.session.add(IdempotencyKey(
            principal=f"key:{key_fingerprint('test-api-key')}", key=key, state="in_progress",
            request_hash=request_fingerprint("/api/v1/messages/text", {"phone_number": "+16505551234", "text": "x"}),
            message_id=message_id, expires_at=utcnow() + timedelta(hours=1), created_at=old, updated_at=old))
        db.session.commit()


def _message(app, wamid=None):
    with app.app_context():
        message = Message(line_id="main", phone_number="16505551234", message_type="text", direction="outbound",
                          status="sent" if wamid else "pending", whatsapp_message_id=wamid, content={})
        db.session.add(message)
        db.session.commit()
        return message.id


def test_a_dead_request_that_recorded_nothing_is_taken_over_and_sent(fake_graph, auth):
    app, graph = fake_graph
    graph.answers.append(SendResult(wamid="wamid.TAKEN", wa_id="1", input="+1", message_status=None, raw={}))
    _stale_key(app, "k-dead")
    response = _send(app, auth, key="k-dead")
    assert response.status_code == 201 and graph.calls == 1


def test_a_dead_request_whose_message_has_no_wamid_is_answered_delivery_unknown(fake_graph, auth):
    app, graph = fake_graph
    _stale_key(app, "k-unknown", _message(app))
    response = _send(app, auth, key="k-unknown")
    assert response.status_code == 502 and response.get_json()["details"]["delivery_unknown"] is True
    assert response.headers["Idempotent-Replayed"] == "true" and graph.calls == 0


def test_a_dead_request_whose_message_was_sent_is_replayed(fake_graph, auth):
    app, graph = fake_graph
    message_id = _message(app, wamid="wamid.DONE")
    _stale_key(app, "k-done", message_id)
    response = _send(app, auth, key="k-done")
    assert response.status_code == 201 and response.get_json()["id"] == str(message_id) and graph.calls == 0


def test_a_recent_in_flight_key_is_still_refused(fake_graph, auth):
    from datetime import timedelta

    from database.models import IdempotencyKey
    from database.types import utcnow

    app, graph = fake_graph
    _stale_key(app, "k-fresh")
    with app.app_context():
        row = db.session.query(IdempotencyKey).one()
        row.updated_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _send(app, auth, key="k-fresh").status_code == 409 and graph.calls == 0


def test_connections_dropped_by_the_database_cost_one_503_then_sends_work(make_app, auth, postgres_url):
    """A PostgreSQL restart drops every pooled connection: one send gets 503, the pool is renewed."""
    import psycopg

    app = make_app({"MESSAGING_LINES": LINES, "TEST_DATABASE_URL": postgres_url})
    graph = FakeGraph(*[SendResult(wamid=f"wamid.R{n}", wa_id="16505551234", input="+16505551234",
                                   message_status=None, raw={}) for n in range(3)])
    app.extensions["graph_client"] = graph
    assert _send(app, auth).status_code == 201
    with app.app_context():  # the pool holds several connections, as a busy process's does
        held = [db.engine.connect() for _ in range(3)]
        for connection in held:
            connection.close()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    dropped = _send(app, auth)
    assert dropped.status_code == 503 and dropped.get_json()["details"] == {"dependency": "database"}
    assert [_send(app, auth).status_code for _ in range(2)] == [201, 201]
    assert graph.calls == 3
    with app.app_context():
        assert db.session.query(Message).filter(Message.status == "sent").count() == 3
