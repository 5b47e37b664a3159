#!/usr/bin/env python3
"""Runs the 64-bit hypercall fuzzer (docs/hypercalls.md, "Fuzzing") for many
seeds: one Bochs boot per group of seeds, whose one VM is our own kernel confined
to /hostile (writable there, hostfs=off) running the guest test
guestconfine.fuzz_random_hypercalls_get_an_errno_or_a_sane_answer, then the
host's boot tests. Prints per boot the guest's verdict and its per-seed counts.

    tools/fuzz.py --seeds 1-20
    tools/fuzz.py --seeds 100-199 --per-boot 20 --calls 5000

Exit status 0 when every guest passed, powered off by itself and the host
survived; 1 otherwise; 3 when Bochs cannot run here.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import paths, seed_boots  # noqa: E402
from matryoshka.seed_boots import SeedBoots  # noqa: E402
from matryoshka.verdict import Verdict  # noqa: E402

FUZZ_TEST = "guestconfine.fuzz_random_hypercalls_get_an_errno_or_a_sane_answer"
GUEST_OUTCOME = re.compile(r"^\[vm1\] \[guest test\] (?P<outcome>PASS|FAIL|SKIP): " + re.escape(FUZZ_TEST) +
                           r"(?::\s*(?P<why>.*))?$")
SEED_LINE = re.compile(r"^\[vm1\] \[guest test\] hcfuzz: (?P<text>seed \d+: .*)$")
VM_RESULT = re.compile(r"VM RESULT: vm1 (?P<state>\w+): (?P<reason>.*)$")


def parse_seeds(text: str) -> list[int]:
    """"1-5,9" -> [1, 2, 3, 4, 5, 9]; seeds start at 1."""
    seeds = seed_boots.parse_seeds(text)
    if any(seed < 1 for seed in seeds):
        raise argparse.ArgumentTypeError("seeds start at 1")
    return seeds


def runs_of(seeds: list[int]) -> list[tuple[int, int]]:
    """Consecutive seeds as (first, count) runs: one fuzz_seed/fuzz_rounds pair each."""
    runs: list[tuple[int, int]] = []
    for seed in sorted(set(seeds)):
        if runs and runs[-1][0] + runs[-1][1] == seed:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((seed, 1))
    return runs


def boot_command_line(first: int, rounds: int, calls: int, timeout_ms: int) -> str:
    guest = f"test=guestconfine+hostfs=off+fuzz_seed={first}+fuzz_rounds={rounds}+fuzz_calls={calls}"
    return (f"vm=/boot/kernel vm_mem=16 vm_root=/hostile vm_writable=/hostile vm_timeout_ms={timeout_ms} "
            f"vm_cmdline={guest} test=boot")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1-10"), help="e.g. 1-100 or 3,7,9")
    parser.add_argument("--per-boot", type=int, default=10, help="seeds one guest runs in a row (default 10)")
    parser.add_argument("--calls", type=int, default=2000, help="hypercalls per seed (default 2000)")
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    parser.add_argument("--vm-timeout-ms", type=int, default=600000, help="emulated time the VM may take")
    parser.add_argument("--timeout", type=float, default=1200, help="wall seconds per boot")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    groups: list[tuple[int, int]] = []
    for first, count in runs_of(arguments.seeds):
        for start in range(first, first + count, arguments.per_boot):
            groups.append((start, min(arguments.per_boot, first + count - start)))
    with SeedBoots("fuzz", arguments.build_dir, arguments.timeout) as boots:
        for first, rounds in groups:
            result = boots.boot(boot_command_line(first, rounds, arguments.calls, arguments.vm_timeout_ms),
                                f"seed{first}")
            if result is None:
                return 3
            lines = result.serial.splitlines()
            for line in lines:
                if match := SEED_LINE.match(line):
                    print(f"  {match['text']}")
            outcome = next((m for line in lines if (m := GUEST_OUTCOME.match(line))), None)
            ended = next((m for line in lines if (m := VM_RESULT.search(line))), None)
            problems = []
            if outcome is None or outcome["outcome"] != "PASS":
                problems.append(f"guest: {outcome.group(0) if outcome else 'the fuzz test did not report'}")
            if ended is None or ended["state"] != "stopped" or "status 0" not in ended["reason"]:
                problems.append(f"VM: {ended.group(0) if ended else 'no VM RESULT line'}")
            if result.verdict != Verdict.PASSED:
                problems.append(f"host: {result.reason}")
            boots.report(f"seeds {first}-{first + rounds - 1}", problems)
    print(f"\n{len(groups)} boots, {len(boots.failures)} with problems")
    boots.print_failures()
    return 0 if not boots.failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
