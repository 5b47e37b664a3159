"""The make targets and tools/run.py as a person uses them."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, Booter, explain

RUN_PY = [sys.executable, str(SOURCE_DIR / "tools" / "run.py"), "--build-dir", str(BUILD_DIR)]


def run_quietly(command: list[str], timeout: float, typed: str = "") -> subprocess.CompletedProcess[str]:
    """Runs `command` without a terminal; `typed` is its standard input, which
    run.py types into the shell on COM1, one line per prompt."""
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run(command, cwd=BUILD_DIR, input=typed, capture_output=True, text=True, timeout=timeout,
                          env=env)


@pytest.mark.parametrize("target", ["qemu", "bochs"])
def test_make_target_boots_the_kernel_into_the_shell(target: str) -> None:
    run = run_quietly(["make", target], timeout=300, typed="echo typed through make\npoweroff\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "[host boot] Matryoshka kernel" in run.stdout, run.stdout + run.stderr
    assert "\ntyped through make\n" in run.stdout.replace("\r", ""), run.stdout + run.stderr


def test_make_kvm_explains_what_is_missing() -> None:
    run = run_quietly(RUN_PY + ["--emulator", "kvm", "--headless"], timeout=60)
    if run.returncode == 0:
        pytest.skip("this machine has KVM with nested VMX")
    assert run.returncode == 3, run.stdout + run.stderr
    assert "cannot run:" in run.stderr
    assert any(word in run.stderr for word in ("/dev/kvm", "VMX", "nested")), run.stderr


def test_debug_attaches_gdb_to_the_halted_kernel() -> None:
    run = run_quietly(RUN_PY + ["--debug", "--gdb-batch", "hbreak kernel_entry", "--gdb-batch", "continue",
                                "--gdb-batch", "info symbol $pc"], timeout=120)
    assert "kernel_entry in section .text" in run.stdout, run.stdout + run.stderr


def test_run_py_exit_status_is_the_kernels_result() -> None:
    passed = run_quietly(RUN_PY + ["--headless", "--append", "test=boot", "--timeout", "60"], timeout=120)
    failed = run_quietly(RUN_PY + ["--headless", "--append", "crash=panic", "--timeout", "60"], timeout=120)
    hung = run_quietly(RUN_PY + ["--headless", "--append", "crash=hang", "--timeout", "3"], timeout=120)
    assert (passed.returncode, failed.returncode, hung.returncode) == (0, 1, 2), \
        passed.stderr + failed.stderr + hung.stderr


def test_bochs_text_display_flooded_with_ten_thousand_lines_does_not_stall_the_run(boot: Booter) -> None:
    """Regression: Bochs' term display wrote to a terminal nobody read; once
    its buffer was full Bochs blocked and the run hung. The launcher drains it
    and keeps the final screen (screen.txt beside serial.log, RunResult.screen)."""
    result = boot("bochs", "run=/bin/flood", timeout=300)
    assert result.verdict.name == "PASSED", explain(result)
    assert "flood: wrote 10000 lines to /dev/tty1" in result.serial, explain(result)
    assert "flood line 10000 of 10000" in result.screen, result.screen
    assert "flood line 9990 of 10000" in result.screen, result.screen
