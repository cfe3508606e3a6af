"""The 403 hint names a scope that really allows the request, for every endpoint the emulator serves.

The emulator's route table takes each endpoint's scopes from Pipedrive's official SDK (its API classes'
OAuth annotations); pdauth's hint table is written separately (the emulator shares no code with the
client). Holding one to the other catches a hint that would send a user after the wrong scope.
"""

from __future__ import annotations

import re

import pytest

from pdauth.call.hints import required_scopes
from pdauth.emulator.routes import ROUTES

ENDPOINTS = [
    (method, re.sub(r"\(\?P<\w+>[^)]*\)", "1", pattern.pattern), endpoint.scopes)
    for pattern, methods in ROUTES
    for method, endpoint in methods.items()
]


def test_the_table_is_read() -> None:
    assert len(ENDPOINTS) > 60 and {m for m, _, _ in ENDPOINTS} >= {"GET", "POST", "PATCH", "DELETE", "PUT"}


@pytest.mark.parametrize(("method", "path", "accepted"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_the_hint_names_scopes_that_allow_the_request(
    method: str, path: str, accepted: tuple[str, ...]
) -> None:
    named = required_scopes(method, path)
    assert named, f"no scope named for {method} {path}"
    # Every scope the hint names must allow the request ("any one of them"), and it names the narrowest.
    assert set(named) <= set(accepted), (
        f"the hint names {set(named) - set(accepted)}, which does not allow it"
    )
