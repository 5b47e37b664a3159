#!/usr/bin/env python3
"""Turns the exit trace a VM dumped over serial (kernel command line
`vm=... vm_trace=dump`, see hypervisor/vm/vm_report.h) into a table, a per-reason
histogram and, when matplotlib is installed (pip install matplotlib), two PNGs: a
timeline of the exits (host cycles per exit over time, by reason) and the
histogram. Reasons are decoded with hypervisor/vmx/vmx_data.py, the kernel's own
constants.

    tools/trace.py build/run-bochs/serial.log [--vm 1] [--plots build/trace]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import exit_log  # noqa: E402
from matryoshka.exit_log import Trace  # noqa: E402


def table(trace: Trace) -> list[str]:
    lines = [f"vm{trace.vm}: {trace.recorded} exits recorded, the last {len(trace.entries)} kept "
             f"(TSC {trace.tsc_hz} Hz)",
             f"{'#':>8} {'reason':<26} {'qualification':>18} {'guest RIP':>18} {'guest cycles':>13} "
             f"{'handler cycles':>15}"]
    for e in trace.entries:
        name = e.reason_name + (" (entry failure)" if e.entry_failure else "")
        lines.append(f"{e.sequence:>8} {name:<26} {e.qualification:>#18x} {e.guest_rip:>#18x} "
                     f"{e.guest_cycles:>13} {e.handler_cycles:>15}")
    return lines


def histogram(trace: Trace) -> list[str]:
    counts = sorted(trace.counts_by_reason().items(), key=lambda item: (-item[1], item[0]))
    widest = max((count for _, count in counts), default=1)
    handler: dict[str, int] = {}
    for e in trace.entries:
        handler[e.reason_name] = handler.get(e.reason_name, 0) + e.handler_cycles
    lines = [f"{'reason':<26} {'exits':>7} {'avg handler cycles':>19}"]
    for name, count in counts:
        bar = "#" * max(1, round(40 * count / widest))
        lines.append(f"{name:<26} {count:>7} {handler[name] // count:>19}  {bar}")
    return lines


def plot(trace: Trace, folder: Path) -> list[Path]:
    """Writes the timeline and the histogram as PNGs; [] without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    start = trace.entries[0].tsc if trace.entries else 0
    reasons = sorted(trace.counts_by_reason())
    figure, axes = plt.subplots(figsize=(10, 4))
    for name in reasons:
        entries = [e for e in trace.entries if e.reason_name == name]
        axes.scatter([(e.tsc - start) * 1000 / trace.tsc_hz for e in entries],
                     [max(e.handler_cycles, 1) for e in entries], s=8, label=name)
    axes.set_yscale("log")
    axes.set_xlabel("host time since the first traced exit (ms)")
    axes.set_ylabel("host cycles in the handler")
    axes.set_title(f"vm{trace.vm}: the last {len(trace.entries)} VM exits")
    axes.legend(fontsize="small", markerscale=2)
    figure.tight_layout()
    timeline = folder / f"vm{trace.vm}-timeline.png"
    figure.savefig(timeline, dpi=100)
    plt.close(figure)

    counts = trace.counts_by_reason()
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.barh(reasons, [counts[name] for name in reasons])
    axes.set_xlabel("exits")
    axes.set_title(f"vm{trace.vm}: exits by reason (last {len(trace.entries)})")
    figure.tight_layout()
    bars = folder / f"vm{trace.vm}-histogram.png"
    figure.savefig(bars, dpi=100)
    plt.close(figure)
    return [timeline, bars]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", type=Path, help="a serial log with a vm_trace=dump block")
    parser.add_argument("--vm", type=int, default=None, help="only this VM (default: every traced VM)")
    parser.add_argument("--plots", type=Path, default=None, help="write PNGs into this folder")
    args = parser.parse_args(argv)
    try:
        traces = exit_log.parse_traces(args.log.read_text(errors="replace"))
    except ValueError as error:
        print(f"trace.py: {error}", file=sys.stderr)
        return 1
    if args.vm is not None:
        traces = {vm: t for vm, t in traces.items() if vm == args.vm}
    if not traces:
        print("trace.py: no exit trace in the log (boot with vm_trace=dump)", file=sys.stderr)
        return 1
    for trace in traces.values():
        print("\n".join(table(trace)))
        print()
        print("\n".join(histogram(trace)))
        print()
        if args.plots is not None:
            written = plot(trace, args.plots)
            if not written:
                print("trace.py: matplotlib is not installed (pip install matplotlib): no plots", file=sys.stderr)
            for path in written:
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
