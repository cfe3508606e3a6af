"""`pdauth doctor`: check everything a login needs and return what is wrong with how to fix it. Never prints.

Each check returns Check rows; a check that raises becomes a failed row (with the error's own hint) instead
of ending the run. `blocking` marks failures that stop `pdauth login` from working: they decide the exit
code. The checks themselves: pdauth.doctor.local (this machine), .network, .tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pdauth.core.context import Context
from pdauth.core.sources import SOURCE_ENV_ACCESS, env_source
from pdauth.doctor.check import Check
from pdauth.doctor.local import (
    check_browser,
    check_keyring_backend,
    check_permissions,
    check_redirect,
    check_store,
    check_versions,
    config_is_untrusted,
)
from pdauth.doctor.network import check_api_domain, check_network_settings, check_oauth_host
from pdauth.doctor.tokens import check_profiles, check_token_source
from pdauth.errors import PdauthError

# What only an interactive login needs: under the CI env chain these are reported as not needed.
LOGIN_ONLY = ("store", "keyring backend", "browser", "redirect URI")


def _not_needed(name: str, source: str) -> Callable[[], Iterable[Check]]:
    return lambda: [Check(name, True, f"not needed: the tokens come from {source.removeprefix('env ')}")]


def run(ctx: Context, *, network_timeout: float = 3.0) -> list[Check]:
    if config_is_untrusted(ctx):
        # Every other check reads the config or the store, which pdauth refuses here: the permissions
        # row says why and what to do, and nothing of the untrusted files is read.
        return [check_versions(), check_permissions(ctx)]
    checks: list[Check] = []
    steps: list[tuple[str, bool, Callable[[], Iterable[Check]]]] = [
        ("pdauth", True, lambda: [check_versions()]),
        ("config permissions", False, lambda: [check_permissions(ctx)]),
        ("store", True, lambda: [check_store(ctx)]),
        ("keyring backend", ctx.settings.store_kind == "keyring", lambda: [check_keyring_backend(ctx)]),
        ("browser", False, lambda: [check_browser(ctx)]),
        ("redirect URI", True, lambda: [check_redirect(ctx)]),
        ("proxy", True, lambda: check_network_settings(ctx)),
        ("OAuth host", True, lambda: check_oauth_host(ctx, network_timeout)),
        ("api_domain", False, lambda: [check_api_domain(ctx, network_timeout)]),
        ("profiles", False, lambda: check_profiles(ctx)),
        ("token source", False, lambda: [check_token_source(ctx)]),
    ]
    source = env_source(ctx)
    if source is not None:
        # CI: the tokens come from the environment, so what a login needs is beside the point; what the
        # refresh needs (the app's credentials, the OAuth host, the clock) is what blocks.
        steps = [(n, b, _not_needed(n, source)) if n in LOGIN_ONLY else (n, b, f) for n, b, f in steps]
    for name, blocking, step in steps:
        try:
            checks.extend(step())
        except PdauthError as exc:
            checks.append(Check(name, False, exc.message, exc.hint or None, blocking))
        except Exception as exc:  # a broken check must not hide the others
            checks.append(Check(name, False, f"check failed: {type(exc).__name__}: {exc}", None, blocking))
    if source is not None:
        checks = [_ci_blocking(c, source) for c in checks]
    return checks


def _ci_blocking(check: Check, source: str) -> Check:
    """Under the env chain, a broken token source blocks; an unreachable OAuth host blocks only a refresh."""
    from dataclasses import replace

    if check.name == "token source":
        return replace(check, blocking=True)
    if check.name == "OAuth host" and source == SOURCE_ENV_ACCESS:  # used as it is: never refreshed
        return replace(check, blocking=False)
    return check
