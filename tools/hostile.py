#!/usr/bin/env python3
"""Runs the hostile-guest suite (docs/hostile-guests.md) for many seeds: per seed,
the chosen classes at once in as few Bochs boots as the kernel's 255-character
command line allows (all ten classes take two), each ending with the host's own
tests (set "hostile"). Prints, per class, the cases tried and how the guests ended, and per
boot whether the host survived and got every page back.

    tools/hostile.py --seeds 1-100
    tools/hostile.py --seeds 7,9 --classes memory,triple_fault

Exit status 0 when every guest ended as its class must, every host survived and
nothing leaked; 1 otherwise; 3 when Bochs cannot run here.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import paths  # noqa: E402
from matryoshka.hostile import CLASSES, boot_command_line, boot_groups, hostile_runs, page_accounting  # noqa: E402
from matryoshka.seed_boots import SeedBoots, parse_seeds  # noqa: E402
from matryoshka.verdict import Verdict  # noqa: E402


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1-10"), help="e.g. 1-100 or 3,7,9")
    parser.add_argument("--classes", default=",".join(CLASSES),
                        help="comma-separated, of: " + ", ".join(CLASSES) + " (default: all)")
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    parser.add_argument("--vm-timeout-ms", type=int, default=None,
                        help="emulated time after which the host stops the VMs still running (the spinning "
                             "one); default 8000, or 60000 with the port sweep, which needs about 30 s")
    parser.add_argument("--timeout", type=float, default=600, help="wall seconds per boot")
    parser.add_argument("--verbose", action="store_true", help="print each guest's summary line")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    classes = [cls for cls in arguments.classes.split(",") if cls]
    unknown = set(classes) - set(CLASSES)
    if unknown:
        print(f"hostile.py: unknown classes {sorted(unknown)}", file=sys.stderr)
        return 3
    timeout_ms = arguments.vm_timeout_ms or (60000 if "ports" in classes else 8000)
    cases: Counter[str] = Counter()
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    with SeedBoots("hostile", arguments.build_dir, arguments.timeout) as boots:
        for seed in arguments.seeds:
            groups = boot_groups(classes, seed, timeout_ms)
            for number, group in enumerate(groups, 1):
                label = f"seed {seed}" + (f" boot {number}/{len(groups)}" if len(groups) > 1 else "")
                result = boots.boot(boot_command_line(group, seed, timeout_ms), f"seed{seed}-{number}")
                if result is None:
                    return 3
                runs = hostile_runs(result)
                for run in runs:
                    cases[run.cls] += run.cases
                    outcomes[run.cls][run.outcome] += 1
                    if arguments.verbose:
                        print(f"{label} {run.cls}: {run.summary} -> {run.state}: {run.reason}")
                pages = page_accounting(result)
                problems = []
                if result.verdict != Verdict.PASSED:
                    problems.append(f"host: {result.reason}")
                if not pages.balanced():
                    problems.append(f"pages: {pages}")
                if len(runs) != len(group):
                    problems.append(f"{len(runs)} of {len(group)} guests started")
                boots.report(label, problems)
    print(f"\n{'class':<14} {'runs':>5} {'cases':>10}  outcomes")
    for cls in classes:
        counts = ", ".join(f"{count} {outcome}" for outcome, count in outcomes[cls].most_common())
        print(f"{cls:<14} {sum(outcomes[cls].values()):>5} {cases[cls]:>10}  {counts}")
    unexpected = sum(count for per_class in outcomes.values() for outcome, count in per_class.items()
                     if outcome != "as expected")
    print(f"\n{len(arguments.seeds)} seeds, {len(boots.failures)} boots with host problems, "
          f"{unexpected} unexpected endings")
    boots.print_failures()
    return 0 if not boots.failures and not unexpected else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
