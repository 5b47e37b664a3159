#!/usr/bin/env python3
"""Benchmark: the same program on the host and in a guest of our kernel, from one
Bochs boot (`run=/bin/bench_host_guest vm_stats`). user/programs/bench_compare.cpp
does four pieces of work (cpu, syscall, fork_exec, file) and prints each as
"[user bench] compare NAME: N ops in C cycles"; bench_host_guest runs it from the
host's ramfs, then starts a guest (its normal 1 kHz tick) that copies it into its
own ramfs and runs it there. Each figure is the guest's rate over the host's, in
results.json as guest_vs_host_NAME. Cycles are TSC cycles: in Bochs they count
emulated instructions, the host's work for the guest's exits included. Prints
figures; it is not a test. run_all.py calls measure()."""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_command  # noqa: E402
import pvfs_bench  # noqa: E402
from matryoshka import exit_log, runner  # noqa: E402

CMDLINE = "run=/bin/bench_host_guest vm_stats"
WORKLOADS = ("cpu", "syscall", "fork_exec", "file")
KEY_PREFIX = "guest_vs_host_"
# The targets (issue 20): the guest's rate over the host's at least this.
TARGETS = {"cpu": 0.98, "syscall": 0.95, "fork_exec": 0.90}
LINE = re.compile(r"^(?P<vm>\[vm\d+\] )?\[(?P<who>host|guest) user\] [\w.]+: \[user bench\] compare "
                  r"(?P<name>\w+): (?P<ops>\d+) ops in (?P<cycles>\d+) cycles\s*$", re.MULTILINE)

Rates = dict[str, float]  # workload -> operations per thousand TSC cycles


@dataclass
class Comparison:
    host: Rates = field(default_factory=dict)
    guest: Rates = field(default_factory=dict)
    guest_exits: dict[str, int] = field(default_factory=dict)  # the guest's VM exits by reason, whole life
    serial: str = ""


def rates(serial: str) -> tuple[Rates, Rates]:
    """The host's and the guest's rates from one boot's serial log. The host's
    lines are its own ("[host user] ..."); the guest's come relayed ("[vm1]
    [guest user] ..."): a line claiming to be the guest's without the relay
    prefix is not counted."""
    host: Rates = {}
    guest: Rates = {}
    for match in LINE.finditer(serial.replace("\r", "")):
        relayed = match["vm"] is not None
        if match["who"] == "guest" and not relayed or match["who"] == "host" and relayed:
            continue
        cycles = int(match["cycles"])
        if cycles <= 0:
            continue
        (guest if relayed else host)[match["name"]] = int(match["ops"]) * 1000 / cycles
    return host, guest


def ratios(host: Rates, guest: Rates) -> dict[str, float]:
    """guest_vs_host_NAME: the guest's rate over the host's, for each workload
    both sides measured (in WORKLOADS order)."""
    return {KEY_PREFIX + name: guest[name] / host[name] for name in WORKLOADS
            if host.get(name) and name in guest}


def measure(build_dir: Path, work_dir: Path, emulator: str = "bochs") -> Comparison:
    """Boots once in Bochs (or QEMU counting instructions); refuses to return a
    comparison with a workload missing."""
    config = pvfs_bench.bench_config(emulator, build_dir, CMDLINE, work_dir)
    config.timeout = 1200
    result = runner.run(config)
    host, guest = rates(result.serial)
    missing = [f"{who} {name}" for who, side in (("host", host), ("guest", guest)) for name in WORKLOADS
               if name not in side]
    if missing:
        raise SystemExit(f"host_guest: no figure for {', '.join(missing)} ({result.verdict.name}: {result.reason})")
    statistics = exit_log.parse_statistics(result.serial).get(1)
    exits = {name: counter.count for name, counter in statistics.reasons.items()} if statistics else {}
    return Comparison(host, guest, exits, result.serial)


def print_table(comparison: Comparison) -> None:
    print(f"{'workload':<10} {'host ops/kcycle':>16} {'guest ops/kcycle':>17} {'guest/host':>11} {'target':>7}")
    for key, ratio in ratios(comparison.host, comparison.guest).items():
        name = key.removeprefix(KEY_PREFIX)
        target = f">= {TARGETS[name]}" if name in TARGETS else ""
        print(f"{name:<10} {comparison.host[name]:>16.4f} {comparison.guest[name]:>17.4f} {ratio:>11.4f} "
              f"{target:>7}")
    print("guest VM exits over its whole life (boot included): " +
          ", ".join(f"{name} {count}" for name, count in sorted(comparison.guest_exits.items(),
                                                                key=lambda item: -item[1])))


def main() -> int:
    return bench_command.run(__doc__, measure, print_table)


if __name__ == "__main__":
    sys.exit(main())
