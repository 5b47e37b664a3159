"""tools/gdb/matryoshka_gdb.py in the debug targets: in QEMU (halted, GDB attached
to QEMU's stub, as `make debug`) the helpers load, list the Scheduler's threads and
walk the kernel's page tables to the right frame; in Bochs (GDB attached to the
kernel's own stub on COM2, as `make debug-bochs`) GDB breaks in the CPUID exit
handler and mx-vmcs reads the exit reason from the VMCS with a live VMREAD."""
from __future__ import annotations

import re
import shutil
import struct
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


def guest_bytes_at(guest: str, address: int, count: int) -> bytes:
    """`count` bytes at virtual `address` of the ELF32 test guest's loaded segments."""
    image = (BUILD_DIR / "guests" / guest).read_bytes()
    (program_headers,) = struct.unpack_from("<I", image, 28)  # e_phoff
    entry_size, entry_count = struct.unpack_from("<HH", image, 42)  # e_phentsize, e_phnum
    for i in range(entry_count):
        kind, offset, virtual, _, file_size = struct.unpack_from("<IIIII", image, program_headers + i * entry_size)
        if kind == 1 and virtual <= address and address + count <= virtual + file_size:
            return image[offset + address - virtual:offset + address - virtual + count]
    raise AssertionError(f"{address:#x} is in no loaded segment of guest {guest}")


@pytest.mark.skipif(shutil.which("bochs-bin") is None, reason="Bochs is not installed")
def test_gdb_breaks_in_the_cpuid_exit_handler_and_reads_the_exit_reason_live() -> None:
    commands = ["break handle_cpuid", "continue", "mx-vmcs", "detach"]
    run = run_quietly(RUN_PY + ["--emulator", "bochs", "--debug", "--timeout", "240",
                                "--append", "vm=/guests/cpuid vm_mem=8 vm_timeout_ms=30000"]
                      + [a for c in commands for a in ("--gdb-batch", c)], timeout=400)
    output = run.stdout + run.stderr
    assert "GDB stub on COM2" in run.stdout, output
    assert re.search(r"^Breakpoint 1, .*handle_cpuid", run.stdout, re.MULTILINE), output
    # Read by VMREAD on the stopped CPU, not taken from the kernel's exit record.
    assert "current VMCS (live VMREAD on the stopped CPU):" in run.stdout, output
    assert "  exit_reason (0x4402, Exit reason): 0xa = cpuid: CPUID" in run.stdout, output
    assert "  exit_instruction_length (0x440c, VM-exit instruction length): 0x2" in run.stdout, output
    guest_rip = re.search(r"^  guest_rip \(0x681e, Guest RIP\): (0x[0-9a-f]+)$", run.stdout, re.MULTILINE)
    assert guest_rip, output
    assert guest_bytes_at("cpuid", int(guest_rip[1], 16), 2) == b"\x0f\xa2", "guest RIP is no CPUID\n" + output
    # After GDB detached, the guest and the host finish as without it.
    assert "[host vmx] VM RESULT: vm1 stopped: guest powered off with status 0" in run.stdout, output
    assert run.returncode == 0, output
