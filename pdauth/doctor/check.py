"""A row of `pdauth doctor`: what was checked, whether it is fine, and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    blocking: bool = False  # a failure of this check stops `pdauth login` from working


def blocking_failures(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if c.blocking and not c.ok]
