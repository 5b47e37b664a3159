#!/usr/bin/env python3
"""Walks every allocation failure point the fault-walk program knows
(user/programs/faultwalk.cpp, docs/hostile-guests.md "Memory"): the file and
process system calls in QEMU, the guest lifecycle (vm start of a test guest and
of /boot/kernel) in Bochs, which implements VMX.

    python3 tools/faultwalk.py --all              # everything (Bochs: long)
    python3 tools/faultwalk.py files process      # some groups or operations
    python3 tools/faultwalk.py --max 20 vm.guest  # the first 20 sites of one

Prints each operation's figures and the totals (sites tried, panics, leaks);
exit status 0 when nothing panicked, leaked or answered wrongly."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import faultwalk, paths, runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402

HOST_GROUPS = ["files", "process"]
VM_GROUPS = ["vm"]


def emulator_for(selector: str) -> str:
    return "bochs" if selector.split(".")[0] in VM_GROUPS else "qemu"


def walk(emulator: str, selectors: list[str], max_sites: int | None, build_dir: Path, timeout: float,
         work_dir: Path) -> faultwalk.WalkResult | None:
    config = RunConfig(emulator=emulator, kernel=paths.kernel_file(build_dir), cmdline="",
                       modules=[paths.initrd_file(build_dir)], memory_mib=256, headless=True, timeout=timeout,
                       work_dir=work_dir / emulator)
    result = runner.run(config, serial_input=faultwalk.shell_steps(selectors, max_sites))
    walked = faultwalk.parse(result.serial)
    if walked is None:
        print(f"{emulator}: no summary: {result.verdict.name}: {result.reason}")
        print("\n".join(result.serial.splitlines()[-30:]))
    return walked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("selectors", nargs="*", help="groups (files, process, vm) or operations (files.read)")
    parser.add_argument("--all", action="store_true", help="every group")
    parser.add_argument("--max", type=int, default=None, help="sites per operation at most")
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per emulator run")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/matryoshka-faultwalk"))
    args = parser.parse_args(argv)
    selectors = HOST_GROUPS + VM_GROUPS if args.all or not args.selectors else args.selectors
    by_emulator: dict[str, list[str]] = {}
    for selector in selectors:
        by_emulator.setdefault(emulator_for(selector), []).append(selector)
    sites = leaks = wrong = 0
    alive = True
    for emulator, chosen in by_emulator.items():
        walked = walk(emulator, chosen, args.max, args.build_dir, args.timeout, args.work_dir)
        if walked is None:
            alive = False
            continue
        for operation in walked.operations.values():
            print(f"{emulator}: {operation.name}: {operation.sites} sites, {operation.failed} failed with an errno, "
                  f"{operation.absorbed} absorbed, {operation.leaks} leaks")
        sites, leaks, wrong = sites + walked.sites, leaks + walked.leaks, wrong + walked.wrong
    print(f"sites tried: {sites}, panics: {0 if alive else 'yes (a run ended without its summary)'}, "
          f"leaks: {leaks}, wrong results: {wrong}")
    return 0 if alive and leaks == 0 and wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
