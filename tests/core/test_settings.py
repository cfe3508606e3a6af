from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pdauth.core import settings as cfg
from pdauth.errors import ConfigError


def test_precedence_option_env_file_default(tmp_path: Path) -> None:
    config = cfg.ConfigFile(path=tmp_path / "config.json")
    config.profiles["work"] = cfg.Profile(name="work", redirect_uri="http://127.0.0.1:1/file", store="file")
    config.default_profile = "work"

    s = cfg.resolve({}, config)
    assert (s.profile, s.redirect_uri, s.store_kind) == ("work", "http://127.0.0.1:1/file", "file")
    assert s.oauth_url == cfg.DEFAULT_OAUTH_URL

    env = {"PDAUTH_REDIRECT_URI": "http://127.0.0.1:2/env", "PDAUTH_STORE": "keyring"}
    s = cfg.resolve(env, config)
    assert (s.redirect_uri, s.store_kind) == ("http://127.0.0.1:2/env", "keyring")

    s = cfg.resolve(env, config, redirect_uri="http://127.0.0.1:3/opt", store="file")
    assert (s.redirect_uri, s.store_kind) == ("http://127.0.0.1:3/opt", "file")

    assert cfg.resolve({"PDAUTH_PROFILE": "ci"}, config).profile == "ci"
    assert cfg.resolve({"PDAUTH_PROFILE": "ci"}, config, profile="cli").profile == "cli"
    assert cfg.resolve({}, cfg.ConfigFile(path=tmp_path / "x")).redirect_uri == cfg.DEFAULT_REDIRECT_URI


@pytest.mark.parametrize("bad", ["../etc", "a b", "x/y"])
def test_profile_names_are_checked(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError):
        cfg.resolve({}, cfg.ConfigFile(path=tmp_path / "c.json"), profile=bad)


def test_unknown_store_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        cfg.resolve({}, cfg.ConfigFile(path=tmp_path / "c.json"), store="s3")
    assert err.value.exit_code == 2


def test_save_is_private_and_round_trips(tmp_path: Path) -> None:
    directory = tmp_path / "cfg"
    with cfg.editing(directory) as config:
        config.profiles["p"] = cfg.Profile(
            name="p", client_id="cid", identity=cfg.Identity(1, "Ann", "a@x", 2, "Acme"), scopes=["base"]
        )
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "config.json").stat().st_mode) == 0o600
    loaded = cfg.ConfigFile.load(directory).profile("p")
    assert loaded.identity == cfg.Identity(1, "Ann", "a@x", 2, "Acme")
    assert loaded.client_id == "cid"


def test_corrupt_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{nope")
    with pytest.raises(ConfigError, match="Cannot read"):
        cfg.ConfigFile.load(tmp_path)


# The default config dir on Linux follows the XDG rule without importing platformdirs (pdauth.hotpath.paths);
# platformdirs is the reference it must agree with.
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="pdauth applies the XDG rule itself on Linux only"
)


@linux_only
@pytest.mark.parametrize(
    "xdg",
    [None, "", " ", "relative/config", "/abs/config", "/abs/config/"],
    ids=["unset", "empty", "blank", "relative", "absolute", "trailing-slash"],
)
@pytest.mark.parametrize("home", [None, "", "relative-home", "/", "/home/someone", "/home/someone/"])
def test_the_default_config_dir_is_where_platformdirs_puts_it(
    monkeypatch: pytest.MonkeyPatch, xdg: str | None, home: str | None
) -> None:
    import platformdirs

    from pdauth.hotpath import paths as locate

    monkeypatch.delenv("PDAUTH_CONFIG_DIR", raising=False)
    for name, value in (("XDG_CONFIG_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert locate.config_dir(os.environ) == platformdirs.user_config_dir("pdauth", appauthor=False)


@linux_only
def test_finding_the_default_config_dir_does_not_import_platformdirs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PDAUTH_CONFIG_DIR"}
    env["HOME"] = str(tmp_path)
    probe = "import os, sys; from pdauth.hotpath import paths; print(paths.config_dir(os.environ)); "
    probe += "print('platformdirs' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    where, imported = out.stdout.split()
    assert (Path(where), imported) == (Path(env["XDG_CONFIG_HOME"]) / "pdauth", "False")
