"""The exercise's solution markers, tree writer, milestone table and grader table
(tools/matryoshka/exercise.py, milestones.py, tools/exercise.py), on the build machine."""
from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KERNEL_TEST_PATTERN, SOLVED_UPTO, SOURCE_DIR
from matryoshka import exercise, grading, hostile, milestones

sys.path.insert(0, str(SOURCE_DIR / "tools"))
import dev  # noqa: E402
import exercise as exercise_tool  # noqa: E402

# Tests of this tree's own markers: an exercise tree has none left (its regions are
# stubs already), so there they do not apply.
needs_the_solution = pytest.mark.skipif(SOLVED_UPTO < len(milestones.MILESTONES),
                                        reason="an exercise tree: its solution regions are stubs already")

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
    # SVM's runs need only the milestones whose stubs sit in code both backends run.
    ("tests/system/test_pvfs.py::test_guest_runs_ls_from_the_hosts_files[qemu-svm]", 10),
    ("tests/system/test_pvfs.py::test_hostile_file_guests_get_an_error_code_for_everything[qemu-svm]", 11),
    ("tests/system/test_exit_trace.py::test_exit_statistics_count_ports_per_port[qemu-svm]", 11),
    ("tests/system/test_kernel_tests.py::test_in_kernel[qemu-pvfs.guest_kernel_reads_and_writes_host_files]", 10),
    ("tests/system/test_kernel_tests.py::test_set_ran_exactly_the_registered_tests[hypervisor-qemu]", 11),
    ("tests/system/test_kernel_tests.py::test_set_ran_exactly_the_registered_tests[vmx-qemu]", None),
    # Found by the exercise tree's whole run: they need these milestones' code.
    ("tests/unit/test_unit_tests.py::test_unit[shadow_ept_reads_l1s_tables_only_from_l1s_ram]", 3),
    ("tests/system/test_gdb_helpers.py::test_gdb_breaks_in_the_cpuid_exit_handler_and_reads_the_exit_reason_live", 4),
])
def test_a_test_belongs_to_the_milestone_that_names_it(nodeid: str, number: int | None) -> None:
    found = milestones.milestone_of(nodeid)
    assert (found.number if found else None) == number


def test_grader_reports_the_first_unmet_milestone_and_its_points() -> None:
    rows = {m.number: grading.Row(m, passed=3) for m in milestones.MILESTONES}
    rows[4] = grading.Row(milestones.by_number(4), passed=1, failed=1)
    table, first_unmet = grading.grade_table(rows, quick=False)
    assert first_unmet == 4
    total = sum(m.points for m in milestones.MILESTONES)
    assert f"score: {total - milestones.by_number(4).points}/{total}" in table
    assert "first unmet milestone: 4 (VM exits: CPUID and VMCALL)" in table
    done = {m.number: grading.Row(m, passed=1) for m in milestones.MILESTONES}
    assert grading.grade_table(done, quick=False)[1] is None


def test_a_milestone_whose_tests_all_skipped_is_not_done() -> None:
    rows = {m.number: grading.Row(m, passed=1) for m in milestones.MILESTONES}
    rows[1] = grading.Row(milestones.by_number(1), skipped=6)
    assert grading.grade_table(rows, quick=False)[1] == 1


@needs_the_solution
def test_this_tree_has_consistent_markers_and_every_milestone_a_region() -> None:
    assert exercise_tool.check(SOURCE_DIR) == []


@needs_the_solution
def test_a_milestone_shared_with_svm_is_exactly_one_with_a_region_outside_the_vmx_backend(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`shared` decides whether SVM's runs of a milestone's tests need it: the check
    refuses a flag that disagrees with where the milestone's regions are."""
    assert {m.number for m in milestones.MILESTONES if m.shared} == {9, 10, 11}
    flipped = tuple(dataclasses.replace(m, shared=not m.shared) if m.number in (4, 10) else m
                    for m in milestones.MILESTONES)
    monkeypatch.setattr(milestones, "MILESTONES", flipped)
    problems = exercise_tool.check(SOURCE_DIR)
    assert len(problems) == 2, problems
    assert "milestone 4 (exits) has regions only in hypervisor/vmx/: its 'shared' must be False" in problems[0]
    assert "milestone 10 (vfs) has regions outside hypervisor/vmx/: its 'shared' must be True" in problems[1]


def test_a_vm_ended_by_an_exercise_stub_never_ends_as_its_hostile_class_must() -> None:
    """A stub's sentence may hold the words of the expected end ("end the VM on a
    triple fault"), so the exercise tree would pass a test it must fail."""
    run = hostile.GuestRun("1", "triple_fault", state="failed", reason="triple fault at guest RIP 0x100a")
    assert run.ended_as_expected()
    run.reason = f"{milestones.not_done_text(milestones.by_number(5))}: end the VM on a triple fault, saying where"
    assert not run.ended_as_expected()


@pytest.fixture(scope="module")
def collected() -> list[str]:
    """The node IDs of every test of this tree, as pytest collects them."""
    listing = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                             cwd=SOURCE_DIR, capture_output=True, text=True)
    nodeids = [line for line in listing.stdout.splitlines() if "::" in line]
    assert nodeids, listing.stdout + listing.stderr
    return nodeids


