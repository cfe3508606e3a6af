"""The emulator's clock: wall time plus a forward-only offset that tests advance instead of sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """Wall-clock time plus an offset that only moves forward, so tests expire things without sleeping."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._source() + self._offset

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset
