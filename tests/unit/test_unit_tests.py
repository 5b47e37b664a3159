"""Runs the C++ unit tests of the kernel's pure logic (compiled for the build
machine by the unit_tests target), one pytest result per C++ test."""
from __future__ import annotations

import os
import subprocess

import pytest

from conftest import BUILD_DIR, build


def unit_test_names() -> list[str]:
    binary = BUILD_DIR / "unit_tests"
    if not binary.exists():
        build()
    listing = subprocess.run([str(binary), "--list"], capture_output=True, text=True, check=True)
    return listing.stdout.split()


@pytest.mark.parametrize("name", unit_test_names())
def test_unit(name: str) -> None:
    # The guest loader's tests load the kernel this build made.
    env = os.environ | {"MATRYOSHKA_KERNEL_ELF": str(BUILD_DIR / "kernel.elf")}
    run = subprocess.run([str(BUILD_DIR / "unit_tests"), name], capture_output=True, text=True, timeout=60, env=env)
    assert f"PASS: {name}" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 0, run.stdout + run.stderr
