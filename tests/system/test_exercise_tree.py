"""The VMX exercise as students get it (docs/teachers.md): written from this tree by
tools/exercise.py, it builds, holds no solution code, its grader's quick checks fail
naming the unmet milestones, and in Bochs `vm start` says which milestone is missing
instead of crashing; the solution's grader passes the same quick checks. The full
matrix of cumulative trees is `python3 tools/exercise.py matrix DEST` (slow)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, explain
from matryoshka import build as build_tree
from matryoshka import exercise, milestones, paths, runner
from matryoshka.emulators import RunConfig
from matryoshka.verdict import Verdict

# Beneath the solution's build folder, so ccache shares the objects of every file
# the two trees have in common (tools/matryoshka/build.py).
TREE = BUILD_DIR / "exercise" / "tree"


@pytest.fixture(scope="module")
def exercise_tree() -> Path:
    shutil.rmtree(TREE.parent, ignore_errors=True)
    exercise.write_tree(SOURCE_DIR, TREE, solved_upto=0)
    build_tree.build(TREE, TREE / "build", quiet=True, base_dir=exercise.ccache_base(TREE))
    return TREE


def grade_quick(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(tree / "tools" / "exercise.py"), "grade", "--quick"], cwd=tree,
                          capture_output=True, text=True, timeout=900)


def test_exercise_tree_builds_a_kernel_without_solution_code(exercise_tree: Path) -> None:
    assert (exercise_tree / "build" / "kernel.elf").exists()
    for name in exercise.marked_files(SOURCE_DIR):
        written = (exercise_tree / name).read_text()
        assert "// SOLUTION" not in written, name
        assert written == exercise.render((SOURCE_DIR / name).read_text(), 0, str(name)), name


def test_exercise_grader_quick_checks_fail_naming_the_milestones(exercise_tree: Path) -> None:
    graded = grade_quick(exercise_tree)
    assert graded.returncode == 1, graded.stdout + graded.stderr
    total = sum(m.points for m in milestones.MILESTONES if any("test_unit_tests" in t for t in m.tests))
    assert f"score: 0/{total}" in graded.stdout, graded.stdout
    first = min(m.number for m in milestones.MILESTONES if any("test_unit_tests" in t for t in m.tests))
    assert f"first unmet milestone: {first} " in graded.stdout, graded.stdout
    assert milestones.not_done_text(milestones.by_number(first)) in graded.stdout, graded.stdout


def test_solution_grader_quick_checks_pass() -> None:
    graded = grade_quick(SOURCE_DIR)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "every milestone is done" in graded.stdout, graded.stdout


def test_exercise_kernel_in_bochs_says_which_milestone_is_missing(exercise_tree: Path, tmp_path: Path) -> None:
    build = exercise_tree / "build"
    config = RunConfig(emulator="bochs", kernel=paths.kernel_file(build),
                       cmdline="vm=/guests/cpuid vm_timeout_ms=30000", modules=[paths.initrd_file(build)],
                       headless=True, timeout=240, work_dir=tmp_path)
    result = runner.run(config)
    assert milestones.not_done_text(milestones.by_number(1)) in result.serial, explain(result)
    assert result.verdict == Verdict.PASSED, "the host did not carry on\n" + explain(result)
