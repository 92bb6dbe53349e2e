"""Test helpers: a webhook receiver on a loopback port that records every POST exactly as received."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandbox.server import QuietRequestHandler


@dataclass(frozen=True)
class ReceivedPost:
    """One webhook POST as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    def json(self) -> Any:
        """Return the parsed body."""
        return json.loads(self.body)

    def signature_valid(self, app_secret: str) -> bool:
        """True when X-Hub-Signature-256 is the HMAC-SHA256 of the raw body with app_secret."""
        expected = "sha256=" + hmac.new(app_secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("X-Hub-Signature-256", ""))

    def statuses(self) -> list[dict]:
        """Return every statuses[] item in the body."""
        return [item for value in _values(self.json()) for item in value.get("statuses", [])]

    def messages(self) -> list[dict]:
        """Return every messages[] item in the body."""
        return [item for value in _values(self.json()) for item in value.get("messages", [])]


def _values(payload: dict) -> Iterable[dict]:
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            yield change.get("value", {})


class CallbackRecorder:
    """A threaded webhook receiver on 127.0.0.1 (free port); answers 200 unless told otherwise.

    `answers` is a list of HTTP statuses used for the first POSTs, in order (e.g. [500, 500]).
    """

    def __init__(self, answers: list[int] | None = None, path: str = "/webhook") -> None:
        self._lock = threading.Condition()
        self._answers = list(answers or [])
        self.posts: list[ReceivedPost] = []
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True,
                                   request_handler=QuietRequestHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def _wsgi(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data()
        with self._lock:
            status = self._answers.pop(0) if self._answers else 200
            self.posts.append(ReceivedPost(request.path, dict(request.headers), body, status))
            self._lock.notify_all()
        return Response("ok", status=status)(environ, start_response)

    def wait_for(self, predicate: Callable[[list[ReceivedPost]], bool], timeout: float = 5.0) -> bool:
        """Wait until predicate(posts) is true; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self.posts):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return True

    def all_statuses(self) -> list[dict]:
        """Return every status item received, in arrival order."""
        with self._lock:
            return [item for post in self.posts for item in post.statuses()]

    def all_messages(self) -> list[dict]:
        """Return every inbound message item received, in arrival order."""
        with self._lock:
            return [item for post in self.posts for item in post.messages()]

    def clear(self) -> None:
        """Forget the posts received so far."""
        with self._lock:
            self.posts.clear()

    def stop(self) -> None:
        """Stop the server."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
