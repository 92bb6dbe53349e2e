"""Bulk sends: submitted, validated per recipient, paced, recorded like single sends, cancellable."""
import json
import time

import pytest
from sqlalchemy import func, select

from app.api.messages.pacing import LocalSlots, Pacer
from database.connection import db
from database.models import Contact, Message, MessagingLine
from tests.helpers import drain, graph_bodies, send_attempts, wait_until

LINES = json.dumps([
    {"id": "main", "phone_number_id": "100000000000001", "max_daily_messages": 1000, "max_mps": 1000},
    {"id": "tiny", "phone_number_id": "100000000000002", "max_daily_messages": 3},
    {"id": "slow", "phone_number_id": "100000000000003", "max_daily_messages": 1000, "max_mps": 5},
])


def numbers(count, start=3000):
    return [f"+1650555{start + i:04d}" for i in range(count)]


@pytest.fixture
def bulk_app(make_app, emulator):
    app = make_app({"WHATSAPP_API_BASE_URL": emulator.base_url, "WHATSAPP_ACCESS_TOKEN": "test-graph-token",
                    "MESSAGING_LINES": LINES, "BULK_BATCH_SIZE": "10", "BULK_THREADS": "4"})
    emulator.target.app = app
    return app


def _submit(app, auth, body):
    return app.test_client().post("/api/v1/messages/bulk", json=body, headers=auth)


def _progress(app, auth, bulk_id):
    response = app.test_client().get(f"/api/v1/messages/bulk/{bulk_id}", headers=auth)
    assert response.status_code == 200
    return response.get_json()


def _done(app, auth, bulk_id, timeout=30):
    return wait_until(lambda: (lambda p: p if p["state"] in ("completed", "cancelled") else None)(
        _progress(app, auth, bulk_id)), timeout=timeout)


def test_bulk_text_reaches_every_recipient_and_each_is_a_message(bulk_app, emulator, auth):
    recipients = numbers(25)
    response = _submit(bulk_app, auth, {"message_type": "text", "text": "Sale today", "recipients": recipients})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["accepted"] == 25 and body["rejected"] == []
    progress = _done(bulk_app, auth, body["id"])
    assert (progress["total"], progress["sent"], progress["failed"], progress["queued"]) == (25, 25, 0, 0)
    assert sorted(b["to"] for b in graph_bodies(emulator)) == sorted(recipients)
    with bulk_app.app_context():
        rows = list(db.session.scalars(select(Message).where(Message.bulk_id.isnot(None))))
        assert len(rows) == 25 and all(r.whatsapp_message_id and r.status in ("sent", "delivered", "read")
                                       for r in rows)
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 25
    first = rows[0]
    status = bulk_app.test_client().get(f"/api/v1/messages/status/{first.id}", headers=auth).get_json()
    assert status["whatsapp_message_id"] == first.whatsapp_message_id
    wait_until(lambda: _progress(bulk_app, auth, body["id"])["delivered"] == 25)


def test_invalid_recipients_are_reported_up_front(bulk_app, emulator, auth):
    response = _submit(bulk_app, auth, {"text": "hi", "recipients": ["+16505553000", "nope", "+16505553000",
                                                                      {"phone_number": "+1555"}, 42]})
    assert response.status_code == 202
    body = response.get_json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3, 4]
    assert "duplicate" in body["rejected"][1]["error"] or "twice" in body["rejected"][1]["error"]
    _done(bulk_app, auth, body["id"])
    assert len(graph_bodies(emulator)) == 1


def test_all_recipients_invalid_is_400_naming_each(bulk_app, auth):
    response = _submit(bulk_app, auth, {"text": "hi", "recipients": ["x", "y"]})
    assert response.status_code == 400
    assert set(response.get_json()["details"]) == {"recipients[0]", "recipients[1]"}


@pytest.mark.parametrize("body, field", [
    ({"text": "hi"}, "recipients"),
    ({"text": "hi", "recipients": []}, "recipients"),
    ({"text": "x" * 5000, "recipients": ["+16505553000"]}, "text"),
    ({"text": "hi", "phone_number": "+16505553000", "recipients": ["+16505553000"]}, "phone_number"),
    ({"text": "hi", "line_id": "nope", "recipients": ["+16505553000"]}, "line_id"),
])
def test_bad_bulk_requests_name_the_field(bulk_app, auth, body, field):
    response = _submit(bulk_app, auth, body)
    assert response.status_code in (400, 404)
    assert field in response.get_json()["details"]


