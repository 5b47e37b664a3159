#!/usr/bin/env python3
"""The benchmark suite (`make bench`, `make bench-qemu`): boots the host in Bochs
(the VMX backend) or QEMU (the SVM backend) a few times and prints ONE table of
what the hypervisor costs, each figure against its baseline from the same run, as
markdown and JSON in build/bench/ (build/bench/qemu/ for QEMU; plus PNG plots
when matplotlib is installed). Figures are in emulated TSC cycles: Bochs runs
with clock sync=none, so its TSC counts emulated instructions (one cycle each);
QEMU runs with -icount (emulators.QEMU_ICOUNT), where the TSC counts virtual
nanoseconds, 16 per instruction. Either way a run repeats exactly; the suite
runs everything twice and says whether the figures agree within 1%.
`--side-by-side BOCHS.json QEMU.json` prints both backends' tables as one.
Benchmarks print figures; they are not tests.

Boots (kernel command lines):
  boot   vm=/boot/kernel vm_cmdline=run=/bin/poweroff vm_stats vm_trace=dump
         our kernel boots as a guest to its "boot end" line (where the shells would
         start) and powers off; the host's own boot over the same span
  idle / idle_long  vm=/boot/kernel vm_cmdline=echo_input vm_timeout_ms=4000 / 8000
         the same guest left idle for 4 s and for 8 s: the two boots are the same
         up to 4 s, so their difference is exactly 4 s of idling (the idle figures)
  guest  vm=/guests/bench vm_stats                 CPUID and null-hypercall round trips,
         timer interrupt intervals, as the guest measures them (guests/bench.cpp)
  port80_exit / port80_pass  vm=/guests/bench vm_cmdline=port80 [vm_port80=exit] vm_stats
         port 0x80 exits and writes per second with and without the I/O bitmap's
         pass-through of the POST port
  host   vm_bench=host                             host memory per VM, host thread
         progress beside a busy guest, native CPUID (hypervisor/bench/vm_bench.h)
  guest_off  vm=/guests/bench vm_stats=off vm_trace=off   the same round trips with
         the exit statistics and the trace not kept
  run=/bin/bench_host_guest vm_stats               the same program on the host and
         in a guest of our kernel (tools/bench/host_guest.py): guest_vs_host_* ratios
  nested / nested_noshadow  vm=/guests/vmx_l2 vm_cmdline=bench [vm_nested_shadow=off]
         Bochs only (nested VMX): an L2's CPUID round trip as L2 times it, and L1's
         VMREAD and VMWRITE with and without the shadow VMCS (guests/vmx_l2.cpp)
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import host_guest  # noqa: E402
import pvfs_bench  # noqa: E402
from matryoshka import exit_log, paths, runner  # noqa: E402
from matryoshka.emulators import BOCHS_CPU_MODEL, QEMU_ICOUNT_SHIFT  # noqa: E402
from matryoshka.verdict import RunResult  # noqa: E402

IDLE_MS = 4000
BOOTS = {
    "boot": "vm=/boot/kernel vm_mem=32 vm_cmdline=run=/bin/poweroff vm_stats vm_trace=dump",
    "idle": f"vm=/boot/kernel vm_mem=32 vm_cmdline=echo_input vm_timeout_ms={IDLE_MS} vm_stats",
    "idle_long": f"vm=/boot/kernel vm_mem=32 vm_cmdline=echo_input vm_timeout_ms={2 * IDLE_MS} vm_stats",
    "guest": "vm=/guests/bench vm_mem=4 vm_stats",
    "port80_exit": "vm=/guests/bench vm_mem=4 vm_cmdline=port80 vm_port80=exit vm_stats",
    "port80_pass": "vm=/guests/bench vm_mem=4 vm_cmdline=port80 vm_stats",
    "host": "vm_bench=host",
    "guest_off": "vm=/guests/bench vm_mem=4 vm_stats=off vm_trace=off",
}
# Nested VMX (issue #16): Bochs only, the SVM backend offers guests no SVM.
NESTED_BOOTS = {
    "nested": "vm=/guests/vmx_l2 vm_mem=8 vm_cmdline=bench vm_stats",
    "nested_noshadow": "vm=/guests/vmx_l2 vm_mem=8 vm_cmdline=bench vm_stats vm_nested_shadow=off",
    # Rows 9e and 9f: our kernel (1 kHz tick) and kernel.x (its SWEB form, 18.2 Hz)
    # as L1, and as L2 under our kernel as L1; each powers off at its boot end.
    "l1_boot": "vm=/boot/kernel vm_mem=48 vm_cmdline=run=/bin/poweroff",
    "l2_boot": "vm=/boot/kernel vm_mem=128 vm_cmdline=vm=/boot/kernel+vm_mem=48+vm_cmdline=run=/bin/poweroff",
    "l1_boot_sweb": "vm=/boot/kernel.x vm_mem=48 vm_cmdline=run=/bin/poweroff",
    "l2_boot_sweb": "vm=/boot/kernel vm_mem=128 vm_cmdline=vm=/boot/kernel.x+vm_mem=48+vm_cmdline=run=/bin/poweroff",
}
PIT_HZ = 1193182
REPEAT_TOLERANCE = 0.01


@dataclass
class Figure:
    key: str
    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    exit_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    timer_intervals: list[int] = field(default_factory=list)
    serial: dict[str, str] = field(default_factory=dict)
    guest_exits_host_guest: dict[str, int] = field(default_factory=dict)


def output_dir(build_dir: Path, emulator: str) -> Path:
    return build_dir / "bench" / ("qemu" if emulator == "qemu" else "")


def boot(name: str, build_dir: Path, emulator: str) -> RunResult:
    cmdline = BOOTS[name] if name in BOOTS else NESTED_BOOTS[name]
    config = pvfs_bench.bench_config(emulator, build_dir, cmdline, output_dir(build_dir, emulator) / f"run-{name}")
    result = runner.run(config)
    if "[host vmx]" not in result.serial:
        raise SystemExit(f"bench: the {name} boot printed nothing of the hypervisor "
                         f"({result.verdict.name}: {result.reason})")
    return result


def number(pattern: str, text: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        raise SystemExit(f"bench: no line matching {pattern!r}")
    return int(match.group(1))


def boot_span(serial: str, who: str) -> int:
    """TSC cycles from kernel entry to the end of booting, from `who`'s own lines."""
    prefix = re.escape(who)
    entry = number(prefix + r" time stamp counter at kernel entry: (\d+)", serial)
    end = number(prefix + r" time stamp counter at boot end: (\d+)", serial)
    return end - entry


