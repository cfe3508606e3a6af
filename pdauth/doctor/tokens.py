"""Doctor's token checks: each profile's expiry dates, and which token source a command would use and why."""

from __future__ import annotations

from pdauth import envvars
from pdauth.core import settings as cfg
from pdauth.core.context import Context
from pdauth.core.sources import SOURCE_ENV_ACCESS, SOURCE_ENV_REFRESH, env_source
from pdauth.doctor.check import Check
from pdauth.hotpath.times import iso_utc


def check_profiles(ctx: Context) -> list[Check]:
    """One row per profile: access-token expiry and refresh-token idle deadline (the 60-day limit)."""
    from pdauth.core.account import status

    now = ctx.now()
    rows = []
    for s in status(ctx, only_selected=False):
        name = f"profile {s.profile}"
        login = "pdauth login" + ("" if s.profile == cfg.DEFAULT_PROFILE else f" -p {s.profile}")
        if s.source in (SOURCE_ENV_ACCESS, SOURCE_ENV_REFRESH):
            rows.append(Check(name, True, f"tokens come from {s.source} (see token source)"))
            continue
        if s.identity is None and s.expires_at is None:
            rows.append(Check(name, False, s.problem or "not logged in", f"Run `{login}`"))
            continue
        if s.expires_at is None:
            access = "access token expiry unknown"
        elif s.expires_at > now:
            access = f"access token valid until {iso_utc(s.expires_at)}"
        else:
            access = f"access token expired {iso_utc(s.expires_at)} (refreshed on next use)"
        deadline = (
            f"refresh token idle deadline {iso_utc(s.refresh_deadline)}"
            if s.refresh_deadline
            else "refresh token idle deadline unknown"
        )
        detail = f"{access}; {deadline}" + (f"; {s.problem}" if s.problem else "")
        if s.refresh_deadline is not None and s.refresh_deadline <= now:
            rows.append(Check(name, False, detail + " (passed: Pipedrive will reject it)", f"Run `{login}`"))
        elif s.problem:
            rows.append(Check(name, False, detail, f"Run `{login}`"))
        else:
            rows.append(Check(name, True, detail))
    return rows


def check_token_source(ctx: Context) -> Check:
    """Which token a command would use and why: env vars win over the stored login, in a fixed order."""
    profile, why = ctx.profile_name, _profile_reason(ctx)
    source = env_source(ctx)
    if source == SOURCE_ENV_ACCESS:
        detail = (
            f"{envvars.ENV_ACCESS_TOKEN} is set: used as it is, ahead of {envvars.ENV_REFRESH_TOKEN} and the "
            f"stored login of profile {profile} ({why}); it cannot be refreshed"
        )
        if not ctx.env.get(envvars.ENV_API_DOMAIN):
            return Check(
                "token source",
                False,
                detail + f", and {envvars.ENV_API_DOMAIN} is missing",
                f"Set {envvars.ENV_API_DOMAIN} (e.g. https://yourcompany.pipedrive.com)",
            )
        return Check("token source", True, detail)
    if source == SOURCE_ENV_REFRESH:
        detail = (
            f"{envvars.ENV_REFRESH_TOKEN} is set: refreshed in memory on every call, ahead of the stored "
            f"login of profile {profile} ({why})"
        )
        missing = [n for n in (envvars.ENV_CLIENT_ID, envvars.ENV_CLIENT_SECRET) if not ctx.env.get(n)]
        if missing:
            return Check(
                "token source",
                False,
                detail + f", but {' and '.join(missing)} missing",
                f"Set {' and '.join(missing)} next to {envvars.ENV_REFRESH_TOKEN}",
            )
        return Check("token source", True, detail)
    return Check(
        "token source",
        True,
        f"the stored login of profile {profile} ({why}); no {envvars.ENV_ACCESS_TOKEN} or "
        f"{envvars.ENV_REFRESH_TOKEN} in the environment",
    )


def _profile_reason(ctx: Context) -> str:
    if ctx.deps.profile:
        return "chosen with --profile"
    if ctx.env.get(envvars.ENV_PROFILE):
        return f"chosen by {envvars.ENV_PROFILE}"
    if ctx.config.default_profile:
        return "the default set with `pdauth switch`"
    return "the built-in default"
