"""Booting the kernel: through QEMU's -kernel (Multiboot with the address fields)
and through GRUB from an ISO in Bochs, and the harness telling crashes from passes.
A normal boot ends at the shell on COM1, where the test types poweroff."""
from __future__ import annotations

import pytest

from conftest import POWER_OFF_AT_PROMPT, Booter, explain
from matryoshka.verdict import Verdict

EMULATORS = ["qemu", "bochs"]


@pytest.mark.parametrize("emulator", EMULATORS)
def test_normal_boot_shows_banner_memory_map_and_command_line(boot: Booter, emulator: str) -> None:
    result = boot(emulator, "hello=world", serial_input=POWER_OFF_AT_PROMPT)
    lines = result.host_lines("boot")
    assert any(line.startswith("Matryoshka kernel") for line in lines), explain(result)
    assert any('command line: "' in line and "hello=world" in line for line in lines), explain(result)
    assert any(line.strip().endswith(") available") for line in lines), explain(result)
    assert any(line.startswith("boot complete: /bin/sh on tty1") for line in lines), explain(result)
    assert "\n/$ poweroff" in result.serial, explain(result)
    assert result.verdict == Verdict.PASSED, explain(result)


def test_bochs_boots_through_grub(boot: Booter) -> None:
    result = boot("bochs", "hello=world", serial_input=POWER_OFF_AT_PROMPT)
    assert any(line.startswith("loader: GRUB") for line in result.host_lines("boot")), explain(result)


def test_qemu_boots_the_elf_directly(boot: Booter) -> None:
    result = boot("qemu", "hello=world", serial_input=POWER_OFF_AT_PROMPT)
    assert "loader: qemu" in result.host_lines("boot"), explain(result)


@pytest.mark.parametrize("emulator", EMULATORS)
def test_deliberate_panic_is_a_failure_with_registers_and_trace(boot: Booter, emulator: str) -> None:
    result = boot(emulator, "crash=panic")
    assert result.verdict == Verdict.FAILED, explain(result)
    assert "deliberate panic" in result.reason
    panic_lines = result.host_lines("panic")
    assert any(line.startswith("rsp=") for line in panic_lines), explain(result)
    assert any(line.startswith("cr0=") for line in panic_lines), explain(result)
    assert any(line.strip().startswith("#0 0xffffffff8") for line in panic_lines), explain(result)


@pytest.mark.parametrize("emulator", EMULATORS)
def test_deliberate_triple_fault_is_never_a_pass(boot: Booter, emulator: str) -> None:
    result = boot(emulator, "crash=triple_fault")
    assert result.verdict == Verdict.NO_RESULT, explain(result)
    assert "triple fault" in result.reason, explain(result)


def test_hang_is_reported_as_timeout(boot: Booter) -> None:
    result = boot("qemu", "crash=hang", timeout=5)
    assert result.verdict == Verdict.NO_RESULT, explain(result)
    assert result.reason.startswith("timeout"), explain(result)


def test_test_set_that_matches_nothing_is_a_failure(boot: Booter) -> None:
    result = boot("qemu", "test=no_such_set")
    assert result.verdict == Verdict.FAILED, explain(result)
    assert "no test ran" in result.reason
