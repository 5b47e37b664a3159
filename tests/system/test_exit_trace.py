"""The exit statistics and trace of a VM as the kernel prints them (kernel command
line `vm_stats vm_trace=dump`, hypervisor/vm/vm_report.h), decoded by
tools/matryoshka/exit_log.py the way tools/trace.py does: on both backends, VMX in
Bochs and SVM in QEMU, each naming exits its own way."""
from __future__ import annotations

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka import exit_log

# The exit a guest's VMCALL and its port accesses show up as: VMX exits on VMCALL;
# SVM raises #UD for it (VMCALL is Intel's) and emulates it.
HYPERCALL_EXIT = {"bochs": "vmcall", "qemu": "exception_ud"}
PORT_EXIT = {"bochs": "io_instruction", "qemu": "ioio"}


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_exit_trace_of_a_test_guest_decodes_and_matches_its_statistics(boot: Booter, emulator: str) -> None:
    result = boot(emulator, "vm=/guests/cpuid vm_mem=4 vm_stats vm_trace=dump")
    traces = exit_log.parse_traces(result.serial)
    statistics = exit_log.parse_statistics(result.serial)
    assert 1 in traces and 1 in statistics, explain(result)
    trace, stats = traces[1], statistics[1]
    # Few enough exits that the trace kept them all.
    assert trace.recorded == stats.exits == len(trace.entries), explain(result)
    assert [e.sequence for e in trace.entries] == list(range(stats.exits))
    assert trace.counts_by_reason() == {name: c.count for name, c in stats.reasons.items()}
    assert {"cpuid", HYPERCALL_EXIT[emulator]} <= set(trace.counts_by_reason()), explain(result)
    assert all(e.handler_cycles > 0 and e.guest_cycles > 0 for e in trace.entries)
    # The last exit is the power-off hypercall, counted as such.
    assert trace.entries[-1].reason_name == HYPERCALL_EXIT[emulator] and stats.hypercalls["2:power_off"].count == 1
    assert stats.summary["handler_cycles"] == sum(c.cycles for c in stats.reasons.values())


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_exit_statistics_count_ports_per_port(boot: Booter, emulator: str) -> None:
    result = boot(emulator, "vm=/guests/port_io vm_mem=4 vm_stats")
    stats = exit_log.parse_statistics(result.serial).get(1)
    assert stats is not None, explain(result)
    io = stats.reasons[PORT_EXIT[emulator]].count
    ports = sum(c.count for c in stats.ports.values())
    assert io == ports > 0, explain(result)
    assert all(c.count == c.reads + c.writes for c in stats.ports.values())


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_cpuid_exits_take_the_fast_path_and_are_still_counted(boot: Booter, emulator: str) -> None:
    """CPUID is answered on the run loop's fast path (hypervisor/vmx/vmx_vcpu.cpp,
    hypervisor/svm/svm_vcpu.cpp): those exits appear in the summary's fast_exits
    and, like every exit, in the per-reason counts and the trace (the test above)."""
    result = boot(emulator, "vm=/guests/cpuid vm_mem=4 vm_stats vm_trace=dump")
    stats = exit_log.parse_statistics(result.serial).get(1)
    assert stats is not None, explain(result)
    fast = stats.summary["fast_exits"]
    ping = stats.hypercalls.get("0:ping")
    assert 0 < fast <= stats.reasons["cpuid"].count + (ping.count if ping else 0), explain(result)


# The exit a guest's VMMCALL shows up as: SVM exits on VMMCALL; VMX raises #UD
# for it (VMMCALL is AMD's) and emulates it.
VMMCALL_EXIT = {"bochs": "exception_or_nmi", "qemu": "vmmcall"}


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_hypercalls_by_either_instruction_are_counted_as_hypercalls(boot: Booter, emulator: str) -> None:
    """Regression: on VMX a VMMCALL (emulated from its #UD) was answered but not
    counted among the hypercalls, as only VMCALL exits were. The hypercall guest
    makes two by VMMCALL (a ping and a print) and raises no other #UD, so each
    VMCALL and VMMCALL exit is a counted hypercall."""
    result = boot(emulator, "vm=/guests/hypercall vm_mem=4 vm_stats")
    stats = exit_log.parse_statistics(result.serial).get(1)
    assert stats is not None, explain(result)
    by_vmcall = stats.reasons[HYPERCALL_EXIT[emulator]].count
    by_vmmcall = stats.reasons[VMMCALL_EXIT[emulator]].count
    assert by_vmmcall == 2, explain(result)
    assert sum(c.count for c in stats.hypercalls.values()) == by_vmcall + by_vmmcall, explain(result)