def per_second(stats: exit_log.VmStatistics, earlier: exit_log.VmStatistics | None = None) -> dict[str, float]:
    """Exits per second of the VM's life by reason; with `earlier`, only what came
    after the earlier run's span (the same boot, then idling)."""
    seconds = (stats.summary["run_ns"] - (earlier.summary["run_ns"] if earlier else 0)) / 1e9
    rates = {}
    for name, counter in stats.reasons.items():
        before = earlier.reasons[name].count if earlier and name in earlier.reasons else 0
        if counter.count > before:
            rates[name] = (counter.count - before) / seconds
    return rates


def measure(build_dir: Path, emulator: str) -> Results:
    results = Results()
    runs = {name: boot(name, build_dir, emulator) for name in BOOTS}
    results.serial = {name: run.serial for name, run in runs.items()}
    figures = results.figures

    boot_serial = runs["boot"].serial
    guest_span = boot_span(boot_serial, "[vm1] [guest boot]")
    host_span = boot_span(boot_serial, "[host boot]")
    figures.append(Figure("guest_boot", "1. guest boot, kernel entry to boot end", guest_span, "cycles",
                          host_span, "host's own boot, same span", "<= 1.10 x",
                          guest_span <= 1.10 * host_span))

    guest = runs["guest"].serial
    host = runs["host"].serial
    native = number(r"bench native cpuid_cycles=(\d+) count=1000", host) / 1000
    cpuid = number(r"bench cpuid_cycles=(\d+) count=1000", guest) / 1000
    ping = number(r"bench ping_cycles=(\d+) count=1000", guest) / 1000
    figures.append(Figure("cpuid_round_trip", "2a. CPUID exit round trip (guest's view)", cpuid, "cycles", native,
                          "CPUID on the host", "<= 190 cycles", cpuid <= 190))
    figures.append(Figure("null_hypercall_round_trip", "2b. null hypercall (PING) round trip", ping, "cycles",
                          native, "CPUID on the host", "<= 160 cycles", ping <= 160))
    quiet = runs["guest_off"].serial
    figures.append(Figure("cpuid_round_trip_stats_off", "2c. CPUID round trip, vm_stats=off vm_trace=off",
                          number(r"bench cpuid_cycles=(\d+) count=1000", quiet) / 1000, "cycles", cpuid,
                          "2a, statistics and trace kept"))
    figures.append(Figure("null_hypercall_round_trip_stats_off", "2d. null hypercall round trip, vm_stats=off "
                          "vm_trace=off", number(r"bench ping_cycles=(\d+) count=1000", quiet) / 1000, "cycles",
                          ping, "2b, statistics and trace kept"))

    figures.extend(file_throughput(build_dir, emulator))

    divisor = number(r"bench timer_divisor=(\d+)", guest)
    intervals = [int(v) for line in re.findall(r"bench timer_cycles ([\d ]+)$", guest, re.MULTILINE)
                 for v in line.split()]
    results.timer_intervals = intervals
    tsc_hz = exit_log.parse_statistics(guest)[1].summary["tsc_hz"]
    mean = statistics.fmean(intervals)
    measured_hz = tsc_hz / mean
    programmed_hz = PIT_HZ / divisor
    rate_ratio = measured_hz / programmed_hz
    jitter = statistics.pstdev(intervals) / mean
    figures.append(Figure("timer_rate", "4a. guest timer interrupt rate", measured_hz, "Hz", programmed_hz,
                          "rate the guest programmed", "within 0.5%", abs(rate_ratio - 1) <= 0.005))
    figures.append(Figure("timer_jitter", "4b. guest timer jitter (std. dev. of intervals)", jitter * 100, "%",
                          None, "", "<= 1%", jitter <= 0.01, f"{len(intervals)} intervals, min {min(intervals)}, "
                          f"max {max(intervals)} cycles"))

    alone = number(r"bench host_progress alone=(\d+)", host)
    with_guest = number(r"bench host_progress alone=\d+ with_busy_guest=(\d+)", host)
    figures.append(Figure("host_progress", "5. host CPU-bound thread beside one busy guest", with_guest,
                          "iterations", alone, "the thread alone", ">= 0.45 x", with_guest >= 0.45 * alone))

    guest_ram = number(r"bench vm_memory guest_ram=(\d+)", host)
    overhead = number(r"bench vm_memory guest_ram=\d+ host_bytes=\d+ overhead_bytes=(\d+)", host)
    budget = guest_ram / 100 + 64 * 1024
    figures.append(Figure("vm_memory_overhead", "6. host memory per VM beyond its guest RAM", overhead / 1024,
                          "KiB", budget / 1024, "1% of guest RAM + 64 KiB", "<= 1.0 x", overhead <= budget,
                          f"guest RAM {guest_ram >> 20} MiB"))

    boot_stats = exit_log.parse_statistics(boot_serial)[1]
    # Idle: the long idle boot less the short one (identical up to the short one's
    # end), so booting costs nothing here however small the idle cost becomes.
    idle_start = exit_log.parse_statistics(runs["idle"].serial)[1]
    idle_stats = exit_log.parse_statistics(runs["idle_long"].serial)[1]
    results.exit_rates = {"boot": per_second(boot_stats), "idle": per_second(idle_stats, idle_start)}
    idle_seconds = (idle_stats.summary["run_ns"] - idle_start.summary["run_ns"]) / 1e9

    def host_cycles(s: exit_log.VmStatistics) -> int:
        return s.summary["handler_cycles"] + s.summary["entry_cycles"]

    idle_host = (host_cycles(idle_stats) - host_cycles(idle_start)) / idle_seconds
    figures.append(Figure("exits_per_second_boot", "issue 6: VM exits per guest second while booting",
                          boot_stats.exits / (boot_stats.summary["run_ns"] / 1e9), "exits/s",
                          note="by reason below"))
    figures.append(Figure("exits_per_second_idle", "issue 6: VM exits per guest second while idle",
                          sum(results.exit_rates["idle"].values()), "exits/s", note="by reason below"))
    figures.append(Figure("idle_host_instructions", "issue 6: host TSC cycles per emulated second, idle guest",
                          idle_host, "cycles/s", tsc_hz, "one emulated second", "<= 0.005 x",
                          idle_host <= 0.005 * tsc_hz,
                          note="exit handlers and entry preparation; a cycle is an instruction in Bochs"))
    figures.extend(port80_figures(runs["port80_exit"].serial, runs["port80_pass"].serial))
    if emulator == "bochs":
        nested = {name: boot(name, build_dir, emulator).serial for name in NESTED_BOOTS}
        results.serial.update(nested)
        figures.extend(nested_figures(nested["nested"], nested["nested_noshadow"], cpuid,
                                      {"": (nested["l1_boot"], nested["l2_boot"]),
                                       "_sweb": (nested["l1_boot_sweb"], nested["l2_boot_sweb"])}))
    else:
        figures.extend(nested_figures_missing("not measured: the SVM backend offers guests no nested virtualization"))
    comparison = host_guest.measure(build_dir, output_dir(build_dir, emulator) / "run-host-guest", emulator)
    figures.extend(host_guest_figures(comparison))
    results.guest_exits_host_guest = comparison.guest_exits
    results.serial["host_guest"] = comparison.serial
    return results


