"""The real `pdauth call` in subprocesses against the emulator: what users type, what they get back.

Each test logs in once with `pdauth login` and then runs several calls, to keep the suite fast.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.support.entries import token_entry


def stored_token(tmp_path: Path) -> dict[str, Any]:
    entries = json.loads((tmp_path / "keyring.json").read_text())
    return dict(json.loads(entries[f"pdauth/{token_entry(tmp_path / 'config')}"]))


@pytest.fixture
def pd(cli: CLI, emulator: Any) -> CLI:
    """`cli` after `pdauth login`, with the emulator's counters reset."""
    r = cli("login")
    assert r.returncode == 0, r.stderr
    emulator.reset_stats()
    return cli


@pytest.mark.emulator(deals=7)
def test_create_then_list_all_as_array_and_jsonl(pd: CLI, emulator: Any) -> None:
    r = pd("call", "POST", "/v1/deals", "-f", "title=Big deal", "-F", "value=50000", "-F", "org_id=null")
    assert r.returncode == 0, r.stderr
    created = json.loads(r.stdout)["data"]
    assert [created[k] for k in ("id", "title", "value", "org_id")] == [8, "Big deal", 50000, None]
    # Piped, the output is compact JSON on one line.
    assert r.stdout == json.dumps(json.loads(r.stdout), separators=(",", ":"), ensure_ascii=False) + "\n"

    emulator.reset_stats()
    r = pd("call", "/v2/deals", "--paginate", "--limit-per-page", "3")
    assert r.returncode == 0, r.stderr
    assert [d["id"] for d in json.loads(r.stdout)] == list(range(1, 9))
    assert r.stdout.startswith('[{"id":1,') and r.stdout.endswith("}]\n")
    assert emulator.stats()["connections"] == 1 and emulator.stats()["api_requests"] == 3

    r = pd("call", "/v1/deals", "--paginate", "--jsonl", "--limit-per-page", "2")
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == list(range(1, 9))
    if shutil.which("jq"):  # the docs' example, for real
        jq = subprocess.run(
            ["jq", "-r", "select(.value >= 7000) | .title"],
            input=r.stdout,
            capture_output=True,
            text=True,
            check=True,
        )
        assert jq.stdout.splitlines() == ["Deal 7", "Big deal"]


@pytest.mark.emulator(deals=5)
def test_query_fields_input_dry_run_and_include(pd: CLI, emulator: Any, tmp_path: Path) -> None:
    r = pd("call", "/v1/deals", "-q", "start=3", "-q", "limit=1")
    assert [d["id"] for d in json.loads(r.stdout)["data"]] == [4]
    r = pd("call", "GET", "/api/v1/deals?start=1", "-f", "limit=2")  # GET fields go to the query string
    assert [d["id"] for d in json.loads(r.stdout)["data"]] == [2, 3]

    r = pd("call", "POST", "/v1/deals", "--input", "-", input='{"title": "From stdin", "value": 12.5}')
    assert r.returncode == 0 and json.loads(r.stdout)["data"]["value"] == 12.5, r.stderr
    before = emulator.stats()["api_requests"]
    r = pd("call", "POST", "/v1/deals", "--input", "-", input='{"title": ')
    assert r.returncode == 2 and "not valid JSON" in r.stderr
    assert emulator.stats()["api_requests"] == before  # the invalid body was never sent

    token = stored_token(tmp_path)["access_token"]
    r = pd("call", "--dry-run", "POST", "/v1/deals", "-f", "title=X", "-H", "X-Trace: 42")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"POST {emulator.base_url}/api/v1/deals"
    assert {"Authorization: Bearer ***", "X-Trace: 42", "Content-Type: application/json"} <= set(lines)
    assert lines[-1] == '{"title":"X"}'
    r2 = pd("call", "--dry-run", "/v1/deals", "--paginate", "--limit-per-page", "50")
    assert r2.stdout.splitlines()[0] == f"GET {emulator.base_url}/api/v1/deals?limit=50"
    assert emulator.stats()["api_requests"] == before
    assert token not in r.stdout + r.stderr + r2.stdout + r2.stderr

    r = pd("call", "-i", "/v1/users/me")
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.partition("\n\n")
    assert head.splitlines()[0] == "HTTP/1.1 200 OK"
    assert any(line.lower().startswith("x-ratelimit-remaining: ") for line in head.splitlines())
    assert json.loads(body)["data"]["id"] == 777
    assert "> Authorization: Bearer ***" in r.stderr  # the request, on stderr, redacted
    assert token not in r.stdout + r.stderr


# The rest of the refusals are unit-tested on build_spec (tests/call/test_spec.py); the exit code
# comes from the same ConfigError path.
USAGE_ERRORS = [
    (["https://evil.example/api/v1/users/me"], "Refusing to send the access token to https://evil.example"),
    (["/v1/users/me", "-H", "Authorization: Bearer mine"], "Authorization header cannot be set"),
    (["POST", "/v1/deals", "--paginate"], "--paginate works with GET only"),
    (["/v1/deals", "--limit-per-page", "501"], "--limit-per-page"),
]


