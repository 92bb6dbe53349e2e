"""Configuration: selection, lines, production refusals."""
import json

import pytest

from config import ConfigError, get_config
from config.default import DefaultConfig
from config.dev import DevelopmentConfig
from config.lines import load_lines
from config.prod import ProductionConfig
from config.testing import TestingConfig

PROD_ENV = {
    "SECRET_KEY": "s3cret-value-for-prod",
    "DATABASE_URL": "postgresql://u:p@db/app",
    "WEBHOOK_SECRET": "meta-app-secret",
    "WEBHOOK_VERIFY_TOKEN": "verify-me",
    "VALID_API_KEYS": "k1,k2",
}


@pytest.mark.parametrize("name, expected", [
    ("development", DevelopmentConfig), ("dev", DevelopmentConfig), ("testing", TestingConfig),
    ("default", DefaultConfig), ("DEV", DevelopmentConfig),
])
def test_get_config_picks_class_by_name(name, expected):
    assert type(get_config(name)) is expected


def test_get_config_uses_flask_env(monkeypatch):
    monkeypatch.setenv("FLASK_ENV", "testing")
    assert type(get_config()) is TestingConfig


def test_get_config_production_by_alias(monkeypatch):
    for key, value in PROD_ENV.items():
        monkeypatch.setenv(key, value)
    assert type(get_config("prod")) is ProductionConfig


def test_unknown_config_name_is_refused():
    with pytest.raises(ConfigError, match="staging"):
        get_config("staging")


def test_environment_is_read_at_instantiation(monkeypatch):
    monkeypatch.setenv("WHATSAPP_API_VERSION", "v22.0")
    assert DefaultConfig().WHATSAPP_API_VERSION == "v22.0"
    monkeypatch.setenv("WHATSAPP_API_VERSION", "v23.0")
    assert DefaultConfig().WHATSAPP_API_VERSION == "v23.0"


def test_default_graph_version_is_v23():
    assert DefaultConfig(env={}).WHATSAPP_API_VERSION == "v23.0"
    assert DefaultConfig(env={}).WHATSAPP_API_BASE_URL == "https://graph.facebook.com"


def test_postgres_urls_use_psycopg3_driver():
    config = DefaultConfig(env={"DEV_DATABASE_URL": "postgres://u@h/db"})
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"


def test_sandbox_mode_when_no_token_in_development():
    assert DevelopmentConfig(env={}).SANDBOX_MODE is True
    assert DevelopmentConfig(env={"WHATSAPP_ACCESS_TOKEN": "EAAB"}).SANDBOX_MODE is False


def test_production_never_runs_in_sandbox_mode():
    config = ProductionConfig(env={**PROD_ENV, "SANDBOX_MODE": "true"})
    assert config.SANDBOX_MODE is False


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "WEBHOOK_SECRET", "WEBHOOK_VERIFY_TOKEN",
                                     "VALID_API_KEYS"])
def test_production_refuses_missing_setting_naming_it(missing):
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        ProductionConfig(env=env)


def test_production_refuses_default_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        ProductionConfig(env={**PROD_ENV, "SECRET_KEY": "dev-secret-key-change-me"})


def test_production_refuses_wildcard_cors():
    with pytest.raises(ConfigError, match="ALLOWED_ORIGINS"):
        ProductionConfig(env={**PROD_ENV, "ALLOWED_ORIGINS": "*"})


def test_production_without_origins_allows_no_cross_origin():
    assert ProductionConfig(env=PROD_ENV).ALLOWED_ORIGINS == []


def test_messaging_lines_json_parsed_with_all_fields():
    raw = json.dumps([
        {"id": "sales", "phone_number_id": "111", "display_name": "Sales", "phone_number": "+15550001",
         "webhook_url": "https://a.example/hook", "is_active": False, "max_daily_messages": 5,
         "access_token": "tok-sales"},
        {"id": "support", "phone_number_id": "222"},
    ])
    lines = load_lines({"MESSAGING_LINES": raw}, None)
    assert [line.id for line in lines] == ["sales", "support"]
    sales = lines[0]
    assert (sales.phone_number_id, sales.is_active, sales.max_daily_messages, sales.access_token) == (
        "111", False, 5, "tok-sales")
    assert lines[1].max_daily_messages == 1000 and lines[1].is_active is True
    assert "tok-sales" not in repr(sales)


