#!/usr/bin/env python3
"""Benchmark: context switches and page allocations per emulated second, measured
by the kernel itself (bench=core, kernel/test/core_bench.cpp) in Bochs, where the
TSC and the PIT follow the emulated instruction count (clock sync=none), so the
figures repeat from run to run. Prints figures; it is not a test."""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matryoshka import paths, runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402

BENCH = re.compile(r"^\[host test\] BENCH (?P<name>\w+): (?P<text>.*)$", re.MULTILINE)
PER_SECOND = re.compile(r"(\d+) per emulated second")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    parser.add_argument("--emulator", choices=["bochs", "qemu"], default="bochs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        config = RunConfig(emulator=args.emulator, kernel=paths.kernel_file(args.build_dir), cmdline="bench=core",
                           modules=[paths.initrd_file(args.build_dir)], headless=True, timeout=600,
                           work_dir=Path(work))
        result = runner.run(config)
    figures = {m["name"]: m["text"] for m in BENCH.finditer(result.serial)}
    if "context_switches" not in figures or "page_allocations" not in figures:
        print(f"no figures: {result.verdict.name}: {result.reason}", file=sys.stderr)
        return 1
    print(f"{'figure (' + args.emulator + ')':<40} {'per emulated second':>20}")
    for name in ("context_switches", "page_allocations"):
        per_second = PER_SECOND.search(figures[name])
        if per_second is None:
            print(f"no per-second figure in {name}: {figures[name]}", file=sys.stderr)
            return 1
        print(f"{name:<40} {int(per_second.group(1)):>20,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
