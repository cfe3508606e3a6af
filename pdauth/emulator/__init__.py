"""A local Pipedrive OAuth server + REST API for tests and demos; shares no code with pdauth's client.

`from pdauth.emulator import Emulator, EmulatorConfig`. The names load lazily so that importing
`pdauth.emulator.command` (for the CLI) does not pull in the HTTP server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pdauth.emulator.config import EmulatorConfig
    from pdauth.emulator.server import Emulator

__all__ = ["Emulator", "EmulatorConfig"]


def __getattr__(name: str) -> object:
    if name == "Emulator":
        from pdauth.emulator.server import Emulator

        return Emulator
    if name == "EmulatorConfig":
        from pdauth.emulator.config import EmulatorConfig

        return EmulatorConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
