#!/usr/bin/env python3
"""The Matryoshka launcher: boots the kernel in QEMU, QEMU with KVM, or Bochs.

Used by the make targets (make qemu/kvm/bochs/debug/debug-bochs), by the tests and by people.
Exit status: 0 the kernel passed (tests passed, or a normal boot powered off),
1 it failed (a test failed, or it panicked), 2 no result (crash, triple fault,
hang, timeout), 3 cannot run here (emulator missing, no KVM, no kernel built).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import termios
import tty
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import image, paths, runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402
from matryoshka.verdict import Verdict  # noqa: E402

# What the shell's prompt ends with (user/programs/sh.cpp: "CWD$ ").
PROMPT = "$ "
# vm attach's way back to the host's shell (abi/vm.h VM_DETACH_KEY).
CTRL_RIGHT_BRACKET = "\x1d"


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emulator", choices=["qemu", "kvm", "bochs"], default="qemu")
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR,
                        help="the CMake build folder holding kernel.elf (default: %(default)s)")
    parser.add_argument("--headless", action="store_true",
                        help="no window: serial output (every kernel log line) on this terminal")
    parser.add_argument("--append", default="", help="the kernel command line, e.g. 'test=boot'")
    parser.add_argument("--module", action="append", type=Path, default=[],
                        help="a Multiboot module to load (repeatable); default: the build's initrd")
    parser.add_argument("--memory", type=int, default=256, help="guest memory in MiB (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds before the run counts as hung")
    parser.add_argument("--debug", action="store_true",
                        help="start halted with GDB attached: QEMU's GDB stub, or with --emulator bochs the "
                             "kernel's own (COM2, kernel command line gdb=com2); tools/gdb/matryoshka_gdb.py loaded")
    parser.add_argument("--gdb-batch", action="append", default=None, metavar="COMMAND",
                        help="with --debug: run GDB in batch mode with these commands (repeatable)")
    parser.add_argument("--make-iso", action="store_true", help="only write build/matryoshka.iso")
    parser.add_argument("--type", action="append", default=[], metavar="TEXT",
                        help="type TEXT and Enter into COM1 at the next shell prompt ('$ '); repeatable, "
                             "e.g. --type 'ls /bin' --type poweroff. Without --type, a standard input that is "
                             "no terminal is typed, one line per prompt: echo poweroff | make qemu")
    parser.add_argument("--detach", action="append_const", const=CTRL_RIGHT_BRACKET, dest="type",
                        help="press Ctrl-] at the next prompt, in the order of the --type texts: leaves the "
                             "guest's shell that `vm attach` typed into, back to the host's")
    parser.add_argument("--keyboard", action="store_true",
                        help="after the --type texts, this terminal types into COM1 key by key (Ctrl-] leaves "
                             "a guest's shell, `poweroff` in the host's shell ends, Ctrl-C stops the emulator)")
    return parser.parse_args(argv)


@contextlib.contextmanager
def keys_one_by_one(fd: int) -> Iterator[None]:
    """The terminal hands over each key at once and echoes nothing (the kernel's
    shell echoes); Ctrl-C still interrupts."""
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def make_config(args: argparse.Namespace) -> RunConfig:
    modules = list(args.module)
    initrd = paths.initrd_file(args.build_dir)
    if not modules and initrd.exists():
        modules = [initrd]
    return RunConfig(
        emulator=args.emulator,
        kernel=paths.kernel_file(args.build_dir),
        cmdline=args.append,
        modules=modules,
        memory_mib=args.memory,
        # Without a screen there is no window to open: run headless.
        headless=args.headless or not os.environ.get("DISPLAY"),
        timeout=args.timeout,
        work_dir=args.build_dir / f"run-{args.emulator}",
        interactive=sys.stdin.isatty() and not args.gdb_batch,
    )


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    config = make_config(args)
    if args.make_iso:
        output = args.build_dir / "matryoshka.iso"
        image.make_iso(config.kernel, config.cmdline, config.modules, output)
        print(f"run.py: wrote {output}")
        return 0
    if args.debug:
        return runner.run_debug(config, args.gdb_batch or [], batch=bool(args.gdb_batch))
    lines = args.type
    if not lines and not sys.stdin.isatty() and not args.gdb_batch:
        lines = sys.stdin.read().splitlines()
    typed = [(PROMPT, text if text == CTRL_RIGHT_BRACKET else text + "\r") for text in lines]
    if typed or args.keyboard:
        config.interactive = False  # COM1 is the typer's, not this terminal's
    if args.keyboard:
        if not sys.stdin.isatty():
            print("run.py: --keyboard needs a terminal on standard input", file=sys.stderr)
            return int(Verdict.CANNOT_RUN)
        with keys_one_by_one(sys.stdin.fileno()):
            result = runner.run(config, echo=sys.stdout, serial_input=typed, then_forward=sys.stdin.fileno())
    else:
        result = runner.run(config, echo=sys.stdout, serial_input=typed)
    print(f"\nrun.py: {result.verdict.name.lower().replace('_', ' ')}: {result.reason}", file=sys.stderr)
    if result.verdict in (Verdict.FAILED, Verdict.NO_RESULT) and args.emulator == "bochs":
        print(f"run.py: Bochs' log is {config.work_dir / 'bochs.log'}", file=sys.stderr)
        if result.screen:
            print(f"run.py: its last screen is {config.work_dir / 'screen.txt'}", file=sys.stderr)
    return int(result.verdict)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
