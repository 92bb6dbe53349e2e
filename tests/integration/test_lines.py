"""Lines: sync from configuration, the lines API, and the atomic daily quota."""
import json
import threading
from datetime import date, timedelta

import pytest

from app.api.lines.services import LineService
from app.cli import sync_lines
from app.errors import QuotaExceeded
from app.repositories.line_repo import LineRepository
from database.connection import db
from database.models import MessagingLine

LINES = json.dumps([
    {"id": "sales", "phone_number_id": "111", "display_name": "Sales", "phone_number": "+15550001111",
     "webhook_url": "https://apps.example/sales", "max_daily_messages": 3, "access_token": "line-secret-token"},
    {"id": "support", "phone_number_id": "222", "display_name": "Support", "is_active": False},
])


@pytest.fixture
def lines_app(make_app):
    return make_app({"MESSAGING_LINES": LINES})


def test_lines_from_messaging_lines_show_with_quota(lines_app, auth):
    response = lines_app.test_client().get("/api/v1/lines", headers=auth)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["line_id"] for item in items] == ["sales", "support"]
    assert items[0] == {
        "line_id": "sales", "phone_number_id": "111", "display_name": "Sales", "phone_number": "+15550001111",
        "webhook_url": "https://apps.example/sales", "is_active": True, "max_daily_messages": 3,
        "max_mps": 80, "current_daily_count": 0, "remaining_today": 3, "last_reset_date": None,
    }
    assert "line-secret-token" not in response.get_data(as_text=True)


def test_get_unknown_line_is_404(lines_app, auth):
    response = lines_app.test_client().get("/api/v1/lines/nope", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"] == "NOT_FOUND"


def test_patch_changes_line_fields(lines_app, auth):
    client = lines_app.test_client()
    response = client.patch("/api/v1/lines/sales", headers=auth, json={
        "display_name": "Sales EU", "webhook_url": None, "is_active": False, "max_daily_messages": 10})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["display_name"], body["webhook_url"], body["is_active"], body["max_daily_messages"]) == (
        "Sales EU", None, False, 10)
    assert client.get("/api/v1/lines/sales", headers=auth).get_json()["display_name"] == "Sales EU"


@pytest.mark.parametrize("payload, field", [
    ({"webhook_url": "ftp://x"}, "webhook_url"),
    ({"max_daily_messages": -1}, "max_daily_messages"),
    ({"display_name": ""}, "display_name"),
    ({"phone_number_id": "999"}, "phone_number_id"),
])
def test_patch_rejects_bad_fields_naming_them(lines_app, auth, payload, field):
    response = lines_app.test_client().patch("/api/v1/lines/sales", headers=auth, json=payload)
    assert response.status_code == 400
    assert field in response.get_json()["details"]


def test_sync_keeps_counters_and_api_changes(lines_app, auth):
    client = lines_app.test_client()
    client.patch("/api/v1/lines/sales", headers=auth, json={"display_name": "Renamed"})
    with lines_app.app_context():
        line = LineRepository(db.session).get("sales")
        line.current_daily_count, line.last_reset_date = 2, date.today()
        db.session.commit()
        sync_lines()
        line = LineRepository(db.session).get("sales")
        assert (line.current_daily_count, line.display_name, line.max_daily_messages) == (2, "Renamed", 3)


def test_sync_marks_lines_removed_from_config_inactive(lines_app, make_app):
    app = make_app({"MESSAGING_LINES": json.dumps([{"id": "sales", "phone_number_id": "111"}])})
    with app.app_context():
        assert LineRepository(db.session).get("support").is_active is False
        assert LineRepository(db.session).get("sales").is_active is True


def _reserve(app, line_id, today):
    with app.app_context():
        count = LineRepository(db.session).reserve_quota(line_id, today)
        db.session.commit()
        return count


def test_quota_reservations_stop_at_the_limit(lines_app):
    today = date(2026, 12, 3)
    assert [_reserve(lines_app, "sales", today) for _ in range(4)] == [1, 2, 3, None]


def test_quota_rolls_over_on_a_new_utc_day(lines_app):
    today = date(2026, 12, 3)
    for _ in range(3):
        _reserve(lines_app, "sales", today)
    assert _reserve(lines_app, "sales", today) is None
    assert _reserve(lines_app, "sales", today + timedelta(days=1)) == 1


def test_release_gives_back_only_todays_unit(lines_app):
    today = date(2026, 12, 3)
    _reserve(lines_app, "sales", today)
    with lines_app.app_context():
        repo = LineRepository(db.session)
        assert repo.release_quota("sales", today - timedelta(days=1)) is False
        assert repo.release_quota("sales", today) is True
        assert repo.release_quota("sales", today) is False  # never below zero
        db.session.commit()
        assert repo.get("sales").current_daily_count == 0


def test_service_reserve_raises_quota_exceeded_with_details(lines_app):
    with lines_app.app_context():
        service = LineService()
        for _ in range(3):
            service.reserve_for_send("sales")
        with pytest.raises(QuotaExceeded) as caught:
            service.reserve_for_send("sales")
        details = caught.value.details
        assert details["line_id"] == "sales" and details["limit"] == 3
        assert details["resets_at"].endswith("T00:00:00+00:00")


def test_zero_quota_allows_nothing(make_app):
    app = make_app({"MESSAGING_LINES": json.dumps([{"id": "z", "phone_number_id": "1", "max_daily_messages": 0}])})
    assert _reserve(app, "z", date(2026, 12, 3)) is None


def test_reservations_racing_on_postgres_stop_exactly_at_the_limit(make_app, postgres_url):
    limit, threads_count, attempts = 25, 12, 6
    lines = json.dumps([{"id": "race", "phone_number_id": "777", "max_daily_messages": limit}])
    app = make_app({"MESSAGING_LINES": lines, "TEST_DATABASE_URL": postgres_url})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    today = date(2026, 12, 3)
    results: list[int | None] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads_count)

    def worker():
        barrier.wait()
        for _ in range(attempts):
            count = _reserve(app, "race", today)
            with lock:
                results.append(count)

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    granted = sorted(count for count in results if count is not None)
    assert granted == list(range(1, limit + 1))
    assert results.count(None) == threads_count * attempts - limit
    with app.app_context():
        assert db.session.get(MessagingLine, LineRepository(db.session).get("race").id).current_daily_count == limit


def test_batch_reservations_racing_on_postgres_grant_exactly_the_limit(make_app, postgres_url):
    limit = 40
    lines = json.dumps([{"id": "batch", "phone_number_id": "778", "max_daily_messages": limit}])
    app = make_app({"MESSAGING_LINES": lines, "TEST_DATABASE_URL": postgres_url})
    today = date(2026, 12, 3)
    granted: list[int] = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(4):
            with app.app_context():
                granted.append(LineRepository(db.session).reserve_many("batch", today, 3))
                db.session.commit()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == limit and max(granted) <= 3
    with app.app_context():
        assert LineRepository(db.session).get("batch").current_daily_count == limit
