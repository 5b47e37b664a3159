#!/usr/bin/env python3
"""Benchmark: wall time and emulated instructions from emulator start to the
kernel's banner, in QEMU and in Bochs. Prints figures; it is not a test.

Emulated instructions come from the kernel's own line "time stamp counter at
banner: N": Bochs advances the TSC once per emulated instruction, and QEMU does with
-icount shift=0 (which this benchmark turns on), so N counts every instruction the
virtual CPU ran since power-on, firmware and boot loader included."""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matryoshka import paths, runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402

BANNER = "[host boot] Matryoshka kernel"
TSC_LINE = re.compile(r"\[host boot\] time stamp counter at banner: (\d+)")


def measure(emulator: str, build_dir: Path, work_dir: Path) -> tuple[float, int]:
    config = RunConfig(emulator=emulator, kernel=paths.kernel_file(build_dir), cmdline="test=boot",
                       headless=True, timeout=300, work_dir=work_dir, qemu_extra=["-icount", "shift=0"])
    banner_at: list[float] = []
    started = time.monotonic()

    def watch(serial: str) -> None:
        if not banner_at and BANNER in serial:
            banner_at.append(time.monotonic() - started)

    result = runner.run(config, on_serial=watch)
    match = TSC_LINE.search(result.serial)
    if not banner_at or not match:
        raise SystemExit(f"{emulator}: no banner ({result.verdict.name}: {result.reason})")
    return banner_at[0], int(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    args = parser.parse_args()
    print(f"{'emulator':<10} {'wall time to banner':>20} {'emulated instructions':>22}")
    with tempfile.TemporaryDirectory() as work:
        for emulator in ("qemu", "bochs"):
            wall, instructions = measure(emulator, args.build_dir, Path(work) / emulator)
            print(f"{emulator:<10} {wall:>18.2f} s {instructions:>22,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
