"""Doctor's checks of this machine: versions, config permissions, the store, the keyring backend,
the browser and the redirect port.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pdauth import envvars
from pdauth.core import settings as cfg
from pdauth.core.context import Context
from pdauth.doctor.check import Check
from pdauth.errors import PassphraseRequired

if TYPE_CHECKING:
    from pdauth.hotpath.trust import Problem

PROBE_PREFIX: Final = "pdauth-doctor:probe-"  # ':' never occurs in a profile name, so never collides


def check_versions() -> Check:
    import platform

    from pdauth.version import __version__

    where = Path(__file__).resolve().parents[1]
    detail = (
        f"pdauth {__version__}, Python {platform.python_version()} ({sys.executable}), installed at {where}"
    )
    ok = sys.version_info >= (3, 11)
    return Check("pdauth", ok, detail, None if ok else "Reinstall pdauth with Python 3.11 or newer", True)


def check_permissions(ctx: Context) -> Check:
    """Whose the config dir, its files and the directories above it are (pdauth.hotpath.trust: a problem
    there blocks, since pdauth then reads nothing), then whether the modes are owner-only (a warning)."""

    directory = ctx.config_dir
    refused = _refused(ctx)
    if refused:
        detail = "; ".join(f"{p.path}: {p.what}" for p in refused)
        fix = "; ".join(dict.fromkeys(p.fix for p in refused))
        return Check("config permissions", False, f"pdauth refuses to read {directory}: {detail}", fix, True)
    if not directory.exists():
        return Check("config permissions", True, f"{directory} does not exist yet (login creates it 0700)")
    loose = [(directory, 0o700)] if _mode(directory) & 0o077 else []
    for name in (cfg.CONFIG_FILE, "tokens.enc"):
        path = directory / name
        if path.exists() and _mode(path) & 0o077:
            loose.append((path, 0o600))
    if not loose:
        return Check("config permissions", True, f"{directory} is 0700 and its files 0600, all yours")
    detail = "; ".join(f"{p} is {_mode(p):04o}, should be {want:04o}" for p, want in loose)
    fix = "; ".join(f"chmod {want:o} {p}" for p, want in loose)
    return Check("config permissions", False, detail, fix)


def config_is_untrusted(ctx: Context) -> bool:
    """Whether pdauth refuses the config dir: then no check may read it (doctor runs only the two above)."""
    return bool(_refused(ctx))


def _refused(ctx: Context) -> list[Problem]:
    from pdauth.hotpath import trust
    from pdauth.hotpath.paths import keyring_config_path

    return trust.problems(ctx.config_dir) + trust.keyring_config_problems(keyring_config_path(ctx.env))


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def check_store(ctx: Context) -> Check:
    """A real write, read and delete under a probe key: the only proof that login will be able to save."""
    store = ctx.store
    key, value = PROBE_PREFIX + secrets.token_hex(4), secrets.token_urlsafe(16)
    try:
        store.set(key, value)
        try:
            read_back = store.get(key)
        finally:
            store.delete(key)
        gone = store.get(key) is None
    except PassphraseRequired:
        return Check(
            "store",
            False,
            f"{store.describe()}: not probed, it needs the passphrase",
            f"Set {envvars.ENV_PASSPHRASE} to let doctor open it (login will ask for it)",
        )
    if read_back != value or not gone:
        return Check(
            "store",
            False,
            f"{store.describe()}: the probe entry did not read back as written",
            "Check the keyring backend (PYTHON_KEYRING_BACKEND), or use `pdauth login --store file`",
            True,
        )
    detail = f"{store.describe()}: write, read and delete of a probe entry worked"
    return Check("store", True, detail, None, True)


def check_keyring_backend(ctx: Context) -> Check:
    from pdauth.store.keyring import KeyringStore, configured_backend_name, keyring_config_path

    uses_keyring = ctx.settings.store_kind == "keyring"
    store = ctx.store if uses_keyring else KeyringStore(ctx.env, backend=ctx.deps.keyring_backend)
    assert isinstance(store, KeyringStore)
    if ctx.env.get(envvars.ENV_KEYRING_BACKEND):
        origin = f"set by {envvars.ENV_KEYRING_BACKEND}"
    elif configured_backend_name(ctx.env):
        origin = f"set in {keyring_config_path(ctx.env)}"
    elif uses_keyring and ctx.saved_profile.keyring_backend:
        origin = "remembered from the last login"
    else:
        origin = "found by keyring's discovery"

    def facts() -> tuple[str, bool]:
        return store.backend_name, getattr(store.backend, "priority", 1) > 0

    name, usable = store.guard.run(facts)
    unused = "" if uses_keyring else " (not used: this profile uses the file store)"
    if usable:
        detail = f"{name} ({origin}){unused}{fast_reader_note(name, ctx.env)}"
        return Check("keyring backend", True, detail, None, uses_keyring)
    from pdauth.errors import KeyringUnavailable

    return Check(
        "keyring backend",
        False,
        f"{name} ({origin}) cannot store anything{unused}",
        KeyringUnavailable.hint,
        uses_keyring,
    )


def fast_reader_note(backend_name: str, env: Mapping[str, str]) -> str:
    """How `pdauth token` reads a Secret Service entry here (see pdauth/hotpath/secret_tool.py)."""
    from pdauth.hotpath.secret_tool import SECRET_SERVICE_BACKEND
    from pdauth.hotpath.secret_tool import find as find_secret_tool

    if backend_name != SECRET_SERVICE_BACKEND:
        return ""
    if find_secret_tool(env):
        return "; `pdauth token` reads it with secret-tool"
    return "; install secret-tool (libsecret-tools) for a faster `pdauth token`"


def check_browser(ctx: Context) -> Check:
    from pdauth.login import browser

    machine = ctx.deps.machine or browser.Machine()
    choice = browser.choose(ctx.env, machine)
    yes_no = {True: "yes", False: "no"}
    facts = (
        f"BROWSER {'set' if ctx.env.get('BROWSER') else 'unset'}, "
        f"display {yes_no[browser.has_display(ctx.env, machine)]}, "
        f"SSH {yes_no[browser.ssh_session(ctx.env)]}, WSL {yes_no[machine.is_wsl()]}"
    )
    detail = f"{choice.reason} ({facts})"
    if choice.can_open:
        return Check("browser", True, detail)
    fix = (
        "`pdauth login` prints the URL: open it in any browser, then paste the address the browser "
        "ends on; or set BROWSER"
    )
    if browser.ssh_session(ctx.env):
        fix += "; over SSH, forward the callback port first (login prints the exact `ssh -L` command)"
    return Check("browser", False, detail, fix)


def check_redirect(ctx: Context) -> Check:
    from pdauth.login.loopback import CallbackInbox, CallbackListener, RedirectTarget

    uri = ctx.settings.redirect_uri
    target = RedirectTarget.parse(uri)  # ConfigError (with its hint) when not a loopback http:// URI
    # Bind exactly as login will (same code, same socket options): raises PortInUse with its hint.
    with CallbackListener(uri, CallbackInbox(secrets.token_urlsafe(8))):
        pass
    detail = f"{uri}: loopback, and port {target.port} is free to listen on"
    return Check("redirect URI", True, detail, None, True)
