"""Development: the embedded default with debug logging."""
from config.default import DefaultConfig


class DevelopmentConfig(DefaultConfig):
    """SQLite file, in-process rate limiter and jobs, the Graph emulator unless a token is set."""

    ENV_NAME = "development"
    DEBUG = True
