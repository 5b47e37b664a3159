"""pytest harness: builds the kernel and the unit tests once, and gives tests a
cached way to boot the kernel in QEMU or Bochs and read what it printed."""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

SOURCE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SOURCE_DIR / "tools"))

from matryoshka import build as build_tree  # noqa: E402
from matryoshka import exercise, grading, milestones, paths, runner  # noqa: E402
from matryoshka.emulators import QEMU_ICOUNT, RunConfig  # noqa: E402
from matryoshka.verdict import RunResult  # noqa: E402

BUILD_DIR = Path(os.environ.get("MATRYOSHKA_BUILD_DIR", paths.DEFAULT_BUILD_DIR)).resolve()
KERNEL_TEST_PATTERN = re.compile(r"^KERNEL_TEST\((\w+),\s*(\w+)\)", re.MULTILINE)
# The user test programs the kernel runs with run= (tests/system/test_user_programs.py).
USER_TEST_PROGRAMS = ["fs_stress", "spawn_loop", "bad_syscalls"]
# A normal boot ends in a shell on COM1; typing this at its first prompt turns the
# machine off again, so that the run has a verdict.
POWER_OFF_AT_PROMPT = (("/$ ", "poweroff\r"),)
# Generous: Bochs on a loaded CI machine is several times slower than here.
BOOT_TIMEOUT = {"qemu": 60.0, "bochs": 240.0}
# The emulators whose CPU runs the hypervisor, named by its backend: Bochs
# emulates Intel VMX, QEMU's TCG AMD SVM with nested paging (-cpu max). Tests of
# the VM layer parametrize over both; tests whose figures depend on time (shares,
# timer rates) boot QEMU with `exact_time=True` (-icount, emulators.QEMU_ICOUNT),
# where time follows the instruction count as in Bochs.
HYPERVISOR_EMULATORS = [pytest.param("bochs", id="bochs-vmx"), pytest.param("qemu", id="qemu-svm")]


def build() -> None:
    """Configures and builds everything (make is incremental, so this is cheap when
    the README's command already built it)."""
    build_tree.build(SOURCE_DIR, BUILD_DIR, quiet=True, base_dir=exercise.ccache_base(SOURCE_DIR))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "milestone(number): the exercise milestone this test shows done")
    if not hasattr(config, "workerinput"):
        build()


# ---- The exercise's milestones (tools/matryoshka/milestones.py, docs/teachers.md).
SOLVED_UPTO = exercise.solved_upto(SOURCE_DIR, len(milestones.MILESTONES))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--milestones-only", action="store_true",
                     help="run only the tests of the exercise's milestones (the grader's selection)")
    parser.addoption("--milestone-report", metavar="FILE",
                     help="write each milestone test's outcome to FILE as JSON lines (for the grader)")
    parser.addoption("--milestone-stop", action="store_true",
                     help="run the milestone tests in milestone order and stop grading at the first failure: "
                          "the rest of that milestone and every later one are reported as not graded")
    parser.addoption("--milestone-select", metavar="N,M", default="",
                     help="only the tests of these milestones (with --milestones-only)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = {int(number) for number in config.getoption("--milestone-select").split(",") if number.strip()}
    kept: list[pytest.Item] = []
    for item in items:
        milestone = milestones.milestone_of(item.nodeid)
        if milestone is not None:
            item.add_marker(pytest.mark.milestone(milestone.number))
        if config.getoption("--milestones-only") and (
                milestone is None or (selected and milestone.number not in selected)):
            continue
        kept.append(item)
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
    if config.getoption("--milestone-stop"):
        # Cumulative milestones in their order (stable: tests sharing a boot stay together).
        items.sort(key=lambda item: milestone_number(item) or 0)


def milestone_number(item: pytest.Item) -> int | None:
    marker = item.get_closest_marker("milestone")
    return int(marker.args[0]) if marker else None


# --milestone-stop: the first milestone with a failed test (None: none yet).
MILESTONE_STOP_KEY = pytest.StashKey[int]()
NOT_GRADED = "not graded: "


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """--milestone-stop: a test of the failed milestone or a later one is not run
    (before its fixtures, so no boot or build is spent on it)."""
    failed = item.config.stash.get(MILESTONE_STOP_KEY, None)
    number = milestone_number(item)
    if failed is not None and number is not None and number >= failed:
        pytest.skip(f"{NOT_GRADED}milestone {failed} has a failed test and milestones are cumulative")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    number = milestone_number(item)
    # One line per test: its call, or the setup that failed or skipped instead.
    if number is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return report
    milestone = milestones.by_number(number)
    own_text = str(report.longrepr) if report.failed else ""
    if report.failed and milestone.number > SOLVED_UPTO:
        # In an exercise tree a failure of an unsolved milestone names it first.
        report.longrepr = (f"{milestones.not_done_text(milestone)}: {milestone.title} "
                           f"(docs/students.md)\n{report.longrepr}")
    if report.failed and item.config.getoption("--milestone-stop"):
        item.config.stash.setdefault(MILESTONE_STOP_KEY, number)
    outcome: str = report.outcome
    if report.skipped and NOT_GRADED in str(report.longrepr):
        outcome = "not_graded"
    path = item.config.getoption("--milestone-report")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"nodeid": item.nodeid, "milestone": milestone.number, "outcome": outcome,
                                  "says": grading.milestones_named(own_text)}) + "\n")
    return report


