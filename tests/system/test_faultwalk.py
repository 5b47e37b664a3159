"""The fault walk (user/programs/faultwalk.cpp, docs/hostile-guests.md "Memory"):
the kernel fails each fallible allocation of an operation in turn (the fail_alloc
system call), and every failure point must give an errno or be absorbed, leave
free plus heap pages where they were, and not panic the host. A sample in CI:
the process and file system calls in QEMU (one boot, a few seconds), the start
of a small test guest in Bochs (one boot). `python3 tools/faultwalk.py --all`
walks everything."""
from __future__ import annotations

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka import faultwalk
from matryoshka.verdict import RunResult

HOST_SAMPLE = ["files", "process"]
GUEST_SAMPLE = ["vm.guest"]


def walked(boot: Booter, emulator: str, selectors: list[str]) -> tuple[RunResult, faultwalk.WalkResult]:
    result = boot(emulator, "", serial_input=faultwalk.shell_steps(selectors))
    summary = faultwalk.parse(result.serial)
    assert summary is not None, "the walk did not finish (the host panicked?)\n" + explain(result)
    return result, summary


def test_host_fault_walk_survives_every_failure_point_without_leaks(boot: Booter) -> None:
    result, summary = walked(boot, "qemu", HOST_SAMPLE)
    assert summary.leaks == 0 and summary.wrong == 0, explain(result)
    assert result.verdict.name == "PASSED", explain(result)


@pytest.mark.parametrize("operation", ["process.spawn", "process.fork", "process.exec", "process.brk"])
def test_host_fault_walk_fails_process_calls_with_an_errno(boot: Booter, operation: str) -> None:
    """Each process call makes many fallible allocations (its pages, page tables,
    stack, descriptors): the walk must have found them and each failure must
    have come back as an errno."""
    result, summary = walked(boot, "qemu", HOST_SAMPLE)
    walked_operation = summary.operations.get(operation)
    assert walked_operation is not None, explain(result)
    assert walked_operation.sites >= 10, explain(result)
    assert walked_operation.failed >= 1 and walked_operation.leaks == 0, explain(result)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_guest_start_fault_walk_survives_every_failure_point_without_leaks(boot: Booter, emulator: str) -> None:
    result, summary = walked(boot, emulator, GUEST_SAMPLE)
    guest = summary.operations.get("vm.guest")
    assert guest is not None and guest.sites >= 5, explain(result)
    assert summary.leaks == 0 and summary.wrong == 0, explain(result)
    assert result.verdict.name == "PASSED", explain(result)


def test_fail_alloc_on_the_command_line_fails_the_nth_allocation_once(boot: Booter) -> None:
    """fail_alloc=3: the third fallible allocation after the command line is read
    fails (the first program's start, which gets ENOMEM), and only that one: the
    same program starts the second time. The host goes on."""
    result = boot("qemu", "fail_alloc=3 run=/bin/echo,/bin/echo")
    serial = result.serial
    assert "fault injection: fail_alloc=3 armed" in serial, explain(result)
    assert serial.count("fault injection: failing") == 1, explain(result)
    first, second = serial.index("FAIL: run.echo: cannot start: ENOMEM"), serial.index("PASS: run.echo")
    assert first < second and "PANIC" not in serial, explain(result)
    assert "SUMMARY: 1 passed, 1 failed" in serial, explain(result)


def test_fail_alloc_every_with_a_page_filter_fails_each_start(boot: Booter) -> None:
    result = boot("qemu", "fail_alloc=every:2 fail_alloc_filter=page run=/bin/echo,/bin/echo")
    serial = result.serial
    assert "failing page allocation #2" in serial and "failing page allocation #4" in serial, explain(result)
    assert "failing heap allocation" not in serial, explain(result)
    assert serial.count("cannot start: ENOMEM") == 2 and "PANIC" not in serial, explain(result)


def test_fail_alloc_refuses_bad_values_and_fails_nothing(boot: Booter) -> None:
    result = boot("qemu", "fail_alloc=every:0 fail_alloc_filter=slab run=/bin/echo")
    serial = result.serial
    assert "fail_alloc=every:0 ignored" in serial and "fail_alloc_filter=slab ignored" in serial, explain(result)
    assert "fault injection: failing" not in serial, explain(result)
    assert result.verdict.name == "PASSED", explain(result)
