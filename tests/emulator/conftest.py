"""Fixtures for the emulator's own tests: emulators on port 0 with a silenced log, and a driver."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pdauth.emulator import Emulator, EmulatorConfig

from .helpers import Driver


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators on free ports with a silenced log; all are stopped after the test."""
    started: list[Emulator] = []

    def make(**overrides: Any) -> Emulator:
        overrides.setdefault("log_stream", io.StringIO())
        emu = Emulator(EmulatorConfig(**overrides)).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def emu(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator()


@pytest.fixture
def drv(emu: Emulator) -> Driver:
    return Driver(emu)


@pytest.fixture
def driver_for() -> Callable[[Emulator], Driver]:
    return Driver
