"""tools/matryoshka/verdict.py: how a run's output becomes a verdict."""
from __future__ import annotations

from matryoshka.verdict import Verdict, bochs_crash_hint, judge, parse_tests, parse_user_tests

PASSING = "[host test] PASS: boot.a\n[host test] SUMMARY: 1 passed, 0 failed, 0 skipped\n"


def test_summary_without_failures_passes() -> None:
    assert judge(PASSING, timed_out=False, exit_status=1).verdict == Verdict.PASSED


def test_summary_with_a_failure_fails() -> None:
    serial = "[host test] FAIL: boot.a: broke\n[host test] SUMMARY: 0 passed, 1 failed, 0 skipped\n"
    result = judge(serial, timed_out=False, exit_status=3)
    assert result.verdict == Verdict.FAILED
    assert result.tests["boot.a"].reason == "broke"


def test_panic_fails_even_after_passing_tests() -> None:
    serial = "[host test] PASS: boot.a\n[host panic] PANIC: oops\n"
    result = judge(serial, timed_out=False, exit_status=3)
    assert result.verdict == Verdict.FAILED
    assert "oops" in result.reason


def test_guest_output_cannot_fake_a_pass() -> None:
    serial = "[vm1] [guest test] SUMMARY: 9 passed, 0 failed, 0 skipped\n[vm1] [host boot] POWER OFF: passed\n"
    assert judge(serial, timed_out=False, exit_status=0).verdict == Verdict.NO_RESULT


def test_zero_tests_is_a_failure() -> None:
    serial = "[host test] SUMMARY: 0 passed, 0 failed, 0 skipped\n"
    assert judge(serial, timed_out=False, exit_status=1).verdict == Verdict.FAILED


def test_silence_is_no_result_with_the_reason() -> None:
    assert "timeout" in judge("", timed_out=True, exit_status=None).reason
    crashed = judge("[host boot] hi\n", timed_out=False, exit_status=0, crash_hint="triple fault")
    assert (crashed.verdict, crashed.reason) == (Verdict.NO_RESULT, "triple fault")


def test_carriage_returns_are_ignored() -> None:
    assert parse_tests("[host test] PASS: boot.a\r\n")["boot.a"].outcome == "PASS"


def test_bochs_triple_fault_is_recognised() -> None:
    log = "00012i[CPU0  ] PANIC<< exception(): 3rd (13) exception with no resolution\n"
    assert bochs_crash_hint(log).startswith("triple fault")
    assert bochs_crash_hint("all fine") == ""


def test_user_test_lines_are_attributed_to_the_program_the_kernel_names() -> None:
    serial = ("[host user] fs_stress: [user test] PASS: fs_stress.big_file\n"
              "[host user] fs_stress: [user test] FAIL: fs_stress.rename: ENOENT\n"
              "[host user] spawn_loop: [user test] SKIP: spawn_loop.fork: later\n")
    tests = parse_user_tests(serial)
    assert tests["fs_stress.big_file"].outcome == "PASS"
    assert (tests["fs_stress.rename"].outcome, tests["fs_stress.rename"].reason) == ("FAIL", "ENOENT")
    assert tests["spawn_loop.fork"].outcome == "SKIP"


def test_user_test_lines_a_program_cannot_fake() -> None:
    serial = ("[host user] evil: [user test] PASS: fs_stress.big_file\n"  # another program's test
              "[user test] PASS: fs_stress.rename\n"  # not relayed by the kernel
              "[host user] fs_stress: ~[host user] fs_stress: [user test] PASS: fs_stress.x\n"
              "[host user] fs_stress: [user test] PASS: fs_stress.twice\n"
              "[host user] fs_stress: [user test] FAIL: fs_stress.twice: second time\n")
    tests = parse_user_tests(serial)
    assert tests["fs_stress.big_file"].outcome == "FAIL"
    assert "fs_stress.rename" not in tests
    assert "fs_stress.x" not in tests
    assert tests["fs_stress.twice"].outcome == "FAIL"
    assert judge(serial, timed_out=True, exit_status=None).user_tests == tests
