"""The hypervisor on both backends, VMX in Bochs and SVM in QEMU: our own kernel
boots as a guest, each test guest (guests/, docs/test-guests.md) gets the
treatment it expects, and the host carries on afterwards."""
from __future__ import annotations

import re

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka import exit_log
from matryoshka.verdict import RunResult, Verdict

GUEST_REPORT = re.compile(r"^vm(?P<vm>\d+) (?P<outcome>PASS|FAIL|SKIP): (?P<name>[\w.]+)(?:: (?P<reason>.*))?$")
VM_RESULT = re.compile(r"^VM RESULT: vm(?P<vm>\d+) (?P<state>\w+): (?P<reason>.*)$")

# How each test guest must end (docs/test-guests.md, "Host must report").
GUEST_ENDINGS = {
    "cpuid": ("stopped", "guest powered off with status 0"),
    "hypercall": ("stopped", "guest powered off with status 0"),
    "port_io": ("stopped", "guest powered off with status 0"),
    "msr": ("stopped", "guest powered off with status 0"),
    "apic": ("stopped", "guest powered off with status 0"),
    "vmx_instruction": ("stopped", "guest powered off with status 0"),
    "svm_instruction": ("stopped", "guest powered off with status 0"),
    "hlt": ("halted", "HLT with interrupts disabled"),
    # "EPT violation: ..." on VMX, "nested page fault: ..." on SVM.
    "outside_ram": ("failed", "guest read at guest-physical 0xf0000000"),
    "triple_fault": ("failed", "triple fault"),
}


def guest_reports(result: RunResult) -> list[re.Match[str]]:
    return [m for line in result.host_lines("hypercall") if (m := GUEST_REPORT.match(line))]


def vm_results(result: RunResult) -> dict[str, re.Match[str]]:
    return {m["vm"]: m for line in result.host_lines("vmx") if (m := VM_RESULT.match(line))}


