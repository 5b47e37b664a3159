"""Reads what the hypervisor prints about its VM exits from a serial log: the
statistics table of `vm_stats` ("[host vmx] vmN stats: ...") and the exit trace of
`vm_trace=dump` ("[host vmx] vmN trace ..."), both written by
hypervisor/vm/vm_report.cpp. Exit reasons are decoded with the VMX data file the
kernel's constants come from (tools/matryoshka/vmx.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import svm, vmx

_HOST_VMX = r"^\[host vmx\] vm(?P<vm>\d+) "
_SUMMARY = re.compile(_HOST_VMX + r"stats: (?P<pairs>exits=.*)$")
_SECTION = re.compile(_HOST_VMX + r"stats: (?P<section>exit reason|I/O port|hypercall)\s+exits\s+cycles")
_ROW = re.compile(_HOST_VMX + r"stats:   (?P<name>\S+)\s+(?P<count>\d+)\s+(?P<cycles>\d+)\s+(?P<ns>\d+)\s+\d+"
                  r"(?:\s+in=(?P<reads>\d+) out=(?P<writes>\d+))?$")
_TRACE_BEGIN = re.compile(_HOST_VMX + r"trace begin: recorded=(?P<recorded>\d+) kept=(?P<kept>\d+) "
                          r"tsc_hz=(?P<tsc_hz>\d+)(?: backend=(?P<backend>\w+))?")
_TRACE_ENTRY = re.compile(_HOST_VMX + r"trace (?P<sequence>\d+) reason=(?P<reason>\d+)(?P<failure> entry_failure)? "
                          r"name=(?P<name>\S+) qual=0x(?P<qualification>[0-9a-f]+) rip=0x(?P<rip>[0-9a-f]+) "
                          r"tsc=(?P<tsc>\d+) guest=(?P<guest>\d+) handler=(?P<handler>\d+)$")
_TRACE_END = re.compile(_HOST_VMX + r"trace end$")


@dataclass
class Counter:
    count: int
    cycles: int
    reads: int = 0
    writes: int = 0


@dataclass
class VmStatistics:
    """One VM's `vm_stats` table: the summary's key=value pairs and the rows of its
    three sections, by name (exit reasons by their enum name, ports as "0x3f8",
    hypercalls as "0:ping")."""

    vm: int
    summary: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, Counter] = field(default_factory=dict)
    ports: dict[str, Counter] = field(default_factory=dict)
    hypercalls: dict[str, Counter] = field(default_factory=dict)

    @property
    def exits(self) -> int:
        return self.summary["exits"]


@dataclass(frozen=True)
class TraceEntry:
    sequence: int
    reason: int
    reason_name: str  # decoded from the data file, not from the log line
    entry_failure: bool
    qualification: int
    guest_rip: int
    tsc: int
    guest_cycles: int
    handler_cycles: int


@dataclass
class Trace:
    vm: int
    recorded: int
    tsc_hz: int
    entries: list[TraceEntry] = field(default_factory=list)

    def counts_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.reason_name] = counts.get(entry.reason_name, 0) + 1
        return counts


def _lines(serial: str) -> list[str]:
    return [line.rstrip("\r") for line in serial.splitlines()]


def parse_statistics(serial: str) -> dict[int, VmStatistics]:
    """Every vm_stats table in the log, by VM id (a later table of a VM wins)."""
    tables: dict[int, VmStatistics] = {}
    sections: dict[int, str] = {}
    for line in _lines(serial):
        if match := _SUMMARY.match(line):
            vm = int(match["vm"])
            pairs = dict(pair.split("=", 1) for pair in match["pairs"].split())
            tables[vm] = VmStatistics(vm, {key: int(value) for key, value in pairs.items()})
        elif match := _SECTION.match(line):
            sections[int(match["vm"])] = match["section"]
        elif (match := _ROW.match(line)) and int(match["vm"]) in tables:
            vm = int(match["vm"])
            counter = Counter(int(match["count"]), int(match["cycles"]), int(match["reads"] or 0),
                              int(match["writes"] or 0))
            table = tables[vm]
            target = {"exit reason": table.reasons, "I/O port": table.ports, "hypercall": table.hypercalls}
            target[sections[vm]][match["name"]] = counter
    return tables


def parse_traces(serial: str, data: vmx.VmxData | None = None) -> dict[int, Trace]:
    """Every exit trace in the log, by VM id. Raises ValueError for a trace that
    does not end or whose entry count disagrees with its header."""
    data = data or vmx.load()
    svm_data: svm.SvmData | None = None
    traces: dict[int, Trace] = {}
    open_traces: dict[int, int] = {}
    backends: dict[int, str] = {}
    for line in _lines(serial):
        if match := _TRACE_BEGIN.match(line):
            vm = int(match["vm"])
            traces[vm] = Trace(vm, int(match["recorded"]), int(match["tsc_hz"]))
            open_traces[vm] = int(match["kept"])
            backends[vm] = match["backend"] or "vmx"  # older kernels name no backend: VMX
        elif match := _TRACE_ENTRY.match(line):
            vm = int(match["vm"])
            if vm not in open_traces:
                raise ValueError(f"trace line outside a trace: {line}")
            reason = int(match["reason"])
            if backends[vm] == "svm":
                svm_data = svm_data or svm.load()
                name = svm_data.slot_name(reason)
            else:
                name = data.exit_reason_short_name(reason)
            traces[vm].entries.append(TraceEntry(
                int(match["sequence"]), reason, name, bool(match["failure"]),
                int(match["qualification"], 16), int(match["rip"], 16), int(match["tsc"]), int(match["guest"]),
                int(match["handler"])))
        elif match := _TRACE_END.match(line):
            vm = int(match["vm"])
            kept = open_traces.pop(vm, None)
            if kept is None or kept != len(traces[vm].entries):
                raise ValueError(f"vm{vm}: the trace promised {kept} exits, has {len(traces[vm].entries)}")
    if open_traces:
        raise ValueError(f"trace of vm{min(open_traces)} has no end line")
    return traces
