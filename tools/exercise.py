#!/usr/bin/env python3
"""The VMX exercise made from this tree (docs/teachers.md, docs/students.md).

    python3 tools/exercise.py write DEST        the exercise students get: every
                                                 milestone's solution replaced by its stub
    python3 tools/exercise.py write DEST --solved-upto K
                                                 milestones 1..K solved, the rest stubs
    python3 tools/exercise.py check             the markers parse, every milestone has
                                                 regions, stubs and tests
    python3 tools/exercise.py grade [--quick]   runs the milestone tests of this tree and
                                                 prints milestones, tests passed and points;
                                                 exits non-zero until every milestone is done
    python3 tools/exercise.py matrix DEST       writes and grades the tree of every
                                                 cumulative state (slow: one build each)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import exercise, milestones  # noqa: E402
from matryoshka.paths import SOURCE_DIR  # noqa: E402

# The grader's quick checks: the milestone tests that need no emulator.
QUICK_PATHS = ["tests/unit", "tests/tools"]


def check(source_dir: Path) -> list[str]:
    """What is wrong with the markers and the milestone table (empty: nothing)."""
    problems: list[str] = []
    try:
        marked = exercise.marked_files(source_dir)
    except exercise.MarkerError as error:
        return [str(error)]
    numbers = {milestone.number for milestone in milestones.MILESTONES}
    regions_by_milestone: dict[int, int] = {}
    for name, regions in marked.items():
        for region in regions:
            if region.milestone == exercise.LAYER_MILESTONE:
                continue
            if region.milestone not in numbers:
                problems.append(f"{name}:{region.begin_line}: no milestone {region.milestone}")
            regions_by_milestone[region.milestone] = regions_by_milestone.get(region.milestone, 0) + 1
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
    return problems


@dataclass
class Row:
    milestone: milestones.Milestone
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def done(self) -> bool:
        return self.passed > 0 and self.failed == 0


def run_milestone_tests(source_dir: Path, quick: bool, extra: list[str]) -> dict[int, Row]:
    rows = {milestone.number: Row(milestone) for milestone in milestones.MILESTONES}
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "milestones.jsonl"
        python = source_dir / ".venv" / "bin" / "python"
        command = [str(python if python.exists() else sys.executable), "-m", "pytest", "-q", "--milestones-only",
                   f"--milestone-report={report}", "-p", "no:cacheprovider", *(QUICK_PATHS if quick else []), *extra]
        subprocess.run(command, cwd=source_dir, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        lines = report.read_text().splitlines() if report.exists() else []
    for line in lines:
        outcome = json.loads(line)
        row = rows[outcome["milestone"]]
        if outcome["outcome"] == "passed":
            row.passed += 1
        elif outcome["outcome"] == "failed":
            row.failed += 1
        else:
            row.skipped += 1
    return rows


def grade_table(rows: dict[int, Row], quick: bool) -> tuple[str, int | None]:
    """The table the grader prints and the first unmet milestone (None: all met)."""
    out = [f"{'milestone':<62} {'tests':>9} {'points':>7}"]
    first_unmet = None
    score = total = 0
    for number, row in sorted(rows.items()):
        ran = row.passed + row.failed
        if quick and ran == 0:
            out.append(f"{number:>2} {row.milestone.title:<59} {'-':>9} {'-':>7}  (no quick tests)")
            continue
        points = row.milestone.points if row.done else 0
        score, total = score + points, total + row.milestone.points
        if not row.done and first_unmet is None:
            first_unmet = number
        out.append(f"{number:>2} {row.milestone.title:<59} {row.passed:>4}/{ran:<4} "
                   f"{points:>3}/{row.milestone.points:<3}")
    out.append(f"score: {score}/{total}")
    if first_unmet is None:
        out.append("every milestone is done")
    else:
        milestone = milestones.by_number(first_unmet)
        out.append(f"first unmet milestone: {first_unmet} ({milestone.title}): {milestone.write}")
    return "\n".join(out), first_unmet


def grade(source_dir: Path, quick: bool, extra: list[str]) -> int:
    rows = run_milestone_tests(source_dir, quick, extra)
    table, first_unmet = grade_table(rows, quick)
    print(table)
    return 0 if first_unmet is None else 1


def matrix(destination: Path) -> int:
    """For every k, the tree with milestones 1..k solved must report k+1 as its
    first unmet milestone (and the full tree none)."""
    wrong = 0
    for solved in range(len(milestones.MILESTONES) + 1):
        tree = destination / f"solved-{solved}"
        exercise.write_tree(SOURCE_DIR, tree, solved, keep_layers=solved == len(milestones.MILESTONES))
        print(f"== milestones 1..{solved} solved: {tree}", flush=True)
        subprocess.run([sys.executable, str(tree / "tools" / "dev.py"), "setup"], check=True)
        rows = run_milestone_tests(tree, quick=False, extra=[])
        table, first_unmet = grade_table(rows, quick=False)
        print(table, flush=True)
        expected = solved + 1 if solved < len(milestones.MILESTONES) else None
        if first_unmet != expected:
            print(f"MATRIX FAIL: expected first unmet milestone {expected}, got {first_unmet}")
            wrong += 1
    return 1 if wrong else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    jobs = parser.add_subparsers(dest="job", required=True)
    write = jobs.add_parser("write", help="write an exercise tree")
    write.add_argument("destination", type=Path)
    write.add_argument("--solved-upto", type=int, default=0, metavar="K")
    jobs.add_parser("check", help="check the markers and the milestone table")
    grade_job = jobs.add_parser("grade", help="run the milestone tests and print the table")
    grade_job.add_argument("--quick", action="store_true", help="only the tests that need no emulator")
    grade_job.add_argument("pytest_arguments", nargs=argparse.REMAINDER)
    matrix_job = jobs.add_parser("matrix", help="write and grade every cumulative tree")
    matrix_job.add_argument("destination", type=Path)
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
    if args.job == "grade":
        return grade(SOURCE_DIR, args.quick, args.pytest_arguments)
    return matrix(args.destination)


if __name__ == "__main__":
    sys.exit(main())