def test_every_milestone_pattern_matches_a_collected_test(collected: list[str]) -> None:
    for milestone in milestones.MILESTONES:
        for pattern in milestone.tests:
            assert any(milestones.milestone_of(nodeid) == milestone and milestones.names(pattern, nodeid)
                       for nodeid in collected), f"milestone {milestone.number}: {pattern} matches no test"


# What in a test file's source may start a VM: a guest on the kernel's command line,
# the shell's `vm start`, the emulator parameter of the VM tests (bochs-vmx,
# qemu-svm), or the word guest at all (tools/soak.py starts its guests itself).
STARTS_A_VM = re.compile(r"\bvm=|\bvm start\b|HYPERVISOR_EMULATORS|(?i:\bguests?\b)")
# A run of an in-kernel test set: test_in_kernel[EMULATOR-SET.NAME], test_set_ran_...[SET-EMULATOR].
KERNEL_SET_RUN = re.compile(r"test_kernel_tests\.py::test_(?:in_kernel\[[a-z]+-(\w+)\.|set_ran_\w+\[(\w+)-[a-z]+\])")


def hypervisor_test_sets(source_dir: Path) -> set[str]:
    """The in-kernel test sets with a test in the hypervisor's sources: they start VMs."""
    return {name for source in sorted((source_dir / "hypervisor").rglob("*.cpp"))
            for name, _ in KERNEL_TEST_PATTERN.findall(source.read_text())}


def files_starting_a_vm(source_dir: Path) -> set[str]:
    return {f"tests/system/{path.name}" for path in sorted((source_dir / "tests" / "system").glob("test_*.py"))
            if STARTS_A_VM.search(path.read_text())}


def vm_tests_in_no_milestone(nodeids: list[str], vm_files: set[str], vm_sets: set[str]) -> list[str]:
    """The tests of `nodeids` that start a VM (by their emulator parameter, their
    file or their in-kernel set) yet are in no milestone and not listed as
    milestone-free: in the exercise tree each may need solution code and fail
    outside the milestones, which the tree's test run must never do."""
    found = []
    for nodeid in filter(lambda nodeid: nodeid.startswith("tests/system/"), nodeids):
        kernel_set = KERNEL_SET_RUN.search(nodeid)
        starts_a_vm = ("bochs-vmx" in nodeid or "qemu-svm" in nodeid or nodeid.split("::")[0] in vm_files
                       or (kernel_set is not None and (kernel_set[1] or kernel_set[2]) in vm_sets))
        if starts_a_vm and milestones.milestone_of(nodeid) is None and milestones.free_reason(nodeid) is None:
            found.append(nodeid)
    return found


def test_every_test_that_starts_a_vm_is_in_a_milestone_or_says_why_not(collected: list[str]) -> None:
    """The static half of the exercise tree's promise (its full run is the other):
    a new VM test cannot slip in outside the milestones without a reason."""
    vm_files, vm_sets = files_starting_a_vm(SOURCE_DIR), hypervisor_test_sets(SOURCE_DIR)
    assert "tests/system/test_pvfs.py" in vm_files and {"vmx", "hypervisor"} <= vm_sets, (vm_files, vm_sets)
    missing = vm_tests_in_no_milestone(collected, vm_files, vm_sets)
    assert not missing, ("these tests start a VM but are in no milestone: add each to the milestone it needs "
                         "last, or to MILESTONE_FREE with why it passes in the exercise tree "
                         "(tools/matryoshka/milestones.py, docs/teachers.md):\n" + "\n".join(missing))


def test_every_milestone_free_entry_names_a_test_outside_the_milestones(collected: list[str]) -> None:
    for pattern, reason in milestones.MILESTONE_FREE:
        named = [nodeid for nodeid in collected if milestones.names(pattern, nodeid)]
        assert named and reason, f"MILESTONE_FREE: {pattern} names no test"
        assert not any(milestones.milestone_of(nodeid) for nodeid in named), \
            f"MILESTONE_FREE: {pattern} names a milestone's test"


