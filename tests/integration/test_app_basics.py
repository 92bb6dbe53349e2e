"""The envelope on every error path, request ids, auth on every route, Swagger coverage."""
import re
import time

import jwt
import pytest

from app.errors import ValidationError

WEBHOOK_PATHS = {"/api/v1/webhooks"}


def _api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.rule.rstrip("/") not in WEBHOOK_PATHS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _concrete(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "x1", rule.rule)


def test_every_api_route_without_credentials_is_401_in_envelope(client, app):
    checked = 0
    for rule, method in _api_rules(app):
        response = client.open(_concrete(rule), method=method, json={})
        assert response.status_code == 401, (method, rule.rule, response.get_data(as_text=True))
        body = response.get_json()
        assert body["error"] == "UNAUTHORIZED" and body["request_id"], rule.rule
        checked += 1
    assert checked >= 3


def test_bad_api_key_is_401(client):
    response = client.get("/api/v1/lines", headers={"X-API-Key": "wrong"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "UNAUTHORIZED"


def test_bearer_jwt_authenticates(make_app):
    app = make_app({"JWT_SECRET_KEY": "j" * 40})
    token = jwt.encode({"sub": "billing", "exp": int(time.time()) + 60}, "j" * 40, algorithm="HS256")
    response = app.test_client().get("/api/v1/lines", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()


def test_expired_jwt_is_401(make_app):
    app = make_app({"JWT_SECRET_KEY": "j" * 40})
    token = jwt.encode({"sub": "billing", "exp": int(time.time()) - 5}, "j" * 40, algorithm="HS256")
    response = app.test_client().get("/api/v1/lines", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.get_json()["message"]


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v1/lines/x/y/z"])
def test_unknown_routes_get_404_envelope(client, auth, path):
    response = client.get(path, headers=auth)
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"] == "NOT_FOUND"


@pytest.mark.parametrize("method, path", [("delete", "/api/v1/lines"), ("post", "/health"), ("put", "/swagger.json")])
def test_wrong_method_gets_405_envelope(client, auth, method, path):
    response = getattr(client, method)(path, headers=auth)
    assert response.status_code == 405
    assert response.get_json()["error"] == "METHOD_NOT_ALLOWED"
    assert response.headers.get("Allow")


def test_malformed_json_is_400_envelope(client, auth):
    response = client.patch("/api/v1/lines/default", data="{nope", content_type="application/json", headers=auth)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "VALIDATION_ERROR" and body["details"] == {"body": "is not valid JSON"}


def test_non_json_content_type_is_415(client, auth):
    response = client.patch("/api/v1/lines/default", data="display_name=x", content_type="text/plain", headers=auth)
    assert response.status_code == 415
    assert response.get_json()["error"] == "UNSUPPORTED_MEDIA_TYPE"


def test_body_over_max_content_length_is_413(make_app, auth):
    app = make_app({"MAX_CONTENT_LENGTH": "1000"})
    response = app.test_client().patch("/api/v1/lines/default", data="x" * 5000,
                                       content_type="application/json", headers=auth)
    assert response.status_code == 413
    assert response.get_json()["error"] == "PAYLOAD_TOO_LARGE"


def test_unknown_fields_are_400_naming_the_field(client, auth):
    response = client.patch("/api/v1/lines/default", json={"display_nam": "x"}, headers=auth)
    assert response.status_code == 400
    assert response.get_json()["details"] == {"display_nam": "is not an allowed field"}


def test_wrong_types_are_400_naming_the_field(client, auth):
    response = client.patch("/api/v1/lines/default", json={"max_daily_messages": "ten", "is_active": 1},
                            headers=auth)
    assert response.status_code == 400
    details = response.get_json()["details"]
    assert details == {"is_active": "must be of type boolean", "max_daily_messages": "must be of type integer"}


def test_request_id_is_echoed_or_generated(client):
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/health").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    # An unsafe id is replaced, not echoed into logs and headers.
    assert client.get("/health", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"] != "bad id <script>"


def test_error_envelope_carries_the_request_id(client):
    response = client.get("/nope", headers={"X-Request-ID": "trace-1"})
    assert response.get_json()["request_id"] == "trace-1"


def test_unhandled_exception_is_500_without_traceback(app, auth, caplog):
    from app.api.lines.services import LineService

    def boom(self):
        raise RuntimeError("secret internals")

    LineService.list, original = boom, LineService.list
    try:
        response = app.test_client().get("/api/v1/lines", headers={**auth, "X-Request-ID": "r-500"})
    finally:
        LineService.list = original
    assert response.status_code == 500
    body = response.get_json()
    assert body == {"error": "INTERNAL_ERROR", "message": "An internal error occurred.", "request_id": "r-500"}
    assert "secret internals" in caplog.text
    assert any(getattr(record, "request_id", None) == "r-500" for record in caplog.records)


def test_restx_abort_data_does_not_replace_envelope(app, auth):
    """flask-restx#335: an exception carrying .data must not replace our body."""
    from flask_restx import abort

    from app.api.lines.services import LineService

    def aborting(self):
        abort(400, "restx says no", extra="field")

    LineService.list, original = aborting, LineService.list
    try:
        response = app.test_client().get("/api/v1/lines", headers=auth)
    finally:
        LineService.list = original
    assert response.status_code == 400
    assert response.get_json()["error"] == "VALIDATION_ERROR"


def test_app_errors_have_no_data_attribute():
    assert not hasattr(ValidationError("x"), "data")


def test_swagger_documents_every_route(client, app):
    spec = client.get("/swagger.json").get_json()
    documented = set()
    for path, operations in spec["paths"].items():
        for method in operations:
            if method != "parameters":
                documented.add((re.sub(r"{[^}]+}", "{}", path), method.upper()))
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in ("api.specs", "api.doc", "api.root"):
            continue  # Flask's and Swagger UI's own routes
        path = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "{}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (method, rule.rule)


def test_swagger_has_title_and_security(client):
    spec = client.get("/swagger.json").get_json()
    assert spec["info"]["title"] == "WhatsApp API Microservice"
    assert "apikey" in spec["securityDefinitions"]


def test_docs_page_is_served(client):
    response = client.get("/docs/")
    assert response.status_code == 200 and b"swagger" in response.data.lower()


def test_cors_preflight_allows_configured_origin(make_app):
    app = make_app({"ALLOWED_ORIGINS": "https://console.example"})
    response = app.test_client().options("/api/v1/lines", headers={
        "Origin": "https://console.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-API-Key"})
    assert response.headers.get("Access-Control-Allow-Origin") == "https://console.example"
    assert "x-api-key" in response.headers.get("Access-Control-Allow-Headers", "").lower()
    other = app.test_client().get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