def nested_number(what: str, serial: str) -> float:
    """Cycles per operation of a vmx_l2 bench line ("bench nested vmread_cycles=N
    count=M"), from the host's relayed guest line only."""
    match = re.search(rf"^\[host hypercall\] vm1 says: bench nested {what}_cycles=(\d+) count=(\d+)$", serial,
                      re.MULTILINE)
    if not match:
        raise SystemExit(f"bench: the nested boot printed no {what} figure")
    return int(match[1]) / int(match[2])


# The boot rows: key suffix -> (row name, the kernel's name in the baseline).
L2_BOOT_ROWS = {"": ("9e. our kernel's boot as L2 against as L1", "the same kernel (/boot/kernel, 1 kHz) as L1"),
                "_sweb": ("9f. kernel.x's boot as L2 against as L1", "the same kernel (kernel.x, 18.2 Hz) as L1")}


def nested_figures(shadowed: str, emulated: str, l1_cpuid: float,
                   boots: dict[str, tuple[str, str]]) -> list[Figure]:
    """9: nested VMX. An L2's CPUID round trip against L1's own (2a); L1's VMREAD
    and VMWRITE answered by the shadow VMCS against the same instruction emulated
    by L0 (vm_nested_shadow=off); each kernel's boot (kernel entry to boot end, its
    own TSC lines) as L2 against as L1, `boots` holding the serial logs of the two
    boots (L1, L2) per L2_BOOT_ROWS suffix."""
    l2_cpuid = nested_number("l2_cpuid", shadowed)
    figures = [
        Figure("l2_cpuid_round_trip", "9a. L2 CPUID round trip through L0 and L1 (L2's view)", l2_cpuid, "cycles",
               l1_cpuid, "2a, L1's CPUID round trip"),
        Figure("l2_cpuid_round_trip_no_shadow", "9b. L2 CPUID round trip, vm_nested_shadow=off",
               nested_number("l2_cpuid", emulated), "cycles", l2_cpuid, "9a, with the shadow VMCS"),
        Figure("l1_vmread_shadowed", "9c. VMREAD in L1, shadow VMCS", nested_number("vmread", shadowed), "cycles",
               nested_number("vmread", emulated), "the same VMREAD emulated by L0"),
        Figure("l1_vmwrite_shadowed", "9d. VMWRITE in L1, shadow VMCS", nested_number("vmwrite", shadowed), "cycles",
               nested_number("vmwrite", emulated), "the same VMWRITE emulated by L0"),
    ]
    for suffix, (l1_boot, l2_boot) in boots.items():
        name, baseline = L2_BOOT_ROWS[suffix]
        l1_span = boot_span(l1_boot, "[vm1] [guest boot]")
        l2_span = boot_span(l2_boot, "[vm1] [vm1] [guest boot]")
        figures.append(Figure("l2_boot" + suffix, name, l2_span, "cycles", l1_span, baseline, "<= 3 x",
                              l2_span <= 3 * l1_span, note="kernel entry to boot end"))
    return figures


