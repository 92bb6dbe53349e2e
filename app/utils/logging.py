"""Logging to stdout with the request id on every line."""
from __future__ import annotations

import logging
import sys

from flask import g, has_request_context

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
_base_factory = logging.getLogRecordFactory()


def _current_request_id() -> str:
    return getattr(g, "request_id", "-") if has_request_context() else "-"


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    """Stamp every record, whichever handler formats it, with the request being served."""
    record = _base_factory(*args, **kwargs)
    record.request_id = _current_request_id()
    return record


def configure_logging(level: str) -> None:
    """Send all logs to stdout once, with request ids; no log files."""
    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)
    root = logging.getLogger()
    root.setLevel(level)
    handler = next((h for h in root.handlers if getattr(h, "_wamsvc", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stdout)
        handler._wamsvc = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    handler.setLevel(level)
    for noisy in ("urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