def guest_lines(result: RunResult, vm: int) -> list[str]:
    prefix = f"[vm{vm}] "
    return [line[len(prefix):] for line in result.serial.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
@pytest.mark.parametrize("guest", sorted(GUEST_ENDINGS))
def test_guest_ends_as_expected_and_host_carries_on(boot: Booter, emulator: str, guest: str) -> None:
    # Exact time: the apic guest measures its timer against the PIT.
    result = boot(emulator, f"vm=/guests/{guest} vm_mem=8 vm_timeout_ms=30000 test=boot", exact_time=True)
    state, reason = GUEST_ENDINGS[guest]
    ended = vm_results(result).get("1")
    assert ended is not None, explain(result)
    assert (ended["state"], reason in ended["reason"]) == (state, True), explain(result)
    # A stub of the exercise ends a VM too, in words that may hold the reason's ("end
    # the VM on a triple fault"): such an end is never the one expected.
    assert "is not done yet" not in ended["reason"], explain(result)
    reports = guest_reports(result)
    assert reports and all(r["outcome"] == "PASS" for r in reports), explain(result)
    assert result.tests and result.verdict == Verdict.PASSED, "the host did not carry on\n" + explain(result)


# The guest's test sets: "time" and "sched" measure the guest's PIT against
# its sleeps, which needs time to follow the instruction count (Bochs' sync=none,
# QEMU's -icount).
OWN_KERNEL_SETS = "boot,memory,time,sched,sync,devices,input"


OWN_KERNEL = f"vm=/boot/kernel vm_cmdline=test={OWN_KERNEL_SETS} vm_timeout_ms=200000 vm_stats"


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_own_kernel_boots_as_guest_and_passes_its_tests(boot: Booter, emulator: str) -> None:
    result = boot(emulator, OWN_KERNEL, timeout=400, exact_time=True)
    lines = guest_lines(result, 1)
    assert any(line.startswith("[guest boot] Matryoshka kernel") for line in lines), explain(result)
    assert "[guest boot] loader: Matryoshka" in lines, explain(result)
    summary = [line for line in lines if line.startswith("[guest test] SUMMARY:")]
    assert summary and re.search(r" 0 failed", summary[0]), explain(result)
    assert not [line for line in lines if line.startswith("[guest test] FAIL")], explain(result)
    ended = vm_results(result)["1"]
    assert ended["state"] == "stopped" and "status 0" in ended["reason"], explain(result)
    # The guest's own test lines are relayed, never taken for the host's.
    assert result.tests == {}, explain(result)
    assert all(line.startswith("[vm1] ") for line in result.serial.splitlines() if "[guest " in line)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_own_kernel_as_guest_polls_its_uart_once_per_16_bytes(boot: Booter, emulator: str) -> None:
    """The kernel's serial driver fills the 16550A's transmit FIFO: one LSR read
    (0x3fd) per 16 bytes to THR (0x3f8), each an exit under a hypervisor
    (kernel/console/serial.cpp). The same boot as the test above."""
    result = boot(emulator, OWN_KERNEL, timeout=400, exact_time=True)
    ports = exit_log.parse_statistics(result.serial)[1].ports
    written, polled = ports["0x3f8"].writes, ports["0x3fd"].reads
    assert written > 1000, explain(result)
    assert polled <= written // 16 + 8, explain(result)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_several_guests_at_once(boot: Booter, emulator: str) -> None:
    guests = ["cpuid", "hypercall", "msr", "triple_fault"]
    paths = ",".join(f"/guests/{g}" for g in guests)
    result = boot(emulator, f"vm={paths} vm_mem=4 vm_timeout_ms=60000")
    results = vm_results(result)
    assert len(results) == len(guests), explain(result)
    started = {m.group(1): m.group(2) for line in result.host_lines("vmx")
               if (m := re.match(r"vm(\d+) started: /guests/(\w+)", line))}
    for vm, guest in started.items():
        state, reason = GUEST_ENDINGS[guest]
        assert results[vm]["state"] == state and reason in results[vm]["reason"], explain(result)


@pytest.mark.parametrize("cmdline, message", [
    ("vm=/nope", "cannot open /nope: ENOENT"),
    ("vm=/etc/motd", "no Multiboot header"),
    ("vm=/bin", "is not a regular file"),
    ("vm=/boot/kernel vm_mem=1", "guest memory of 1 MiB is absurd"),
    ("vm=/boot/kernel vm_mem=100000", "guest memory of 100000 MiB is absurd"),
])
def test_bad_vm_requests_are_explained(boot: Booter, cmdline: str, message: str) -> None:
    result = boot("qemu", cmdline)
    failures = [line for line in result.host_lines("vmx") if line.startswith("vm start ")]
    assert failures and message in failures[0], explain(result)
    assert result.verdict == Verdict.PASSED, explain(result)


@pytest.mark.parametrize("cmdline, message", [
    ("vm=/boot/kernel vm_mem=99999999999999999999", "vm_mem=99999999999999999999 is too large"),
    ("vm=/boot/kernel vm_mem=12k", "vm_mem=12k is not a number"),
    ("vm=/boot/kernel vm_timeout_ms=-5", "vm_timeout_ms=-5 is not a number"),
])
def test_vm_numbers_on_the_command_line_that_are_no_such_number_are_refused(boot: Booter, cmdline: str,
                                                                             message: str) -> None:
    """Regression: vm_mem= read digits until the first other character and let
    a number too large wrap around, so the VM got another size than typed."""
    result = boot("qemu", cmdline)
    lines = result.host_lines("vmx")
    assert any(message in line and "no VM started" in line for line in lines), explain(result)
    assert not any(line.startswith("vm start ") or "started:" in line for line in lines), explain(result)
    assert result.verdict == Verdict.PASSED, explain(result)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_guest_timer_interrupts_arrive_at_the_programmed_rate(boot: Booter, emulator: str) -> None:
    """Our kernel as a guest programs its PIT for 1000.153 Hz and counts IRQ 0 over
    ten seconds of host time (kernel/time/guest_timer_test.cpp): within 0.5%."""
    result = boot(emulator, "vm=/boot/kernel vm_cmdline=test=guest_timer vm_timeout_ms=120000", timeout=300,
                  exact_time=True)
    lines = guest_lines(result, 1)
    assert "[guest test] PASS: guest_timer.pit_rate_within_half_a_percent_over_ten_seconds" in lines, explain(result)


def test_msrs_the_guest_cpu_lacks_are_counted_in_the_vm_statistics(boot: Booter) -> None:
    """Every RDMSR/WRMSR of an MSR the CPU model does not have raises #GP and is
    counted (hypervisor/cpu_model). The msr guest, not offered VMX (vm_nested=off),
    makes exactly nine: IA32_VMX_BASIC, 0xC0DE0000 read and written, PHYSBASE8 (past
    MTRRCAP.VCNT) and, in its CPUID sweep, the MSRs of the hidden PDCM, TSC-deadline,
    VMX, TSC_ADJUST and RDTSCP. A write to the read-only IA32_FEATURE_CONTROL faults
    without counting."""
    result = boot("bochs", "vm=/guests/msr vm_mem=4 vm_stats vm_nested=off")
    counts = [m["count"] for line in result.host_lines("vmx")
              if (m := re.match(r"vm1 stats: exits=.* unknown_msrs=(?P<count>\d+)", line))]
    assert counts == ["9"], explain(result)
