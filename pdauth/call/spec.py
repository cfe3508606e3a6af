"""What `pdauth call` will send, built from its command-line pieces: method, path, query, fields, body.

Pure and offline: everything is parsed and validated here, before a token is looked up or a byte is sent.
The host is not part of the spec: the request always goes to the profile's api_domain (`target_url`).
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from pdauth.errors import ForeignHostRefused, RequestSpecError

METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
# Only these may be repeated after a 5xx or a dropped connection: the first attempt may have taken
# effect, and a second POST would create a second deal (PATCH is not idempotent either, RFC 5789).
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_API_PATH: Final = re.compile(r"/api/v\d+(/.*)?")
_SHORT_PATH: Final = re.compile(r"/v\d+(/.*)?")
_FIELD_KEY: Final = re.compile(r"(?P<name>[^\[\]]+)(?P<subs>(?:\[[^\[\]]*\])*)")
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_INT: Final = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT: Final = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")

Query = tuple[tuple[str, str], ...]
Reader = Callable[[str], bytes]


@dataclass(frozen=True)
class RequestSpec:
    method: str
    path: str  # normalised: /api/v1/... or /api/v2/..., no query
    query: Query = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None  # JSON, exactly as it will be sent
    origin: str | None = None  # scheme://host[:port] when a full URL was given; checked in target_url

    @property
    def idempotent(self) -> bool:
        return is_idempotent(self.method)

    def with_query(self, query: Iterable[tuple[str, str]]) -> RequestSpec:
        return RequestSpec(self.method, self.path, tuple(query), self.headers, self.body, self.origin)


def read_source(name: str) -> bytes:
    """The bytes of FILE, or of stdin for `-`."""
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).expanduser().read_bytes()
    except OSError as exc:
        raise RequestSpecError(f"Cannot read {name}: {exc.strerror or exc}") from None


def build_spec(
    method: str | None,
    path: str,
    *,
    query: Iterable[str] = (),
    fields: Iterable[str] = (),
    typed_fields: Iterable[str] = (),
    input_name: str | None = None,
    headers: Iterable[str] = (),
    read: Reader = read_source,
) -> RequestSpec:
    """The request to send; RequestSpecError names the first argument that does not make sense."""
    origin, api_path, path_query = parse_path(path)
    field_args = [(arg, False) for arg in fields] + [(arg, True) for arg in typed_fields]
    body_input = _load_input(input_name, read) if input_name is not None else None
    verb = (method or ("POST" if field_args or body_input is not None else "GET")).upper()
    if verb not in METHODS:
        raise RequestSpecError(f"Unknown method {method!r}; use one of {', '.join(METHODS)}")
    if body_input is not None and verb not in BODY_METHODS:
        raise RequestSpecError(f"--input needs POST, PUT or PATCH, not {verb}")
    if body_input is not None and field_args:
        # Both would be the body: taking one and quietly moving the other elsewhere surprises someone.
        raise RequestSpecError(
            "--input and -f/-F both give the request body",
            hint="Put every field in the --input JSON, or drop --input; query parameters go in -q key=value",
        )
    params = [*path_query, *(_key_value(arg, "-q/--query") for arg in query)]
    values = build_fields(field_args, read)
    body = body_input
    if values and verb in BODY_METHODS and body_input is None:
        body = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    elif values:  # GET/DELETE: fields go to the query string, as in `gh api`
        params.extend(_as_query(values))
    return RequestSpec(verb, api_path, tuple(params), tuple(parse_header(h) for h in headers), body, origin)


def parse_path(raw: str) -> tuple[str | None, str, list[tuple[str, str]]]:
    """(origin or None, /api/vN/... path, query pairs) from `/v1/deals`, `/api/v2/deals?x=1` or a full URL."""
    text = raw.strip()
    origin: str | None = None
    if re.match(r"(?i)[a-z][a-z0-9+.-]*://", text):
        parts = urlsplit(text)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise RequestSpecError(f"{raw!r} is not an http(s) URL")
        if parts.username is not None or parts.password is not None:
            raise RequestSpecError("A URL with credentials in it is refused: pdauth sends the token itself")
        origin = normalise_origin(text)
        path, query = parts.path or "/", parts.query
    else:
        path, _, query = text.partition("?")
        path = "/" + path.lstrip("/") if not path.startswith("/") else path
    if _SHORT_PATH.fullmatch(path):
        path = "/api" + path
    if not _API_PATH.fullmatch(path):
        raise RequestSpecError(
            f"{raw!r} is not a Pipedrive API path",
            hint="Use /api/v1/… or /api/v2/… (or the shorthand /v1/…, /v2/…): `pdauth call /v1/users/me`",
        )
    if _has_dot_segment(path):
        raise RequestSpecError(f"{raw!r} contains '.' or '..' segments (encoded or not)")
    return origin, path, parse_qsl(query, keep_blank_values=True)


def _has_dot_segment(path: str) -> bool:
    """Whether `path` climbs out of /api/vN/ once decoded: `%2e%2e`, `%252e%252e` (a proxy and a server
    each decoding once), `..%2f` and `..%5c` (a server that takes a backslash for a slash) included."""
    seen = {path}
    for _ in range(8):  # each round undoes one layer of percent-encoding; 8 is more than any stack does
        if any(segment in (".", "..") for segment in re.split(r"[/\\]", path)):
            return True
        path = unquote(path)
        if path in seen:
            return False
        seen.add(path)
    return True  # still changing after 8 decodings: nobody writes such a path by accident


@functools.lru_cache(maxsize=64)  # pure, and asked of the same api_domain for every request of a Session
def normalise_origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    host = (parts.hostname or "").lower()
    return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"


def is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT_METHODS


def target_url(spec: RequestSpec, api_domain: str) -> str:
    """The URL for `spec` on `api_domain`; ForeignHostRefused when a full URL named another origin."""
    check_origin(spec.origin, api_domain)
    return api_domain.rstrip("/") + spec.path


def check_origin(origin: str | None, api_domain: str) -> None:
    """ForeignHostRefused unless `origin` (normalised; None for a bare path) is the api_domain's own: the
    one rule for where the token may go, for `pdauth call` and the library's Session alike."""
    if origin is not None and origin != normalise_origin(api_domain):
        raise ForeignHostRefused(
            f"Refusing to send the access token to {_shown(origin)}: it only goes to the profile's "
            f"api_domain {api_domain}",
            hint="Give a path such as /api/v1/deals (it is sent to the api_domain), or use another profile",
        )


