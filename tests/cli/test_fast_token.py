from __future__ import annotations

import pytest

from pdauth.cli.fast_token import parse_plain_token_call


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
    [
        [],
        ["status"],
        ["token", "--help"],
        ["token", "-p"],
        ["token", "extra"],
        ["--json", "token"],
        ["token", "token"],
        ["-v", "token"],
        ["token", "-p", "--json"],
    ],
)
def test_everything_else_goes_to_the_full_cli(argv: list[str]) -> None:
    assert parse_plain_token_call(argv) is None


PROBE = """
import sys
from pdauth.cli.fast_token import fast_token
code = fast_token(sys.argv[1:])
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'requests', 'rich', 'typer', 'pydantic', 'urllib3', 'http'})
print('HEAVY=' + ','.join(heavy), file=sys.stderr)
sys.exit(code)
"""


def _probe(cli: object, *args: str) -> tuple[str, str]:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=cli.env,
        capture_output=True,
        text=True,  # type: ignore[attr-defined]
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    heavy = proc.stderr.strip().splitlines()[-1].removeprefix("HEAVY=")
    return proc.stdout, heavy


def test_token_with_a_valid_token_imports_no_heavy_module(cli: object) -> None:
    """Deterministic, not timed: the hot path must not import the CLI framework or the HTTP stack."""
    env = {"PDAUTH_PASSPHRASE": "probe passphrase"}
    cli.env.update(env)  # type: ignore[attr-defined]
    assert cli("login", "--store", "file").returncode == 0  # type: ignore[operator]
    stdout, heavy = _probe(cli, "token")
    assert stdout.startswith("v1u:") and heavy == ""
    stdout, heavy = _probe(cli, "token", "--json")
    assert stdout.startswith("{") and heavy == ""


def test_a_refresh_on_the_fast_path_does_load_http(cli: object, tmp_path: object) -> None:
    """The probe can fail: an expired token makes the same path import requests."""
    import json
    from pathlib import Path

    cli.env.update({"PDAUTH_PASSPHRASE": "probe passphrase"})  # type: ignore[attr-defined]
    assert cli("login", "--store", "file").returncode == 0  # type: ignore[operator]
    config = Path(cli.env["PDAUTH_CONFIG_DIR"]) if "PDAUTH_CONFIG_DIR" in cli.env else None  # type: ignore[attr-defined]
    from pdauth.store.file import FileStore

    directory = config or Path(__import__("os").environ["PDAUTH_CONFIG_DIR"])
    store = FileStore(directory / "tokens.enc", passphrase=lambda: "probe passphrase")
    from tests.support.entries import token_entry

    data = json.loads(store.get(token_entry(directory)) or "{}")
    data["expires_at"] = 0
    store.set(token_entry(directory), json.dumps(data))
    stdout, heavy = _probe(cli, "token")
    assert stdout.startswith("v1u:") and "requests" in heavy
