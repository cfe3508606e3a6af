"""Whose files pdauth trusts (pdauth.hotpath.trust), as users meet it: the real CLI on real files.

A logged-in profile whose access token has expired, so any command that went on would refresh; then one
thing about the config dir is made wrong. Every command must refuse in one line naming the path and the
problem, exit 2, with no request to the OAuth server and the stored tokens byte-for-byte unchanged.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pdauth.errors import ExitCode, UntrustedPath
from tests.conftest import CLI
from tests.support.harness import QUIET_BROWSER, expire_stored, keyring_file
from tests.support.second_user import throwaway_user


@pytest.fixture(scope="module")
def other() -> Iterator[pwd.struct_passwd]:
    with throwaway_user() as user:
        yield user


@pytest.fixture
def victim(cli: CLI, tmp_path: Path) -> CLI:
    """The real CLI with its config dir two levels below tmp_path (so there are ancestors to spoil)."""
    config = tmp_path / "home" / "cfg"
    env = {**cli.env, "PDAUTH_CONFIG_DIR": str(config), "BROWSER": str(QUIET_BROWSER)}
    me = CLI(env)
    r = me("login")
    assert r.returncode == 0, r.stderr
    r = me("-p", "vault", "login", "--store", "file", PDAUTH_PASSPHRASE="correct horse")
    assert r.returncode == 0, r.stderr
    r = me("refresh")  # makes locks/
    assert r.returncode == 0, r.stderr
    expire_stored(env)
    return me


def config_of(cli: CLI) -> Path:
    return Path(cli.env["PDAUTH_CONFIG_DIR"])


def give(other: pwd.struct_passwd, name: str) -> Callable[[Path], Path]:
    def spoil(config: Path) -> Path:
        target = config / name if name else config
        os.lchown(target, other.pw_uid, other.pw_gid)
        return target

    return spoil


def chmod(name: str, mode: int) -> Callable[[Path], Path]:
    def spoil(config: Path) -> Path:
        target = (config / name).resolve() if name else config
        os.chmod(target, mode)
        return target

    return spoil


def linked_config_json(config: Path) -> Path:
    real = config.parent / "elsewhere.json"
    shutil.copy(config / "config.json", real)
    os.chmod(real, 0o600)
    (config / "config.json").unlink()
    (config / "config.json").symlink_to(real)
    return config / "config.json"


SPOILERS: dict[str, Callable[[pwd.struct_passwd], Callable[[Path], Path]]] = {
    "config.json another user's": lambda o: give(o, "config.json"),
    "config.json group-writable": lambda o: chmod("config.json", 0o620),
    "config.json world-writable": lambda o: chmod("config.json", 0o666),
    "config.json a symbolic link": lambda o: linked_config_json,
    "config dir another user's": lambda o: give(o, ""),
    "config dir world-writable": lambda o: chmod("", 0o777),
    "config dir group-writable, sticky": lambda o: chmod("", 0o1770),
    "tokens.enc another user's": lambda o: give(o, "tokens.enc"),
    "tokens.enc world-writable": lambda o: chmod("tokens.enc", 0o606),
    "locks another user's": lambda o: give(o, "locks"),
    "locks world-writable": lambda o: chmod("locks", 0o777),
    "parent world-writable": lambda o: chmod("..", 0o777),
    "parent group-writable": lambda o: chmod("..", 0o770),
    "parent another user's": lambda o: give(o, ".."),
}

COMMANDS = [["token"], ["-p", "vault", "token"], ["-v", "token"], ["status"], ["refresh"], ["login"]]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("spoiler", list(SPOILERS))
def test_every_command_refuses_a_config_dir_that_is_not_the_users_own(
    victim: CLI, other: pwd.struct_passwd, emulator: Any, spoiler: str
) -> None:
    config = config_of(victim)
    keyring_before = keyring_file(victim.env).read_bytes()
    tokens_before = (config / "tokens.enc").read_bytes()
    config_before = (config / "config.json").read_bytes()
    culprit = os.path.normpath(SPOILERS[spoiler](other)(config))
    emulator.reset_stats()
    for command in COMMANDS:
        r = victim(*command, PDAUTH_PASSPHRASE="correct horse")
        assert r.returncode == int(ExitCode.USAGE), (command, r.stdout, r.stderr)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and r.stdout == "", (command, r.stdout, r.stderr)
        assert lines[0].startswith(f"error: Refusing to use {culprit}: it is "), (command, lines[0])
    assert emulator.stats()["token_requests"] == 0
    assert keyring_file(victim.env).read_bytes() == keyring_before
    assert (config / "tokens.enc").read_bytes() == tokens_before
    assert (config / "config.json").read_bytes() == config_before


@pytest.mark.parametrize(
    ("spoiler", "words"),
    [
        ("config.json another user's", "it is owned by pdt"),
        ("config.json world-writable", "it is writable by its group and others (mode 0666). Run `chmod 600 "),
        ("config.json a symbolic link", "it is a symbolic link. Replace the link with the file itself"),
        ("parent group-writable", "it is writable by its group (mode 0770). Run `chmod go-w "),
        ("locks world-writable", "it is writable by its group and others (mode 0777). Run `chmod go-w "),
    ],
)
def test_the_line_says_what_is_wrong_and_how_to_fix_it(
    victim: CLI, other: pwd.struct_passwd, spoiler: str, words: str
) -> None:
    SPOILERS[spoiler](other)(config_of(victim))
    r = victim("token")
    assert r.returncode == int(ExitCode.USAGE) and words in r.stderr, r.stderr


def test_a_sticky_world_writable_ancestor_owned_by_root_is_fine(victim: CLI) -> None:
    """/tmp is one (drwxrwxrwt root): the sticky bit keeps others from swapping what the user made there."""
    os.chmod(config_of(victim).parent, 0o1777)  # noqa: S103 - as /tmp is
    r = victim("token")
    assert r.returncode == 0, r.stderr


def test_a_sticky_ancestor_does_not_excuse_its_owner_being_another_user(
    victim: CLI, other: pwd.struct_passwd
) -> None:
    parent = config_of(victim).parent
    os.chmod(parent, 0o1777)  # noqa: S103 - a /tmp of someone else's
    os.lchown(parent, other.pw_uid, other.pw_gid)
    r = victim("token")
    assert r.returncode == int(ExitCode.USAGE) and f"Refusing to use {parent}: it is owned by" in r.stderr


def test_a_config_dir_that_is_a_link_to_the_users_own_dir_is_fine(victim: CLI, tmp_path: Path) -> None:
    """Dotfiles managers link ~/.config/pdauth elsewhere: the link is followed, and where it leads checked."""
    config = config_of(victim)
    link = tmp_path / "link"
    link.symlink_to(config)
    r = victim("token", PDAUTH_CONFIG_DIR=str(link))
    assert r.returncode == 0, r.stderr


def test_a_link_into_a_writable_directory_is_refused(victim: CLI, tmp_path: Path) -> None:
    config = config_of(victim)
    os.chmod(config.parent, 0o777)  # noqa: S103 - the mistake the link hides
    link = tmp_path / "link"
    link.symlink_to(config)
    r = victim("token", PDAUTH_CONFIG_DIR=str(link))
    assert r.returncode == int(ExitCode.USAGE), r.stderr
    assert f"Refusing to use {config.parent}: it is writable" in r.stderr


def test_a_missing_config_dir_is_fine_but_not_under_a_writable_one(
    cli: CLI, tmp_path: Path, emulator: Any
) -> None:
    """Nothing to read yet, but the directories it would be made in are checked before it is made."""
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)  # noqa: S103 - the mistake under test
    config = open_dir / "deeper" / "pdauth"
    for command in (["token"], ["status"], ["login"]):
        r = cli(*command, PDAUTH_CONFIG_DIR=str(config), BROWSER=str(QUIET_BROWSER))
        assert r.returncode == int(ExitCode.USAGE), (command, r.stderr)
        assert r.stderr.startswith(f"error: Refusing to use {open_dir}: it is writable"), r.stderr
    assert not (open_dir / "deeper").exists()
    assert emulator.stats()["token_requests"] == 0


def test_every_directory_pdauth_creates_is_owner_only_whatever_the_umask(cli: CLI, tmp_path: Path) -> None:
    """makedirs gave only the last directory 0700: under umask 000, ~/.config itself came out 0777."""
    xdg = tmp_path / "made" / "by" / "pdauth"  # a fresh XDG_CONFIG_HOME: none of it exists yet
    env = {k: v for k, v in cli.env.items() if k != "PDAUTH_CONFIG_DIR"}
    env.update(XDG_CONFIG_HOME=str(xdg), BROWSER=str(QUIET_BROWSER))
    for args in (["login"], ["refresh"]):
        command = ["sh", "-c", 'umask 000 && exec "$@"', "sh", sys.executable, "-m", "pdauth", *args]
        r = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    made = [tmp_path / "made", tmp_path / "made" / "by", xdg, xdg / "pdauth", xdg / "pdauth" / "locks"]
    modes = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in made}
    assert set(modes.values()) == {"0o700"}, modes


def test_the_library_refuses_too(victim: CLI, other: pwd.struct_passwd) -> None:
    import pdauth

    give(other, "config.json")(config_of(victim))
    env = {**victim.env}
    with pytest.raises(UntrustedPath) as caught:
        pdauth.token(env=env)
    assert caught.value.path == str(config_of(victim) / "config.json")


FAST_PATH_PROBE = """
import sys
from pdauth.cli.fast_token import fast_token
code = fast_token(sys.argv[1:])
print('CORE=' + ','.join(sorted(m for m in sys.modules if m.startswith(('pdauth.core', 'pdauth.store')))))
sys.exit(code)
"""


@pytest.mark.parametrize("noted", ["valid", "due"])
def test_the_token_fast_path_refuses_before_it_loads_the_core(
    victim: CLI, other: pwd.struct_passwd, noted: str
) -> None:
    """`pdauth token` reads a valid token (hotpath.valid_token) or joins a refresh (hotpath.crowd) before
    the core is loaded: the same check runs there, first."""
    config = config_of(victim)
    data = json.loads((config / "config.json").read_text())
    data["profiles"]["default"]["expires_at"] = time.time() + (3600 if noted == "valid" else -60)
    (config / "config.json").write_text(json.dumps(data))
    give(other, "config.json")(config)
    r = subprocess.run(
        [sys.executable, "-c", FAST_PATH_PROBE, "token"],
        env=victim.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == int(ExitCode.USAGE), r.stderr
    assert r.stdout == "CORE=\n", r.stdout
    assert r.stderr.startswith(f"error: Refusing to use {config / 'config.json'}: it is owned by"), r.stderr
