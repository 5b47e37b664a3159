"""tools/gdb/matryoshka_gdb.py in the debug target (QEMU halted, GDB attached, as
`make debug`): the helpers load, list the Scheduler's threads and walk the
kernel's page tables to the right frame."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import BUILD_DIR
from test_launcher import RUN_PY, run_quietly

KERNEL_VMA = 0xFFFFFFFF80000000

pytestmark = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")


def symbol_address(name: str) -> int:
    listing = subprocess.run(["nm", str(BUILD_DIR / "kernel.elf")], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        address, _, symbol = line.split(maxsplit=2)
        if symbol == name:
            return int(address, 16)
    raise AssertionError(f"{name} not in kernel.elf")


def test_gdb_helpers_list_threads_and_walk_page_tables() -> None:
    # kernel_vfs::init runs after the Scheduler made "main" and "idle".
    commands = ["hbreak kernel_vfs::init", "continue", "mx-threads", "mx-pagewalk &kernel_entry", "mx-vmcs"]
    run = run_quietly(RUN_PY + ["--debug"] + [a for c in commands for a in ("--gdb-batch", c)], timeout=120)
    output = run.stdout + run.stderr
    assert "matryoshka_gdb: mx-threads" in output, output
    threads = {m["name"]: m for m in re.finditer(r"^(?P<current>[* ]) +(?P<id>\d+) (?P<name>\w+) +(?P<state>\w+)",
                                                 run.stdout, re.MULTILINE)}
    assert set(threads) == {"main", "idle"}, output
    assert threads["main"]["current"] == "*" and threads["main"]["state"] == "running", output
    entry = symbol_address("kernel_entry")
    walked = re.search(rf"{entry:#x} -> physical (0x[0-9a-f]+) \(4 KiB page\)", run.stdout)
    assert walked and int(walked.group(1), 16) == entry - KERNEL_VMA, output
    assert len(re.findall(r"^  (PML4|PDPT|PD|PT) +\[", run.stdout, re.MULTILINE)) == 4, output
    assert "no VMs" in run.stdout, output
