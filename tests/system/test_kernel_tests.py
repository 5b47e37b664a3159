"""The in-kernel tests (KERNEL_TEST in the sources), each one pytest result, run in
QEMU (fast) and in Bochs (the VMX platform). One boot per test set and emulator."""
from __future__ import annotations

import pytest

from conftest import Booter, check_outcome, explain, kernel_test_cases, kernel_tests_in_sources

KERNEL_TESTS = kernel_tests_in_sources()
SETS = sorted({test_set for test_set, _ in KERNEL_TESTS})
# Every test in Bochs (VMX); in QEMU (no VMX) only those that can do more than skip.
CASES = kernel_test_cases()


@pytest.mark.parametrize("emulator,test_set,name", CASES, ids=[f"{e}-{s}.{n}" for e, s, n in CASES])
def test_in_kernel(boot: Booter, emulator: str, test_set: str, name: str) -> None:
    result = boot(emulator, f"test={test_set}")
    outcome = result.tests.get(f"{test_set}.{name}")
    assert outcome is not None, f"{test_set}.{name} did not run\n" + explain(result)
    if outcome.outcome != "SKIP":
        assert outcome.outcome == "PASS", f"{outcome.reason}\n" + explain(result)
    check_outcome(emulator, f"{test_set}.{name}", outcome.outcome, outcome.reason)


@pytest.mark.parametrize("emulator", ["qemu", "bochs"])
@pytest.mark.parametrize("test_set", SETS)
def test_set_ran_exactly_the_registered_tests(boot: Booter, emulator: str, test_set: str) -> None:
    """A test in the binary but not in the sources (or the other way round) means
    the harness and the kernel disagree about what was tested."""
    result = boot(emulator, f"test={test_set}")
    expected = {f"{s}.{n}" for s, n in KERNEL_TESTS if s == test_set}
    assert set(result.tests) == expected, explain(result)
    assert result.verdict.name in ("PASSED", "FAILED"), explain(result)
