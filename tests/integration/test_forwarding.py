"""Forwarding processed events to each line's webhook_url: signed, retried, dead-lettered."""
import json

import pytest
from sqlalchemy import select, text, update

from app.api.webhooks.forwarding import SIGNATURE_HEADER
from app.private.signature import verify_whatsapp_signature
from config.testing import TEST_FORWARD_SECRET
from database.connection import db
from database.models import Message, WebhookDelivery
from tests.helpers import META_PNID, Receiver, drain, inbound_text, post_webhook, status_item, wait_until, webhook


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _app(make_app, url, **line):
    lines = [{"id": "meta", "phone_number_id": META_PNID, "webhook_url": url, **line}]
    return make_app({"MESSAGING_LINES": json.dumps(lines), "FORWARD_MAX_ATTEMPTS": "3"})


def _deliveries(app):
    with app.app_context():
        return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def test_inbound_message_is_forwarded_signed_with_global_secret(make_app, receiver):
    app = _app(make_app, receiver.url)
    post_webhook(app.test_client(), webhook([inbound_text("wamid.FWD1", body="olá")]))
    drain(app)
    request = wait_until(lambda: receiver.requests and receiver.requests[0])
    assert verify_whatsapp_signature(request["body"], request["headers"][SIGNATURE_HEADER], TEST_FORWARD_SECRET)
    body = json.loads(request["body"])
    assert body["event"] == "message.received" and body["line_id"] == "meta"
    assert body["data"]["message"]["whatsapp_message_id"] == "wamid.FWD1"
    assert body["data"]["message"]["content"]["text"]["body"] == "olá"
    assert request["headers"]["X-Webhook-Event"] == "message.received"
    [delivery] = _deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_status_is_forwarded_with_the_line_own_secret(make_app, receiver):
    app = _app(make_app, receiver.url, webhook_secret="line-own-secret")
    with app.app_context():
        db.session.add(Message(whatsapp_message_id="wamid.FWD2", line_id="meta", phone_number="16505551234",
                               message_type="text", direction="outbound", status="sent", content={}))
        db.session.commit()
    post_webhook(app.test_client(), webhook([{"statuses": [status_item("wamid.FWD2", "delivered")]}]))
    drain(app)
    request = wait_until(lambda: receiver.requests and receiver.requests[0])
    assert verify_whatsapp_signature(request["body"], request["headers"][SIGNATURE_HEADER], "line-own-secret")
    data = json.loads(request["body"])["data"]
    assert data["status"]["status"] == "delivered" and data["current_status"] == "delivered"


def test_failing_target_is_retried_until_it_recovers(make_app):
    server = Receiver(fail_first=2)
    try:
        app = _app(make_app, server.url)
        post_webhook(app.test_client(), webhook([inbound_text("wamid.FWD3")]))
        wait_until(lambda: len(server.requests) >= 3, timeout=15)
        drain(app)
        [delivery] = _deliveries(app)
        assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
        bodies = {r["body"] for r in server.requests}
        assert len(bodies) == 1  # every attempt carries the same signed bytes
    finally:
        server.close()


def test_target_that_never_recovers_is_dead_lettered_and_can_be_retried(make_app, auth):
    server = Receiver(fail_first=3)
    try:
        app = _app(make_app, server.url)
        post_webhook(app.test_client(), webhook([inbound_text("wamid.FWD4")]))
        wait_until(lambda: _deliveries(app) and _deliveries(app)[0].state == "dead", timeout=15)
        [delivery] = _deliveries(app)
        assert delivery.attempts == 3 and delivery.last_error == "HTTP 500"
        client = app.test_client()
        dead = client.get("/api/v1/webhooks/deliveries?state=dead", headers=auth).get_json()["items"]
        assert [d["id"] for d in dead] == [str(delivery.id)]
        retried = client.post(f"/api/v1/webhooks/deliveries/{delivery.id}/retry", headers=auth)
        assert retried.status_code == 200
        wait_until(lambda: _deliveries(app)[0].state == "delivered", timeout=15)
        assert len(server.requests) == 4
    finally:
        server.close()


def test_duplicate_webhook_is_forwarded_once(make_app, receiver):
    app = _app(make_app, receiver.url)
    payload = webhook([inbound_text("wamid.FWD5")])
    post_webhook(app.test_client(), payload)
    drain(app)
    post_webhook(app.test_client(), payload)
    drain(app)
    assert len(_deliveries(app)) == 1
    assert len(receiver.requests) == 1


def test_line_without_webhook_url_forwards_nothing(make_app):
    app = make_app({"MESSAGING_LINES": json.dumps([{"id": "meta", "phone_number_id": META_PNID}])})
    post_webhook(app.test_client(), webhook([inbound_text("wamid.FWD6")]))
    drain(app)
    assert _deliveries(app) == []


def test_forwarding_does_not_run_inside_metas_request(make_app, receiver, monkeypatch):
    """Meta's POST is answered while the forward is still blocked in the background."""
    import threading

    from app.api.webhooks import forwarding

    release, started = threading.Event(), threading.Event()
    real_post = forwarding._session.post

    def blocked_post(*args, **kwargs):
        started.set()
        release.wait(10)
        return real_post(*args, **kwargs)

    monkeypatch.setattr(forwarding._session, "post", blocked_post)
    app = _app(make_app, receiver.url)
    response = post_webhook(app.test_client(), webhook([inbound_text("wamid.FWD7")]))
    assert response.status_code == 200
    assert started.wait(10), "the forward never started"
    assert receiver.requests == []  # Meta already has its 200; the forward is still waiting
    release.set()
    drain(app)
    assert len(receiver.requests) == 1


def test_two_jobs_for_one_delivery_post_it_once(make_app, receiver, postgres_url):
    """A manual retry racing the scheduled attempt: one POST; a job whose attempt was made waits."""
    import uuid
    from datetime import timedelta

    from app.api.webhooks.forwarding import deliver
    from database.types import utcnow

    lines = [{"id": "meta", "phone_number_id": META_PNID, "webhook_url": receiver.url}]
    app = make_app({"MESSAGING_LINES": json.dumps(lines), "TEST_DATABASE_URL": postgres_url})
    delivery_id = uuid.uuid4()
    with app.app_context():
        db.session.add(WebhookDelivery(id=delivery_id, event_key="k:race", line_id="meta", target_url=receiver.url,
                                       event_kind="message.status", body="{}", state="pending", attempts=0,
                                       next_attempt_at=utcnow()))
        db.session.commit()
        db.session.execute(text("SET lock_timeout = '3s'"))  # a regression fails here instead of hanging
        with db.engine.connect() as other:  # another job is in the middle of posting it
            other.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update())
            deliver(str(delivery_id))
            assert receiver.requests == []
            other.rollback()
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                           .values(next_attempt_at=utcnow() + timedelta(minutes=5)))
        db.session.commit()
        deliver(str(delivery_id))  # the attempt due now was made by the other job: this one waits
        assert receiver.requests == []
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                           .values(next_attempt_at=utcnow()))
        db.session.commit()
        deliver(str(delivery_id))
        deliver(str(delivery_id))  # delivered already: nothing more
    assert len(receiver.requests) == 1
    assert _deliveries(app)[0].state == "delivered"