def nested_figures_missing(why: str) -> list[Figure]:
    """The same rows without figures, saying why (QEMU: no nested VMX)."""
    names = [("l2_cpuid_round_trip", "9a. L2 CPUID round trip through L0 and L1 (L2's view)"),
             ("l2_cpuid_round_trip_no_shadow", "9b. L2 CPUID round trip, vm_nested_shadow=off"),
             ("l1_vmread_shadowed", "9c. VMREAD in L1, shadow VMCS"),
             ("l1_vmwrite_shadowed", "9d. VMWRITE in L1, shadow VMCS")]
    names += [("l2_boot" + suffix, name) for suffix, (name, _) in L2_BOOT_ROWS.items()]
    return [Figure(key, name, None, "cycles", note=why) for key, name in names]


def host_guest_figures(comparison: host_guest.Comparison) -> list[Figure]:
    """8: the same program on the host and in a guest (tools/bench/host_guest.py):
    the guest's rate as the value, the host's as the baseline, so each figure's
    ratio is guest_vs_host_NAME."""
    figures = []
    for key in host_guest.ratios(comparison.host, comparison.guest):
        name = key.removeprefix(host_guest.KEY_PREFIX)
        guest, host = comparison.guest[name], comparison.host[name]
        target = host_guest.TARGETS.get(name)
        figures.append(Figure(key, f"8. same program in a guest: {name}", guest, "ops/kcycle", host,
                              "the host, same boot", f">= {target} x" if target else "",
                              guest >= target * host if target else None))
    return figures