def test_too_many_recipients_is_400(make_app, emulator, auth):
    app = make_app({"MESSAGING_LINES": LINES, "BULK_MAX_RECIPIENTS": "5"})
    response = _submit(app, auth, {"text": "hi", "recipients": numbers(6)})
    assert response.status_code == 400 and "recipients" in response.get_json()["details"]


def test_template_with_per_recipient_components(bulk_app, emulator, auth):
    recipients = [{"phone_number": n, "components": [{"type": "body", "parameters": [
        {"type": "text", "text": f"Customer {i}"}]}]} for i, n in enumerate(numbers(3))]
    response = _submit(bulk_app, auth, {"message_type": "template", "template_name": "order_update",
                                        "language_code": "en_US", "recipients": recipients})
    assert response.status_code == 202, response.get_json()
    _done(bulk_app, auth, response.get_json()["id"])
    sent = {b["to"]: b["template"]["components"][0]["parameters"][0]["text"] for b in graph_bodies(emulator)}
    assert sent == {n: f"Customer {i}" for i, n in enumerate(numbers(3))}


def test_recipients_beyond_the_quota_are_failed_not_dropped(bulk_app, emulator, auth):
    response = _submit(bulk_app, auth, {"text": "hi", "line_id": "tiny", "recipients": numbers(5)})
    progress = _done(bulk_app, auth, response.get_json()["id"])
    assert (progress["sent"], progress["failed"]) == (3, 2)
    assert {f["error"]["code"] for f in progress["failures"]} == {"QUOTA_EXCEEDED"}
    assert len(graph_bodies(emulator)) == 3


def test_blocked_recipients_and_graph_refusals_are_failed_with_errors(bulk_app, emulator, auth):
    with bulk_app.app_context():
        db.session.add(Contact(phone_number="16505553001", is_blocked=True))
        db.session.commit()
    response = _submit(bulk_app, auth, {"text": "hi", "recipients": ["+16505553000", "+16505553001",
                                                                      "+16505550126"]})
    progress = _done(bulk_app, auth, response.get_json()["id"])
    errors = {f["phone_number"]: f["error"]["code"] for f in progress["failures"]}
    assert errors == {"16505553001": "CONTACT_BLOCKED", "16505550126": 131026}
    assert progress["sent"] == 1
    with bulk_app.app_context():
        line = db.session.scalar(select(MessagingLine).where(MessagingLine.line_id == "main"))
        assert line.current_daily_count == 1  # the refused send gave its unit back


def test_throughput_error_backs_off_and_the_send_succeeds(bulk_app, emulator, auth):
    response = _submit(bulk_app, auth, {"text": "hi", "recipients": ["+16505550429", "+16505553000"]})
    progress = _done(bulk_app, auth, response.get_json()["id"])
    assert progress["sent"] == 2 and progress["failed"] == 0
    assert send_attempts(emulator) == 4  # two 130429s for the throttled number, then its success


def test_pair_rate_error_backs_off_only_that_recipient(make_app, emulator, auth):
    emulator.settings.fault_clear_after = 1
    app = make_app({"WHATSAPP_API_BASE_URL": emulator.base_url, "WHATSAPP_ACCESS_TOKEN": "test-graph-token",
                    "MESSAGING_LINES": LINES, "BULK_BATCH_SIZE": "10", "BULK_THREADS": "4"})
    emulator.target.app = app
    response = _submit(app, auth, {"text": "hi", "recipients": ["+16505550156"] + numbers(3)})
    progress = _done(app, auth, response.get_json()["id"])
    assert progress["sent"] == 4
    attempts = [r["json"]["to"] for r in emulator.state.requests() if r.get("json", {}).get("to")]
    assert attempts.count("+16505550156") == 2 and all(attempts.count(n) == 1 for n in numbers(3))


