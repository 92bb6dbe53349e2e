"""Run the emulator on a real loopback port in a background thread (tests, benchmarks, dev mode)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.app import EmulatorApp, create_emulator_app
from sandbox.delivery import Deliver
from sandbox.settings import EmulatorSettings
from sandbox.state import EmulatorState

log = logging.getLogger("sandbox.server")
http_log = logging.getLogger("sandbox.http")


class QuietRequestHandler(WSGIRequestHandler):
    """Send Werkzeug's per-request lines to the sandbox.http logger at DEBUG, not to stderr."""

    def log(self, type: str, message: str, *args: object) -> None:  # noqa: A002 - Werkzeug's signature
        http_log.debug("%s %s", self.address_string(), message % args)


@dataclass
class RunningEmulator:
    """A started emulator: its URL, its state, and how to stop it."""

    app: EmulatorApp
    server: BaseWSGIServer
    thread: threading.Thread
    base_url: str
    _stopped: bool = field(default=False, repr=False)

    @property
    def state(self) -> EmulatorState:
        """The emulator's state, for inspection (messages(), deliveries(), settings, ...)."""
        return self.app.emulator

    @property
    def settings(self) -> EmulatorSettings:
        """The live settings; changing a field takes effect at once."""
        return self.app.emulator.settings

    @property
    def port(self) -> int:
        """The port the emulator listens on."""
        return int(self.server.server_port)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every scheduled webhook has been delivered (or given up); False on timeout."""
        return self.state.wait_idle(timeout)

    def reset(self) -> None:
        """Forget all state (see EmulatorState.reset)."""
        self.state.reset()

    def stop(self) -> None:
        """Stop serving, stop webhook delivery and delete stored media. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        self.state.close()
        log.info("emulator at %s stopped", self.base_url)

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_in_thread(settings: EmulatorSettings | None = None, host: str = "127.0.0.1", port: int = 0,
                    deliver: Deliver | None = None) -> RunningEmulator:
    """Serve the emulator (threaded) on host:port in a daemon thread; port 0 picks a free port."""
    app = create_emulator_app(settings or EmulatorSettings(), deliver)
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="sandbox-server", daemon=True)
    thread.start()
    base_url = f"http://{_url_host(host)}:{server.server_port}"
    log.info("emulator listening on %s", base_url)
    return RunningEmulator(app=app, server=server, thread=thread, base_url=base_url)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):  # nosec B104 - maps a wildcard bind to a loopback URL; binds nothing
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
