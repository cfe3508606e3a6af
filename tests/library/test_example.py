"""examples/deals_to_csv.py, run as a user runs it, against the emulator; and mypy --strict on it, from
outside the checkout, so pdauth is found as an installed package (which needs its py.typed marker)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pdauth
from tests.conftest import CLI, REPO

EXAMPLE = REPO / "examples" / "deals_to_csv.py"
pytestmark = pytest.mark.timeout(180)


def run_example(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.emulator(deals=1234)
def test_the_example_writes_every_deal_with_a_stored_login(
    logged_in: CLI, emulator: Any, tmp_path: Path
) -> None:
    with pdauth.Session() as s:
        expected = list(s.paginate("/v2/deals"))
    r = run_example(logged_in.env, "deals.csv", cwd=tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == f"1234 deals of {emulator.base_url} written to deals.csv"
    written = rows(tmp_path / "out" / "deals.csv")
    assert [row["id"] for row in written] == [str(d["id"]) for d in expected]
    assert [row["title"] for row in written] == [d["title"] for d in expected]
    assert written[0]["value"] == str(expected[0]["value"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["deals.csv"]


@pytest.mark.emulator(deals=300)
def test_the_example_on_an_emulator_with_a_filter_to_stdout(emulator: Any, cli: CLI, tmp_path: Path) -> None:
    r = run_example(cli.env, "-", "--status", "won", "--emulator", emulator.base_url, cwd=tmp_path / "out")
    assert r.returncode == 0, r.stderr
    written = list(csv.DictReader(r.stdout.splitlines()))
    assert written and {row["status"] for row in written} == {"won"}
    with pdauth.Session(emulator=emulator.base_url, env=cli.env) as s:
        won = [d for d in s.paginate("/v2/deals", params={"status": "won"})]
    assert [row["id"] for row in written] == [str(d["id"]) for d in won]


def test_the_example_fails_with_the_cli_line_and_leaves_no_file(cli: CLI, tmp_path: Path) -> None:
    r = run_example(cli.env, "deals.csv", cwd=tmp_path / "out")
    assert r.returncode == 4
    assert r.stderr.strip() == "error: Profile 'default' is not logged in. Run `pdauth login`"
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.emulator(deals=1000)
def test_a_failure_mid_export_leaves_no_half_file(logged_in: CLI, emulator: Any, tmp_path: Path) -> None:
    emulator.inject_fault(endpoint="/api/v2/deals", status=None)  # the first page is served as it is,
    emulator.inject_fault(endpoint="/api/v2/deals", status=400, body='{"success":false,"error":"boom"}')
    r = run_example(logged_in.env, "deals.csv", cwd=tmp_path / "out")
    assert r.returncode == 1
    assert r.stderr.strip().startswith("error: GET /api/v2/deals: HTTP 400 boom.")
    assert emulator.stats()["api_responses"] == {"200": 1}  # ... and the second failed
    assert list((tmp_path / "out").iterdir()) == []


def test_mypy_strict_passes_on_the_example(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "deals_to_csv.py")
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy"), "deals_to_csv.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "Success: no issues found in 1 source file"
