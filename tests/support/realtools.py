"""Gates for tests that need real components: skip with a reason locally, FAIL when `CI` is set.

CI installs and starts everything these tests need (.ci/run, .ci/with-secret-service), so a missing
component there is a broken pipeline, not a reason to go quietly green.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
# The environment pytest started with: the autouse `isolated_env` fixture strips every PDAUTH_* variable
# before a test runs, and this module is imported at collection, before any fixture.
STARTING_ENV = dict(os.environ)
CHROMIUM_WRAPPER = REPO / "scripts" / "chromium_browser"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def in_ci() -> bool:
    return STARTING_ENV.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"CI is set but a real component is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def require_secret_service() -> None:
    """A private, unlocked Secret Service as .ci/with-secret-service provides, and secret-tool.

    Only the private one: PDAUTH_SECRET_SERVICE=1 is set by that script, so these tests never write to a
    developer's own login keyring.
    """
    if STARTING_ENV.get("PDAUTH_SECRET_SERVICE") != "1":
        unavailable("no private Secret Service (run under .ci/with-secret-service)")
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        unavailable("DBUS_SESSION_BUS_ADDRESS is not set")
    if shutil.which("secret-tool") is None:
        unavailable("secret-tool is not installed (apt: libsecret-tools)")
    try:
        import secretstorage
    except ImportError:
        unavailable("secretstorage is not installed")
    try:
        connection = secretstorage.dbus_init()
    except Exception as exc:
        unavailable(f"cannot connect to the session bus ({type(exc).__name__}: {exc})")
    try:
        collection = secretstorage.get_default_collection(connection)
        if collection.is_locked():
            unavailable("the Secret Service's default collection is locked")
    except Exception as exc:
        unavailable(f"the Secret Service does not answer ({type(exc).__name__}: {exc})")
    finally:
        connection.close()


def chromium_binary() -> str | None:
    explicit = STARTING_ENV.get("PDAUTH_CHROMIUM")
    if explicit:
        return shutil.which(explicit)
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def require_chromium() -> str:
    """The path of a headless-capable Chromium, after checking that it starts at all."""
    binary = chromium_binary()
    if binary is None:
        unavailable(f"no Chromium found (looked for {', '.join(CHROMIUM_NAMES)}; or set PDAUTH_CHROMIUM)")
    try:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        unavailable(f"{binary} does not start ({type(exc).__name__})")
    if version.returncode != 0:
        unavailable(f"{binary} --version failed: {version.stderr.strip()[:200]}")
    if not os.access(CHROMIUM_WRAPPER, os.X_OK):
        unavailable(f"{CHROMIUM_WRAPPER} is missing or not executable")
    return binary
