"""The contract suite: Pipedrive's official Node SDK drives the emulator over real sockets and the SDK's
own model files judge every response (contract.js, models.js; the rule is in docs/emulator.md).

Needs node and `npm ci --prefix tests/sdk_contract` (.ci/run does it). Locally it skips with a reason
when either is missing; with CI set it fails instead.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from pdauth.emulator import Emulator, EmulatorConfig
from tests.support.realtools import unavailable

HERE = Path(__file__).resolve().parent
SDK_VERSIONS = {"pipedrive": "33.7.0", "pipedrive31": "31.2.1"}
CUSTOM_FIELDS = (
    "deal:Budget:monetary",
    "deal:Source:enum:Web|Event",
    "person:Shoe size:double",
    "organization:Tier:varchar",
    "product:Weight:double",
)
ENTITIES = ("Deal", "Person", "Organization", "Activity", "Product", "Pipeline", "Stage")
SCENARIOS = [
    "oauth.authorization_url", "oauth.authorize", "oauth.refresh",
    "v2.dealFields", "v2.dealFields.add_delete", "v2.getPersonFields", "v2.getOrganizationFields",
    "v2.getProductFields",
    *(f"v2.{e}.{step}" for e in ENTITIES for step in ("list", "add", "get", "update", "search", "delete")
      if step != "search" or e in ("Deal", "Person", "Organization", "Product")),
    "v2.itemSearch", "v2.errors.validation_400", "v2.errors.unauthorized_401", "v2.deal.custom_field_enum",
    "v1.users", "v1.currencies", "v1.activityTypes", "v1.notes", "v1.leads",
    "v1.deals.list", "v1.deals.crud", "v1.deals.not_found_404", "v1.webhooks",
    "oauth.revoke_access_token", "oauth.revoke_refresh_token",
]  # fmt: skip
# Model fields the emulator never sends, and why.
NEVER_SENT = {
    "ActivityItem": {"project_id": "the emulated company has no projects (Projects API not served)"}
}

pytestmark = pytest.mark.timeout(300)


def require_sdk() -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed (apt: nodejs)")
    for package, version in SDK_VERSIONS.items():
        manifest = HERE / "node_modules" / package / "package.json"
        if not manifest.is_file():
            unavailable(
                f"the Node SDK is not installed: run `npm ci --prefix {HERE.relative_to(HERE.parents[1])}`"
            )
        found = json.loads(manifest.read_text(encoding="utf-8"))["version"]
        if found != version:
            unavailable(f"node_modules has {package} {found}, package.json pins {version}: run npm ci again")
    return node


def run_node(node: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([node, *args], cwd=HERE, capture_output=True, text=True, timeout=240, check=False)


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The contract run's report, made once per test session even under pytest-xdist: the first worker
    to get here runs node (about 20 s of CPU) and leaves the report for the others (xdist's recipe)."""
    node = require_sdk()
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # one process: nobody to share with
        return run_contract(node)
    shared = tmp_path_factory.getbasetemp().parent / "sdk_contract_report.json"
    with FileLock(str(shared) + ".lock"):
        if not shared.is_file():
            shared.write_text(json.dumps(run_contract(node)), encoding="utf-8")
        result: dict[str, Any] = json.loads(shared.read_text(encoding="utf-8"))
    return result


def run_contract(node: str) -> dict[str, Any]:
    config = EmulatorConfig(
        auto_approve=True,
        deals=60,
        custom_fields=CUSTOM_FIELDS,
        # The suite makes a few hundred calls in seconds: lift the burst limits, keep everything else.
        burst_limit=100_000,
        search_burst_limit=100_000,
        log_stream=io.StringIO(),
    )
    with Emulator(config) as emu:
        settings = {
            "url": emu.base_url,
            "clientId": config.client_id,
            "clientSecret": config.client_secret,
            "redirectUri": config.redirect_uri,
        }
        done = run_node(node, "contract.js", json.dumps(settings))
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_matches_the_sdk_models(report: dict[str, Any], name: str) -> None:
    found = [s for s in report["scenarios"] if s["name"] == name]
    assert len(found) == 1, f"scenario {name} did not run"
    assert found[0]["problems"] == []


def test_every_scenario_is_accounted_for(report: dict[str, Any]) -> None:
    assert [s["name"] for s in report["scenarios"]] == SCENARIOS


def test_every_field_of_the_v2_entity_models_is_sent(report: dict[str, Any]) -> None:
    # Rule 4: a field the SDK declares is sent at least once across the run, unless listed as never sent.
    assert len(report["coverage"]) == len(ENTITIES)
    gaps = {
        model: set(missing) - set(NEVER_SENT.get(model, {})) for model, missing in report["coverage"].items()
    }
    assert {model: missing for model, missing in gaps.items() if missing} == {}


def test_every_allowance_is_still_needed(report: dict[str, Any]) -> None:
    # An allowance nothing relies on any more is a relaxation to delete, not to keep.
    assert {name for name, a in report["allowances"].items() if a["used"] == 0} == set()


def test_the_validator_rejects_wrong_shapes() -> None:
    node = require_sdk()
    done = run_node(node, "selftest.js")
    result = json.loads(done.stdout)
    assert [r["name"] for r in result["results"] if not r["ok"]] == [] and done.returncode == 0
    assert sum(1 for r in result["results"] if r["expected"] == "problems") >= 10
