"""The file attacks of issue #13 ("The host never falls") as system tests: the
user program fs_attack (sparse 1-byte writes at 4 GiB, a file grown by ftruncate,
1 MiB writes until ENOSPC, files until the quota) runs on the host in QEMU and Bochs and,
in Bochs, inside a guest of our own kernel whose root is /attack with a 4 MiB and
64-file quota (the in-kernel set fs_attack, hypervisor/test/storage_quota_test.cpp,
which also checks that the guest's files stayed in its root and that the host's
pages came back). Every attack ends in data or an errno; the host never panics."""
from __future__ import annotations

import math
import re

import pytest

from conftest import SOURCE_DIR, Booter, explain, user_tests_in_sources
from matryoshka.verdict import RunResult, Verdict
from test_hypervisor import guest_lines

NAMES = user_tests_in_sources("fs_attack")
FILL = re.compile(r"fs_attack: fill (\w+) after (\d+) bytes, free pages (\d+), heap pages (\d+)")
FILES = re.compile(r"fs_attack: files (?:ENOSPC after (\d+) files|made (\d+), no limit)")
PAGE = 4096
LEAF_SLOTS = 255  # data pages one leaf page locates (kernel/fs/ramfs.cpp, RamLeaf)
GUEST_QUOTA_BYTES = 4 << 20
GUEST_QUOTA_FILES = 64
HOST_RUN = "run=/bin/fs_attack"
GUEST_RUN = "test=fs_attack"


def kernel_reserve_pages() -> int:
    header = (SOURCE_DIR / "kernel" / "mm" / "page_manager.h").read_text()
    reserve = re.search(r"KERNEL_RESERVE_PAGES = (\d+);", header)
    assert reserve, "no KERNEL_RESERVE_PAGES in kernel/mm/page_manager.h"
    return int(reserve.group(1))


def user_outcomes(lines: list[str]) -> dict[str, str]:
    found = (re.search(r"\[user test\] (PASS|FAIL|SKIP): (fs_attack\.\w+)(.*)", line) for line in lines)
    return {m.group(2): m.group(1) + m.group(3) for m in found if m}


def one(pattern: re.Pattern[str], lines: list[str]) -> re.Match[str]:
    found = [m for line in lines if (m := pattern.search(line))]
    assert len(found) == 1, "\n".join(lines[-40:])
    return found[0]


# The host program in both emulators; Bochs with less memory, so that filling it
# to the reserve stays short.
HOST_MEMORY_MIB = {"qemu": 256, "bochs": 64}


@pytest.mark.parametrize("emulator", ["qemu", "bochs"])
def test_host_program_attacks_end_in_errno_and_the_reserve_holds(boot: Booter, emulator: str) -> None:
    result = boot(emulator, HOST_RUN, memory_mib=HOST_MEMORY_MIB[emulator])
    assert result.verdict == Verdict.PASSED, explain(result)
    lines = result.serial.splitlines()
    outcomes = user_outcomes(lines)
    assert {name: outcomes.get(name, "did not run") for name in NAMES} == {name: "PASS" for name in NAMES}, \
        explain(result)
    # Every file page is an ordinary claim and nothing else took a page on the
    # way: the write that failed left exactly the kernel's reserve free.
    fill = one(FILL, lines)
    assert fill.group(1) == "ENOSPC" and int(fill.group(3)) == kernel_reserve_pages(), explain(result)
    # The host's own programs have no file quota.
    assert one(FILES, lines).group(2) == "1500", explain(result)


def guest_fill_bytes(quota_bytes: int, pages_kept: int) -> int:
    """What 1 MiB writes into one file get before ENOSPC under a quota: the quota's
    pages less those already charged, shared by data pages and their leaves."""
    pages = quota_bytes // PAGE - pages_kept
    data = pages
    while data + math.ceil(data / LEAF_SLOTS) > pages:
        data -= 1
    return data * PAGE


@pytest.fixture(scope="module")
def guest_run(boot: Booter) -> RunResult:
    return boot("bochs", GUEST_RUN)


def test_guest_attacks_end_in_errno_and_the_host_survives(guest_run: RunResult) -> None:
    result = guest_run
    assert result.verdict == Verdict.PASSED, explain(result)
    assert result.tests["fs_attack.guest_attacks_stay_in_its_root_and_quota"].outcome == "PASS", explain(result)
    assert "PANIC" not in result.serial, explain(result)
    lines = guest_lines(result, 1)
    outcomes = user_outcomes(lines)
    assert {name: outcomes.get(name, "did not run") for name in NAMES} == {name: "PASS" for name in NAMES}, \
        explain(result)
    assert "[guest test] PASS: run.fs_attack" in lines, explain(result)


def test_guest_fill_stops_at_its_byte_quota(guest_run: RunResult) -> None:
    # The marker the guest keeps holds a data page and a leaf.
    fill = one(FILL, guest_lines(guest_run, 1))
    assert fill.group(1) == "ENOSPC", explain(guest_run)
    assert int(fill.group(2)) == guest_fill_bytes(GUEST_QUOTA_BYTES, pages_kept=2), explain(guest_run)


def test_guest_files_stop_at_its_file_quota(guest_run: RunResult) -> None:
    # The marker and the /fs_attack directory count too.
    files = one(FILES, guest_lines(guest_run, 1))
    assert files.group(1) == str(GUEST_QUOTA_FILES - 2), explain(guest_run)