@pytest.mark.parametrize("nodeid, found", [
    ("tests/system/test_new.py::test_guest_runs[bochs-vmx]", True),
    ("tests/system/test_new.py::test_guest_runs[qemu-svm]", True),
    ("tests/system/test_new_vm_file.py::test_anything", True),
    ("tests/system/test_kernel_tests.py::test_in_kernel[bochs-newset.some_test]", True),
    ("tests/system/test_kernel_tests.py::test_set_ran_exactly_the_registered_tests[newset-qemu]", True),
    ("tests/system/test_kernel_tests.py::test_in_kernel[bochs-memory.some_test]", False),
    ("tests/system/test_new.py::test_kernel_alone[bochs]", False),
    ("tests/system/test_pvfs.py::test_guest_runs_ls_from_the_hosts_files[bochs-vmx]", False),
    ("tests/system/test_exercise_tree.py::test_anything", False),
])
def test_a_new_vm_test_in_no_milestone_is_found(nodeid: str, found: bool) -> None:
    """The check above can fail: a new test that starts a VM, in no milestone and not
    listed as milestone-free, is found; one in a milestone or listed is not."""
    vm_files = {"tests/system/test_new_vm_file.py", "tests/system/test_exercise_tree.py"}
    assert vm_tests_in_no_milestone([nodeid], vm_files, {"newset"}) == ([nodeid] if found else [])


@pytest.fixture(scope="module")
def written_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The exercise tree of this repository (written, not built)."""
    tree = tmp_path_factory.mktemp("exercise") / "tree"
    exercise.write_tree(SOURCE_DIR, tree, solved_upto=0)
    return tree


@needs_the_solution
def test_exercise_tree_of_this_repository_holds_no_solution_line(written_tree: Path) -> None:
    """Every line of a solution region that appears once in its solution file is
    gone from the exercise tree's file."""
    for name, regions in exercise.marked_files(SOURCE_DIR).items():
        original = (SOURCE_DIR / name).read_text().splitlines()
        written = (written_tree / name).read_text()
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


def solution_lines(source_dir: Path) -> set[str]:
    """The lines of every milestone's solution regions, stripped, longer than a
    closing brace or a bare `return 0;` (which any text may hold)."""
    found = set()
    for regions in exercise.marked_files(source_dir).values():
        for region in regions:
            if region.milestone != exercise.LAYER_MILESTONE:
                found |= {line.strip() for line in region.solution if len(line.strip()) > 12}
    return found


def quoted_solution_lines(tree: Path, pages: list[Path], solution: set[str]) -> list[str]:
    return [f"{page.relative_to(tree)}:{number}: {line.strip()}" for page in pages
            for number, line in enumerate(page.read_text().splitlines(), start=1)
            if any(solved in line for solved in solution)]


@needs_the_solution
def test_exercise_tree_docs_quote_no_solution_line(written_tree: Path) -> None:
    solution = solution_lines(SOURCE_DIR)
    assert len(solution) > 50, "the regions' lines were not found"
    pages = sorted(written_tree.glob("docs/**/*.md")) + [written_tree / "README.md"]
    assert len(pages) > 10, pages
    quoted = quoted_solution_lines(written_tree, pages, solution)
    assert not quoted, "the exercise's docs quote solution code:\n" + "\n".join(quoted[:10])


@needs_the_solution
def test_a_doc_quoting_a_solution_line_is_found(tmp_path: Path) -> None:
    """The check above can fail: a page quoting one line of a region is caught."""
    solution = solution_lines(SOURCE_DIR)
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text(f"Some text.\n\n    {sorted(solution)[0]}\n")
    assert quoted_solution_lines(tmp_path, [page], solution) == [f"docs/page.md:3: {sorted(solution)[0]}"]


def report_file(tmp_path: Path, outcomes: list[tuple[int, str, list[int]]]) -> Path:
    path = tmp_path / "report.jsonl"
    path.write_text("".join(json.dumps({"nodeid": f"t{i}", "milestone": number, "outcome": outcome, "says": says})
                            + "\n" for i, (number, outcome, says) in enumerate(outcomes)))
    return path