def _shown(origin: str) -> str:
    return origin.removesuffix(":443") if origin.startswith("https:") else origin.removesuffix(":80")


def parse_header(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition(":")
    name = name.strip()
    if not sep or not _HEADER_NAME.fullmatch(name):
        raise RequestSpecError(f"Header {raw!r} is not 'Name: value'")
    if name.lower() == "authorization":
        raise RequestSpecError(
            "The Authorization header cannot be set with -H: pdauth sends the profile's token",
            hint="Use another profile (-p NAME), or PIPEDRIVE_ACCESS_TOKEN with PIPEDRIVE_API_DOMAIN",
        )
    if "\r" in value or "\n" in value:
        raise RequestSpecError(f"Header {name} contains a line break")
    return name, value.strip()


def typed_value(raw: str, read: Reader = read_source) -> Any:
    """-F values: true/false/null, integers and decimals become JSON literals; @FILE reads the file."""
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    if _INT.fullmatch(raw):
        return int(raw)
    if _FLOAT.fullmatch(raw):
        return float(raw)
    if raw.startswith("@"):
        try:
            return read(raw[1:]).decode("utf-8")
        except UnicodeDecodeError:
            raise RequestSpecError(f"{raw[1:]} is not UTF-8 text") from None
    return raw


def build_fields(args: Iterable[tuple[str, bool]], read: Reader = read_source) -> dict[str, Any]:
    """`key=v`, `key[]=v` (appends to a list) and `a[b]=v` (nested object), in order; a repeat overrides."""
    values: dict[str, Any] = {}
    for arg, typed in args:
        key, raw = _key_value(arg, "-F/--typed-field" if typed else "-f/--field")
        match = _FIELD_KEY.fullmatch(key)
        if match is None:
            raise RequestSpecError(f"Field name {key!r} is malformed")
        parts = [match["name"], *re.findall(r"\[([^\[\]]*)\]", match["subs"])]
        _assign(values, parts, typed_value(raw, read) if typed else raw, key)
    return values


def _assign(values: dict[str, Any], parts: list[str], value: Any, key: str) -> None:
    append = parts[-1] == ""
    if append:
        parts = parts[:-1]
    if "" in parts:
        raise RequestSpecError(f"Field name {key!r}: [] may only come last")
    target = values
    for part in parts[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise RequestSpecError(f"Field {key!r} conflicts with an earlier field")
    last = parts[-1]
    if append:
        existing = target.setdefault(last, [])
        if not isinstance(existing, list):
            raise RequestSpecError(f"Field {key!r} conflicts with an earlier field")
        existing.append(value)
    else:
        target[last] = value


def _as_query(values: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict | list):
                raise RequestSpecError(f"Field {key!r} is nested: only a JSON body can carry that")
            pairs.append((key, _query_text(item)))
    return pairs


def _query_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _key_value(arg: str, option: str) -> tuple[str, str]:
    key, sep, value = arg.partition("=")
    if not sep or not key:
        raise RequestSpecError(f"{option} {arg!r} is not key=value")
    return key, value


def _load_input(name: str, read: Reader) -> bytes:
    data = read(name)
    try:
        json.loads(data)
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        label = "stdin" if name == "-" else name
        reason = getattr(exc, "msg", exc)
        raise RequestSpecError(f"--input {label} is not valid JSON: {reason}{where}") from None
    return data
