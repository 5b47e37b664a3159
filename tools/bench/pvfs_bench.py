#!/usr/bin/env python3
"""Benchmark: file throughput of a guest over the paravirtual file system next to
the host's own VFS, from one Bochs boot. The host runs `bench=vfs` on its ramfs,
then starts a guest of its own kernel whose root is the host's files
(docs/hypercalls.md) and which runs the same `bench=vfs` there: every transfer is
then a file call through the request ring, 4 KiB or 1 MiB at a time, and the
listing (`ls -l` of a directory of 200 files: getdents, then stat of each name)
is batched lookups and listings. Figures are TSC cycles, which in
Bochs count emulated instructions (host and hypervisor work included). Prints
figures; it is not a test. The observe branch's suite can call measure()."""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_command  # noqa: E402
from matryoshka import paths, runner  # noqa: E402
from matryoshka.emulators import QEMU_ICOUNT, RunConfig  # noqa: E402

# vm_writable=/: a VM's root is read-only unless named writable, and the guest's
# benchmark writes its file at its root.
CMDLINE = "bench=vfs vm=/boot/kernel vm_writable=/ vm_cmdline=bench=vfs+test=boot vm_timeout_ms=300000"
FIGURE = re.compile(r"^(?:\[vm1\] )?\[(?P<who>host|guest) fs\] bench vfs (?P<op>read|write) (?P<piece>\w+): "
                    r"(?P<bytes>\d+) bytes in (?P<cycles>\d+) cycles$")

LISTING = re.compile(r"^(?:\[vm1\] )?\[(?P<who>host|guest) fs\] bench vfs list (?P<piece>\w+): "
                     r"(?P<names>\d+) names in (?P<cycles>\d+) cycles$")

# (who, op, piece) -> (bytes or names, cycles); op "list" is the listing.
Figures = dict[tuple[str, str, str], tuple[int, int]]


def bench_config(emulator: str, build_dir: Path, cmdline: str, work_dir: Path) -> RunConfig:
    """A benchmark boot: Bochs (VMX, sync=none) or QEMU (SVM) counting
    instructions with -icount, so that figures in TSC cycles repeat."""
    return RunConfig(emulator=emulator, kernel=paths.kernel_file(build_dir), cmdline=cmdline,
                     modules=[paths.initrd_file(build_dir)], headless=True, timeout=600, work_dir=work_dir,
                     qemu_extra=list(QEMU_ICOUNT) if emulator == "qemu" else [])


def measure(build_dir: Path, work_dir: Path, emulator: str = "bochs") -> Figures:
    """Boots once and returns every figure the host and the guest logged."""
    config = bench_config(emulator, build_dir, CMDLINE, work_dir)
    result = runner.run(config)
    figures: Figures = {}
    for line in result.serial.splitlines():
        if match := FIGURE.match(line.strip()):
            figures[(match["who"], match["op"], match["piece"])] = (int(match["bytes"]), int(match["cycles"]))
        elif match := LISTING.match(line.strip()):
            figures[(match["who"], "list", match["piece"])] = (int(match["names"]), int(match["cycles"]))
    if len(figures) != 10:
        raise SystemExit(f"expected 10 figures, got {len(figures)} ({result.verdict.name}: {result.reason})")
    return figures


def bytes_per_kilocycle(bytes_moved: int, cycles: int) -> float:
    return bytes_moved * 1000 / cycles if cycles else 0.0


def print_table(figures: Figures) -> None:
    print(f"{'transfer':<14} {'host bytes/kcycle':>18} {'guest bytes/kcycle':>19} {'guest/host':>11}")
    for piece in ("4KiB", "1MiB"):
        for op in ("read", "write"):
            host = bytes_per_kilocycle(*figures[("host", op, piece)])
            guest = bytes_per_kilocycle(*figures[("guest", op, piece)])
            ratio = guest / host if host else 0.0
            print(f"{op + ' ' + piece:<14} {host:>18.1f} {guest:>19.1f} {ratio:>10.2f}x")
    for (who, op, piece), (names, cycles) in sorted(figures.items()):
        if op == "list":
            print(f"{who} ls -l of {piece}: {names} names in {cycles} cycles ({cycles / names:.0f} per name)")
    host_list = [value for key, value in figures.items() if key[0] == "host" and key[1] == "list"]
    guest_list = [value for key, value in figures.items() if key[0] == "guest" and key[1] == "list"]
    if host_list and guest_list:
        print(f"{'ls -l':<14} guest/host names per kcycle: {host_list[0][1] / guest_list[0][1]:.2f}x")


def main() -> int:
    return bench_command.run(__doc__, measure, print_table)


if __name__ == "__main__":
    sys.exit(main())
