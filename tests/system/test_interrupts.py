"""Exceptions and input seen from outside: a kernel page fault is reported with
its error code and faulting address, and text typed into COM1 comes back."""
from __future__ import annotations

import pytest

from conftest import POWER_OFF_AT_PROMPT, Booter, explain
from matryoshka.verdict import Verdict

EMULATORS = ["qemu", "bochs"]
# kernel/boot/main.cpp, DELIBERATE_FAULT_ADDRESS
FAULT_ADDRESS = "0x0000765432100ff8"


@pytest.mark.parametrize("emulator", EMULATORS)
def test_kernel_page_fault_panics_with_error_code_and_cr2(boot: Booter, emulator: str) -> None:
    result = boot(emulator, "crash=page_fault")
    assert result.verdict == Verdict.FAILED, explain(result)
    assert "page fault" in result.reason, explain(result)
    # A write (bit 1) to a not-present page (bit 0 clear) in kernel mode (bit 2 clear).
    assert "error code 0x2 " in result.reason, explain(result)
    assert f"cr2={FAULT_ADDRESS}" in result.reason, explain(result)
    panic_lines = result.host_lines("panic")
    assert any(line.startswith("rip=ffffffff8") for line in panic_lines), explain(result)
    assert any(line.startswith("r12=") for line in panic_lines), explain(result)
    assert any(line.strip().startswith("#0 0xffffffff8") for line in panic_lines), explain(result)


def test_boot_log_names_the_calibrated_tsc(boot: Booter) -> None:
    result = boot("qemu", "hello=world", serial_input=POWER_OFF_AT_PROMPT)
    lines = result.host_lines("interrupt")
    assert any(line.startswith("TSC: ") and " MHz" in line for line in lines), explain(result)
    assert any("divisor 1193" in line for line in lines), explain(result)


def test_text_typed_over_serial_is_echoed_until_poweroff(boot: Booter) -> None:
    result = boot("qemu", "echo_input", serial_input=(
        ("echo_input: ready", "hello, kernel\r"),
        ('echo_input: line "hello, kernel"', "typo\x7f\x7f\x7f\x7fpoweroff\r"),
    ))
    device_lines = result.host_lines("device")
    assert 'echo_input: line "hello, kernel"' in device_lines, explain(result)
    assert 'echo_input: line "poweroff"' in device_lines, explain(result)
    # The echo itself: the typed text on the console, outside any log line.
    assert "hello, kernel\n" in result.serial, explain(result)
    assert result.verdict == Verdict.PASSED, explain(result)


def test_text_typed_over_serial_reaches_bochs_too(boot: Booter) -> None:
    result = boot("bochs", "echo_input", serial_input=(("echo_input: ready", "in bochs\rpoweroff\r"),))
    assert 'echo_input: line "in bochs"' in result.host_lines("device"), explain(result)
    assert result.verdict == Verdict.PASSED, explain(result)
