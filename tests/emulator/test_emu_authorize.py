"""GET /oauth/authorize and the consent form: validation, CSRF, auto modes, redirects, escaping."""

from __future__ import annotations

import pytest
import requests

from .helpers import CLIENT_ID, CODE_RE, REDIRECT_URI, T, parse_form, query_of

pytestmark = pytest.mark.timeout(20)


def test_consent_page_shows_app_scopes_and_a_scriptable_form(drv, emu):
    with requests.Session() as session:
        page, form = drv.consent(session)
    assert page.headers["Content-Type"].startswith("text/html")
    assert emu.config.app_name in page.text
    assert "Allow and install" in page.text and "Cancel" in page.text
    for scope in ("base", "deals:full"):
        assert scope in page.text
    assert form.method == "post" and form.action == "/oauth/authorize/decision"
    assert set(form.hidden) == {"request_id", "csrf_token"}
    assert sorted(form.buttons) == [("decision", "allow"), ("decision", "cancel")]


def test_consent_page_cannot_be_framed_and_sets_a_strict_httponly_cookie(drv):
    with requests.Session() as session:
        page, form = drv.consent(session)
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # the cookie carries the same token as the form
    assert f"={form.hidden['csrf_token']};" in cookie


def test_allow_redirects_with_code_and_the_same_state(drv):
    state = "a b&c=d/é?"  # must come back byte for byte
    with requests.Session() as session:
        _, form = drv.consent(session, state=state)
        answer = drv.decide(session, form, "allow")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = query_of(location)
    assert set(params) == {"code", "state"}
    assert params["state"] == [state]
    assert CODE_RE.match(params["code"][0])


def test_cancel_redirects_with_user_denied_and_state_and_no_code(drv):
    with requests.Session() as session:
        _, form = drv.consent(session, state="xyz")
        answer = drv.decide(session, form, "cancel")
    assert answer.status_code == 302
    assert query_of(answer.headers["Location"]) == {"error": ["user_denied"], "state": ["xyz"]}


def test_no_state_means_no_state_in_the_redirect(drv):
    with requests.Session() as session:
        page = session.get(
            f"{drv.url}/oauth/authorize",
            params={"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI},
            timeout=T,
        )
        answer = drv.decide(session, parse_form(page.text), "allow")
    assert set(query_of(answer.headers["Location"])) == {"code"}


def test_decision_without_the_cookie_is_refused_and_the_request_survives(drv):
    with requests.Session() as session:
        _, form = drv.consent(session)
        forged = requests.post(  # another site's form: same fields, but no cookie
            f"{drv.url}/oauth/authorize/decision",
            data={**form.hidden, "decision": "allow"},
            allow_redirects=False,
            timeout=T,
        )
        assert forged.status_code == 403
        assert "Location" not in forged.headers
        # the refusal did not burn the user's own pending request
        assert drv.decide(session, form, "allow").status_code == 302


def test_decision_with_a_wrong_csrf_token_is_refused(drv):
    with requests.Session() as session:
        _, form = drv.consent(session)
        form.hidden["csrf_token"] = form.hidden["csrf_token"][::-1] + "-forged"
        answer = drv.decide(session, form, "allow")
    assert answer.status_code == 403
    assert "Location" not in answer.headers


def test_a_cookie_from_another_consent_page_does_not_unlock_this_one(drv):
    with requests.Session() as attacker, requests.Session() as victim:
        _, attacker_form = drv.consent(attacker)
        _, victim_form = drv.consent(victim)
        mixed = dict(victim_form.hidden, csrf_token=attacker_form.hidden["csrf_token"])
        victim_form.hidden = mixed
        assert drv.decide(victim, victim_form, "allow").status_code == 403


def test_a_decision_is_one_time(drv):
    with requests.Session() as session:
        _, form = drv.consent(session)
        assert drv.decide(session, form, "allow").status_code == 302
        replay = drv.decide(session, form, "allow")
    assert replay.status_code == 400
    assert "Location" not in replay.headers


def test_two_consent_pages_in_one_browser_both_work(drv):
    with requests.Session() as session:
        _, first = drv.consent(session, state="one")
        _, second = drv.consent(session, state="two")
        b = drv.decide(session, second, "allow")
        a = drv.decide(session, first, "cancel")
    assert query_of(b.headers["Location"])["state"] == ["two"]
    assert query_of(a.headers["Location"]) == {"error": ["user_denied"], "state": ["one"]}


def test_consent_page_expires(drv, emu):
    with requests.Session() as session:
        _, form = drv.consent(session)
        emu.advance_clock(601)
        assert drv.decide(session, form, "allow").status_code == 400


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"decision": "maybe"}, 400),
        ({"request_id": "nope", "csrf_token": "nope", "decision": "allow"}, 400),
        ({}, 400),
    ],
)
def test_bad_decision_forms_are_refused(drv, data, status):
    answer = requests.post(f"{drv.url}/oauth/authorize/decision", data=data, allow_redirects=False, timeout=T)
    assert answer.status_code == status
    assert "Location" not in answer.headers


