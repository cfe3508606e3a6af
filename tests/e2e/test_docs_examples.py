"""Every console example in the README and docs/call.md runs against the emulator exactly as written.

Each ```console block is a transcript: `$ ` lines are commands (a trailing backslash continues one), the
lines after a command are its output (stdout and stderr together). A block that cannot run here (a real
Pipedrive account, an install from the network, a server that runs until stopped) says so in an HTML
comment right above it: `<!-- not run: why -->`. Everything else runs in one bash session per document,
in order, from the repository's root, with HOME in a temporary directory (so a login goes to a fresh
config dir) and a file keyring standing in for the OS keyring. Output shown is checked line by line:
`…` inside a line matches anything, a line that is only `…` matches any number of lines; a command shown
without output may print anything. Every command must succeed, unless the output shown has an `error:`
line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.realtools import REPO, STARTING_ENV

PROMPT = "$ "
SKIP = re.compile(r"<!--\s*not run:")


@dataclass
class Example:
    where: str  # file:line
    command: str
    output: list[str]


def examples(path: Path, *, heading: str | None = None) -> list[Example]:
    """The runnable examples of a markdown file (only those under `heading`, if given)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    section = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if line.strip() == "```console" and (heading is None or section == heading):
            previous = next((x for x in reversed(lines[:i]) if x.strip()), "")
            block_start = i
            i += 1
            block: list[tuple[int, str]] = []
            while lines[i].strip() != "```":
                block.append((i + 1, lines[i]))
                i += 1
            if not SKIP.search(previous):
                found += _transcript(f"{path.name}:{block_start + 1}", block)
        i += 1
    return found


def _transcript(where: str, block: list[tuple[int, str]]) -> list[Example]:
    result: list[Example] = []
    j = 0
    while j < len(block):
        number, text = block[j]
        assert text.startswith(PROMPT), f"{where}: line {number} is output before any command"
        command = text[len(PROMPT) :]
        while command.endswith("\\"):
            j += 1
            command = command[:-1] + "\n" + block[j][1]
        j += 1
        output = []
        while j < len(block) and not block[j][1].startswith(PROMPT):
            output.append(block[j][1])
            j += 1
        result.append(Example(f"{where.split(':')[0]}:{number}", command, output))
    return result


def matches(expected: list[str], actual: list[str]) -> bool:
    """`actual` against the transcript's `expected` lines, with `…` as the wildcard described above; a
    command shown without output may print anything."""
    return not expected or _match(expected, actual)


def _match(expected: list[str], actual: list[str]) -> bool:
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() == "…":
        return any(_match(rest, actual[k:]) for k in range(len(actual) + 1))
    if not actual:
        return False
    pattern = ".*".join(re.escape(part) for part in head.split("…"))
    return re.fullmatch(pattern, actual[0].rstrip()) is not None and _match(rest, actual[1:])


class Session:
    """One bash process per document: variables, the working directory and background jobs carry over."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=REPO,
            start_new_session=True,  # so the emulators it starts can be stopped with it
        )
        self.count = 0

    def run(self, command: str, timeout: float = 60) -> tuple[int, list[str]]:
        self.count += 1
        out = self.workdir / f"out.{self.count}"
        status = self.workdir / f"status.{self.count}"
        assert self.proc.stdin is not None
        # The command runs in this shell (so `export` and `&` last), its output captured; then its status.
        self.proc.stdin.write(
            f"{{ {command}\n}} > {out} 2>&1 < /dev/null; echo $? > {status}.tmp; mv {status}.tmp {status}\n"
        )
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while not status.exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"`{command}` did not finish within {timeout} s")
            time.sleep(0.02)
        return int(status.read_text()), out.read_text(encoding="utf-8", errors="replace").splitlines()

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


def new_session(tmp_path: Path) -> Session:
    """A reader's shell: their own HOME, the real keyring where this run has a private Secret Service (a
    file keyring otherwise), and a `make` that never reinstalls the venv `make test` is running from."""
    home = tmp_path / "home"
    home.mkdir(parents=True)
    drop = ("PDAUTH_", "PIPEDRIVE_", "PYTHON_KEYRING", "XDG_CONFIG", "PYTEST_")
    env = {k: v for k, v in STARTING_ENV.items() if not k.startswith(drop) and k != "BROWSER"}
    env.update(HOME=str(home), NO_COLOR="1")
    if STARTING_ENV.get("PDAUTH_SECRET_SERVICE") == "1":
        env["PDAUTH_SECRET_SERVICE"] = "1"
    else:
        env.update(
            PYTHON_KEYRING_BACKEND="tests.support.keyrings.JsonFileKeyring",
            PDAUTH_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
            PYTHONPATH=str(REPO),
        )
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "make").write_text(f'#!/bin/sh\nexec {shutil.which("make")} -o .venv/.installed "$@"\n')
    (shim / "make").chmod(0o755)
    env["PATH"] = f"{shim}{os.pathsep}{env.get('PATH', '')}"
    return Session(env, tmp_path)


def run_all(session: Session, found: list[Example]) -> None:
    assert found, "no examples found"
    for example in found:
        code, actual = session.run(example.command)
        expects_error = any(line.startswith("error:") for line in example.output)
        shown = "\n".join(actual)
        assert (code != 0) == expects_error, f"{example.where}: `{example.command}` exited {code}:\n{shown}"
        assert matches(example.output, actual), (
            f"{example.where}: `{example.command}` printed\n{shown}\ninstead of\n" + "\n".join(example.output)
        )


README = REPO / "README.md"
TRY_OFFLINE = "Try it offline, in a minute"


# One test for both documents: each starts the emulator on the README's fixed ports, so they run in turn.
@pytest.mark.timeout(600)
def test_the_readme_and_call_docs_run_as_written(tmp_path: Path) -> None:
    readme = new_session(tmp_path / "readme")
    try:
        run_all(readme, examples(README))
    finally:
        readme.close()
    # The emulator got a profile of its own: nothing of it is remembered for the real `default` one.
    config = tmp_path / "readme" / "home" / ".config" / "pdauth" / "config.json"
    assert config.exists() and '"default"' not in config.read_text()
    # docs/call.md starts where the README's "Try it offline" leaves a reader: a fresh emulator, logged in.
    call_docs = new_session(tmp_path / "call")
    try:
        run_all(call_docs, examples(README, heading=TRY_OFFLINE))
        run_all(call_docs, examples(REPO / "docs" / "call.md"))
    finally:
        call_docs.close()


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (["a", "b"], ["a", "b"], True),
        (["a", "b"], ["a", "c"], False),
        (["a…z"], ["abcz"], True),
        (["…", "last"], ["x", "y", "last"], True),
        (["first", "…"], ["first"], True),
        (["a"], ["a", "extra"], False),
        ([], ["anything"], True),
    ],
)
def test_the_transcript_matcher(expected: list[str], actual: list[str], ok: bool) -> None:
    assert matches(expected, actual) is ok
