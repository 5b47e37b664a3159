"""The exit statistics and trace of a VM as the kernel prints them (kernel command
line `vm_stats vm_trace=dump`, hypervisor/vm/vm_report.h), decoded by
tools/matryoshka/exit_log.py the way tools/trace.py does: in Bochs, the only
emulator here with VMX."""
from __future__ import annotations

from conftest import Booter, explain
from matryoshka import exit_log


def test_exit_trace_of_a_test_guest_decodes_and_matches_its_statistics(boot: Booter) -> None:
    result = boot("bochs", "vm=/guests/cpuid vm_mem=4 vm_stats vm_trace=dump")
    traces = exit_log.parse_traces(result.serial)
    statistics = exit_log.parse_statistics(result.serial)
    assert 1 in traces and 1 in statistics, explain(result)
    trace, stats = traces[1], statistics[1]
    # Few enough exits that the trace kept them all.
    assert trace.recorded == stats.exits == len(trace.entries), explain(result)
    assert [e.sequence for e in trace.entries] == list(range(stats.exits))
    assert trace.counts_by_reason() == {name: c.count for name, c in stats.reasons.items()}
    assert {"cpuid", "vmcall"} <= set(trace.counts_by_reason()), explain(result)
    assert all(e.handler_cycles > 0 and e.guest_cycles > 0 for e in trace.entries)
    # The last exit is the power-off hypercall, counted as such.
    assert trace.entries[-1].reason_name == "vmcall" and stats.hypercalls["2:power_off"].count == 1
    assert stats.summary["handler_cycles"] == sum(c.cycles for c in stats.reasons.values())


def test_exit_statistics_count_ports_per_port(boot: Booter) -> None:
    result = boot("bochs", "vm=/guests/port_io vm_mem=4 vm_stats")
    stats = exit_log.parse_statistics(result.serial).get(1)
    assert stats is not None, explain(result)
    io = stats.reasons["io_instruction"].count
    ports = sum(c.count for c in stats.ports.values())
    assert io == ports > 0, explain(result)
    assert all(c.count == c.reads + c.writes for c in stats.ports.values())


def test_cpuid_exits_take_the_fast_path_and_are_still_counted(boot: Booter) -> None:
    """CPUID is answered on the run loop's fast path (hypervisor/vmx/vmx_vcpu.cpp):
    those exits appear in the summary's fast_exits and, like every exit, in the
    per-reason counts and the trace (the test above)."""
    result = boot("bochs", "vm=/guests/cpuid vm_mem=4 vm_stats vm_trace=dump")
    stats = exit_log.parse_statistics(result.serial).get(1)
    assert stats is not None, explain(result)
    fast = stats.summary["fast_exits"]
    ping = stats.hypercalls.get("0:ping")
    assert 0 < fast <= stats.reasons["cpuid"].count + (ping.count if ping else 0), explain(result)
