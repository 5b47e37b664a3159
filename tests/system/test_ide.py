"""IDE disks in Bochs: the `ide` test guest (guests/ide.cpp) drives both channels
in interrupt and polling mode against disk images made by tools/matryoshka/
ide_test_disks.py (build/disks, /disks in the initrd); then /bin/sha256sum hashes
the host's files, which must equal the images the Python tool computes with the
guest's writes. A second VM with one read-only disk sees the secondary channel
float; a third, with a 16 KiB storage quota, fills holes of a sparse image until
its writes abort. One boot for all of it, and a second short one for the kernel command
line's vm_disk=."""
from __future__ import annotations

import re

import pytest

from conftest import Booter, explain
from matryoshka import ide_test_disks
from matryoshka.verdict import RunResult, Verdict

PROMPT = "/$ "
FULL = ("vm start --mem 8 --disk /disks/ide0.img --disk none --disk /disks/ide2.img,ro "
        "--disk /disks/ide3.img /guests/ide")
FLOATING = "vm start --mem 8 --append floating --disk /disks/ide2.img,ro /guests/ide"
QUOTA = "vm start --mem 8 --quota-bytes 16384 --append quota --disk /disks/ide4.img /guests/ide"
HASH = "sha256sum /disks/ide0.img /disks/ide2.img /disks/ide3.img"
STEPS = [
    (PROMPT, FULL + "\r"),
    ("(root ", "vm wait 1\r"),
    ("\nvm1 stopped: ", FLOATING + "\r"),
    ("(root ", "vm wait 2\r"),
    ("\nvm2 stopped: ", QUOTA + "\r"),
    ("(root ", "vm wait 3\r"),
    ("\nvm3 stopped: ", "vm start --disk /disks/missing.img /guests/ide\r"),
    (PROMPT, "vm start --disk /disks /guests/ide\r"),
    (PROMPT, HASH + "\r"),
    (PROMPT, "poweroff\r"),
]

FULL_CHECKS = [
    "primary_master_identify", "primary_slave_absent_reads_status_0", "primary_reads_the_mbr_of_mkdisk",
    "primary_write_sectors_with_interrupts", "primary_write_raised_interrupts", "primary_read_back_with_interrupts",
    "primary_set_multiple_mode_4", "primary_write_multiple_polling_32bit", "primary_read_multiple_polling_32bit",
    "polling_mode_raised_no_interrupt", "primary_chs_write", "primary_chs_write_landed_at_lba_1008",
    "primary_read_past_the_end_is_idnf", "identify_packet_device_aborted_with_ata_signature",
    "execute_device_diagnostic_passes", "secondary_master_identify", "secondary_slave_identify",
    "secondary_master_reads_its_pattern", "secondary_master_read_only_write_aborted",
    "secondary_slave_count_0_writes_256_sectors", "secondary_slave_count_0_reads_back_polling",
    "secondary_software_reset",
]
QUOTA_CHECKS = ["quota_hole_writes_stop_at_the_quota", "quota_rewrite_of_a_taken_page_succeeds",
                "quota_rewrite_reads_back"]
FLOATING_CHECKS = [
    "only_disk_identify", "only_disk_slave_absent_reads_status_0", "only_disk_read_only_write_aborted",
    "secondary_without_disks_floats",
]


@pytest.fixture(scope="module")
def session(boot: Booter) -> RunResult:
    return boot("bochs", "vm_stats", serial_input=tuple(STEPS), timeout=300)


@pytest.fixture(scope="module")
def command_line_vm(boot: Booter) -> RunResult:
    return boot("bochs", "vm=/guests/ide vm_mem=8 vm_cmdline=floating vm_disk=/disks/ide2.img:ro", timeout=180)


def test_the_session_ran_to_poweroff(session: RunResult) -> None:
    assert "$ poweroff" in session.serial, explain(session)
    assert session.verdict == Verdict.PASSED, explain(session)


@pytest.mark.parametrize("vm, checks", [(1, FULL_CHECKS), (2, FLOATING_CHECKS), (3, QUOTA_CHECKS)])
def test_ide_guest_passes_every_check(session: RunResult, vm: int, checks: list[str]) -> None:
    for check in checks:
        assert f"vm{vm} PASS: ide.{check}" in session.serial, explain(session)
    assert f"vm{vm} FAIL: ide." not in session.serial, explain(session)


def test_disk_files_hash_as_the_python_tool_expects(session: RunResult) -> None:
    hashes = {name: digest for digest, name in
              re.findall(r"^([0-9a-f]{64})  /disks/(\S+)\r?$", session.serial, re.MULTILINE)}
    # The quota VM's image holds as many pages as its quota allowed: not hashed.
    expected = {name: image for name, image in ide_test_disks.expected_images().items()
                if name != ide_test_disks.HOLES}
    assert set(hashes) == set(expected), explain(session)
    for name, image in expected.items():
        assert hashes[name] == image.sha256(), f"{name}\n" + explain(session)


@pytest.mark.parametrize("message", [
    "disk /disks/missing.img: no such file",
    "disk /disks: is a directory, not a disk image",
])
def test_bad_disk_files_are_refused_with_a_sentence(session: RunResult, message: str) -> None:
    assert message in session.serial, explain(session)


def test_vm_disk_on_the_command_line_attaches_a_read_only_disk(command_line_vm: RunResult) -> None:
    for check in FLOATING_CHECKS:
        assert f"vm1 PASS: ide.{check}" in command_line_vm.serial, explain(command_line_vm)
    assert "VM RESULT: vm1 stopped: guest powered off with status 0" in command_line_vm.serial, explain(command_line_vm)
