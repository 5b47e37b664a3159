"""The Python of tools/, tests/ and hypervisor/vmx/vmx_data.py is held to one standard:
mypy in strict mode and ruff, both configured in pyproject.toml and pinned in
tools/requirements.txt. A missing checker fails the test: it must not pass by skipping."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE_DIR = Path(__file__).resolve().parents[2]
# The probe files of test_the_checkers_see_the_files_they_must, which the other two
# tests leave out, so that they pass even while it runs beside them (pytest-xdist).
PROBE_PREFIX = "zz_python_standard_probe_"


def run_checker(module: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed in {sys.prefix}: pip install -r tools/requirements.txt")
    return subprocess.run([sys.executable, "-m", module, *arguments], cwd=SOURCE_DIR,
                          capture_output=True, text=True, timeout=600)


def test_mypy_strict_finds_nothing() -> None:
    # The files to check come from pyproject.toml, so that a person running `mypy` checks the same.
    result = run_checker("mypy", "--exclude", PROBE_PREFIX)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing() -> None:
    result = run_checker("ruff", "check", "--no-fix", "--output-format", "concise",
                         "--extend-exclude", PROBE_PREFIX + "*")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checkers_see_the_files_they_must() -> None:
    """Guards the configuration: a file with a type error and an unused import in each
    checked folder is found, so that a narrowed `files` or `include` cannot go unnoticed."""
    folders = ("tools", "tools/matryoshka", "tools/bench", "tools/gdb", "tests/system", "tests/tools")
    # One name per folder: mypy refuses two top-level modules of one name.
    probes = [SOURCE_DIR / folder / f"{PROBE_PREFIX}{folder.replace('/', '_')}.py" for folder in folders]
    try:
        for probe in probes:
            probe.write_text('import os\n\n\ndef broken() -> int:\n    return "text"\n')
        typed = run_checker("mypy", "--cache-dir", ".mypy_cache/probes")
        linted = run_checker("ruff", "check", "--no-fix", "--output-format", "concise")
    finally:
        for probe in probes:
            probe.unlink(missing_ok=True)
    for probe in probes:
        name = str(probe.relative_to(SOURCE_DIR))
        assert f"{name}:5: error: Incompatible return value type" in typed.stdout, typed.stdout
        assert f"{name}:1:8: F401" in linted.stdout, linted.stdout
