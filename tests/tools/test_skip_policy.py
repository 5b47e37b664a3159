"""The harness's skip policy (tests/conftest.py, check_outcome): a skip is allowed only
where the platform lacks the feature. Bochs emulates VMX, so a kernel or user test
that reports 'no VMX' there (a broken VMX detection) must fail the suite, while the
same line from QEMU, which has no VMX, is a skip. Fed through the real serial parser."""
from __future__ import annotations

import pytest

from conftest import check_outcome, kernel_test_cases, kernel_tests_in_sources, kernel_tests_needing_vmx
from matryoshka import verdict

# What the kernel prints when cpu_has_vmx() wrongly says no (kernel/test/kernel_test.cpp).
BROKEN_DETECTION = "[host test] SKIP: vmx.vmxon_enters_vmx_operation: this CPU has no VMX\n"


def outcome_from_serial(serial: str) -> verdict.TestOutcome:
    tests = verdict.parse_tests(serial)
    assert list(tests) == ["vmx.vmxon_enters_vmx_operation"]
    return tests["vmx.vmxon_enters_vmx_operation"]


def test_broken_vmx_detection_fails_in_bochs() -> None:
    outcome = outcome_from_serial(BROKEN_DETECTION)
    with pytest.raises(pytest.fail.Exception, match="skipped in bochs, which has VMX"):
        check_outcome("bochs", outcome.name, outcome.outcome, outcome.reason)


def test_no_vmx_skip_is_allowed_in_qemu() -> None:
    outcome = outcome_from_serial(BROKEN_DETECTION)
    with pytest.raises(pytest.skip.Exception, match="this CPU has no VMX"):
        check_outcome("qemu", outcome.name, outcome.outcome, outcome.reason)


def test_user_test_no_vmx_skip_fails_in_bochs() -> None:
    with pytest.raises(pytest.fail.Exception):
        check_outcome("bochs", "faultwalk.vm_start", "SKIP", "no VMX")


def test_a_skip_for_another_missing_feature_stays_a_skip_in_bochs() -> None:
    # A guest-side test booted as the host lacks the hypervisor's files, not VMX.
    with pytest.raises(pytest.skip.Exception):
        check_outcome("bochs", "hypercall_fs.reads", "SKIP", "not running under the Matryoshka hypervisor with files")


def test_pass_passes_and_fail_fails() -> None:
    check_outcome("bochs", "vmx.vmxon_enters_vmx_operation", "PASS", "")
    with pytest.raises(AssertionError, match="FAIL: VMXON failed"):
        check_outcome("qemu", "vmx.vmxon_enters_vmx_operation", "FAIL", "VMXON failed")


def test_tests_that_can_only_skip_without_vmx_are_not_run_in_qemu() -> None:
    needing = kernel_tests_needing_vmx()
    assert ("vmx", "vmxon_enters_vmx_operation") in needing
    assert ("vmx_safety", "failed_vm_entry_is_reported_with_its_reason") in needing
    assert needing < set(kernel_tests_in_sources())
    cases = kernel_test_cases()
    assert ("qemu", "vmx", "vmxon_enters_vmx_operation") not in cases
    assert ("bochs", "vmx", "vmxon_enters_vmx_operation") in cases
    assert all(("bochs", s, n) in cases for s, n in kernel_tests_in_sources())
