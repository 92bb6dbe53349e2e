"""The Graph API client package: the only code that talks to Meta."""
from app.graph.backoff import RecipientBackoff, RecipientBackoffPolicy, RetryPolicy, parse_retry_after
from app.graph.client import GraphClient
from app.graph.errors import (
    NON_RETRYABLE_CODES,
    PAIR_RATE_LIMIT_CODE,
    RETRYABLE_CODES,
    GraphAPIError,
    GraphConnectionError,
    GraphTimeoutError,
    MediaURLExpired,
    is_retryable,
)
from app.graph.results import MediaDownload, MediaInfo, SendResult

__all__ = [
    "GraphAPIError",
    "GraphClient",
    "GraphConnectionError",
    "GraphTimeoutError",
    "MediaDownload",
    "MediaInfo",
    "MediaURLExpired",
    "NON_RETRYABLE_CODES",
    "PAIR_RATE_LIMIT_CODE",
    "RETRYABLE_CODES",
    "RecipientBackoff",
    "RecipientBackoffPolicy",
    "RetryPolicy",
    "SendResult",
    "is_retryable",
    "parse_retry_after",
]