def test_cancel_stops_the_recipients_still_queued(bulk_app, emulator, auth):
    emulator.settings.latency = 0.2
    response = _submit(bulk_app, auth, {"text": "hi", "line_id": "slow", "recipients": numbers(40)})
    bulk_id = response.get_json()["id"]
    wait_until(lambda: _progress(bulk_app, auth, bulk_id)["sent"] >= 1)
    cancelled = bulk_app.test_client().delete(f"/api/v1/messages/bulk/{bulk_id}", headers=auth)
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert body["state"] == "cancelled" and body["cancelled"] > 0
    drain(bulk_app, 30)
    final = _progress(bulk_app, auth, bulk_id)
    assert final["sent"] + final["cancelled"] + final["failed"] == 40 and final["queued"] == 0
    assert len(graph_bodies(emulator)) == final["sent"]


def test_unknown_bulk_is_404(bulk_app, auth):
    client = bulk_app.test_client()
    assert client.get("/api/v1/messages/bulk/00000000-0000-0000-0000-000000000000", headers=auth).status_code == 404
    assert client.delete("/api/v1/messages/bulk/not-a-uuid", headers=auth).status_code == 404


def test_bulk_respects_the_line_rate(bulk_app, emulator, auth):
    started = time.monotonic()
    response = _submit(bulk_app, auth, {"text": "hi", "line_id": "slow", "recipients": numbers(11)})
    _done(bulk_app, auth, response.get_json()["id"])
    # 5 per second: 11 sends need at least 2 s after the first (a tenth of a second of burst allowed).
    assert time.monotonic() - started >= 1.8


def test_local_pacer_spaces_slots_at_the_rate():
    waits = []
    pacer = Pacer(LocalSlots(), sleep=waits.append)  # the fake sleep records; time stands still
    for i in range(30):
        pacer.wait_for_slot("line", 100, f"r{i}")
    # A tenth of a second of burst (10 slots at 100/s), then one slot every 10 ms.
    assert len(waits) in (19, 20)
    assert waits == sorted(waits) and abs(waits[-1] - 0.2) < 0.02 and abs(waits[1] - waits[0] - 0.01) < 0.002


def test_pacer_backs_off_one_recipient_only():
    waits = []
    pacer = Pacer(LocalSlots(), sleep=waits.append)
    pacer.back_off_recipient("line", "a", 5.0)
    pacer.wait_for_slot("line", 0, "b")
    assert waits == []
    pacer.wait_for_slot("line", 0, "a")
    assert 4.5 < waits[0] <= 5.0


def test_redis_pacer_shares_slots_between_processes(redis_url):
    import redis

    from app.api.messages.pacing import RedisSlots

    client = redis.Redis.from_url(redis_url)
    client.delete("wamsvc:pace:line:shared")
    first, second = RedisSlots(client), RedisSlots(client)  # two workers, one Redis
    waits = [slots.reserve("wamsvc:pace:line:shared", 0.1, 0.0) for slots in (first, second, first, second)]
    assert waits[0] < 0.01
    assert [round(w, 1) for w in waits[1:]] == [0.1, 0.2, 0.3]


def test_redis_pacer_reserves_recipient_slots_without_errors(redis_url):
    import redis

    from app.api.messages.pacing import PAIR_BURST, PAIR_INTERVAL, RedisSlots

    client = redis.Redis.from_url(redis_url)
    client.delete("wamsvc:pace:pair:l:r")
    slots = RedisSlots(client)
    waits = [slots.reserve("wamsvc:pace:pair:l:r", PAIR_INTERVAL, PAIR_INTERVAL * (PAIR_BURST - 1))
             for _ in range(PAIR_BURST + 1)]
    assert all(w < 0.05 for w in waits[:PAIR_BURST]) and 5.5 < waits[-1] <= 6.0
    assert client.pttl("wamsvc:pace:pair:l:r") > 0


