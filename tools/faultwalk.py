#!/usr/bin/env python3
"""Walks every allocation failure point the fault-walk program knows
(user/programs/faultwalk.cpp, docs/hostile-guests.md "Memory"): the file and
process system calls in QEMU, the guest lifecycle (vm start of a test guest and
of /boot/kernel) in Bochs, which implements VMX. One boot per operation, so a
panic in one does not hide the others.

    python3 tools/faultwalk.py --all              # everything
    python3 tools/faultwalk.py files process      # some groups or operations
    python3 tools/faultwalk.py --max 20 vm.guest  # the first 20 sites of one

Prints each operation's figures (or the panic that ended it) and the totals:
sites tried, panics, leaks. Exit status 0 when nothing panicked, leaked or
answered wrongly."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import faultwalk, paths, runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402


def emulator_for(operation: str) -> str:
    return "bochs" if operation.startswith("vm.") else "qemu"


def walk(operation: str, max_sites: int | None, build_dir: Path, timeout: float,
         work_dir: Path) -> tuple[faultwalk.WalkResult | None, str]:
    """The walk's figures, or None and why there are none."""
    emulator = emulator_for(operation)
    config = RunConfig(emulator=emulator, kernel=paths.kernel_file(build_dir), cmdline="",
                       modules=[paths.initrd_file(build_dir)], memory_mib=256, headless=True, timeout=timeout,
                       work_dir=work_dir / operation)
    result = runner.run(config, serial_input=faultwalk.shell_steps([operation], max_sites))
    walked = faultwalk.parse(result.serial)
    if walked is not None:
        return walked, ""
    reason = faultwalk.panic_reason(result.serial)
    return None, f"PANIC: {reason}" if reason else f"no summary: {result.verdict.name}: {result.reason}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("selectors", nargs="*", help="groups (files, process, vm) or operations (files.read)")
    parser.add_argument("--all", action="store_true", help="every operation (also without selectors)")
    parser.add_argument("--max", type=int, default=None, help="sites per operation at most")
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per boot")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/matryoshka-faultwalk"))
    args = parser.parse_args(argv)
    selectors = args.selectors if args.selectors and not args.all else ["files", "process", "vm"]
    operations = [name for selector in selectors for name in faultwalk.operations_of(selector)]
    if not operations:
        parser.error(f"no such group or operation: {' '.join(selectors)}")
    sites = leaks = wrong = panics = 0
    for operation in operations:
        walked, why = walk(operation, args.max, args.build_dir, args.timeout, args.work_dir)
        if walked is None:
            panics += 1
            print(f"{operation}: {why}", flush=True)
            continue
        for result in walked.operations.values():
            print(f"{result.name}: {result.sites} sites, {result.failed} failed with an errno, "
                  f"{result.absorbed} absorbed, {result.leaks} leaks", flush=True)
        sites, leaks, wrong = sites + walked.sites, leaks + walked.leaks, wrong + walked.wrong
    print(f"sites tried: {sites}, panics: {panics}, leaks: {leaks}, wrong results: {wrong}")
    return 0 if panics == 0 and leaks == 0 and wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
