"""The refresh protocol's needs: what a set made by another process must be for this one to take it."""

from __future__ import annotations

from pdauth.core import refresh
from pdauth.core.tokens import TokenSet

NOW = 1_000_000.0


def token_set(access: str = "a1", expires_in: float = 3600) -> TokenSet:
    return TokenSet(access, "r1", "https://x.pipedrive.com", NOW + expires_in)


def test_due_takes_any_set_valid_beyond_the_margin() -> None:
    assert refresh.DUE.met_by(token_set(expires_in=3600), NOW)
    assert not refresh.DUE.met_by(token_set(expires_in=60), NOW)  # inside the 5-minute margin
    assert refresh.DUE.takes_handoff


def test_forced_takes_nothing_made_by_others() -> None:
    assert not refresh.FORCED.met_by(token_set(expires_in=3600), NOW)
    assert not refresh.FORCED.takes_handoff  # `pdauth refresh` makes its own token


def test_stale_takes_any_set_with_another_access_token() -> None:
    need = refresh.stale("a1")
    assert not need.met_by(token_set("a1", expires_in=3600), NOW)  # the one the API rejected
    assert need.met_by(token_set("a2", expires_in=60), NOW)  # someone replaced it: use theirs
    assert need.takes_handoff
