"""The rate limiter in memory and on Redis, failing open; readiness of each dependency."""
import logging

from app.extensions import redis_client

DEAD_REDIS = "redis://127.0.0.1:1/0"


def _hit(client, n, headers):
    return [client.get("/api/v1/lines", headers=headers) for _ in range(n)]


def test_rate_limit_returns_429_envelope_with_retry_after(make_app, auth):
    app = make_app({"RATELIMIT_DEFAULT": "3 per minute"})
    responses = _hit(app.test_client(), 4, auth)
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    body = responses[-1].get_json()
    assert body["error"] == "RATE_LIMITED" and body["request_id"]
    assert int(responses[-1].headers["Retry-After"]) > 0


def test_rate_limit_keys_on_api_key_not_address(make_app):
    app = make_app({"RATELIMIT_DEFAULT": "2 per minute", "VALID_API_KEYS": "key-a,key-b"})
    client = app.test_client()
    assert [r.status_code for r in _hit(client, 3, {"X-API-Key": "key-a"})] == [200, 200, 429]
    assert _hit(client, 1, {"X-API-Key": "key-b"})[0].status_code == 200


def test_health_is_not_rate_limited(make_app):
    app = make_app({"RATELIMIT_DEFAULT": "1 per minute"})
    client = app.test_client()
    assert [client.get("/health").status_code for _ in range(3)] == [200, 200, 200]


def test_rate_limit_stored_in_redis(make_app, auth, redis_url):
    app = make_app({"RATELIMIT_DEFAULT": "2 per minute", "REDIS_URL": redis_url})
    with app.app_context():
        client = redis_client.get()
        client.flushdb()
    assert [r.status_code for r in _hit(app.test_client(), 3, auth)] == [200, 200, 429]
    with app.app_context():
        assert any(b"wamsvc" in key for key in redis_client.get().keys("*"))
    # A second app (another process, in production) shares the same counters.
    other = make_app({"RATELIMIT_DEFAULT": "2 per minute", "REDIS_URL": redis_url})
    assert other.test_client().get("/api/v1/lines", headers=auth).status_code == 429


def test_redis_down_lets_requests_through_and_logs(make_app, auth, caplog):
    app = make_app({"RATELIMIT_DEFAULT": "1 per minute", "REDIS_URL": DEAD_REDIS})
    with caplog.at_level(logging.ERROR):
        statuses = [r.status_code for r in _hit(app.test_client(), 3, auth)]
    assert statuses == [200, 200, 200]
    assert "rate limit" in caplog.text.lower()


def test_liveness_reports_sandbox_flag(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["sandbox"] is False


def test_ready_without_redis_configured(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": {"status": "ok"}, "redis": {"status": "not_configured"}}


def test_ready_with_redis_up(make_app, redis_url):
    response = make_app({"REDIS_URL": redis_url}).test_client().get("/health/ready")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == {"status": "ok"}


def test_ready_is_503_naming_redis_when_down(make_app):
    response = make_app({"REDIS_URL": DEAD_REDIS}).test_client().get("/health/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["redis"] and body["checks"]["database"]["status"] == "ok"


DEAD_DATABASE = "postgresql://nobody@127.0.0.1:1/none"


def test_ready_is_503_naming_database_when_down(make_app):
    app = make_app({"TEST_DATABASE_URL": DEAD_DATABASE, "DB_CONNECT_TIMEOUT": "1"}, database=False)
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["database"] and body["status"] == "unavailable"


def test_api_answers_503_envelope_when_database_is_down(make_app, auth):
    app = make_app({"TEST_DATABASE_URL": DEAD_DATABASE, "DB_CONNECT_TIMEOUT": "1"}, database=False)
    response = app.test_client().get("/api/v1/lines", headers=auth)
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "SERVICE_UNAVAILABLE" and body["details"] == {"dependency": "database"}


def test_repeated_bad_api_keys_from_one_client_get_rate_limited(make_app, auth):
    app = make_app({"RATELIMIT_AUTH_FAILURES": "3 per minute"})
    client = app.test_client()
    bad = [client.get("/api/v1/lines", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(4)]
    assert bad == [401, 401, 401, 429]
    refused = client.get("/api/v1/lines", headers=auth)  # even a right key waits out the window
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "RATE_LIMITED" and int(refused.headers["Retry-After"]) >= 1
    other = client.get("/api/v1/lines", headers=auth, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


def test_429_retry_after_reflects_the_window(make_app, auth):
    app = make_app({"RATELIMIT_DEFAULT": "1 per hour"})
    client = app.test_client()
    client.get("/api/v1/lines", headers=auth)
    response = client.get("/api/v1/lines", headers=auth)
    assert response.status_code == 429
    assert 60 < int(response.headers["Retry-After"]) <= 3601


def test_the_auth_lockout_is_shared_through_redis(make_app, auth, redis_url):
    env = {"RATELIMIT_AUTH_FAILURES": "2 per minute", "REDIS_URL": redis_url}
    first, second = make_app(env), make_app(env)  # two processes, in production
    with first.app_context():
        redis_client.get().flushdb()
    bad = [first.test_client().get("/api/v1/lines", headers={"X-API-Key": f"guess-{i}"}).status_code
           for i in range(2)]
    assert bad == [401, 401]
    refused = second.test_client().get("/api/v1/lines", headers=auth)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
