"""The error tree: every failure pdauth reports is one of these, with an exit code and a next step.

The core raises them and never prints; `report` turns one into its line on stderr, and every front door
(the typer CLI, the fast `token` and `call` paths) calls it exactly once.
"""

from __future__ import annotations

import os
import sys
from enum import IntEnum

TYPE_CHECKING = False  # not `from typing import ...`: the token fast path imports this module on errors
if TYPE_CHECKING:
    from typing import TextIO


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 4  # as in `gh`: the user must (re)authenticate before anything else will work
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports `pdauth call … | head`


class PdauthError(Exception):
    """Base error. `message` says what happened; `hint` names the next step."""

    exit_code: ExitCode = ExitCode.ERROR
    hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def one_line(self) -> str:
        text = self.message.rstrip(".")
        return f"{text}. {self.hint}" if self.hint else f"{text}."


# -- configuration and usage ------------------------------------------------------------------------


class ConfigError(PdauthError):
    exit_code = ExitCode.USAGE


class UntrustedPath(ConfigError):
    """A config dir, a file in it or a directory above it that someone else owns or may write to: pdauth
    reads nothing there (its config says where secrets are sent)."""

    def __init__(self, message: str, hint: str | None = None, *, path: str = "") -> None:
        super().__init__(message, hint)
        self.path = path


class UsageError(ConfigError):
    """The command line itself is wrong (typer's parsing failed): an unknown option, a missing value."""


class MissingClientCredentials(ConfigError):
    hint = (
        "Set PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET, or run `pdauth login` in a terminal "
        "to enter them once"
    )


class IssuerOverridden(ConfigError):
    """The environment names another OAuth server (or app) than the one a stored token set came from: its
    refresh token and client secret go only to their own issuer, so the refresh or revoke is refused."""


# -- authentication needed (exit 4) ---------------------------------------------------------------


class AuthRequired(PdauthError):
    exit_code = ExitCode.AUTH
    hint = "Run `pdauth login`"


class NotLoggedIn(AuthRequired):
    pass


class RefreshTokenInvalid(AuthRequired):
    pass


class TokensBoundElsewhere(AuthRequired):
    """The stored set came from another issuer or client than the profile now names: not used, not sent."""


class ClientSecretRejected(AuthRequired):
    """Pipedrive answered invalid_client: the client id or secret is not the app's."""


class AuthorizationDenied(AuthRequired):
    hint = "Run `pdauth login` again and choose “Allow and install”"


class AccessTokenRejected(AuthRequired):
    """The API answered 401. `where` names who rejected it (the api_domain), for the messages built on it."""

    def __init__(self, message: str, hint: str | None = None, *, where: str = "Pipedrive") -> None:
        super().__init__(message, hint)
        self.where = where


# -- login ----------------------------------------------------------------------------------------


class LoginError(PdauthError):
    pass


class LoginCancelled(LoginError):
    exit_code = ExitCode.INTERRUPTED
    hint = "Nothing was stored"


class PortInUse(LoginError):
    pass


class Interrupted(PdauthError):
    """Ctrl-C (or end of input) at a prompt."""

    exit_code = ExitCode.INTERRUPTED
    hint = "Nothing was changed"


class CallbackTimeout(LoginError):
    hint = "Run `pdauth login` again (use --timeout SECONDS for more time)"


# -- network --------------------------------------------------------------------------------------


class TokenRequestFailed(PdauthError):
    hint = "Try again in a moment; if it persists, check the client id/secret and PDAUTH_OAUTH_URL"


class ApiRequestFailed(PdauthError):
    pass


class ProxyFailed(ApiRequestFailed):
    """The proxy from the environment could not be reached, or refused to carry the request."""


class TlsVerifyFailed(ApiRequestFailed):
    """A server's TLS certificate did not verify against the CA bundle in effect."""


class ApiHttpError(ApiRequestFailed):
    """The API answered with an HTTP error; the response travels along so the CLI can print its body."""

    def __init__(
        self, message: str, hint: str | None = None, *, status: int, response: object = None
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.response = response


class RequestSpecError(ConfigError):
    """The request described on the command line cannot be built (bad path, field, header or input)."""


class ForeignHostRefused(RequestSpecError):
    """A full URL pointed somewhere other than the profile's api_domain: the token never goes there."""


# -- storage --------------------------------------------------------------------------------------


class StoreError(PdauthError):
    pass


class UnreadableEntry(StoreError):
    """A stored entry that is not what pdauth wrote (corrupt, or written by something else)."""


class KeyringUnavailable(StoreError):
    hint = (
        "Unlock or install a Secret Service keyring (e.g. gnome-keyring), or use the encrypted file store "
        "with `pdauth login --store file`, or in CI set PIPEDRIVE_REFRESH_TOKEN with the client id/secret"
    )


class WrongPassphrase(StoreError):
    exit_code = ExitCode.AUTH
    hint = "Check PDAUTH_PASSPHRASE (the token file was left untouched)"


class PassphraseRequired(StoreError):
    exit_code = ExitCode.USAGE
    hint = "Set PDAUTH_PASSPHRASE, or run the command in a terminal to be asked for it"


class LockTimeout(PdauthError):
    hint = "Another pdauth process is refreshing this profile; try again, or kill the stuck process"


def report(exc: PdauthError, stream: TextIO | None = None) -> int:
    """Write `exc` as its one line (`error: what happened. What to do.`) and return its exit code."""
    out = sys.stderr if stream is None else stream
    label = "error:"
    if _colour(out):
        label = "\x1b[1;31merror:\x1b[0m"
    out.write(f"{label} {terminal_safe(exc.one_line())}\n")
    out.flush()
    return int(exc.exit_code)


def terminal_safe(text: str, keep: str = "") -> str:
    """`text` with every character a terminal could act on shown as `?`: messages carry server data.

    The one sanitiser of server text on its way to a terminal (errors, names, emails, api_domain, bodies).
    Everything `str.isprintable` rejects is replaced: C0 controls (ESC, so CSI and OSC sequences; BEL, CR,
    LF, TAB), DEL, the C1 controls (U+0080–U+009F, where 0x9B is a one-byte CSI), format characters such
    as the bidi overrides (U+202A–U+202E, U+2066–U+2069) and zero-width ones, line and paragraph separators.
    Replaced, not stripped: a `?` shows that something was there, and stripping could join the remains
    into text that reads as something else. `keep` names characters to let through (a multi-line body
    keeps "\n" and "\t").
    """
    return "".join(c if c.isprintable() or c == " " or c in keep else "?" for c in text)


def _colour(stream: TextIO) -> bool:
    """As rich decides for the rest of the CLI's output: NO_COLOR wins, then FORCE_COLOR, then a terminal."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
