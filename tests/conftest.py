"""pytest harness: builds the kernel and the unit tests once, and gives tests a
cached way to boot the kernel in QEMU or Bochs and read what it printed."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SOURCE_DIR / "tools"))

from matryoshka import paths, runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402
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
# timer rates) stay Bochs-only.
HYPERVISOR_EMULATORS = [pytest.param("bochs", id="bochs-vmx"), pytest.param("qemu", id="qemu-svm")]


def build() -> None:
    """Configures and builds everything (make is incremental, so this is cheap when
    the README's command already built it)."""
    BUILD_DIR.mkdir(exist_ok=True)
    if not (BUILD_DIR / "Makefile").exists():
        subprocess.run(["cmake", str(SOURCE_DIR)], cwd=BUILD_DIR, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["make", "-j2", "-s"], cwd=BUILD_DIR, check=True)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        build()


def kernel_tests_in_sources() -> list[tuple[str, str]]:
    """Every KERNEL_TEST(set, name) in the kernel's and the hypervisor's sources."""
    found = []
    for folder in ("kernel", "hypervisor"):
        for source in sorted((SOURCE_DIR / folder).rglob("*.cpp")):
            found += KERNEL_TEST_PATTERN.findall(source.read_text())
    return found


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


class Booter:
    """Boots the kernel; identical requests within one session share one boot."""

    def __init__(self, work_root: Path):
        self.work_root = work_root
        self.cache: dict[tuple[str, str, int, tuple[tuple[str, str], ...]], RunResult] = {}

    def __call__(self, emulator: str, cmdline: str, *, timeout: float | None = None,
                 memory_mib: int = 256, cached: bool = True,
                 serial_input: tuple[tuple[str, str], ...] = ()) -> RunResult:
        """`serial_input`: (wait-for, text) pairs typed into COM1 (see runner.run)."""
        key = (emulator, cmdline, memory_mib, serial_input)
        if cached and key in self.cache:
            return self.cache[key]
        work_dir = self.work_root / f"{emulator}-{len(self.cache)}-{abs(hash(key))}"
        config = RunConfig(emulator=emulator, kernel=paths.kernel_file(BUILD_DIR), cmdline=cmdline,
                           modules=[m for m in [paths.initrd_file(BUILD_DIR)] if m.exists()],
                           memory_mib=memory_mib, headless=True,
                           timeout=timeout or BOOT_TIMEOUT[emulator], work_dir=work_dir)
        result = runner.run(config, serial_input=serial_input)
        if result.serial == "" and result.verdict.name == "NO_RESULT":
            # Bochs occasionally dies before the kernel runs (see
            # shared/reference/vmx-in-bochs.md): one retry for a run with no output.
            result = runner.run(config, serial_input=serial_input)
        self.cache[key] = result
        return result


@pytest.fixture(scope="session")
def boot(tmp_path_factory: pytest.TempPathFactory) -> Booter:
    return Booter(tmp_path_factory.mktemp("boots"))


@pytest.fixture(scope="session")
def build_dir() -> Path:
    return BUILD_DIR
