#!/usr/bin/env python3
"""Bring your own kernel: runs a Multiboot kernel of your own (a SWEB build's
kernel.x, say) as a guest of Matryoshka in Bochs, with its text screen on this
terminal and the keys you type going to its PS/2 keyboard.

  python3 tools/byok.py KERNEL [--module FILE ...] [--disk IMAGE[,ro] ...]
                        [--append CMDLINE] [--mem MiB]

The files are put into the host's file system under /byok/ (a copy of the
build's initrd; zero pages of a disk image cost the host no memory), the host
boots in Bochs and its shell runs `vm start --front ... /byok/KERNEL ...`. The
serial log (the host's lines and your kernel's COM1/0xE9 lines, "[vm1] ...")
goes to build/byok/run/serial.log. Ctrl-C ends Bochs. --disk needs the IDE
controller (`vm start --disk`). Needs a built tree (cmake, make)."""
from __future__ import annotations

import argparse
import contextlib
import sys
import termios
import tty
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import byok, paths, runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402
from matryoshka.verdict import Verdict  # noqa: E402

PROMPT = "$ "
# The host needs room for the initrd (the module, given back after unpacking)
# and for the guest's RAM.
HOST_MEMORY_SLACK_MIB = 192


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kernel", type=Path, help="your Multiboot kernel (ELF32, or with address fields)")
    parser.add_argument("--module", action="append", type=Path, default=[], help="a Multiboot module (repeatable)")
    parser.add_argument("--disk", action="append", type=byok.Disk.parse, default=[],
                        help="a disk image, IMAGE or IMAGE,ro (repeatable; primary master first)")
    parser.add_argument("--append", default="", help="your kernel's command line")
    parser.add_argument("--mem", type=int, default=64, help="the guest's RAM in MiB (default: %(default)s)")
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    return parser.parse_args(argv)


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    for path in [args.kernel, *args.module, *(disk.path for disk in args.disk)]:
        if not path.is_file():
            print(f"byok.py: {path} is not a file", file=sys.stderr)
            return int(Verdict.CANNOT_RUN)
    base = paths.initrd_file(args.build_dir)
    if not base.exists():
        print(f"byok.py: {base} is missing: build first (cmake -S . -B build && make -C build)", file=sys.stderr)
        return int(Verdict.CANNOT_RUN)
    files = byok.GuestFiles(args.kernel, tuple(args.module), tuple(args.disk))
    work = args.build_dir / "byok"
    initrd = work / "initrd.cpio"
    byok.make_initrd(base, files, initrd)
    command = byok.vm_start_command(files, args.mem, args.append)
    image_mib = sum(path.stat().st_size for _, path in files.destinations()) >> 20
    if not sys.stdin.isatty():
        print("byok.py: needs a terminal: your kernel's screen is drawn on it", file=sys.stderr)
        return int(Verdict.CANNOT_RUN)
    print(f"byok.py: booting the host in Bochs; its shell runs: {command}", file=sys.stderr)
    config = RunConfig(emulator="bochs", kernel=paths.kernel_file(args.build_dir), modules=[initrd],
                       memory_mib=args.mem + image_mib + HOST_MEMORY_SLACK_MIB, headless=True,
                       work_dir=work / "run", display_terminal=sys.stdin.fileno())
    with raw_terminal(sys.stdin.fileno()):
        result = runner.run(config, serial_input=[(PROMPT, command + "\r")])
    print(f"\nbyok.py: {result.verdict.name.lower().replace('_', ' ')}: {result.reason}; "
          f"serial log in {config.work_dir}", file=sys.stderr)
    return int(result.verdict)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