def test_usage_errors_exit_2_and_send_nothing(pd: CLI, emulator: Any) -> None:
    for args, message in USAGE_ERRORS:
        r = pd("call", *args)
        assert (r.returncode, r.stdout) == (2, ""), (args, r.stderr)
        assert message in r.stderr, (args, r.stderr)
    assert emulator.stats()["requests"] == 0
    # A full URL is fine when it is the api_domain itself.
    r = pd("call", f"{emulator.base_url}/api/v1/users/me")
    assert r.returncode == 0 and json.loads(r.stdout)["data"]["id"] == 777


@pytest.mark.emulator(deals=2)
def test_http_errors_retries_and_401(pd: CLI, emulator: Any) -> None:
    r = pd("call", "/v1/deals/999")
    assert r.returncode == 1
    assert json.loads(r.stdout) == {
        "success": False,
        "error": "Deal not found",
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }  # the body is data: on stdout
    assert "HTTP 404 Deal not found" in r.stderr and "Check the path" in r.stderr

    emulator.inject_fault(endpoint="api", status=502)
    r = pd("call", "/v2/deals")
    assert r.returncode == 0 and len(json.loads(r.stdout)["data"]) == 2
    assert "HTTP 502: retrying in" in r.stderr  # said on stderr (a spinner on a terminal)

    emulator.inject_fault(endpoint="api", status=500)
    r = pd("call", "POST", "/v1/deals", "-f", "title=Once")
    assert r.returncode == 1 and "not repeated" in r.stderr
    assert emulator.stats()["live"]["deals"] == 2

    emulator.inject_fault(endpoint="api", status=401, count=2)
    r = pd("call", "/v1/users/me")
    assert r.returncode == 4 and "pdauth login" in r.stderr
    assert emulator.stats()["grants"]["refresh_token"] == 1  # refreshed once, then gave up


@pytest.mark.emulator(scopes=("base", "deals:read"))
def test_scope_mismatch_hint(pd: CLI) -> None:
    r = pd("call", "DELETE", "/v1/deals/1")
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"] == "Scope and URL mismatch"
    assert "DELETE /api/v1/deals/1 needs the deals:full scope" in r.stderr
    assert "Developer Hub" in r.stderr and "pdauth login" in r.stderr


@pytest.mark.emulator(burst_limit=3, deals=4, retry_after_header=True)
def test_rate_limit_waited_out(pd: CLI, emulator: Any) -> None:
    r = pd("call", "/v1/deals", "--paginate", "--jsonl", "--limit-per-page", "1")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == [1, 2, 3, 4]
    assert emulator.stats()["rate_limited"] >= 1 and "Rate limited by Pipedrive: waiting" in r.stderr


@pytest.mark.emulator(deals=3)
def test_env_token_sources(pd: CLI, emulator: Any, tmp_path: Path) -> None:
    tokens = stored_token(tmp_path)
    (tmp_path / "keyring.json").unlink()  # CI: nothing stored
    r = pd(
        "call",
        "/v2/deals",
        "--paginate",
        "--jsonl",
        PIPEDRIVE_ACCESS_TOKEN=tokens["access_token"],
        PIPEDRIVE_API_DOMAIN=emulator.base_url,
    )
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3, r.stderr
    r = pd("call", "/v1/users/me", PIPEDRIVE_REFRESH_TOKEN=tokens["refresh_token"])
    assert r.returncode == 0 and json.loads(r.stdout)["data"]["id"] == 777, r.stderr
    r = pd("call", "/v1/users/me", PIPEDRIVE_ACCESS_TOKEN=tokens["access_token"])
    assert r.returncode == 2 and "PIPEDRIVE_API_DOMAIN" in r.stderr
    assert not (tmp_path / "keyring.json").exists()


@pytest.mark.emulator(deals=200)
@pytest.mark.parametrize("fast", [False, True], ids=["full-cli", "fast-path"])
def test_a_reader_that_leaves_stops_the_paging_with_141(pd: CLI, emulator: Any, fast: bool) -> None:
    import sys

    from tests.cli.test_fast_call import FAST

    start = [sys.executable, "-c", FAST] if fast else [sys.executable, "-m", "pdauth"]
    proc = subprocess.Popen(
        [*start, "call", "/v1/deals", "--paginate", "--limit-per-page", "1"],
        env=pd.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.read(10).startswith(b'[{"id":1,')
    proc.stdout.close()  # like `| head -c 10`
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 141 and b"Traceback" not in stderr, stderr
    assert emulator.stats()["api_requests"] < 200  # it stopped fetching pages