def port80_figures(exiting: str, passing: str) -> list[Figure]:
    """7a/7b: a guest hammering the POST port 0x80 (guests/bench.cpp, port80), with
    every port exiting (vm_port80=exit, as before the I/O bitmap) and with the
    bitmap letting 0x80 through (the default): port 0x80 exits per guest second
    and the writes per second the guest achieves."""
    def rates(serial: str) -> tuple[float, float]:
        cycles = number(r"bench port80_cycles=(\d+) count=\d+", serial)
        writes = number(r"bench port80_cycles=\d+ count=(\d+)", serial)
        stats = exit_log.parse_statistics(serial)[1]
        seconds = cycles / stats.summary["tsc_hz"]
        counter = stats.ports.get("0x80")
        return (counter.count if counter else 0) / seconds, writes / seconds

    exits_before, writes_before = rates(exiting)
    exits_after, writes_after = rates(passing)
    return [
        Figure("port80_exits_per_second", "7a. port 0x80 exits per guest second, 0x80-hammering loop",
               exits_after, "exits/s", exits_before, "every port exiting (vm_port80=exit)", "0",
               exits_after == 0, "the I/O bitmap passes 0x80 to the host's POST port"),
        Figure("port80_writes_per_second", "7b. port 0x80 writes per guest second", writes_after, "writes/s",
               writes_before, "every port exiting (vm_port80=exit)", ">= 10 x", writes_after >= 10 * writes_before),
    ]


def file_throughput(build_dir: Path, emulator: str) -> list[Figure]:
    """Figure 3: the guest's file reads and writes over hypercalls against the
    host's own VFS in the same boot (bench=vfs on both sides; tools/bench/pvfs_bench.py),
    in bytes per thousand emulated cycles."""
    try:
        figures = pvfs_bench.measure(build_dir, output_dir(build_dir, emulator) / "run-files", emulator)
    except SystemExit as failure:
        # One broken boot must not cost the whole table: the rows say why they are empty.
        print(f"bench: file throughput: {failure}", file=sys.stderr)
        return [Figure(f"file_{op}_{piece}", f"3. hypercall file {op}, {piece} transfers", None, "bytes/kcycle",
                       note=f"not measured: {failure}") for piece in ("4KiB", "1MiB") for op in ("read", "write")]
    rows = []
    for piece in ("4KiB", "1MiB"):
        for op in ("read", "write"):
            guest = pvfs_bench.bytes_per_kilocycle(*figures[("guest", op, piece)])
            host = pvfs_bench.bytes_per_kilocycle(*figures[("host", op, piece)])
            # Issue 20's targets: 4 KiB reads at least half the host's, 1 MiB at least 0.9.
            target = {("read", "4KiB"): 0.5, ("read", "1MiB"): 0.9}.get((op, piece))
            rows.append(Figure(f"file_{op}_{piece}", f"3. hypercall file {op}, {piece} transfers", guest,
                               "bytes/kcycle", host, "the host's VFS, same boot",
                               f">= {target} x" if target else "", guest >= target * host if target else None))
    # ls -l of a directory of 200 files in the guest (through the request ring) and on the host.
    for (who, op, piece), (names, cycles) in figures.items():
        if who == "guest" and op == "list":
            host_names, host_cycles = figures[("host", "list", piece)]
            rows.append(Figure("file_list", f"3. ls -l of {piece} (getdents, stat of each)",
                               names * 1000 / cycles, "names/kcycle", host_names * 1000 / host_cycles,
                               "the host's VFS, same boot"))
    return rows


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def emulator_note(emulator: str) -> str:
    if emulator == "qemu":
        return (f"QEMU {qemu_version()} TCG, `-cpu max` (SVM with nested paging), `-icount "
                f"shift={QEMU_ICOUNT_SHIFT},sleep=off`; cycles are TSC cycles of QEMU's virtual clock "
                f"({1 << QEMU_ICOUNT_SHIFT} per instruction)")
    return (f"Bochs 2.7, CPU model `{BOCHS_CPU_MODEL}`, clock sync=none; cycles are emulated TSC cycles "
            "(one per instruction)")


