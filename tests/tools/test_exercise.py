"""The exercise's solution markers, tree writer, milestone table and grader table
(tools/matryoshka/exercise.py, milestones.py, tools/exercise.py), on the build machine."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SOURCE_DIR
from matryoshka import exercise, milestones

sys.path.insert(0, str(SOURCE_DIR / "tools"))
import exercise as exercise_tool  # noqa: E402

SOURCE = """int before();
int f(int x)
{
    // SOLUTION BEGIN 2
    int y = x * 2;
    return y + 1;
    // SOLUTION STUB 2: (void)x;
    // SOLUTION STUB 2: return fail("milestone 2 is not done yet: double it");
    // SOLUTION END 2
}
int g()
{
    // SOLUTION BEGIN 4
    return 4;
    // SOLUTION STUB 4: return fail("milestone 4 is not done yet: four");
    // SOLUTION END 4
}
"""


def test_exercise_tree_gets_every_stub_uncommented_at_the_markers_indent() -> None:
    text = exercise.render(SOURCE, solved_upto=0)
    assert "SOLUTION" not in text
    assert "x * 2" not in text and "return 4;" not in text
    assert '    (void)x;\n    return fail("milestone 2 is not done yet: double it");\n}' in text
    assert text.startswith("int before();\n") and text.endswith("}\n")


def test_solved_milestones_keep_their_solution_and_lose_their_markers() -> None:
    text = exercise.render(SOURCE, solved_upto=2)
    assert "    int y = x * 2;\n    return y + 1;\n}" in text
    assert "milestone 2" not in text and "milestone 4 is not done yet" in text
    full = exercise.render(SOURCE, solved_upto=len(milestones.MILESTONES))
    assert full == "\n".join(line for line in SOURCE.splitlines() if "SOLUTION" not in line) + "\n"


@pytest.mark.parametrize("broken, complaint", [
    ("// SOLUTION BEGIN 1\n// SOLUTION BEGIN 1\n", "inside the region"),
    ("// SOLUTION END 1\n", "outside a region"),
    ("// SOLUTION BEGIN 1\nx;\n// SOLUTION END 1\n", "has no STUB line"),
    ("// SOLUTION BEGIN 1\n// SOLUTION STUB 2: y;\n// SOLUTION END 1\n", "in a region of milestone 1"),
    ("// SOLUTION BEGIN 1\n// SOLUTION STUB 1 y;\n// SOLUTION END 1\n", "SOLUTION STUB N: code"),
    ("// SOLUTION BEGIN 3\n// SOLUTION STUB 3: y;\n", "never ended"),
])
def test_broken_markers_are_refused_with_file_and_line(broken: str, complaint: str) -> None:
    with pytest.raises(exercise.MarkerError, match=complaint) as error:
        exercise.parse(broken, "x.cpp")
    assert str(error.value).startswith("x.cpp:")


def test_tree_writer_stubs_marked_files_and_copies_the_rest(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "hypervisor").mkdir(parents=True)
    (source / "hypervisor" / "a.cpp").write_text(SOURCE)
    (source / "notes.txt").write_text("// SOLUTION BEGIN 9 is only text here\n")
    (source / "build").mkdir()
    (source / "build" / "junk.o").write_text("x")
    stubs = exercise.write_tree(source, tmp_path / "out", solved_upto=2)
    assert stubs == 1
    written = (tmp_path / "out" / "hypervisor" / "a.cpp").read_text()
    assert "x * 2" in written and "return 4;" not in written and "SOLUTION" not in written
    assert (tmp_path / "out" / "notes.txt").read_text() == "// SOLUTION BEGIN 9 is only text here\n"
    assert not (tmp_path / "out" / "build").exists()
    assert json.loads((tmp_path / "out" / exercise.TREE_FILE).read_text()) == {"solved_upto": 2}
    assert exercise.solved_upto(tmp_path / "out", 12) == 2 and exercise.solved_upto(source, 12) == 12
    with pytest.raises(FileExistsError):
        exercise.write_tree(source, tmp_path / "out", solved_upto=0)


def test_milestones_are_numbered_in_order_with_tests_and_points() -> None:
    numbers = [milestone.number for milestone in milestones.MILESTONES]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(milestone.tests and milestone.points > 0 for milestone in milestones.MILESTONES)
    assert len({milestone.slug for milestone in milestones.MILESTONES}) == len(numbers)


@pytest.mark.parametrize("nodeid, number", [
    ("tests/system/test_kernel_tests.py::test_in_kernel[bochs-vmx.vmxon_enters_vmx_operation]", 1),
    ("tests/system/test_kernel_tests.py::test_set_ran_exactly_the_registered_tests[vmx-bochs]", 1),
    ("tests/system/test_kernel_tests.py::test_in_kernel[qemu-vmx.vmxon_enters_vmx_operation]", None),
    ("tests/tools/test_exercise.py::test_x[tests/system/test_pvfs.py::test_anything-11]", None),
    ("tests/unit/test_unit_tests.py::test_unit[ept_maps_a_4k_page_and_translates_its_bytes]", 3),
    ("tests/system/test_hypervisor.py::test_guest_ends_as_expected_and_host_carries_on[cpuid-bochs-vmx]", 4),
    ("tests/system/test_hypervisor.py::test_guest_ends_as_expected_and_host_carries_on[cpuid-qemu-svm]", None),
    ("tests/system/test_pvfs.py::test_anything", 10),
    ("tests/system/test_shell.py::test_anything", None),
])
def test_a_test_belongs_to_the_milestone_that_names_it(nodeid: str, number: int | None) -> None:
    found = milestones.milestone_of(nodeid)
    assert (found.number if found else None) == number


def test_grader_reports_the_first_unmet_milestone_and_its_points() -> None:
    rows = {m.number: exercise_tool.Row(m, passed=3) for m in milestones.MILESTONES}
    rows[4] = exercise_tool.Row(milestones.by_number(4), passed=1, failed=1)
    table, first_unmet = exercise_tool.grade_table(rows, quick=False)
    assert first_unmet == 4
    total = sum(m.points for m in milestones.MILESTONES)
    assert f"score: {total - milestones.by_number(4).points}/{total}" in table
    assert "first unmet milestone: 4 (VM exits: CPUID and VMCALL)" in table
    done = {m.number: exercise_tool.Row(m, passed=1) for m in milestones.MILESTONES}
    assert exercise_tool.grade_table(done, quick=False)[1] is None


def test_a_milestone_whose_tests_all_skipped_is_not_done() -> None:
    rows = {m.number: exercise_tool.Row(m, passed=1) for m in milestones.MILESTONES}
    rows[1] = exercise_tool.Row(milestones.by_number(1), skipped=6)
    assert exercise_tool.grade_table(rows, quick=False)[1] == 1


def test_this_tree_has_consistent_markers_and_every_milestone_a_region() -> None:
    assert exercise_tool.check(SOURCE_DIR) == []


def test_every_milestone_pattern_matches_a_collected_test() -> None:
    listing = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "--milestones-only",
                              "-p", "no:cacheprovider"], cwd=SOURCE_DIR, capture_output=True, text=True)
    nodeids = [line for line in listing.stdout.splitlines() if "::" in line]
    assert nodeids, listing.stdout + listing.stderr
    for milestone in milestones.MILESTONES:
        for pattern in milestone.tests:
            assert any(milestones.milestone_of(nodeid) == milestone and milestones.names(pattern, nodeid)
                       for nodeid in nodeids), f"milestone {milestone.number}: {pattern} matches no test"


def test_exercise_tree_of_this_repository_holds_no_solution_line(tmp_path: Path) -> None:
    """Every line of a solution region that appears once in its solution file is
    gone from the exercise tree's file."""
    exercise.write_tree(SOURCE_DIR, tmp_path / "tree", solved_upto=0)
    for name, regions in exercise.marked_files(SOURCE_DIR).items():
        original = (SOURCE_DIR / name).read_text().splitlines()
        written = (tmp_path / "tree" / name).read_text()
        assert "// SOLUTION" not in written, name
        for region in regions:
            if region.milestone == exercise.LAYER_MILESTONE:
                continue  # an optimization layer's plain code may repeat lines of the optimized one
            unique = [line for line in region.solution if len(line.strip()) > 12 and original.count(line) == 1]
            leaked = [line for line in unique if line in written.splitlines()]
            assert not leaked, f"{name}: solution lines of milestone {region.milestone} left: {leaked[:3]}"


def test_the_students_page_lists_every_milestone_in_order() -> None:
    page = (SOURCE_DIR / "docs" / "students.md").read_text()
    rows = [line for line in page.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    assert [(int(row.split("|")[1]), row.split("|")[2].strip()) for row in rows] == \
        [(m.number, m.title) for m in milestones.MILESTONES]


def test_an_optimization_layer_is_kept_only_in_the_solution_tree() -> None:
    text = "a;\n// LAYER BEGIN fast\nfast();\n// LAYER PLAIN fast: plain();\n// LAYER END fast\nb;\n"
    assert exercise.render(text, solved_upto=0) == "a;\nplain();\nb;\n"
    assert exercise.render(text, solved_upto=len(milestones.MILESTONES)) == "a;\nplain();\nb;\n"
    assert exercise.render(text, solved_upto=len(milestones.MILESTONES), keep_layers=True) == "a;\nfast();\nb;\n"
    with pytest.raises(exercise.MarkerError):
        exercise.parse("// LAYER BEGIN fast\nx;\n// LAYER PLAIN slow: y;\n// LAYER END fast\n")
