"""Fixtures for the emulator's own tests: one emulator per module, its webhooks recorded.

A module that wants them sets EMULATOR_SETTINGS (EmulatorSettings fields; callback_url is added).
"""
from __future__ import annotations

import pytest

from sandbox import EmulatorSettings, start_in_thread
from sandbox.testing import CallbackRecorder


@pytest.fixture(scope="module")
def callback():
    recorder = CallbackRecorder()
    yield recorder
    recorder.stop()


@pytest.fixture(scope="module")
def emulator(request, callback):
    settings = getattr(request.module, "EMULATOR_SETTINGS", {})
    running = start_in_thread(EmulatorSettings(callback_url=callback.url, **settings))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_emulator(emulator, callback):
    emulator.state.reset(settings=True)
    callback.clear()
