#!/usr/bin/env python3
"""The VMX exercise made from this tree (docs/teachers.md, docs/students.md).

    python3 tools/exercise.py write DEST        the exercise students get: every
                                                 milestone's solution replaced by its stub
    python3 tools/exercise.py write DEST --solved-upto K
                                                 milestones 1..K solved, the rest stubs
    python3 tools/exercise.py check             the markers parse, every milestone has
                                                 regions, stubs and tests
    python3 tools/exercise.py milestones [N]    each milestone's text: what to read, what to
                                                 write, how to see it work
    python3 tools/exercise.py grade [--quick|--all]
                                                 runs the milestone tests of this tree and
                                                 prints milestones, tests passed and points;
                                                 exits non-zero until every milestone is done.
                                                 It stops at the first unmet milestone (they
                                                 are cumulative); --all runs past it
    python3 tools/exercise.py matrix DEST [--full] [--solved K]
                                                 writes the tree of every cumulative state and
                                                 checks in tree K that milestone K passes and
                                                 K+1 fails on its own stub (--full: grades
                                                 every milestone of every tree; hours)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import build as build_tree  # noqa: E402
from matryoshka import exercise, grading, milestones  # noqa: E402
from matryoshka.paths import SOURCE_DIR  # noqa: E402

# The grader's quick checks: the milestone tests that need no emulator.
QUICK_PATHS = ["tests/unit", "tests/tools"]
# The VMX backend's own code: a milestone with regions only here leaves SVM whole.
VMX_BACKEND = Path("hypervisor/vmx")


def check(source_dir: Path) -> list[str]:
    """What is wrong with the markers and the milestone table (empty: nothing)."""
    problems: list[str] = []
    try:
        marked = exercise.marked_files(source_dir)
    except exercise.MarkerError as error:
        return [str(error)]
    numbers = {milestone.number for milestone in milestones.MILESTONES}
    regions_by_milestone: dict[int, int] = {}
    # The milestones with a region outside the VMX backend's own folder.
    shared: set[int] = set()
    for name, regions in marked.items():
        for region in regions:
            if region.milestone == exercise.LAYER_MILESTONE:
                continue
            if region.milestone not in numbers:
                problems.append(f"{name}:{region.begin_line}: no milestone {region.milestone}")
            regions_by_milestone[region.milestone] = regions_by_milestone.get(region.milestone, 0) + 1
            if not name.is_relative_to(VMX_BACKEND):
                shared.add(region.milestone)
            text = milestones.not_done_text(milestones.by_number(region.milestone)) \
                if region.milestone in numbers else ""
            if text and not any(text in line for line in region.stub) and not any(
                    f"MILESTONE_NOT_DONE({region.milestone}," in line for line in region.stub):
                problems.append(f"{name}:{region.begin_line}: the stub neither says '{text}' "
                                "nor uses MILESTONE_NOT_DONE")
    for milestone in milestones.MILESTONES:
        if not regions_by_milestone.get(milestone.number):
            problems.append(f"milestone {milestone.number} ({milestone.slug}) has no solution region")
        if not milestone.tests:
            problems.append(f"milestone {milestone.number} ({milestone.slug}) has no tests")
        if milestone.shared != (milestone.number in shared):
            where = "outside" if milestone.number in shared else "only in"
            problems.append(f"milestone {milestone.number} ({milestone.slug}) has regions {where} {VMX_BACKEND}/: "
                            f"its 'shared' must be {milestone.number in shared} (the SVM runs of its tests "
                            f"{'need' if milestone.number in shared else 'do not need'} it)")
    return problems


def run_milestone_tests(source_dir: Path, quick: bool, extra: list[str], *, stop: bool = False,
                        only: tuple[int, ...] = ()) -> dict[int, grading.Row]:
    """Runs the milestone tests of the tree at `source_dir` in one pytest session and
    returns its rows. `stop`: in milestone order, stopping at the first failure
    (milestones are cumulative); `only`: just these milestones' tests."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "milestones.jsonl"
        python = source_dir / ".venv" / "bin" / "python"
        command = [str(python if python.exists() else sys.executable), "-m", "pytest", "-q", "--milestones-only",
                   f"--milestone-report={report}", "-p", "no:cacheprovider", *(QUICK_PATHS if quick else [])]
        command += ["--milestone-stop"] if stop else []
        command += [f"--milestone-select={','.join(map(str, only))}"] if only else []
        subprocess.run([*command, *extra], cwd=source_dir, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        return grading.read_report(report)


def grade(source_dir: Path, quick: bool, run_all: bool, extra: list[str]) -> int:
    rows = run_milestone_tests(source_dir, quick, extra, stop=not quick and not run_all)
    table, first_unmet = grading.grade_table(rows, quick)
    print(table)
    return 0 if first_unmet is None else 1


def matrix_verdict(solved: int, rows: dict[int, grading.Row]) -> list[str]:
    """What is wrong with the tree solving milestones 1..`solved`, graded on its
    milestones `solved` and `solved + 1` (empty: nothing): `solved` must be done,
    `solved + 1` unmet, and its failure, when it names a stub, must name its own
    (unit tests of pure code name none)."""
    problems = []
    if solved and not rows[solved].done:
        problems.append(f"milestone {solved} is not done with milestones 1..{solved} solved "
                        f"(its tests need a later milestone, or a later stub breaks them)")
    following = rows.get(solved + 1)
    if following is not None:
        if following.done or following.failed == 0:
            problems.append(f"milestone {solved + 1} did not fail with its solution left out")
        elif following.says and solved + 1 not in following.says:
            # A later milestone's sentence beside k+1's is fine: milestone 11's stub runs
            # every VM in the thread that starts it and says so, in every tree before 11.
            named = ", ".join(map(str, sorted(following.says)))
            problems.append(f"milestone {solved + 1}'s tests failed naming milestone(s) {named}, "
                            f"not milestone {solved + 1}")
    return problems


def matrix(destination: Path, full: bool, only: tuple[int, ...]) -> int:
    """For every k, the tree with milestones 1..k solved must report k+1 as its first
    unmet milestone, failing with k+1's own sentence. The default checks milestones
    k and k+1 in tree k (k's tests pass without any later milestone; k+1's fail on
    its own stub); `full` grades every milestone of every tree (also catches a stub
    that breaks an earlier milestone's tests: much slower)."""
    wrong = 0
    count = len(milestones.MILESTONES)
    # One tree, written once and then resolved in place from state to state, so each
    # build recompiles only the files of the regions that changed.
    tree = (destination / "tree").resolve()
    for solved in only or tuple(range(count + 1)):
        started = time.monotonic()
        if (tree / exercise.TREE_FILE).exists():
            exercise.resolve_tree(SOURCE_DIR, tree, solved, keep_layers=solved == count)
        else:
            exercise.write_tree(SOURCE_DIR, tree, solved, keep_layers=solved == count)
        print(f"== milestones 1..{solved} solved: {tree}", flush=True)
        build_tree.build(tree, tree / "build", quiet=True, base_dir=exercise.ccache_base(tree))
        python = SOURCE_DIR / ".venv" / "bin" / "python"
        if python.exists() and not (tree / ".venv").exists():
            (tree / ".venv").symlink_to(SOURCE_DIR / ".venv")
        if full:
            rows = run_milestone_tests(tree, quick=False, extra=[], stop=False)
            table, first_unmet = grading.grade_table(rows, quick=False)
            problems = [] if first_unmet == (solved + 1 if solved < count else None) else [
                f"expected first unmet milestone {solved + 1 if solved < count else None}, got {first_unmet}"]
        else:
            checked = tuple(number for number in (solved, solved + 1) if 1 <= number <= count)
            rows = run_milestone_tests(tree, quick=False, extra=[], stop=True, only=checked)
            table = grading.grade_table({n: row for n, row in rows.items() if n in checked}, quick=False)[0]
            problems = matrix_verdict(solved, rows)
        print(table, flush=True)
        for problem in problems:
            print(f"MATRIX FAIL: milestones 1..{solved} solved: {problem}", flush=True)
        print(f"== milestones 1..{solved} solved: {'FAIL' if problems else 'ok'} "
              f"in {time.monotonic() - started:.0f} s", flush=True)
        wrong += bool(problems)
    return 1 if wrong else 0


def describe(milestone: milestones.Milestone) -> str:
    """A milestone's short text, as `exercise.py milestones` prints it."""
    return "\n".join([f"{milestone.number}. {milestone.title} ({milestone.points} points)",
                      f"   read:  {milestone.read}", f"   write: {milestone.write}",
                      f"   see:   {milestone.see}"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    jobs = parser.add_subparsers(dest="job", required=True)
    write = jobs.add_parser("write", help="write an exercise tree")
    write.add_argument("destination", type=Path)
    write.add_argument("--solved-upto", type=int, default=0, metavar="K")
    jobs.add_parser("check", help="check the markers and the milestone table")
    texts = jobs.add_parser("milestones", help="print each milestone's text")
    texts.add_argument("number", type=int, nargs="?")
    grade_job = jobs.add_parser("grade", help="run the milestone tests and print the table")
    grade_job.add_argument("--quick", action="store_true", help="only the tests that need no emulator")
    grade_job.add_argument("--all", action="store_true", dest="run_all",
                           help="run every milestone's tests, also past the first unmet milestone (slow)")
    grade_job.add_argument("pytest_arguments", nargs=argparse.REMAINDER)
    matrix_job = jobs.add_parser("matrix", help="write and grade every cumulative tree")
    matrix_job.add_argument("destination", type=Path)
    matrix_job.add_argument("--full", action="store_true", help="grade every milestone of every tree (hours)")
    matrix_job.add_argument("--solved", type=int, action="append", default=[], metavar="K",
                            help="only the tree with milestones 1..K solved (repeatable)")
    args = parser.parse_args()
    if args.job == "write":
        if not 0 <= args.solved_upto <= len(milestones.MILESTONES):
            parser.error(f"--solved-upto is 0 to {len(milestones.MILESTONES)}")
        problems = check(SOURCE_DIR)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 2
        stubs = exercise.write_tree(SOURCE_DIR, args.destination, args.solved_upto,
                                    keep_layers=args.solved_upto == len(milestones.MILESTONES))
        print(f"exercise.py: wrote {args.destination} with milestones 1..{args.solved_upto} solved, "
              f"{stubs} regions as stubs")
        return 0
    if args.job == "check":
        problems = check(SOURCE_DIR)
        print("\n".join(problems) if problems else "exercise.py: the markers and milestones are consistent")
        return 1 if problems else 0
    if args.job == "milestones":
        chosen = [milestones.by_number(args.number)] if args.number else list(milestones.MILESTONES)
        print("\n\n".join(describe(milestone) for milestone in chosen))
        return 0
    if args.job == "grade":
        return grade(SOURCE_DIR, args.quick, args.run_all, args.pytest_arguments)
    return matrix(args.destination.resolve(), args.full, tuple(args.solved))


if __name__ == "__main__":
    sys.exit(main())
