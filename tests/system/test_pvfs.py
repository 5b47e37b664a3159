"""The paravirtual file system on both backends, VMX in Bochs and SVM in QEMU (docs/hypercalls.md): hostile guests get
an error code for every bad argument and leave each other alone; our own kernel
as a guest runs its programs from the host's files; the host and the guest
exchange files (the pvfs and hostfs in-kernel test sets)."""
from __future__ import annotations

import re

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka.verdict import Verdict
from test_hypervisor import guest_lines, guest_reports, vm_results


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_hostile_file_guests_get_an_error_code_for_everything(boot: Booter, emulator: str) -> None:
    # Two at once on one root: the second uses handle numbers valid in the first.
    result = boot(emulator, "vm=/guests/hostile_files,/guests/hostile_files vm_mem=8 vm_root=/hostile "
                           "vm_writable=/hostile vm_timeout_ms=60000 test=boot")
    results = vm_results(result)
    assert len(results) == 2, explain(result)
    for ended in results.values():
        assert ended["state"] == "stopped" and "status 0" in ended["reason"], explain(result)
    reports = guest_reports(result)
    bad = [r.group(0) for r in reports if r["outcome"] != "PASS"]
    assert not bad, "\n".join(bad) + "\n" + explain(result)
    names = {r["name"] for r in reports}
    for expected in ("hostile_files.dot_dot_cannot_leave_the_root", "hostile_files.embedded_nul_ends_the_path",
                     "hostile_files.read_straddling_into_read_only_is_efault",
                     "hostile_files.buffer_wrapping_around_4gib_is_efault", "hostile_files.huge_number_is_enosys",
                     "hostile_files.another_vms_handle_numbers_are_ebadf",
                     "hostile_files.other_vm_left_our_handles_alone", "hostile_files.still_reads_after_all_that"):
        assert expected in names, f"{expected} did not run\n" + explain(result)
    # The host carried on with its own tests.
    assert result.verdict == Verdict.PASSED and result.tests, explain(result)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_guest_runs_ls_from_the_hosts_files(boot: Booter, emulator: str) -> None:
    # The guest gets no initrd: /bin/ls and the directory it lists are the host's.
    # hostfs_probe then tries a file hypercall from guest user mode: EPERM.
    result = boot(emulator, "vm=/boot/kernel vm_cmdline=run=/bin/ls,/bin/hostfs_probe vm_timeout_ms=120000")
    lines = guest_lines(result, 1)
    assert "[guest fs] hostfs mounted at /: every file comes from the host" in lines, explain(result)
    listed = {line.split("ls: ", 1)[1] for line in lines if line.startswith("[guest user] ls: ")}
    assert {"bin/", "boot/", "etc/", "guests/"} <= listed, explain(result)
    assert "[guest test] PASS: run.ls" in lines, explain(result)
    assert "[guest test] PASS: run.hostfs_probe" in lines, explain(result)
    assert vm_results(result)["1"]["state"] == "stopped", explain(result)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_host_and_guest_exchange_files_and_no_guest_test_skips(boot: Booter, emulator: str) -> None:
    # The same boot as test_kernel_tests.py's pvfs set (cached); here the guest's
    # side is checked too: all of hostfs ran, none skipped.
    result = boot(emulator, "test=pvfs")
    summary = [line for line in guest_lines(result, 1) if line.startswith("[guest test] SUMMARY:")]
    assert summary, explain(result)
    assert re.search(r"SUMMARY: [1-9]\d* passed, 0 failed, 0 skipped", summary[0]), explain(result)
    # Through the request ring: 4 KiB writes one notify each, sequential 4 KiB
    # reads one per read-ahead window, a listing of 100 names a few
    # (kernel/fs/hypercall_fs_test.cpp); the read-ahead keeps its coherence
    # model against a file changed behind hostfs (kernel/fs/read_ahead.h).
    for name in ("ring_costs_one_exit_or_less_per_operation",
                 "read_ahead_sees_our_writes_at_once_and_host_changes_as_its_model_says"):
        assert f"[guest test] PASS: hostfs.{name}" in guest_lines(result, 1), explain(result)
    # The host counted what went through the ring (hypervisor/vm/vm_manager.cpp).
    counted = re.search(r"vm1 file ring: (\d+) requests, (\d+) bytes", result.serial)
    assert counted and int(counted[1]) > 100 and int(counted[2]) >= 8 * 4096, explain(result)
    outcome = result.tests.get("pvfs.guest_kernel_reads_and_writes_host_files")
    assert outcome is not None and outcome.outcome == "PASS", explain(result)
