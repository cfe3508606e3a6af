"""Reading JSON on the token fast path without importing `json`.

`import json` imports `re` (json.decoder compiles a few patterns at import), and with it enum, functools
and collections: more instructions than everything else `pdauth token` does once Python has started
(docs/performance.md). The C scanner that `json` itself uses is in `_json`, and takes its settings from
any object with the attributes json.decoder.JSONDecoder has; this builds one. Where `_json` is missing
(another Python implementation), `json.loads` does the work.

Stricter than `json.loads` on purpose: NaN and the infinities are refused (pdauth never writes them, and
an expiry of NaN would compare false with everything), as is anything after the value but whitespace.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from collections.abc import Callable

_WHITESPACE = " \t\n\r"


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number pdauth accepts")


class _Settings:
    # The attributes json.decoder.JSONDecoder gives the C scanner (Modules/_json.c, scanner_new).
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_refuse_constant)
    memo: dict[str, str] = {}  # noqa: RUF012 - the scanner's own cache of keys


_scan: Callable[[str, int], tuple[object, int]] | None
try:
    from _json import make_scanner as _make_scanner

    _scan = _make_scanner(_Settings())  # type: ignore[arg-type]  # any object with the attributes
except ImportError:  # pragma: no cover - not CPython
    _scan = None


def loads(text: str) -> object:
    """The value `text` holds; ValueError when it holds no single JSON value (or NaN/Infinity)."""
    if _scan is None:  # pragma: no cover - not CPython
        import json

        return json.loads(text, parse_constant=_refuse_constant)
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration:
        raise ValueError("no JSON value") from None
    finally:
        _Settings.memo.clear()
    if text[end:].strip(_WHITESPACE):
        raise ValueError("extra data after the JSON value")
    return value