def kernel_tests_in_sources() -> list[tuple[str, str]]:
    """Every KERNEL_TEST(set, name) in the kernel's and the hypervisor's sources."""
    found = []
    for folder in ("kernel", "hypervisor"):
        for source in sorted((SOURCE_DIR / folder).rglob("*.cpp")):
            found += KERNEL_TEST_PATTERN.findall(source.read_text())
    return found


# What a KERNEL_TEST body says when it needs VMX: its own skip line, or a helper that skips.
NEEDS_VMX_PATTERN = re.compile(r"skip_without_vmx\(|t\.skip\(\"this CPU has no VMX\"\)")


def kernel_tests_needing_vmx() -> set[tuple[str, str]]:
    """The KERNEL_TESTs whose body skips without VMX (read from the sources, each body
    up to the next KERNEL_TEST): in QEMU they could only ever skip, so they are not
    parametrized for it (their set still boots there: test_set_ran_exactly_...)."""
    found: set[tuple[str, str]] = set()
    for folder in ("kernel", "hypervisor"):
        for source in sorted((SOURCE_DIR / folder).rglob("*.cpp")):
            text = source.read_text()
            starts = list(KERNEL_TEST_PATTERN.finditer(text))
            ends = [match.start() for match in starts[1:]] + [len(text)] * bool(starts)
            for match, end in zip(starts, ends, strict=True):
                if NEEDS_VMX_PATTERN.search(text, match.end(), end):
                    found.add((match.group(1), match.group(2)))
    return found


def kernel_test_cases() -> list[tuple[str, str, str]]:
    """(emulator, set, name) for tests/system/test_kernel_tests.py: every test in Bochs
    (VMX), and in QEMU (no VMX) only those that can do more than skip."""
    tests = kernel_tests_in_sources()
    needing_vmx = kernel_tests_needing_vmx()
    return ([("qemu", s, n) for s, n in tests if (s, n) not in needing_vmx]
            + [("bochs", s, n) for s, n in tests])


# Emulators that implement VMX: there a test that says the CPU has no VMX is a broken
# VMX detection, not a platform without the feature.
VMX_EMULATORS = ("bochs",)


def check_outcome(emulator: str, name: str, outcome: str, reason: str) -> None:
    """Turns one reported test outcome into pytest's: PASS passes, FAIL fails. A SKIP
    is allowed only where the platform lacks the feature; in an emulator with VMX a
    skip because of missing VMX fails the test, so that a broken VMX detection makes
    the Bochs suite fail instead of quietly skip (tests/tools/test_skip_policy.py)."""
    if outcome == "SKIP":
        if emulator in VMX_EMULATORS and "VMX" in reason:
            pytest.fail(f"{name} skipped in {emulator}, which has VMX: {reason}")
        pytest.skip(reason)
    assert outcome == "PASS", f"{name}: {outcome}: {reason}"


