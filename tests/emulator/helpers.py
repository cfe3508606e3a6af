"""Helpers for the emulator's tests: a plain-`requests` OAuth driver, a form parser, wire constants.

Nothing here uses pdauth's client code: the emulator is checked against the wire format alone.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from pdauth.emulator import Emulator

CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret"
REDIRECT_URI = "http://127.0.0.1:8976/callback"
BASIC = (CLIENT_ID, CLIENT_SECRET)
T = 5  # seconds: every request in these tests has a timeout, a hung emulator fails fast


class FormParser(HTMLParser):
    """Collects the consent form's action and its hidden inputs and submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method: str | None = None
        self.hidden: dict[str, str] = {}
        self.buttons: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action, self.method = a.get("action"), a.get("method")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a["value"]
        elif tag == "button" and a.get("type") == "submit":
            self.buttons.append((a["name"], a["value"]))


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query, keep_blank_values=True)


class Driver:
    """Drives one emulator over HTTP the way a browser and an OAuth client would."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.url = emu.base_url

    def authorize_params(self, **extra: str) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": "st-123", **extra}

    def consent(self, session: requests.Session, **extra: str) -> tuple[requests.Response, FormParser]:
        page = session.get(f"{self.url}/oauth/authorize", params=self.authorize_params(**extra), timeout=T)
        assert page.status_code == 200, page.text
        return page, parse_form(page.text)

    def decide(self, session: requests.Session, form: FormParser, decision: str) -> requests.Response:
        return session.post(
            f"{self.url}/oauth/authorize/decision",
            data={**form.hidden, "decision": decision},
            allow_redirects=False,
            timeout=T,
        )

    def code(self, state: str = "st-123") -> str:
        """A fresh authorization code, through the consent page like a user clicking Allow."""
        with requests.Session() as session:
            answer = session.get(
                f"{self.url}/oauth/authorize",
                params=self.authorize_params(state=state),
                allow_redirects=False,
                timeout=T,
            )
            if answer.status_code == 200:  # the consent page; with auto_approve it is skipped
                answer = self.decide(session, parse_form(answer.text), "allow")
        assert answer.status_code == 302, answer.text
        return query_of(answer.headers["Location"])["code"][0]

    def token(self, data: dict[str, str], auth: Any = BASIC, **kwargs: Any) -> requests.Response:
        timeout = kwargs.pop("timeout", T)
        return requests.post(f"{self.url}/oauth/token", data=data, auth=auth, timeout=timeout, **kwargs)

    def exchange(self, code: str, **kwargs: Any) -> requests.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        return self.token(data, **kwargs)

    def login(self) -> dict[str, Any]:
        answer = self.exchange(self.code())
        assert answer.status_code == 200, answer.text
        payload: dict[str, Any] = answer.json()
        return payload

    def refresh(self, refresh_token: str, **kwargs: Any) -> requests.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token}, **kwargs)

    def revoke(self, token: str, hint: str | None = None, auth: Any = BASIC) -> requests.Response:
        data = {"token": token} | ({"token_type_hint": hint} if hint else {})
        return requests.post(f"{self.url}/oauth/revoke", data=data, auth=auth, timeout=T)

    def api(
        self, method: str, path: str, token: str | None = None, session: Any = requests, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", T)
        return session.request(method, f"{self.url}{path}", headers=headers, **kwargs)

    def me(self, token: str) -> requests.Response:
        return self.api("GET", "/api/v1/users/me", token)


# 401 and 403 as Pipedrive's gateway sends them: errorCode, and no data fields.
UNAUTHORIZED = {
    "success": False,
    "error": "unauthorized access",
    "errorCode": 401,
    "error_info": "Please check developers.pipedrive.com",
}
SCOPE_MISMATCH = {
    "success": False,
    "error": "Scope and URL mismatch",
    "errorCode": 403,
    "error_info": "Please check developers.pipedrive.com",
}


def envelope(error: str) -> dict[str, Any]:
    """Pipedrive's application error body (400, 404, 405, 410, 429)."""
    return {
        "success": False,
        "error": error,
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }


ACCESS_TOKEN_RE = re.compile(r"^v1u:[A-Za-z0-9_\-]{400,}$")
REFRESH_TOKEN_RE = re.compile(r"^\d+:\d+:[0-9a-f]{20,}$")
CODE_RE = re.compile(r"^\d+\.\d+\.[0-9a-f]{20,}$")
