"""The exercise's grade from a milestone report (docs/teachers.md): the table of
milestones, tests passed and points that `tools/exercise.py grade` prints and
`tools/dev.py test` prints after a full test run.

The report is what tests/conftest.py writes with --milestone-report: one JSON line
per milestone test, {"nodeid", "milestone", "outcome", "says"}, where outcome is
passed, failed, skipped or not_graded (the grader stopped before it: an earlier
milestone, or an earlier test of the same milestone, failed, and milestones are
cumulative), and "says" lists the milestones whose "not done yet" sentence the
test's own failure text holds (the stub that ran), before the harness names the
test's milestone in front of it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from matryoshka import milestones


@dataclass
class Row:
    milestone: milestones.Milestone
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    not_graded: int = 0
    # The milestones named by the "not done yet" sentences of this row's failures.
    says: set[int] = field(default_factory=set)

    @property
    def done(self) -> bool:
        """Every test that ran passed, one at least, and none was left out."""
        return self.passed > 0 and self.failed == 0 and self.not_graded == 0


def empty_rows() -> dict[int, Row]:
    return {milestone.number: Row(milestone) for milestone in milestones.MILESTONES}


def read_report(path: Path) -> dict[int, Row]:
    """The rows of a report file (a missing file: no test ran)."""
    rows = empty_rows()
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        outcome = json.loads(line)
        row = rows[outcome["milestone"]]
        kind = outcome["outcome"]
        if kind == "passed":
            row.passed += 1
        elif kind == "failed":
            row.failed += 1
            row.says.update(outcome.get("says", []))
        elif kind == "not_graded":
            row.not_graded += 1
        else:
            row.skipped += 1
    return rows


def grade_table(rows: dict[int, Row], quick: bool) -> tuple[str, int | None]:
    """The table the grader prints and the first unmet milestone (None: all met).
    With `quick`, a milestone none of whose tests ran is left out of the score."""
    out = [f"{'milestone':<62} {'tests':>9} {'points':>7}"]
    first_unmet = None
    score = total = done = counted = 0
    for number, row in sorted(rows.items()):
        ran = row.passed + row.failed
        if quick and ran == 0:
            out.append(f"{number:>2} {row.milestone.title:<59} {'-':>9} {'-':>7}  (no quick tests)")
            continue
        points = row.milestone.points if row.done else 0
        score, total = score + points, total + row.milestone.points
        done, counted = done + row.done, counted + 1
        if not row.done and first_unmet is None:
            first_unmet = number
        note = ""
        if ran == 0 and row.not_graded:
            note = f"  (not graded: needs milestone {first_unmet} first)"
        elif row.not_graded:
            note = f"  (stopped at its first failure, {row.not_graded} not run)"
        out.append(f"{number:>2} {row.milestone.title:<59} {row.passed:>4}/{ran:<4} "
                   f"{points:>3}/{row.milestone.points:<3}{note}")
    out.append(f"score: {score}/{total}")
    out.append(f"milestones done: {done} of {counted}")
    if first_unmet is None:
        out.append("every milestone is done")
    else:
        milestone = milestones.by_number(first_unmet)
        out.append(f"first unmet milestone: {first_unmet} ({milestone.title}): {milestone.write}")
        # Its own stub's sentence when it is there (the others are of later milestones
        # whose stubs only say so, like milestone 11's); otherwise every one it saw.
        said = [first_unmet] if first_unmet in rows[first_unmet].says else sorted(rows[first_unmet].says)
        if said:
            out.append("its failing tests say: " + "; ".join(milestones.not_done_text(milestones.by_number(n))
                                                             for n in said))
    return "\n".join(out), first_unmet


def milestones_named(text: str) -> list[int]:
    """The milestones whose "not done yet" sentence appears in `text`."""
    return [milestone.number for milestone in milestones.MILESTONES
            if milestones.not_done_text(milestone) in text]