def test_decision_must_be_a_post(drv):
    answer = requests.get(f"{drv.url}/oauth/authorize/decision", timeout=T)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "someone-else", "redirect_uri": REDIRECT_URI},
        {"redirect_uri": REDIRECT_URI},
        {"client_id": CLIENT_ID},
        {"client_id": CLIENT_ID, "redirect_uri": "http://127.0.0.1:8977/callback"},
        {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI + "/"},
        {"client_id": CLIENT_ID, "redirect_uri": "http://localhost:8976/callback"},
        {"client_id": CLIENT_ID, "redirect_uri": "https://evil.example/callback"},
    ],
    ids=["unknown-client", "no-client", "no-redirect", "other-port", "trailing-slash", "localhost", "evil"],
)
def test_unverified_client_or_redirect_gets_an_error_page_never_a_redirect(drv, params):
    answer = requests.get(
        f"{drv.url}/oauth/authorize", params={**params, "state": "s"}, allow_redirects=False, timeout=T
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_repeated_parameter_is_an_error_page(drv):
    query = f"client_id={CLIENT_ID}&client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}"
    answer = requests.get(f"{drv.url}/oauth/authorize?{query}", allow_redirects=False, timeout=T)
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_unknown_parameters_are_ignored_and_response_type_code_is_fine(drv):
    with requests.Session() as session:
        page, form = drv.consent(session, scope="mail:full", foo="bar", response_type="code")
    assert "mail:full" not in page.text
    assert set(form.hidden) == {"request_id", "csrf_token"}


def test_other_response_type_is_redirected_as_unsupported(drv):
    answer = requests.get(
        f"{drv.url}/oauth/authorize",
        params=drv.authorize_params(response_type="token", state="s1"),
        allow_redirects=False,
        timeout=T,
    )
    assert answer.status_code == 302
    assert query_of(answer.headers["Location"]) == {"error": ["unsupported_response_type"], "state": ["s1"]}


def test_authorize_must_be_a_get(drv):
    answer = requests.post(f"{drv.url}/oauth/authorize", data=drv.authorize_params(), timeout=T)
    assert answer.status_code == 405


def test_auto_approve_skips_the_page(make_emulator, driver_for):
    drv = driver_for(make_emulator(auto_approve=True))
    answer = requests.get(
        f"{drv.url}/oauth/authorize",
        params=drv.authorize_params(state="s9"),
        allow_redirects=False,
        timeout=T,
    )
    assert answer.status_code == 302
    params = query_of(answer.headers["Location"])
    assert params["state"] == ["s9"] and CODE_RE.match(params["code"][0])
    assert drv.exchange(params["code"][0]).status_code == 200


def test_auto_deny_skips_the_page(make_emulator, driver_for):
    drv = driver_for(make_emulator(auto_deny=True))
    answer = requests.get(
        f"{drv.url}/oauth/authorize",
        params=drv.authorize_params(state="s9"),
        allow_redirects=False,
        timeout=T,
    )
    assert answer.status_code == 302
    assert query_of(answer.headers["Location"]) == {"error": ["user_denied"], "state": ["s9"]}


def test_auto_approve_still_refuses_a_wrong_redirect_uri(make_emulator, driver_for):
    drv = driver_for(make_emulator(auto_approve=True))
    answer = requests.get(
        f"{drv.url}/oauth/authorize",
        params=drv.authorize_params(redirect_uri="http://127.0.0.1:1/x"),
        allow_redirects=False,
        timeout=T,
    )
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_everything_echoed_is_html_escaped(drv, emu):
    evil = "<script>alert(1)</script>"
    error_page = requests.get(
        f"{drv.url}/oauth/authorize", params={"client_id": evil, "redirect_uri": REDIRECT_URI}, timeout=T
    )
    assert evil not in error_page.text and "&lt;script&gt;" in error_page.text
    emu.set_identity(user_name="<b>Mallory</b>", company_name='"Evil" & Co')
    with requests.Session() as session:
        page, _ = drv.consent(session)
    assert "<b>Mallory</b>" not in page.text and "&lt;b&gt;Mallory&lt;/b&gt;" in page.text
    assert "&quot;Evil&quot; &amp; Co" in page.text


def test_redirect_uri_with_its_own_query_keeps_it(make_emulator, driver_for):
    uri = "http://127.0.0.1:8976/callback?profile=work"
    drv = driver_for(make_emulator(redirect_uri=uri, auto_approve=True))
    answer = requests.get(
        f"{drv.url}/oauth/authorize",
        params=drv.authorize_params(redirect_uri=uri),
        allow_redirects=False,
        timeout=T,
    )
    params = query_of(answer.headers["Location"])
    assert params["profile"] == ["work"] and "code" in params


def test_odd_cookies_of_other_local_apps_do_not_break_the_csrf_check(drv):
    # Cookies are shared by every port of 127.0.0.1, so the browser may send other apps' junk too.
    with requests.Session() as session:
        _, form = drv.consent(session)
        session.cookies.set("other_app", '{"a": 1, "b": [2, 3]}', path="/")
        session.cookies.set("spaced", "x y z", path="/")
        answer = drv.decide(session, form, "allow")
        assert "other_app=" in answer.request.headers["Cookie"]
    assert answer.status_code == 302
