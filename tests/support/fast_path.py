"""What a fast `pdauth token` may load: the front door, the hot path, the leaves every layer may use."""

from __future__ import annotations

# Runs `pdauth token ARGS` through the fast front door and reports every module it loaded (on stderr).
LOADED_PROBE = """
import sys
from pdauth.cli.fast_token import fast_token
code = fast_token(sys.argv[1:])
print('LOADED=' + ','.join(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""
FAST_PATH_MODULES = {
    "pdauth",
    "pdauth.version",
    "pdauth.envvars",
    "pdauth.entry",
    "pdauth.cli",
    "pdauth.cli.fast_token",
    "pdauth.cli.token_output",
}
# What the core and friends pull in, and a fast path must not (docs/performance.md has their costs).
HEAVY_STDLIB = {"dataclasses", "logging", "pathlib", "typing", "enum", "re", "json", "subprocess", "inspect"}


def loaded_modules(stderr: str) -> set[str]:
    return set(stderr.strip().splitlines()[-1].removeprefix("LOADED=").split(","))


def fast_path_extras(loaded: set[str]) -> list[str]:
    """What a fast `pdauth token` loaded beyond the hot path: pdauth modules, and the stdlib's heavy ones."""
    ours = {m for m in loaded if m.startswith("pdauth")}
    extra = {m for m in ours if m not in FAST_PATH_MODULES and not m.startswith("pdauth.hotpath")}
    return sorted(extra | (loaded & HEAVY_STDLIB))
