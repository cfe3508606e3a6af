from __future__ import annotations

import pytest

from pdauth.entry import parse_plain_token_call


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["token"], (None, False)),
        (["token", "--json"], (None, True)),
        (["-p", "work", "token"], ("work", False)),
        (["token", "--profile", "work", "--json"], ("work", True)),
        (["--profile=work", "token"], ("work", False)),
    ],
)
def test_plain_token_calls_take_the_fast_path(argv: list[str], expected: tuple[str | None, bool]) -> None:
    assert parse_plain_token_call(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [[], ["status"], ["token", "--help"], ["token", "-p"], ["token", "extra"], ["--json", "token"],
     ["token", "token"], ["-v", "token"], ["token", "-p", "--json"]],
)
def test_everything_else_goes_to_the_full_cli(argv: list[str]) -> None:
    assert parse_plain_token_call(argv) is None