def test_recipients_a_stopped_worker_left_sending_are_settled_as_delivery_unknown(bulk_app, auth):
    from datetime import timedelta

    from database.models import BulkJob
    from database.types import utcnow

    with bulk_app.app_context():
        job = BulkJob(line_id="main", message_type="text", request={}, principal="key:test", state="running",
                      total=3, rejected=[])
        db.session.add(job)
        db.session.flush()
        old, recent = utcnow() - timedelta(minutes=15), utcnow()
        for n, (state, at) in enumerate((("sending", old), ("sending", recent), ("done", old))):
            db.session.add(Message(line_id="main", phone_number=f"1650555{4000 + n}", message_type="text",
                                   direction="outbound", status="pending" if state == "sending" else "sent",
                                   content={}, bulk_id=job.id, bulk_state=state, created_at=at, updated_at=at))
        db.session.commit()
        job_id = job.id
    result = bulk_app.test_cli_runner().invoke(args=["bulk", "sweep", "--min-age", "600"])
    assert result.exit_code == 0 and "settled 1 stranded" in result.output
    with bulk_app.app_context():
        swept = db.session.scalar(select(Message).where(Message.phone_number == "16505554000"))
        assert swept.bulk_state == "done" and swept.status == "pending" and swept.error["delivery_unknown"] is True
        assert db.session.get(BulkJob, job_id).state == "running"  # the recent one may still be in flight
    assert bulk_app.test_cli_runner().invoke(args=["bulk", "sweep", "--min-age", "0"]).exit_code == 0
    progress = _progress(bulk_app, auth, job_id)
    assert progress["state"] == "completed"
    with bulk_app.app_context():  # never resent: nothing went to Graph
        assert db.session.scalar(select(func.count()).select_from(Message).where(
            Message.bulk_id == job_id, Message.whatsapp_message_id.is_not(None))) == 0


def test_a_line_deactivated_during_a_bulk_send_fails_the_rest_as_line_inactive(bulk_app):
    from sqlalchemy import update

    from app.api.messages.bulk_runner import prepare
    from app.repositories.line_repo import LineRepository
    from database.models import BulkJob

    with bulk_app.app_context():
        line = LineRepository(db.session).get("main")  # loaded when the run started
        job = BulkJob(line_id="main", message_type="text", request={}, principal="key:test", state="running",
                      total=2, rejected=[])
        db.session.add(job)
        db.session.flush()
        batch = [Message(line_id="main", phone_number=f"1650555{4100 + n}", message_type="text",
                         direction="outbound", status="pending", content={}, bulk_id=job.id, bulk_state="sending")
                 for n in range(2)]
        db.session.add_all(batch)
        db.session.commit()
        with db.engine.begin() as other:  # an operator deactivates the line meanwhile
            other.execute(update(MessagingLine).where(MessagingLine.line_id == "main").values(is_active=False))
        assert prepare(line, batch) == []
        assert {m.error["code"] for m in batch} == {"LINE_INACTIVE"} and {m.status for m in batch} == {"failed"}


def test_a_cancel_landing_as_the_run_starts_is_not_overwritten(bulk_app):
    from sqlalchemy import update

    from app.api.messages.bulk_runner import run_bulk
    from database.models import BulkJob

    with bulk_app.app_context():
        job = BulkJob(line_id="main", message_type="text", request={}, principal="key:test", state="queued",
                      total=0, rejected=[])
        db.session.add(job)
        db.session.commit()  # the run has read the job as queued ...
        with db.engine.begin() as other:  # ... when the cancel commits
            other.execute(update(BulkJob).where(BulkJob.id == job.id).values(state="cancelled"))
        run_bulk(str(job.id))
        db.session.refresh(job)
        assert job.state == "cancelled" and job.started_at is None


def test_units_refused_after_midnight_are_given_back_to_their_own_day(bulk_app):
    from datetime import timedelta

    from app.api.messages.bulk_runner import Outcome, record
    from app.repositories.line_repo import LineRepository
    from app.utils.time import utc_today

    today = utc_today()
    with bulk_app.app_context():
        line = LineRepository(db.session).get("main")
        line.current_daily_count, line.last_reset_date = 5, today  # today's count, after the rollover
        messages = [Message(line_id="main", phone_number=f"1650555{4200 + n}", message_type="text",
                            direction="outbound", status="pending", content={}, bulk_state="sending")
                    for n in range(2)]
        db.session.add_all(messages)
        db.session.commit()
        refused = [Outcome(m.id, error={"code": 131026, "title": "Undeliverable"}) for m in messages]
        count = select(MessagingLine.current_daily_count).where(MessagingLine.line_id == "main")
        record(line, refused, today - timedelta(days=1))  # reserved yesterday: nothing to give back today
        assert db.session.scalar(count) == 5
        record(line, [Outcome(messages[0].id, error={"code": 131026, "title": "Undeliverable"})], today)
        assert db.session.scalar(count) == 4
