"""Each test guest booted by bare QEMU (TCG, its own Multiboot loader for ELF32
kernels): it must start, find no Matryoshka hypervisor in CPUID, say so on COM1
and the debug port 0xE9, and leave through isa-debug-exit with the value of
guests/common/guest.h (NO_HYPERVISOR_EXIT_VALUE 0x10, so QEMU exits with 33)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD_DIR
from matryoshka import paths
from matryoshka.emulators import QEMU_DEBUG_EXIT
from test_guests_build import EXPECTED_GUESTS

QEMU_EXIT_NO_HYPERVISOR = (0x10 << 1) | 1
TIMEOUT_SECONDS = 30


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="qemu-system-x86_64 is not installed")
@pytest.mark.parametrize("name", EXPECTED_GUESTS)
def test_guest_reports_no_hypervisor_under_bare_qemu(name: str, tmp_path: Path) -> None:
    serial, debug = tmp_path / "serial.log", tmp_path / "debugcon.log"
    command = ["qemu-system-x86_64", "-m", "32M", "-no-reboot", "-display", "none", *QEMU_DEBUG_EXIT,
               "-kernel", str(paths.guest_file(BUILD_DIR, name)),
               "-serial", f"file:{serial}", "-debugcon", f"file:{debug}"]
    completed = subprocess.run(command, timeout=TIMEOUT_SECONDS, capture_output=True, text=True)
    expected = f"[guest {name}] no hypervisor: "
    assert expected in serial.read_text(), f"serial: {serial.read_text()!r}, qemu: {completed.stderr}"
    assert expected in debug.read_text()
    assert completed.returncode == QEMU_EXIT_NO_HYPERVISOR, completed.stderr
