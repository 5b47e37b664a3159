#!/usr/bin/env python3
"""One entry point for a fresh Debian or Ubuntu machine.

    python3 tools/dev.py demo   the main job: install, build, boot the host in Bochs, start a
                                guest of its own kernel in front on COM1 and type into the
                                guest's shell, then into the host's: they share their files
    python3 tools/dev.py demo --interactive
                                the same guest, but you type into its shell yourself
    python3 tools/dev.py test   install, build, run every test (pytest), then print the
                                exercise's grade of the run (docs/teachers.md): in the
                                solution tree every milestone must be done

Both first install what is missing, saying what: Debian packages with apt-get
(through sudo when not root) and Python packages into the virtual environment
.venv in the source folder. Then they configure and build in build/.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SOURCE_DIR / "tools"))

from matryoshka import build as build_tree  # noqa: E402
from matryoshka import exercise, grading, milestones  # noqa: E402

BUILD_DIR = SOURCE_DIR / "build"
VENV_DIR = SOURCE_DIR / ".venv"

DEBIAN_PACKAGES = {
    "build-essential": "g++ and make for the kernel",
    "cmake": "the build system",
    "python3-venv": "the virtual environment for the Python tools",
    "qemu-system-x86": "QEMU, the fast emulator",
    "bochs": "Bochs, the emulator with VMX",
    "bochs-term": "Bochs' display in a terminal (what the tests and the demo use)",
    "bochs-x": "Bochs' window (make bochs with a DISPLAY)",
    "bochsbios": "Bochs' BIOS",
    "vgabios": "Bochs' VGA BIOS",
    "grub-pc-bin": "GRUB for the bootable ISO",
    "grub-common": "grub-mkrescue",
    "xorriso": "ISO writing for grub-mkrescue",
    "mtools": "grub-mkrescue's FAT helper",
    "gdb": "the debugger for make debug and make debug-bochs",
    "ccache": "the compiler cache: the exercise tree's build reuses the solution's objects",
}
PYTHON_REQUIREMENTS = SOURCE_DIR / "tools" / "requirements.txt"


def say(text: str) -> None:
    print(f"dev.py: {text}", flush=True)


def missing_debian_packages() -> list[str]:
    missing = []
    for package in DEBIAN_PACKAGES:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        if "install ok installed" not in status.stdout:
            missing.append(package)
    return missing


def install_debian_packages() -> None:
    if shutil.which("dpkg-query") is None or shutil.which("apt-get") is None:
        say("not a Debian or Ubuntu machine: install these yourself: " + ", ".join(DEBIAN_PACKAGES))
        return
    missing = missing_debian_packages()
    if not missing:
        return
    for package in missing:
        say(f"installing Debian package {package}: {DEBIAN_PACKAGES[package]}")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def venv_python() -> Path:
    return VENV_DIR / "bin" / "python"


def install_python_packages() -> None:
    if not venv_python().exists():
        say(f"creating the virtual environment {VENV_DIR}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV_DIR)], check=True)
    stamp = VENV_DIR / ".requirements-installed"
    wanted = PYTHON_REQUIREMENTS.read_text()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say("installing Python packages into .venv: " + ", ".join(
        line.split("#")[0].strip() for line in wanted.splitlines() if line.split("#")[0].strip()))
    subprocess.run([str(venv_python()), "-m", "pip", "install", "-q", "-r", str(PYTHON_REQUIREMENTS)], check=True)
    stamp.write_text(wanted)


def build() -> None:
    say(f"building in {BUILD_DIR}")
    build_tree.build(SOURCE_DIR, BUILD_DIR, jobs=os.cpu_count() or 2, base_dir=exercise.ccache_base(SOURCE_DIR))


# What the demo types on COM1, one command per prompt ("$ ": the host's and the
# guest's shells prompt alike). DETACH presses Ctrl-], which brings the host's
# shell back from the guest's; the last command turns the machine off.
DETACH = None
DEMO_COMMANDS = [
    "ls /bin /guests",
    "vm start --attach /boot/kernel",  # a guest of the host's own kernel, its shell in front on COM1
    "ls /",  # in the guest: the VM's root is the host's /, read-only but for /shared
    "echo written by the guest > /shared/from_guest.txt",
    DETACH,
    "cat /shared/from_guest.txt",  # in the host: the guest's file
    "echo written by the host > /from_host.txt",
    "vm attach 1",
    "cat /from_host.txt",  # in the guest again: the host's file
    DETACH,
    "vm list",
    "vm stop 1",
    "vm wait 1",
    "poweroff",
]
# --interactive: the guest is started in front, then the keyboard is yours.
INTERACTIVE_COMMANDS = ["vm start --attach /boot/kernel"]


# What each demo emulator's CPU runs the guests with.
DEMO_EMULATORS = {"bochs": "Bochs (corei7_skylake_x, VMX)", "qemu": "QEMU (TCG's max CPU, AMD SVM with nested paging)"}


def demo(interactive: bool, emulator: str = "bochs") -> int:
    say(f"booting the host in {DEMO_EMULATORS[emulator]} with its console on this terminal;")
    commands = INTERACTIVE_COMMANDS if interactive else DEMO_COMMANDS
    shown = ["Ctrl-]" if line is DETACH else line for line in commands]
    say("typing into the shell on COM1: " + "; ".join(shown))
    if interactive:
        say("then this terminal types into the guest's shell: try ls /, then Ctrl-] for the host's shell,")
        say("vm attach 1 to go back, poweroff in the host's shell to end (Ctrl-C stops the emulator)")
    command = [sys.executable, str(SOURCE_DIR / "tools" / "run.py"), "--emulator", emulator, "--headless"]
    if not interactive:
        command += ["--timeout", "600"]
    for line in commands:
        command += ["--detach"] if line is DETACH else ["--type", line]
    if interactive:
        command.append("--keyboard")
    return subprocess.call(command)


# Where a whole test run leaves each milestone test's outcome (tests/conftest.py).
MILESTONE_REPORT = BUILD_DIR / "milestone-report.jsonl"


def test(pytest_arguments: list[str]) -> int:
    """Runs pytest; a whole run (no arguments) is also the exercise's grade, read
    from the milestone report the run writes instead of running the tests twice."""
    whole_run = not pytest_arguments
    report_arguments = []
    if whole_run:
        MILESTONE_REPORT.unlink(missing_ok=True)
        report_arguments = [f"--milestone-report={MILESTONE_REPORT}"]
    status = subprocess.call([str(venv_python()), "-m", "pytest", *report_arguments, *pytest_arguments],
                             cwd=SOURCE_DIR)
    if not whole_run:
        return status
    graded = grade_of_run(MILESTONE_REPORT, exercise.solved_upto(SOURCE_DIR, len(milestones.MILESTONES)))
    print(graded.text, flush=True)
    return status or graded.status


@dataclass(frozen=True)
class RunGrade:
    text: str
    status: int  # non-zero: the solution tree did not do every milestone


def grade_of_run(report: Path, solved_upto: int) -> RunGrade:
    """The grader's table for a whole test run. In the solution tree every milestone
    must be done (N of N: each ran a test, and all its tests passed); an exercise
    tree reports where the student stands, its failures already failed the run."""
    table, first_unmet = grading.grade_table(grading.read_report(report), quick=False)
    count = len(milestones.MILESTONES)
    text = "dev.py: the exercise's grade of this test run (tools/exercise.py grade, docs/teachers.md):\n" + table
    if solved_upto == count and first_unmet is not None:
        return RunGrade(text + f"\ndev.py: the solution tree must do all {count} milestones: "
                        f"milestone {first_unmet} is not done", 1)
    return RunGrade(text, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", choices=["demo", "test", "setup"])
    parser.add_argument("pytest_arguments", nargs=argparse.REMAINDER,
                        help="test: passed on to pytest; demo: --interactive to type into the guest's shell "
                             "yourself, --emulator qemu to run it on SVM in QEMU (default: bochs, VMX)")
    args = parser.parse_args()
    demo_parser = argparse.ArgumentParser(prog="dev.py demo")
    demo_parser.add_argument("--interactive", action="store_true")
    demo_parser.add_argument("--emulator", choices=sorted(DEMO_EMULATORS), default="bochs")
    demo_arguments = demo_parser.parse_args(args.pytest_arguments) if args.job == "demo" else None
    install_debian_packages()
    install_python_packages()
    build()
    if demo_arguments is not None:
        return demo(demo_arguments.interactive, demo_arguments.emulator)
    if args.job == "test":
        return test(args.pytest_arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
