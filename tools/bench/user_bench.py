#!/usr/bin/env python3
"""Benchmark: system call round trips and file system throughput, measured by
user programs inside the OS. Boots the kernel (Bochs by default) with
run=/bin/syscall_bench,/bin/vfs_bench and reads the programs' "[user bench]"
lines, which the kernel relays as "[host user] PROGRAM: [user bench] ...".
Prints figures; it is not a test.

Times are the guest's clock_ns, i.e. emulated time: in Bochs the TSC and the PIT
advance with the emulated instructions (clock sync=none, ips = BOCHS_IPS), so
"per emulated second" means per BOCHS_IPS emulated instructions."""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matryoshka import paths, runner  # noqa: E402
from matryoshka.emulators import BOCHS_IPS, RunConfig  # noqa: E402

PROGRAMS = ["/bin/syscall_bench", "/bin/vfs_bench"]
BENCH_LINE = re.compile(r"^\[host user\] (?P<program>\w+): \[user bench\] (?P<text>.*)$", re.MULTILINE)
CALLS = re.compile(r"^(?P<name>[\w ]+): (?P<calls>\d+) calls, (?P<ns>\d+) ns total, (?P<per_call>\d+) ns per call$")
TRANSFER = re.compile(r"^vfs (?P<direction>read|write) (?P<size>\w+): (?P<mib>\d+) MiB in (?P<us>\d+) us, "
                      r"(?P<kib_per_second>\d+) KiB/s$")


def boot(emulator: str, build_dir: Path, work_dir: Path) -> tuple[str, float]:
    config = RunConfig(emulator=emulator, kernel=paths.kernel_file(build_dir), cmdline="run=" + ",".join(PROGRAMS),
                       modules=[paths.initrd_file(build_dir)], headless=True, timeout=1800, work_dir=work_dir)
    started = time.monotonic()
    result = runner.run(config)
    if result.verdict.name != "PASSED":
        raise SystemExit(f"{emulator}: {result.verdict.name}: {result.reason}")
    return result.serial, time.monotonic() - started


def report(serial: str) -> None:
    print(f"{'system call':<22} {'calls':>9} {'ns per call':>12} {'round trips per emulated s':>28}")
    transfers = []
    for match in BENCH_LINE.finditer(serial.replace("\r", "")):
        text = match["text"]
        if calls := CALLS.match(text):
            per_second = int(calls["calls"]) * 1_000_000_000 // max(int(calls["ns"]), 1)
            print(f"{calls['name']:<22} {int(calls['calls']):>9,} {int(calls['per_call']):>12,} {per_second:>28,}")
        elif transfer := TRANSFER.match(text):
            transfers.append(transfer)
    print()
    print(f"{'file system':<22} {'transfer':>9} {'MiB':>5} {'emulated ms':>12} {'MiB per emulated s':>20}")
    for transfer in transfers:
        mib_per_second = int(transfer["kib_per_second"]) / 1024
        print(f"{'vfs ' + transfer['direction']:<22} {transfer['size']:>9} {int(transfer['mib']):>5} "
              f"{int(transfer['us']) / 1000:>12,.1f} {mib_per_second:>20,.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emulator", choices=["bochs", "qemu"], default="bochs")
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        serial, wall = boot(args.emulator, args.build_dir, Path(work))
    clock = f"{BOCHS_IPS:,} emulated instructions per emulated second" if args.emulator == "bochs" else "QEMU TCG"
    print(f"{args.emulator} ({clock}), {wall:.1f} s wall time for the boot and both programs\n")
    report(serial)
    return 0


if __name__ == "__main__":
    sys.exit(main())
