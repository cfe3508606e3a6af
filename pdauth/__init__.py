"""pdauth: connect a Pipedrive account over OAuth 2.0 from the terminal, and use that login from Python.

    import pdauth
    with pdauth.Session() as s:                       # the login `pdauth login` made (docs/library.md)
        me = s.get("/v1/users/me").json()
        for deal in s.paginate("/v2/deals", params={"status": "open"}):
            ...
    pdauth.token()                                    # the string `pdauth token` prints

Every name is loaded on first use (module `__getattr__`, PEP 562): `pdauth token` imports this package
before anything else and must not pay for requests, the core or even `typing` (docs/performance.md).
"""

from pdauth.version import __version__

TYPE_CHECKING = False  # not `from typing import ...`: see above
if TYPE_CHECKING:  # what type checkers see (the names in __all__ are the package's exports)
    from pdauth.errors import (
        AccessTokenRejected,
        ApiHttpError,
        ApiRequestFailed,
        AuthorizationDenied,
        AuthRequired,
        ClientSecretRejected,
        ConfigError,
        ExitCode,
        ForeignHostRefused,
        KeyringUnavailable,
        LockTimeout,
        LoginError,
        MissingClientCredentials,
        NotLoggedIn,
        PassphraseRequired,
        PdauthError,
        ProxyFailed,
        RefreshTokenInvalid,
        RequestSpecError,
        StoreError,
        TlsVerifyFailed,
        TokenRequestFailed,
        UnreadableEntry,
        WrongPassphrase,
    )
    from pdauth.library.errors import PipedriveHTTPError
    from pdauth.library.session import Session
    from pdauth.library.tokens import TokenInfo, token, token_info

__all__ = [
    "AccessTokenRejected",
    "ApiHttpError",
    "ApiRequestFailed",
    "AuthRequired",
    "AuthorizationDenied",
    "ClientSecretRejected",
    "ConfigError",
    "ExitCode",
    "ForeignHostRefused",
    "KeyringUnavailable",
    "LockTimeout",
    "LoginError",
    "MissingClientCredentials",
    "NotLoggedIn",
    "PassphraseRequired",
    "PdauthError",
    "PipedriveHTTPError",
    "ProxyFailed",
    "RefreshTokenInvalid",
    "RequestSpecError",
    "Session",
    "StoreError",
    "TlsVerifyFailed",
    "TokenInfo",
    "TokenRequestFailed",
    "UnreadableEntry",
    "WrongPassphrase",
    "__version__",
    "token",
    "token_info",
]

# The module each name is loaded from, on first use: the library's own, the rest are pdauth's errors
# (each has `message`, `hint`, `one_line()`, the line the CLI prints, and `exit_code`).
_LIBRARY = {
    "Session": "pdauth.library.session",
    "token": "pdauth.library.tokens",
    "token_info": "pdauth.library.tokens",
    "TokenInfo": "pdauth.library.tokens",
    "PipedriveHTTPError": "pdauth.library.errors",
}
_EXPORTS = {name: _LIBRARY.get(name, "pdauth.errors") for name in __all__ if name != "__version__"}

if not TYPE_CHECKING:  # type checkers see the imports above, and a typo in a name stays an error

    def __getattr__(name: str) -> object:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'pdauth' has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(module), name)
        globals()[name] = value  # looked up once
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_EXPORTS})
