"""The VMX exercise as students get it (docs/teachers.md): written from this tree by
tools/exercise.py, it builds, holds no solution code, its grader's quick checks fail
naming the unmet milestones and its full grade reports 0 of N; in Bochs, under GDB
as `make debug-bochs` runs it, the helpers work and `vm start` says which milestone
is missing instead of crashing. Turned into the tree with milestones 1..3 solved, it
grades 3 of N with milestone 4 first unmet, failing on 4's own stub (cumulative). The
solution's N of N is read from the whole run's own results by tools/dev.py test. The
full matrix of cumulative trees is `python3 tools/exercise.py matrix DEST`.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SOLVED_UPTO, SOURCE_DIR
from matryoshka import build as build_tree
from matryoshka import exercise, milestones

# Beneath the solution's build folder, so ccache shares the objects of every file
# the trees have in common (tools/matryoshka/build.py).
TREE = BUILD_DIR / "exercise" / "tree"
# The cheap check that milestones are cumulative: the tree with these solved.
MIDWAY_SOLVED = 3
COUNT = len(milestones.MILESTONES)
TOTAL_POINTS = sum(milestone.points for milestone in milestones.MILESTONES)
# These tests check the solution's tree writer; an exercise tree has no solution to
# write trees from (its regions are stubs already), so there they do not apply.
pytestmark = pytest.mark.skipif(SOLVED_UPTO < COUNT, reason="an exercise tree: the trees are written from the solution")


@pytest.fixture(scope="module")
def exercise_tree() -> Path:
    shutil.rmtree(TREE, ignore_errors=True)
    exercise.write_tree(SOURCE_DIR, TREE, solved_upto=0)
    build_tree.build(TREE, TREE / "build", quiet=True, base_dir=exercise.ccache_base(TREE))
    return TREE


def grade(tree: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(tree / "tools" / "exercise.py"), "grade", *arguments], cwd=tree,
                          capture_output=True, text=True, timeout=1200)


def test_exercise_tree_builds_a_kernel_without_solution_code(exercise_tree: Path) -> None:
    assert (exercise_tree / "build" / "kernel.elf").exists()
    for name in exercise.marked_files(SOURCE_DIR):
        written = (exercise_tree / name).read_text()
        assert "// SOLUTION" not in written, name
        assert written == exercise.render((SOURCE_DIR / name).read_text(), 0, str(name)), name


def test_exercise_grader_quick_checks_fail_naming_the_milestones(exercise_tree: Path) -> None:
    graded = grade(exercise_tree, "--quick")
    assert graded.returncode == 1, graded.stdout + graded.stderr
    total = sum(m.points for m in milestones.MILESTONES if any("test_unit_tests" in t for t in m.tests))
    assert f"score: 0/{total}" in graded.stdout, graded.stdout
    first = min(m.number for m in milestones.MILESTONES if any("test_unit_tests" in t for t in m.tests))
    assert f"first unmet milestone: {first} " in graded.stdout, graded.stdout
    assert milestones.not_done_text(milestones.by_number(first)) in graded.stdout, graded.stdout


def test_exercise_grader_full_run_reports_0_of_n_milestones(exercise_tree: Path) -> None:
    """The grade without --quick: milestone 1's first failing test ends it (one Bochs
    boot), and every later milestone, which needs it, is reported not graded."""
    graded = grade(exercise_tree)
    assert graded.returncode == 1, graded.stdout + graded.stderr
    assert f"milestones done: 0 of {COUNT}" in graded.stdout, graded.stdout
    assert f"score: 0/{TOTAL_POINTS}" in graded.stdout, graded.stdout
    assert "first unmet milestone: 1 (VMX on and VMXON)" in graded.stdout, graded.stdout
    assert f"its failing tests say: {milestones.not_done_text(milestones.by_number(1))}" in graded.stdout, \
        graded.stdout
    assert re.search(rf"^{COUNT} .*\(not graded: needs milestone 1 first\)$", graded.stdout, re.MULTILINE), \
        graded.stdout


@pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")
def test_exercise_kernel_under_gdb_in_bochs_says_which_milestone_is_missing(exercise_tree: Path) -> None:
    """make debug-bochs in the exercise tree: GDB stops in milestone 1's stub, the
    helpers read the threads and the (absent) VMCS, and after GDB detaches `vm
    start` fails naming milestone 1 while the host carries on to a normal end."""
    commands = ["break enter_vmx_operation", "continue", "mx-threads", "mx-vmcs", "detach"]
    run = subprocess.run([sys.executable, str(exercise_tree / "tools" / "run.py"), "--emulator", "bochs", "--debug",
                          "--timeout", "240", "--append", "vm=/guests/cpuid vm_mem=8 vm_timeout_ms=30000"]
                         + [a for c in commands for a in ("--gdb-batch", c)],
                         cwd=exercise_tree / "build", capture_output=True, text=True, timeout=400,
                         env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
    output = run.stdout + run.stderr
    assert re.search(r"^Breakpoint 1, enter_vmx_operation \(\) at .*vmx_support\.cpp", run.stdout, re.MULTILINE), \
        output
    assert re.search(r"^\*\s+0 main\s+running", run.stdout, re.MULTILINE), output
    assert "no live VMCS (vmread: this CPU is not in VMX operation)" in run.stdout, output
    missing = milestones.not_done_text(milestones.by_number(1))
    assert f"[host vmx] vm start /guests/cpuid: {missing}" in run.stdout, output
    assert run.returncode == 0, "the host did not carry on\n" + output


def test_midway_tree_grades_the_milestones_before_4_done_and_fails_4_on_its_own_stub(exercise_tree: Path) -> None:
    """Last in this file: it turns the exercise tree into the one with milestones
    1..3 solved, in place, so that make recompiles only the files of their regions."""
    exercise.resolve_tree(SOURCE_DIR, exercise_tree, MIDWAY_SOLVED)
    build_tree.build(exercise_tree, exercise_tree / "build", quiet=True, base_dir=exercise.ccache_base(exercise_tree))
    graded = grade(exercise_tree)
    assert graded.returncode == 1, graded.stdout + graded.stderr
    assert f"milestones done: {MIDWAY_SOLVED} of {COUNT}" in graded.stdout, graded.stdout
    following = milestones.by_number(MIDWAY_SOLVED + 1)
    assert f"first unmet milestone: {following.number} ({following.title})" in graded.stdout, graded.stdout
    assert f"its failing tests say: {milestones.not_done_text(following)}\n" in graded.stdout, graded.stdout
