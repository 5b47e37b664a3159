"""The fault walk (user/programs/faultwalk.cpp, docs/hostile-guests.md "Memory"):
the kernel fails each fallible allocation of an operation in turn (the fail_alloc
system call), and every failure point must give an errno or be absorbed, leave
free plus heap pages where they were, and not panic the host. A sample in CI:
the process and file system calls in QEMU (one boot, a few seconds), the start
of a small test guest in Bochs (one boot). `python3 tools/faultwalk.py --all`
walks everything."""
from __future__ import annotations

import pytest

from conftest import explain
from matryoshka import faultwalk

# files.write is left out until ramfs grows its chunk table fallibly (branch
# `ramfs`): today a failed kmalloc there panics in Vector::resize.
HOST_SAMPLE = ["files.create", "files.read", "files.rename", "files.unlink", "files.mkdir", "files.getdents",
               "files.dup", "process"]
GUEST_SAMPLE = ["vm.guest"]


def walked(boot, emulator: str, selectors: list[str]):
    result = boot(emulator, "", serial_input=faultwalk.shell_steps(selectors))
    summary = faultwalk.parse(result.serial)
    assert summary is not None, "the walk did not finish (the host panicked?)\n" + explain(result)
    return result, summary


def test_host_fault_walk_survives_every_failure_point_without_leaks(boot) -> None:
    result, summary = walked(boot, "qemu", HOST_SAMPLE)
    assert summary.leaks == 0 and summary.wrong == 0, explain(result)
    assert result.verdict.name == "PASSED", explain(result)


@pytest.mark.parametrize("operation", ["process.spawn", "process.fork", "process.exec", "process.brk"])
def test_host_fault_walk_fails_process_calls_with_an_errno(boot, operation: str) -> None:
    """Each process call makes many fallible allocations (its pages, page tables,
    stack, descriptors): the walk must have found them and each failure must
    have come back as an errno."""
    result, summary = walked(boot, "qemu", HOST_SAMPLE)
    walked_operation = summary.operations.get(operation)
    assert walked_operation is not None, explain(result)
    assert walked_operation.sites >= 10, explain(result)
    assert walked_operation.failed >= 1 and walked_operation.leaks == 0, explain(result)


def test_guest_start_fault_walk_survives_every_failure_point_without_leaks(boot) -> None:
    result, summary = walked(boot, "bochs", GUEST_SAMPLE)
    guest = summary.operations.get("vm.guest")
    assert guest is not None and guest.sites >= 5, explain(result)
    assert summary.leaks == 0 and summary.wrong == 0, explain(result)
    assert result.verdict.name == "PASSED", explain(result)
