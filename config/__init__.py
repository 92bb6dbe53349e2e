"""Configuration selection: get_config(name) by name or FLASK_ENV."""
from __future__ import annotations

import os

from dotenv import load_dotenv

from config.default import ROOT_DIR, ConfigError, DefaultConfig
from config.dev import DevelopmentConfig
from config.lines import LineConfig
from config.prod import ProductionConfig
from config.testing import TestingConfig

CONFIGS = {
    "development": DevelopmentConfig,
    "dev": DevelopmentConfig,
    "production": ProductionConfig,
    "prod": ProductionConfig,
    "testing": TestingConfig,
    "test": TestingConfig,
    "default": DefaultConfig,
}


def get_config(name: str | None = None) -> DefaultConfig:
    """Instantiate the config named, else the one FLASK_ENV names, else the default."""
    if name is None:
        load_dotenv(ROOT_DIR / ".env", override=False)
        name = os.environ.get("FLASK_ENV") or "default"
    elif name.lower() != "testing" and name.lower() != "test":
        load_dotenv(ROOT_DIR / ".env", override=False)
    try:
        config_class = CONFIGS[name.strip().lower()]
    except KeyError:
        raise ConfigError(f"FLASK_ENV {name!r} is not one of: {', '.join(sorted(CONFIGS))}.") from None
    return config_class()


__all__ = ["get_config", "ConfigError", "LineConfig", "DefaultConfig", "DevelopmentConfig",
           "ProductionConfig", "TestingConfig"]
