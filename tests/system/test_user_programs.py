"""The user test programs (fs_stress, spawn_loop, bad_syscalls) run inside the OS,
in QEMU and in Bochs: one boot per emulator with run=/bin/fs_stress,..., the
kernel relaying each program's [user test] lines tagged with the program's name,
and each line one pytest result. The expected names are read from the programs'
sources, so a test that silently did not run fails."""
from __future__ import annotations

import pytest

from conftest import USER_TEST_PROGRAMS, Booter, check_outcome, explain, user_tests_in_sources
from matryoshka import verdict
from matryoshka.verdict import RunResult

EMULATORS = ["qemu", "bochs"]
RUN = "run=" + ",".join(f"/bin/{program}" for program in USER_TEST_PROGRAMS)
USER_TESTS = [name for program in USER_TEST_PROGRAMS for name in user_tests_in_sources(program)]


# verdict.TestOutcome, not imported by name: pytest would take a Test* class for tests.
def outcome_of(result: RunResult, name: str) -> verdict.TestOutcome | None:
    return result.user_tests.get(name)


@pytest.mark.parametrize("emulator", EMULATORS)
@pytest.mark.parametrize("name", USER_TESTS)
def test_user_program_test(boot: Booter, emulator: str, name: str) -> None:
    result = boot(emulator, RUN)
    outcome = outcome_of(result, name)
    assert outcome is not None, f"{name} did not run\n" + explain(result)
    if outcome.outcome != "SKIP":
        assert outcome.outcome == "PASS", f"{outcome.reason}\n" + explain(result)
    check_outcome(emulator, name, outcome.outcome, outcome.reason)


@pytest.mark.parametrize("emulator", EMULATORS)
@pytest.mark.parametrize("program", USER_TEST_PROGRAMS)
def test_user_program_exits_with_status_zero(boot: Booter, emulator: str, program: str) -> None:
    result = boot(emulator, RUN)
    outcome = result.tests.get(f"run.{program}")
    assert outcome is not None, f"the kernel did not report {program}'s exit\n" + explain(result)
    assert outcome.outcome == "PASS", f"{outcome.reason}\n" + explain(result)


@pytest.mark.parametrize("emulator", EMULATORS)
def test_user_programs_ran_exactly_the_tests_in_their_sources(boot: Booter, emulator: str) -> None:
    result = boot(emulator, RUN)
    expected = set(USER_TESTS)
    seen = set(result.user_tests)
    assert seen <= expected, f"tests not in the sources: {sorted(seen - expected)}\n" + explain(result)
    assert result.verdict.name == "PASSED", explain(result)