def test_grade_from_a_report_counts_not_graded_tests_as_unmet(tmp_path: Path) -> None:
    outcomes = [(1, "passed", []), (2, "failed", [2, 11]), (2, "not_graded", [])]
    outcomes += [(m.number, "not_graded", []) for m in milestones.MILESTONES[2:]]
    rows = grading.read_report(report_file(tmp_path, outcomes))
    table, first_unmet = grading.grade_table(rows, quick=False)
    assert first_unmet == 2
    assert f"milestones done: 1 of {len(milestones.MILESTONES)}" in table
    assert "its failing tests say: milestone 2 is not done yet\n" in table + "\n"
    assert "(stopped at its first failure, 1 not run)" in table
    assert "(not graded: needs milestone 2 first)" in table.splitlines()[3]


def test_whole_test_run_of_the_solution_must_do_every_milestone(tmp_path: Path) -> None:
    count = len(milestones.MILESTONES)
    every = report_file(tmp_path, [(m.number, "passed", []) for m in milestones.MILESTONES])
    assert dev.grade_of_run(every, solved_upto=count).status == 0
    assert f"milestones done: {count} of {count}" in dev.grade_of_run(every, solved_upto=count).text
    # A milestone whose tests all skipped (Bochs missing, say) is not done in the solution.
    skipped = report_file(tmp_path, [(m.number, "skipped" if m.number == 7 else "passed", [])
                                     for m in milestones.MILESTONES])
    graded = dev.grade_of_run(skipped, solved_upto=count)
    assert graded.status == 1 and "milestone 7 is not done" in graded.text
    # In an exercise tree the grade is information: the failed tests already failed the run.
    assert dev.grade_of_run(skipped, solved_upto=0).status == 0


@pytest.mark.parametrize("solved, outcomes, complaint", [
    (3, [(3, "passed", []), (4, "failed", [4])], None),
    (0, [(1, "failed", [1])], None),
    (3, [(3, "failed", [10]), (4, "failed", [4])], "milestone 3 is not done with milestones 1..3 solved"),
    (3, [(3, "passed", []), (4, "passed", [])], "milestone 4 did not fail"),
    (3, [(3, "passed", []), (4, "failed", [4, 11])], None),
    (3, [(3, "passed", []), (4, "failed", [10, 11])], "failed naming milestone(s) 10, 11"),
    (3, [(3, "passed", []), (4, "failed", [])], None),
    (len(milestones.MILESTONES), [(len(milestones.MILESTONES), "passed", [])], None),
])
def test_matrix_checks_milestone_k_passes_and_k_plus_1_fails_on_its_own_stub(
        tmp_path: Path, solved: int, outcomes: list[tuple[int, str, list[int]]], complaint: str | None) -> None:
    problems = exercise_tool.matrix_verdict(solved, grading.read_report(report_file(tmp_path, outcomes)))
    if complaint is None:
        assert problems == []
    else:
        assert len(problems) == 1 and complaint in problems[0], problems


def test_every_milestone_says_what_to_read_write_and_how_to_see_it_in_gdb() -> None:
    printed = subprocess.run([sys.executable, str(SOURCE_DIR / "tools" / "exercise.py"), "milestones"],
                             capture_output=True, text=True, check=True).stdout
    for milestone in milestones.MILESTONES:
        assert any(source in milestone.read for source in ("SDM", "datasheet", "docs/", "slides")), milestone.slug
        assert "in GDB" in milestone.see, f"milestone {milestone.number} names no GDB command to see it work"
        assert f"{milestone.number}. {milestone.title}" in printed and milestone.write in printed, milestone.slug


def test_a_written_tree_is_resolved_in_place_touching_only_the_files_that_change(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.cpp").write_text(SOURCE)
    (source / "b.cpp").write_text("int b();\n")
    exercise.write_tree(source, tmp_path / "out", solved_upto=0)
    resolved = {name: (tmp_path / "out" / name) for name in ("a.cpp", "b.cpp")}
    assert exercise.resolve_tree(source, tmp_path / "out", solved_upto=2) == 1
    assert resolved["a.cpp"].read_text() == exercise.render(SOURCE, solved_upto=2)
    assert exercise.solved_upto(tmp_path / "out", 12) == 2
    assert exercise.resolve_tree(source, tmp_path / "out", solved_upto=3) == 0  # milestone 3 has no region here
    assert exercise.resolve_tree(source, tmp_path / "out", solved_upto=4) == 1
    assert "return 4;" in resolved["a.cpp"].read_text() and resolved["b.cpp"].read_text() == "int b();\n"
    # A file the source changed since the tree was written follows it.
    (source / "b.cpp").write_text("int b(int);\n")
    assert exercise.resolve_tree(source, tmp_path / "out", solved_upto=4) == 1
    assert resolved["b.cpp"].read_text() == "int b(int);\n"