@pytest.mark.parametrize("raw, message", [
    ("[{", "not valid JSON"),
    ('{"id": "x"}', "non-empty JSON list"),
    ("[]", "non-empty JSON list"),
    ('["line"]', r"MESSAGING_LINES\[0\] must be a JSON object"),
    ('[{"id": "a"}]', r"MESSAGING_LINES\[0\] has no phone_number_id"),
    ('[{"id": "a", "phone_number_id": "1", "max_daily_mesages": 3}]', "unknown field.*max_daily_mesages"),
    ('[{"id": "a", "phone_number_id": "1", "max_daily_messages": "many"}]', "max_daily_messages must be an integer"),
    ('[{"id": "a", "phone_number_id": "1"}, {"id": "a", "phone_number_id": "2"}]', "share the id"),
    ('[{"id": "a", "phone_number_id": "1"}, {"id": "b", "phone_number_id": "1"}]', "share the phone_number_id"),
])
def test_malformed_messaging_lines_stop_startup_with_a_sentence(raw, message):
    with pytest.raises(ConfigError, match=message):
        load_lines({"MESSAGING_LINES": raw}, "999")


def test_numbered_line_variables_used_without_messaging_lines():
    env = {
        "LINE_1_PHONE_NUMBER_ID": "111", "LINE_1_DISPLAY_NAME": "One", "LINE_1_MAX_DAILY_MESSAGES": "7",
        "LINE_2_PHONE_NUMBER_ID": "222", "LINE_2_IS_ACTIVE": "false", "LINE_2_WEBHOOK_URL": "https://b.example/h",
    }
    lines = load_lines(env, "999")
    assert [(line.id, line.phone_number_id) for line in lines] == [("line_1", "111"), ("line_2", "222")]
    assert lines[0].max_daily_messages == 7 and lines[0].display_name == "One"
    assert lines[1].is_active is False and lines[1].webhook_url == "https://b.example/h"


def test_numbered_line_without_phone_number_id_is_refused():
    with pytest.raises(ConfigError, match="LINE_3_PHONE_NUMBER_ID"):
        load_lines({"LINE_3_DISPLAY_NAME": "Three"}, None)


def test_single_default_line_from_whatsapp_phone_number_id():
    lines = load_lines({}, "123456")
    assert len(lines) == 1 and lines[0].id == "default" and lines[0].phone_number_id == "123456"


def test_default_line_id_must_name_a_line():
    with pytest.raises(ConfigError, match="DEFAULT_LINE_ID"):
        DefaultConfig(env={"WHATSAPP_PHONE_NUMBER_ID": "1", "DEFAULT_LINE_ID": "nope"})


def test_default_line_id_defaults_to_first_line():
    raw = json.dumps([{"id": "b", "phone_number_id": "2"}, {"id": "a", "phone_number_id": "1"}])
    assert DefaultConfig(env={"MESSAGING_LINES": raw}).DEFAULT_LINE_ID == "b"


def test_bad_integer_setting_names_the_variable():
    with pytest.raises(ConfigError, match="GRAPH_MAX_ATTEMPTS"):
        DefaultConfig(env={"GRAPH_MAX_ATTEMPTS": "three"})


def test_production_refuses_env_example_placeholders():
    with pytest.raises(ConfigError, match="VALID_API_KEYS still holds"):
        ProductionConfig(env={**PROD_ENV, "VALID_API_KEYS": "change-me-key-1"})


def test_env_example_documents_every_setting_the_config_reads():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    example = (root / ".env.example").read_text()
    source = "".join(path.read_text() for path in (root / "config").glob("*.py"))
    read = set(re.findall(r'(?:e|_get|_int|_float)\("([A-Z][A-Z0-9_]+)"', source))
    assert len(read) > 30  # the pattern really finds the settings
    missing = sorted(name for name in read if name not in example and not name.startswith("TEST_"))
    assert missing == []