def qemu_version() -> str:
    import subprocess
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "?"
    match = re.search(r"version (\S+)", out)
    return match.group(1) if match else "?"


def markdown(results: Results, repeat_note: str, emulator: str) -> str:
    lines = [f"{emulator_note(emulator)}. {repeat_note}", "",
             "| figure | value | baseline | ratio | target | met |", "|---|---|---|---|---|---|"]
    for f in results.figures:
        value = f"{fmt(f.value)} {f.unit}".strip() if f.value is not None else f.note
        baseline = f"{fmt(f.baseline)} ({f.baseline_name})" if f.baseline else ""
        ratio = f"{f.ratio:.3f}" if f.ratio is not None else ""
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        note = f" ({f.note})" if f.note and f.value is not None else ""
        lines.append(f"| {f.name}{note} | {value} | {baseline} | {ratio} | {f.target} | {met} |")
    lines += ["", "VM exits per guest second, by reason:", "", "| reason | booting | idle |", "|---|---|---|"]
    reasons = sorted(set(results.exit_rates["boot"]) | set(results.exit_rates["idle"]),
                     key=lambda r: -results.exit_rates["boot"].get(r, 0))
    for reason in reasons:
        lines.append(f"| {reason} | {fmt(results.exit_rates['boot'].get(reason, 0))} | "
                     f"{fmt(results.exit_rates['idle'].get(reason, 0))} |")
    return "\n".join(lines) + "\n"


def as_json(results: Results, repeated: dict[str, object] | None, emulator: str) -> dict[str, object]:
    return {
        "emulator": emulator, "setup": emulator_note(emulator),
        "cycles_per_instruction": 1 << QEMU_ICOUNT_SHIFT if emulator == "qemu" else 1,
        "figures": [{"key": f.key, "name": f.name, "value": f.value, "unit": f.unit, "baseline": f.baseline,
                     "baseline_name": f.baseline_name, "ratio": f.ratio, "target": f.target, "met": f.met,
                     "note": f.note} for f in results.figures],
        host_guest.KEY_PREFIX.removesuffix("_"): {f.key: f.ratio for f in results.figures
                                                 if f.key.startswith(host_guest.KEY_PREFIX)},
        "guest_exits_during_host_guest": results.guest_exits_host_guest,
        "exits_per_guest_second": results.exit_rates,
        "timer_intervals_cycles": results.timer_intervals,
        "repeatability": repeated,
    }


def compare(first: Results, second: Results) -> tuple[bool, dict[str, float]]:
    """Relative differences of every figure between two runs."""
    differences = {}
    for a, b in zip(first.figures, second.figures, strict=True):
        if a.value is None or b.value is None:
            continue
        differences[a.key] = abs(a.value - b.value) / abs(a.value) if a.value else float(a.value != b.value)
    return all(d <= REPEAT_TOLERANCE for d in differences.values()), differences


def plot(results: Results, folder: Path) -> list[Path]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    figure, axes = plt.subplots(figsize=(8, 3.5))
    axes.hist(results.timer_intervals, bins=30)
    axes.set_xlabel("cycles between timer interrupts (guest rdtsc)")
    axes.set_ylabel("intervals")
    axes.set_title("guest timer interrupt intervals (programmed: 1000.15 Hz)")
    figure.tight_layout()
    written.append(folder / "timer-intervals.png")
    figure.savefig(written[-1], dpi=100)
    plt.close(figure)

    reasons = sorted(set(results.exit_rates["boot"]) | set(results.exit_rates["idle"]))
    figure, axes = plt.subplots(figsize=(8, 4))
    positions = range(len(reasons))
    axes.barh([p - 0.2 for p in positions], [results.exit_rates["boot"].get(r, 0) for r in reasons], 0.4,
              label="booting")
    axes.barh([p + 0.2 for p in positions], [results.exit_rates["idle"].get(r, 0) for r in reasons], 0.4,
              label="idle")
    axes.set_yticks(list(positions), reasons)
    axes.set_xscale("log")
    axes.set_xlabel("VM exits per guest second")
    axes.legend()
    figure.tight_layout()
    written.append(folder / "exit-rates.png")
    figure.savefig(written[-1], dpi=100)
    plt.close(figure)

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import trace as trace_tool  # tools/trace.py
    traces = exit_log.parse_traces(results.serial["boot"])
    if 1 in traces:
        written += trace_tool.plot(traces[1], folder)
    return written


