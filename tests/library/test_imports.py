"""What importing the library costs: `import pdauth` stays as cheap as `pdauth token`'s fast path needs,
and `pdauth.Session` loads the library, the call layer and the core, never the CLI (typer, rich)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pdauth

pytestmark = pytest.mark.timeout(60)

PACKAGE = Path(pdauth.__file__).parent
UI = {"typer", "rich", "click", "pydantic", "shellingham"}
# Everything `pdauth.Session` loads of pdauth: a new import here is a decision, made by changing this set.
SESSION_MODULES = {
    "pdauth",
    "pdauth.envvars",
    "pdauth.errors",
    "pdauth.version",
    "pdauth.call",
    "pdauth.call.hints",
    "pdauth.call.pagination",
    "pdauth.call.retry",
    "pdauth.call.spec",
    "pdauth.call.transport",
    "pdauth.core",
    "pdauth.core.context",
    "pdauth.core.http",
    "pdauth.core.identity",
    "pdauth.core.network",
    "pdauth.core.oauth",
    "pdauth.core.redact",
    "pdauth.core.refresh",
    "pdauth.core.settings",
    "pdauth.core.sources",
    "pdauth.core.tokens",
    "pdauth.core.vault",
    "pdauth.hotpath",
    "pdauth.hotpath.files",
    "pdauth.hotpath.handoff",
    "pdauth.hotpath.json_read",
    "pdauth.hotpath.limits",
    "pdauth.hotpath.paths",
    "pdauth.hotpath.trust",  # paths reads the config only after checking whose it is
    "pdauth.library",
    "pdauth.library.context",
    "pdauth.library.credentials",
    "pdauth.library.emulated",
    "pdauth.library.errors",
    "pdauth.library.report",
    "pdauth.library.sending",
    "pdauth.library.session",
    "pdauth.library.tokens",
    "pdauth.library.urls",
    "pdauth.store",
}


def loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(','.join(sorted(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.strip().split(","))


def test_import_pdauth_alone_loads_nothing_but_its_version() -> None:
    loaded = loaded_after("import pdauth")
    assert {m for m in loaded if m.startswith("pdauth")} == {"pdauth", "pdauth.version"}
    assert not loaded & {"typing", "dataclasses", "json", "re", "logging", "enum", "requests", *UI}


def test_pdauth_session_loads_the_library_and_never_the_cli() -> None:
    loaded = loaded_after("import pdauth\npdauth.Session\npdauth.token\npdauth.PipedriveHTTPError")
    assert {m for m in loaded if m.startswith("pdauth")} == SESSION_MODULES
    assert not {m.split(".")[0] for m in loaded} & {*UI, "keyring"}  # keyring only once a store is read


def test_every_exported_name_resolves_and_a_typo_does_not() -> None:
    for name in pdauth.__all__:
        assert getattr(pdauth, name) is not None
        assert name in dir(pdauth)
    assert issubclass(pdauth.PipedriveHTTPError, pdauth.ApiHttpError)
    assert pdauth.ForeignHostRefused.__module__ == "pdauth.errors"
    with pytest.raises(AttributeError, match="no attribute 'Sesion'"):
        pdauth.Sesion  # type: ignore[attr-defined]  # noqa: B018
    from pdauth import Session, envvars  # a name, and a submodule as the fast path imports one

    assert Session is pdauth.Session and envvars.ENV_PROFILE == "PDAUTH_PROFILE"


def test_the_package_says_it_is_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()
