"""`pdauth.cli.fast_call`: `pdauth call` without typer gives exactly what the full CLI gives, or declines."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from pdauth.call.run import CallOptions
from pdauth.cli.fast_call import parse_plain_call
from tests.conftest import CLI
from tests.support.entries import token_entry


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["call", "/v1/deals"], CallOptions("/v1/deals")),
        (["call", "DELETE", "/v1/deals/4"], CallOptions("DELETE", "/v1/deals/4")),
        (
            ["-p", "work", "call", "/v1/deals", "--paginate", "--limit-per-page", "50", "--jsonl"],
            CallOptions("/v1/deals", paginate=True, limit_per_page=50, jsonl=True, profile="work"),
        ),
        (
            ["--profile=work", "call", "/v1/deals", "-p", "other", "--max-wait=2.5", "--dry-run"],
            CallOptions("/v1/deals", max_wait=2.5, dry_run=True, profile="other"),
        ),
        (
            ["call", "-q", "start=1", "/v1/deals", "--query", "limit=2", "-H", "X-A: 1", "--header=X-B: 2"],
            CallOptions("/v1/deals", query=("start=1", "limit=2"), header=("X-A: 1", "X-B: 2")),
        ),
        (
            ["call", "POST", "/v1/deals", "-f", "title=X", "-F", "value=5", "--typed-field", "n[]=@-"],
            CallOptions("POST", "/v1/deals", field=("title=X",), typed_field=("value=5", "n[]=@-")),
        ),
        (
            ["call", "POST", "/v1/deals", "--input", "-", "--input=body.json"],
            CallOptions("POST", "/v1/deals", input_file="body.json"),  # the last one wins, as in typer
        ),
        (["call", "-", "--input", "-"], CallOptions("-", input_file="-")),
    ],
)
def test_plain_calls_are_parsed(argv: list[str], expected: CallOptions) -> None:
    assert parse_plain_call(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["token"],
        ["call"],
        ["call", "GET", "/v1/deals", "extra"],
        ["call", "/v1/deals", "--help"],
        ["call", "/v1/deals", "-i"],  # the request goes to stderr through rich: the full CLI does it
        ["call", "/v1/deals", "--include"],
        ["call", "/v1/deals", "--paginat"],
        ["call", "/v1/deals", "--paginate=yes"],
        ["call", "/v1/deals", "--limit-per-page", "0"],
        ["call", "/v1/deals", "--limit-per-page", "501"],
        ["call", "/v1/deals", "--limit-per-page", "+5"],
        ["call", "/v1/deals", "--limit-per-page"],
        ["call", "/v1/deals", "--max-wait", "-1"],
        ["call", "/v1/deals", "--max-wait", "1e3"],
        ["call", "/v1/deals", "-q"],
        ["call", "/v1/deals", "-q", "--paginate"],  # typer takes "--paginate" as the value
        ["call", "/v1/deals", "-qstart=1"],
        ["call", "--", "/v1/deals"],
        ["-v", "call", "/v1/deals"],
        ["-q", "call", "/v1/deals"],  # --quiet, before the command
        ["--profile", "call", "/v1/deals"],
        ["call", "/v1/deals", "--profile"],
    ],
)
def test_everything_else_goes_to_the_full_cli(argv: list[str]) -> None:
    assert parse_plain_call(argv) is None


FAST = """
import sys
from pdauth.cli.fast_call import fast_call
code = fast_call(sys.argv[1:])
if code is None:
    print("DECLINED", file=sys.stderr)
    sys.exit(99)
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'rich', 'pydantic', 'requests', 'urllib3'})
print('HEAVY=' + ','.join(heavy), file=sys.stderr)
sys.exit(code)
"""
FULL = "from pdauth.cli.main import main; main()"


def run(cli: CLI, code: str, *args: str, **env: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**cli.env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def pd(cli: CLI, emulator: Any) -> CLI:
    r = cli("login")
    assert r.returncode == 0, r.stderr
    return cli


SAME = [
    ("call", "/v1/deals", "--paginate", "--limit-per-page", "2"),
    ("call", "/v2/deals", "--paginate", "--jsonl", "--limit-per-page", "3"),
    ("call", "/v1/users/me"),
    ("call", "GET", "/v1/deals", "-f", "status=open", "-F", "limit=1", "--jsonl"),
    ("call", "--dry-run", "POST", "/v1/deals", "-f", "title=X", "-H", "X-Trace: 42"),
    ("call", "/v1/deals/999"),  # an HTTP error: body on stdout, the message on stderr, exit 1
    ("call", "POST", "/v1/deals", "--paginate"),  # a usage error: exit 2
    ("call", "https://evil.example/api/v1/users/me"),
    ("call", "/v1/deals/999", "--paginate"),
]


@pytest.mark.emulator(deals=5)
@pytest.mark.timeout(180)  # two processes per case: a loaded 2-core machine running -n 2 needs longer
def test_the_fast_path_prints_what_the_full_cli_prints(pd: CLI) -> None:
    for args in SAME:
        fast_code, fast_out, fast_err = run(pd, FAST, *args)
        full = run(pd, FULL, *args)
        assert "DECLINED" not in fast_err, args
        fast_err = "\n".join(line for line in fast_err.splitlines() if not line.startswith("HEAVY="))
        assert (fast_code, fast_out, fast_err) == (full[0], full[1], full[2].rstrip("\n")), args


@pytest.mark.emulator(deals=5)
def test_the_fast_path_imports_no_cli_framework_and_no_requests(pd: CLI) -> None:
    code, out, err = run(pd, FAST, "call", "/v1/deals", "--paginate", "--limit-per-page", "2")
    assert code == 0 and [deal["id"] for deal in json.loads(out)] == [1, 2, 3, 4, 5], err
    assert err.splitlines()[-1] == "HEAVY="  # deterministic, not timed


def test_a_terminal_or_a_prompt_goes_to_the_full_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    from pdauth.cli import fast_call as call_fast

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Tty())
    assert call_fast.fast_call(["call", "/v1/deals"]) is None  # colours need rich
    monkeypatch.undo()
    monkeypatch.setattr(sys, "stdin", Tty())
    monkeypatch.setattr(sys, "stderr", Tty())
    assert call_fast.fast_call(["call", "/v1/deals"]) is None  # the full CLI would offer prompts


@pytest.mark.emulator(deals=3)
def test_the_fast_path_refreshes_like_the_full_cli(pd: CLI, emulator: Any, tmp_path: Any) -> None:
    key = f"pdauth/{token_entry(tmp_path / 'config')}"
    stored = json.loads(json.loads((tmp_path / "keyring.json").read_text())[key])
    emulator.advance_clock(4000)  # the stored access token has expired: the call refreshes it first
    code, out, err = run(pd, FAST, "call", "/v2/deals", "--paginate", "--jsonl")
    assert code == 0 and len(out.splitlines()) == 3, err
    assert emulator.stats()["grants"]["refresh_token"] == 1
    (tmp_path / "keyring.json").unlink()  # CI: a refresh token in the environment, nothing stored
    code, out, err = run(pd, FAST, "call", "/v1/users/me", PIPEDRIVE_REFRESH_TOKEN=stored["refresh_token"])
    assert code == 0 and json.loads(out)["data"]["id"] == 777, err
    assert emulator.stats()["grants"]["refresh_token"] == 2


# -- one declaration: the fast parser's table is held to typer's -----------------------------------


def _typer_call_params() -> list[Any]:
    from typer.main import get_command

    from pdauth.cli.main import app

    return list(get_command(app).commands["call"].params)  # type: ignore[attr-defined]


# What the fast path leaves to the full CLI on purpose: `-i` writes the request with rich on stderr.
DECLINED_BY_THE_FAST_PATH = {"include"}


def test_the_fast_parser_knows_every_option_of_the_typer_declaration_and_no_other() -> None:
    from pdauth.cli import fast_call

    declared: dict[str, tuple[str, str]] = {}
    for param in _typer_call_params():
        if param.param_type_name != "option" or param.name in DECLINED_BY_THE_FAST_PATH:
            continue
        kind = "flag" if param.is_flag else "repeated" if param.multiple else "single"
        declared.update({opt: (param.name, kind) for opt in param.opts})
    fast = {opt: (name, "repeated") for opt, name in fast_call._REPEATED.items()}
    fast |= {opt: (name, "single") for opt, name in fast_call._SINGLE.items()}
    fast |= {opt: (name, "flag") for opt, name in fast_call._FLAGS.items()}
    assert fast == declared


def test_typer_and_the_fast_path_share_every_default() -> None:
    defaults = CallOptions(first="/v1/users/me")
    for param in _typer_call_params():
        if param.param_type_name != "option":
            continue
        if param.multiple:  # typer gives None for a repeatable option never given; CallOptions ()
            assert (param.default, getattr(defaults, param.name)) == (None, ()), param.name
        else:
            assert param.default == getattr(defaults, param.name), param.name
    assert parse_plain_call(["call", "/v1/users/me"]) == defaults


@pytest.mark.parametrize(("value", "accepted"), [("0", False), ("1", True), ("500", True), ("501", False)])
def test_the_fast_path_declines_page_sizes_typer_would_reject(value: str, accepted: bool) -> None:
    (limit,) = [p for p in _typer_call_params() if p.name == "limit_per_page"]
    assert (limit.min <= int(value) <= limit.max) is accepted  # typer's own bounds...
    parsed = parse_plain_call(["call", "/v2/deals", "--paginate", "--limit-per-page", value])
    assert (parsed is not None) is accepted  # ...are the fast path's