# Why a figure of one backend does not compare with the other's (side by side).
NOT_COMPARABLE = {
    "cpuid_round_trip": "the target counts Bochs cycles (one per instruction); QEMU's are 16 per instruction",
    "null_hypercall_round_trip": "as 2a; on SVM the bench guest's VMCALL is emulated from #UD, on the full path",
    "idle_host_instructions": "compare the ratios: a cycle is an instruction in Bochs, 1/16 of one in QEMU",
}


def side_by_side(bochs_json: Path, qemu_json: Path) -> str:
    """One markdown table of two results.json files, Bochs/VMX and QEMU/SVM."""
    bochs, qemu = json.loads(bochs_json.read_text()), json.loads(qemu_json.read_text())
    by_key = {f["key"]: f for f in qemu["figures"]}
    lines = [f"- Bochs/VMX: {bochs['setup']}.", f"- QEMU/SVM: {qemu['setup']}.", "",
             "| figure | Bochs/VMX | ratio | QEMU/SVM | ratio | note |", "|---|---|---|---|---|---|"]

    def cell(f: dict[str, object] | None) -> tuple[str, str]:
        if f is None or f["value"] is None:
            return "n/a", ""
        value = f"{fmt(float(f['value']))} {f['unit']}"  # type: ignore[arg-type]
        ratio = f"{float(f['ratio']):.3f}" if f["ratio"] is not None else ""  # type: ignore[arg-type]
        return value, ratio

    for f in bochs["figures"]:
        b_value, b_ratio = cell(f)
        q_value, q_ratio = cell(by_key.get(f["key"]))
        lines.append(f"| {f['name']} | {b_value} | {b_ratio} | {q_value} | {q_ratio} | "
                     f"{NOT_COMPARABLE.get(f['key'], '')} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    parser.add_argument("--runs", type=int, default=2, help="repeat everything this often and compare (default 2)")
    parser.add_argument("--emulator", choices=["bochs", "qemu"], default="bochs",
                        help="bochs: the VMX backend (default); qemu: the SVM backend, with -icount")
    parser.add_argument("--side-by-side", nargs=2, type=Path, metavar=("BOCHS_JSON", "QEMU_JSON"),
                        help="print the two results.json files as one table and stop")
    args = parser.parse_args()
    if args.side_by_side:
        print(side_by_side(*args.side_by_side), end="")
        return 0
    output = output_dir(args.build_dir, args.emulator)
    output.mkdir(parents=True, exist_ok=True)
    all_results = []
    for run in range(args.runs):
        print(f"bench: run {run + 1} of {args.runs} ({len(BOOTS) + 2} {args.emulator} boots)", file=sys.stderr)
        all_results.append(measure(args.build_dir, args.emulator))
    results = all_results[0]
    repeated = None
    note = "One run only: repeatability not checked."
    if len(all_results) > 1:
        ok, differences = compare(all_results[0], all_results[1])
        worst = max(differences.items(), key=lambda item: item[1])
        repeated = {"runs": len(all_results), "within_1_percent": ok, "relative_differences": differences}
        note = (f"Two runs agree within 1% on every figure (largest difference {worst[1] * 100:.3f}%, {worst[0]})."
                if ok else f"Two runs DIFFER by more than 1%: {worst[0]} by {worst[1] * 100:.2f}%.")
    table = markdown(results, note, args.emulator)
    (output / "results.md").write_text(table)
    (output / "results.json").write_text(json.dumps(as_json(results, repeated, args.emulator), indent=2) + "\n")
    for name, serial in results.serial.items():
        (output / f"serial-{name}.log").write_text(serial)
    print(table)
    plots = plot(results, output)
    for path in plots:
        print(f"wrote {path}")
    if not plots:
        print("bench: matplotlib is not installed (pip install matplotlib): no plots", file=sys.stderr)
    print(f"wrote {output / 'results.md'} and {output / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