def user_tests_in_sources(program: str) -> list[str]:
    """The names of the [user test] lines `program` prints, read from its source:
    the string literals "PROGRAM.name", and for bad_syscalls the names its
    for_each_bad_pointer("prefix", ...) builds from BAD_POINTER_NAMES."""
    source = (SOURCE_DIR / "user" / "programs" / f"{program}.cpp").read_text()
    names = set(re.findall(rf'"({re.escape(program)}\.\w+)"', source))
    pointer_names = re.search(r"BAD_POINTER_NAMES\[\] = \{([^}]*)\}", source)
    if pointer_names:
        kinds = re.findall(r'"(\w+)"', pointer_names.group(1))
        for prefix in re.findall(r'for_each_bad_pointer\("(\w+)"', source):
            names.update(f"{program}.{prefix}_{kind}" for kind in kinds)
    return sorted(names)


def explain(result: RunResult, lines: int = 60) -> str:
    """What a failing test prints: the verdict, the serial tail and Bochs' log tail."""
    text = [f"verdict: {result.verdict.name}: {result.reason}", "--- serial (last lines) ---"]
    text += result.serial.splitlines()[-lines:]
    if result.emulator_log:
        text += ["--- emulator log (last lines) ---"] + result.emulator_log.splitlines()[-30:]
    return "\n".join(text)


def emulator_bailed_out(result: RunResult) -> bool:
    """The emulator stopped on an assertion of its own code (GLib's "Bail out!"):
    a fault in the emulator, not a verdict on the kernel. One retry; a second
    abort stays NO_RESULT and fails the test. The one seen so far, QEMU 7.2's
    "tcg_handle_interrupt: assertion failed: (qemu_mutex_iothread_locked())",
    came from a guest's MOV to CR8 with SVM's V_IRQ set, which our SVM backend
    now intercepts (svm::SvmVcpu::request_interrupt_window): a repeat of it is
    a bug of ours to find, not noise."""
    return "Bail out! ERROR:" in result.emulator_log


class Booter:
    """Boots the kernel; identical requests within one session share one boot."""

    def __init__(self, work_root: Path):
        self.work_root = work_root
        self.cache: dict[tuple[str, str, int, tuple[tuple[str, str], ...], bool], RunResult] = {}

    def __call__(self, emulator: str, cmdline: str, *, timeout: float | None = None,
                 memory_mib: int = 256, cached: bool = True,
                 serial_input: tuple[tuple[str, str], ...] = (), exact_time: bool = False) -> RunResult:
        """`serial_input`: (wait-for, text) pairs typed into COM1 (see runner.run).
        `exact_time`: QEMU counts instructions (-icount) for time (Bochs always does)."""
        icount = exact_time and emulator == "qemu"
        key = (emulator, cmdline, memory_mib, serial_input, icount)
        if cached and key in self.cache:
            return self.cache[key]
        work_dir = self.work_root / f"{emulator}-{len(self.cache)}-{abs(hash(key))}"
        config = RunConfig(emulator=emulator, kernel=paths.kernel_file(BUILD_DIR), cmdline=cmdline,
                           modules=[m for m in [paths.initrd_file(BUILD_DIR)] if m.exists()],
                           memory_mib=memory_mib, headless=True,
                           timeout=timeout or BOOT_TIMEOUT[emulator], work_dir=work_dir,
                           qemu_extra=list(QEMU_ICOUNT) if icount else [])
        result = runner.run(config, serial_input=serial_input)
        if result.verdict.name == "NO_RESULT" and (result.serial == "" or emulator_bailed_out(result)):
            # Bochs occasionally dies before the kernel runs (see
            # shared/reference/vmx-in-bochs.md), and QEMU 7.2's TCG sometimes
            # aborts on its own internal assertion: one retry for either.
            result = runner.run(config, serial_input=serial_input)
        self.cache[key] = result
        return result


@pytest.fixture(scope="session")
def boot(tmp_path_factory: pytest.TempPathFactory) -> Booter:
    return Booter(tmp_path_factory.mktemp("boots"))


@pytest.fixture(scope="session")
def build_dir() -> Path:
    return BUILD_DIR
