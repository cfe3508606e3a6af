from __future__ import annotations

import io
import logging

import pytest

from pdauth.core.redact import REDACTED, RedactingFilter, Redactor, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("headers={'Authorization': 'Bearer v1u:abcdef123456'}", "v1u:abcdef123456"),
        ("Authorization: Basic dGVzdDpzZWNyZXQ=", "dGVzdDpzZWNyZXQ="),
        ("body=grant_type=refresh_token&refresh_token=1:2:deadbeef", "1:2:deadbeef"),
        ("GET /callback?code=1.2.abcdef&state=xyz123", "1.2.abcdef"),
        ('{"access_token": "opaque-token-value", "x": 1}', "opaque-token-value"),
        ("client_secret=hunter22", "hunter22"),
    ],
)
def test_patterns(text: str, secret: str) -> None:
    clean = redact(text)
    assert secret not in clean and REDACTED in clean


def test_registered_values_are_removed_anywhere() -> None:
    redactor = Redactor()
    assert "plain-looking-secret-42" in redactor.clean("oops plain-looking-secret-42 leaked")  # no shape
    redactor.register("plain-looking-secret-42")
    assert "plain-looking-secret-42" not in redactor.clean("oops plain-looking-secret-42 leaked")


def test_each_invocation_has_its_own_redactor() -> None:
    first, second = Redactor(), Redactor()
    first.register("plain-looking-secret-43")
    assert "plain-looking-secret-43" in second.clean("plain-looking-secret-43")


def test_filter_cleans_args_and_tracebacks() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.redact")
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("sent %s", "Bearer v1u:zzzzzzzzzz")
        try:
            raise ValueError("refresh_token=1:2:cafebabe")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "zzzzzzzzzz" not in out and "cafebabe" not in out and "failed" in out
