"""`python -m pdauth.emulator` as a real subprocess: URL line on stdout, info on stderr, clean stops."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time

import pytest
import requests

from .helpers import BASIC, REDIRECT_URI, T, query_of

pytestmark = pytest.mark.timeout(30)

COMMAND = [sys.executable, "-m", "pdauth.emulator"]


def start(
    *args: str, env: dict[str, str] | None = None, ignore_sigint: bool = False
) -> tuple[subprocess.Popen[str], str]:
    """Start the emulator command and wait (at most 10 s) for its PDAUTH_EMULATOR_URL= line."""
    proc = subprocess.Popen(
        [*COMMAND, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
        # what `emulator &` in a non-interactive shell script does to the child
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None,
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=10):
            proc.kill()
            pytest.fail(f"no URL line within 10 s; stderr: {proc.communicate()[1]}")
    line = proc.stdout.readline().strip()
    assert line.startswith("PDAUTH_EMULATOR_URL="), line
    return proc, line.removeprefix("PDAUTH_EMULATOR_URL=")


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> tuple[int, str, str]:
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, out, err


def test_serves_a_full_login_and_stops_on_sigint(tmp_path):
    proc, url = start("--port", "0", "--quiet", "--auto-approve", "--deals", "2")
    try:
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        authorize = requests.get(
            f"{url}/oauth/authorize",
            params={"client_id": "demo-client-id", "redirect_uri": REDIRECT_URI, "state": "s"},
            allow_redirects=False,
            timeout=T,
        )
        code = query_of(authorize.headers["Location"])["code"][0]
        tokens = requests.post(
            f"{url}/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
            auth=BASIC,
            timeout=T,
        ).json()
        assert tokens["api_domain"] == url
        deals = requests.get(
            f"{url}/api/v1/deals", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=T
        )
        assert [d["title"] for d in deals.json()["data"]] == ["Deal 1", "Deal 2"]
    finally:
        code_, out, err = stop(proc)
    assert code_ == 0, err
    assert out == ""  # stdout is data: nothing after the URL line
    assert url in err and "demo-client-id" in err and REDIRECT_URI in err
    assert f"export PDAUTH_OAUTH_URL={url}" in err
    assert "Traceback" not in err and '"POST /oauth/token' not in err  # --quiet: no request log


def test_sigterm_stops_cleanly_and_the_log_is_on_stderr_redacted():
    proc, url = start("--port", "0", "--client-secret", "cli-secret-value")
    try:
        answer = requests.post(
            f"{url}/oauth/token?client_secret=cli-secret-value",
            data={"grant_type": "refresh_token", "refresh_token": "1:2:abcdef0123456789abcdef"},
            auth=("demo-client-id", "cli-secret-value"),
            timeout=T,
        )
        assert answer.json()["error"] == "invalid_grant"  # the secret was accepted
        time.sleep(0.1)
    finally:
        code, out, err = stop(proc, signal.SIGTERM)
    assert code == 0, err
    assert out == ""
    assert '"POST /oauth/token?client_secret=[REDACTED] HTTP/1.1" 400' in err
    assert "stopped" in err
    # the banner shows the demo secret the operator chose; the request log never does
    log_lines = [line for line in err.splitlines() if "HTTP/1.1" in line]
    assert log_lines and all("cli-secret-value" not in line for line in log_lines)


def test_sigint_stops_it_even_when_started_as_a_background_job():
    proc, _ = start("--port", "0", "--quiet", ignore_sigint=True)
    code, _out, err = stop(proc, signal.SIGINT)
    assert code == 0, err
    assert "stopped" in err


def test_client_secret_from_the_environment():
    proc, url = start("--port", "0", "--quiet", env={"PDAUTH_EMULATOR_CLIENT_SECRET": "from-env"})
    try:
        data = {"grant_type": "refresh_token", "refresh_token": "x"}
        good = requests.post(f"{url}/oauth/token", data=data, auth=("demo-client-id", "from-env"), timeout=T)
        bad = requests.post(f"{url}/oauth/token", data=data, auth=BASIC, timeout=T)
        assert good.json()["error"] == "invalid_grant"
        assert bad.json()["error"] == "invalid_client"
    finally:
        assert stop(proc)[0] == 0


def test_options_reach_the_config():
    proc, url = start(
        "--port", "0", "--quiet", "--auto-deny", "--client-id", "my-app", "--redirect-uri", "http://localhost:9999/cb",
        "--scopes", "deals:read", "--burst-limit", "7",
    )  # fmt: skip
    try:
        answer = requests.get(
            f"{url}/oauth/authorize",
            params={"client_id": "my-app", "redirect_uri": "http://localhost:9999/cb", "state": "q"},
            allow_redirects=False,
            timeout=T,
        )
        assert answer.headers["Location"] == "http://localhost:9999/cb?error=user_denied&state=q"
        assert requests.get(f"{url}/api/v1/users/me", timeout=T).headers["x-ratelimit-limit"] == "7"
    finally:
        assert stop(proc)[0] == 0


def test_data_plan_and_budget_options_reach_the_config():
    proc, url = start(
        "--port", "0", "--quiet", "--auto-approve", "--plan", "power", "--daily-budget", "61", "--seed", "7",
        "--deals", "5", "--persons", "3", "--organizations", "2", "--activities", "4", "--products", "1",
        "--custom-field", "deal:Budget:monetary", "--custom-field", "person:Tier:enum:Gold|Silver",
        "--v1-deals", "gone", "--webhook-retry-delays", "1,2",
    )  # fmt: skip
    try:
        authorize = requests.get(
            f"{url}/oauth/authorize",
            params={"client_id": "demo-client-id", "redirect_uri": REDIRECT_URI},
            allow_redirects=False,
            timeout=T,
        )
        code = query_of(authorize.headers["Location"])["code"][0]
        token = requests.post(
            f"{url}/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
            auth=BASIC,
            timeout=T,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        deals = requests.get(f"{url}/api/v2/deals", headers=headers, timeout=T)
        assert deals.headers["x-ratelimit-limit"] == "400"  # the Power plan's OAuth burst
        assert [d["title"] for d in deals.json()["data"]] == [f"Deal {n}" for n in range(1, 6)]
        assert len(deals.json()["data"][0]["custom_fields"]) == 1
        stats = requests.get(f"{url}/__emulator/stats", timeout=T).json()
        live = stats["live"]
        assert (live["persons"], live["organizations"], live["activities"], live["products"]) == (3, 2, 4, 1)
        assert stats["budget"] == {"limit": 61, "used": {"123": 20}}
        tier = requests.get(f"{url}/api/v2/personFields", headers=headers, timeout=T).json()["data"][-1]
        assert tier["field_name"] == "Tier" and [o["label"] for o in tier["options"]] == ["Gold", "Silver"]
        assert requests.get(f"{url}/api/v1/deals", headers=headers, timeout=T).status_code == 410
        # three lists (20 each, the 410 included) spent 60 of 61: a single GET (2) is over budget
        assert requests.get(f"{url}/api/v2/deals/1", headers=headers, timeout=T).status_code == 429
    finally:
        assert stop(proc)[0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--auto-approve", "--auto-deny"],
        ["--scopes", "deals:everything"],
        ["--burst-limit", "0"],
        ["--port", "x"],
        ["--plan", "gold"],
        ["--daily-budget", "0"],
        ["--custom-field", "deal:Budget"],
        ["--v1-deals", "sometimes"],
        ["--webhook-retry-delays", "soon"],
        ["--deals", "-1"],
    ],
)
def test_bad_options_exit_2(args):
    result = subprocess.run(
        [*COMMAND, "--port", "0", *args], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""


def test_a_taken_port_exits_1_with_a_hint(emu):
    result = subprocess.run(
        [*COMMAND, "--port", str(emu.port)],
        capture_output=True,
        text=True,
        timeout=20,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "--port" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_help_lists_the_options():
    result = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0
    options = ("--port", "--client-secret", "--auto-approve", "--rotate-refresh-tokens", "--quiet", "--plan",
               "--daily-budget", "--seed", "--custom-field", "--v1-deals", "--webhook-retry-delays")  # fmt: skip
    for option in options:
        assert option in result.stdout


def test_importing_the_command_does_not_load_the_server():
    probe = (
        "import sys, pdauth.emulator.command; "
        "heavy = ('http.server', 'pdauth.emulator.server', 'pdauth.emulator.app'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
