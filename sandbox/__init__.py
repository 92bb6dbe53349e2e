"""An emulator of Meta's WhatsApp Business Cloud API (Graph API and webhooks) for tests and dev mode.

    from sandbox import EmulatorSettings, start_in_thread
    running = start_in_thread(EmulatorSettings(callback_url="http://127.0.0.1:5000/api/v1/webhooks"))
    ...  # point the Graph client at running.base_url
    running.stop()

See sandbox/README.md for the endpoints, reserved fault numbers and control API.
"""
from sandbox.app import create_emulator_app
from sandbox.server import RunningEmulator, start_in_thread
from sandbox.settings import EmulatorSettings
from sandbox.state import EmulatorState
from sandbox.webhooks import signature

__all__ = ["EmulatorSettings", "EmulatorState", "RunningEmulator", "create_emulator_app", "signature",
           "start_in_thread"]
