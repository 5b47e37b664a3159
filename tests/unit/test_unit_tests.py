"""Runs the C++ unit tests of the kernel's pure logic (compiled for the build
machine by the unit_tests target), one pytest result per C++ test."""
from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, build


@functools.cache
def make_test_initrd() -> Path:
    """The archive kernel/fs's unit tests unpack (tests/unit/cpio_test.cpp), written
    by tools/mkinitrd.py with known contents."""
    folder = BUILD_DIR / "unit-test-initrd"
    (folder / "root" / "sub" / "dir").mkdir(parents=True, exist_ok=True)
    (folder / "root" / "hello.txt").write_text("hello, initrd\n")
    (folder / "root" / "sub" / "dir" / "pattern.bin").write_bytes(bytes(i % 251 for i in range(10000)))
    (folder / "kernel").write_text("not really a kernel")
    archive = folder / "initrd.cpio"
    subprocess.run([sys.executable, str(SOURCE_DIR / "tools" / "mkinitrd.py"), str(archive),
                    "--root", str(folder / "root"), "--file", f"/boot/kernel={folder / 'kernel'}"], check=True)
    return archive


def unit_test_names() -> list[str]:
    binary = BUILD_DIR / "unit_tests"
    if not binary.exists():
        build()
    listing = subprocess.run([str(binary), "--list"], capture_output=True, text=True, check=True)
    return listing.stdout.split()


@pytest.mark.parametrize("name", unit_test_names())
def test_unit(name: str) -> None:
    # The guest loader's tests load the kernel this build made; the file system's
    # unpack an archive of known contents.
    environment = dict(os.environ, MATRYOSHKA_KERNEL_ELF=str(BUILD_DIR / "kernel.elf"),
                       MATRYOSHKA_TEST_INITRD=str(make_test_initrd()))
    run = subprocess.run([str(BUILD_DIR / "unit_tests"), name], capture_output=True, text=True, timeout=60,
                         env=environment)
    assert f"PASS: {name}" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 0, run.stdout + run.stderr
