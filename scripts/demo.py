#!/usr/bin/env python3
"""`make demo`: the whole pdauth job against the embedded emulator, in a throw-away config dir.

Starts `pdauth emulator` on a free port, logs in through the scripted browser (which clicks
"Allow and install" on the emulator's consent page), then runs whoami, status, token, a forced refresh
and logout. Uses the OS keyring when one works, else the encrypted file store with a demo passphrase.
Exits non-zero as soon as a step fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from emulator_process import running_emulator  # scripts/ is on sys.path: this file runs as a script

REPO = Path(__file__).resolve().parent.parent
PDAUTH = [sys.executable, "-m", "pdauth"]
# The throw-away config dir has a keyring namespace of its own, so the demo's entries never meet the user's
# (tests/store/test_namespaces_real_keyring.py); a profile name of its own makes its output say "demo".
PROFILE = "demo"


def keyring_works(env: dict[str, str]) -> bool:
    probe = (
        "import keyring, sys\n"
        "k = keyring.get_keyring()\n"
        "if getattr(k, 'priority', 0) < 1: sys.exit(1)\n"
        "keyring.set_password('pdauth-demo-probe', 'probe', 'x')\n"
        "ok = keyring.get_password('pdauth-demo-probe', 'probe') == 'x'\n"
        "keyring.delete_password('pdauth-demo-probe', 'probe')\n"
        "sys.exit(0 if ok else 1)\n"
    )
    try:
        return (
            subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, timeout=10).returncode
            == 0
        )
    except subprocess.TimeoutExpired:  # a keyring that prompts or hangs is no keyring for a demo
        return False


def styled(text: str, code: str) -> str:
    """`text` in bold or colour on a terminal; plain in a log or pipe (and with NO_COLOR)."""
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return text
    return f"\033[{code}m{text}\033[0m"


def step(title: str, args: list[str], env: dict[str, str], pipe: str | None = None) -> None:
    shown = "pdauth " + " ".join(map(_quote, args)) + (f" | {pipe}" if pipe else "")
    print(f"\n{styled('$ ' + shown, '1')}  # {title}", flush=True)
    if pipe:
        command = " ".join([*map(_quote, PDAUTH), *map(_quote, args)]) + f" | {pipe}"
        result = subprocess.run(["bash", "-o", "pipefail", "-c", command], env=env)
        print()
    else:
        result = subprocess.run([*PDAUTH, *args], env=env)
    if result.returncode != 0:
        print(f"\ndemo: `{shown}` failed with exit code {result.returncode}", file=sys.stderr)
        sys.exit(1)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="pdauth-demo-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PDAUTH_", "PIPEDRIVE_"))}
    try:
        with running_emulator(PDAUTH, base_env, "--deals", "25") as (url, redirect_uri):
            env = {
                **base_env,
                "PDAUTH_CONFIG_DIR": str(work / "config"),
                "PDAUTH_OAUTH_URL": url,
                "PDAUTH_REDIRECT_URI": redirect_uri,
                "PDAUTH_PROFILE": PROFILE,
                "PIPEDRIVE_CLIENT_ID": "demo-client-id",
                "PIPEDRIVE_CLIENT_SECRET": "demo-client-secret",
                "BROWSER": str(REPO / "scripts" / "fake_browser.py"),
            }
            if keyring_works(env):
                store = "keyring"
            else:
                store = "file"
                env["PDAUTH_PASSPHRASE"] = "demo passphrase (use a real one)"
            print(f"pdauth demo: emulator at {url}, config in {work}, secrets in the {store} store")

            step(
                "opens the (scripted) browser, approves, stores the tokens", ["login", "--store", store], env
            )
            step("who the token belongs to", ["whoami"], env)
            step("every profile; never a token", ["status"], env)
            step("the token, for curl; cut for the demo", ["token"], env, pipe="cut -c1-12")
            step("refresh now (normally automatic, 5 minutes before expiry)", ["refresh"], env)
            step(
                "create a deal (API v2: -F sends numbers as numbers)",
                ["call", "POST", "/v2/deals", "-f", "title=Demo deal", "-F", "value=5000"],
                env,
                pipe="head -c 200",
            )
            step(
                "update it (v2 updates with PATCH)",
                ["call", "PATCH", "/v2/deals/26", "-F", "value=7500"],
                env,
                pipe="head -c 200",
            )
            step(
                "every deal, page by page, one per line",
                ["call", "/v2/deals", "--paginate", "--jsonl"],
                env,
                pipe="wc -l",
            )
            step("search persons", ["call", "/v2/persons/search", "-q", "term=Berg"], env, pipe="head -c 200")
            step("forget everything of this profile", ["logout"], env)
            print("\n" + styled("demo: every step passed", "32"))
            return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
