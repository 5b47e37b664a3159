"""The boot fixture's one retry (tests/conftest.py): a run the emulator itself
aborted on an internal assertion is retried, a kernel's own failure or a hang is
not."""
from __future__ import annotations

from conftest import emulator_bailed_out
from matryoshka.verdict import RunResult, Verdict

QEMU_ABORT = ("**\nERROR:../../accel/tcg/tcg-accel-ops.c:81:tcg_handle_interrupt: assertion failed: "
              "(qemu_mutex_iothread_locked())\nBail out! ERROR:../../accel/tcg/tcg-accel-ops.c:81:"
              "tcg_handle_interrupt: assertion failed: (qemu_mutex_iothread_locked())\n")


def test_qemu_internal_assertion_counts_as_the_emulator_bailing_out() -> None:
    result = RunResult(Verdict.NO_RESULT, "the emulator ended (status -6)", "[host boot] ...", emulator_log=QEMU_ABORT)
    assert emulator_bailed_out(result)


def test_a_kernel_panic_or_a_quiet_emulator_log_is_not_a_bail_out() -> None:
    panic = RunResult(Verdict.FAILED, "PANIC", "[host panic] PANIC: broken invariant", emulator_log="")
    qemu_warning = RunResult(Verdict.NO_RESULT, "timeout", "[host boot] ...",
                             emulator_log="qemu-system-x86_64: warning: host doesn't support requested feature\n")
    assert not emulator_bailed_out(panic)
    assert not emulator_bailed_out(qemu_warning)
