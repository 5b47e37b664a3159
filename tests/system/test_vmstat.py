"""`vmstat` in the host's shell, on both backends (VMX in Bochs, SVM in QEMU, whose
exit numbers vmstat names by the backend the record gives): the exit statistics a program reads with
the vm_stats system call are the ones the kernel prints itself (`vm_stats` on the
command line), and a bad VM id is explained."""
from __future__ import annotations

import re

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka import exit_log
from matryoshka.verdict import RunResult
from test_vm_shell import PROMPT, shell_view

STEPS = [
    (PROMPT, "vm start --mem 8 /guests/cpuid\r"),
    ("vm1 stats: end", "vmstat\r"),
    (PROMPT, "vmstat 99 1\r"),
    (PROMPT, "poweroff\r"),
]


def output_of(result: RunResult, command: str) -> str:
    """What `command` printed; the kernel's lines may have pushed the typed command
    to a line of its own after the prompt."""
    match = re.search(r"\$ \s*" + re.escape(command) + r"\n(.*?)(?=^/[^\n]*\$ )", shell_view(result),
                      re.DOTALL | re.MULTILINE)
    assert match, f"no output of {command!r}\n" + explain(result)
    return match.group(1)


@pytest.fixture(scope="module", params=HYPERVISOR_EMULATORS)
def session(boot: Booter, request: pytest.FixtureRequest) -> RunResult:
    emulator: str = request.param
    return boot(emulator, "vm_stats", serial_input=tuple(STEPS), timeout=300)


def test_vmstat_shows_what_the_kernel_counted(session: RunResult) -> None:
    kernel = exit_log.parse_statistics(session.serial).get(1)
    assert kernel is not None, explain(session)
    shown = output_of(session, "vmstat")
    assert re.search(rf"^vm1 stopped: {kernel.exits} exits", shown, re.MULTILINE), explain(session)
    rows = {m[1]: (int(m[2]), int(m[3])) for m in re.finditer(r"^  (\S+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+$", shown,
                                                              re.MULTILINE)}
    for name, counter in kernel.reasons.items():
        assert rows.get(name) == (counter.count, counter.cycles), explain(session)
    assert rows.get("2:power_off") == (1, kernel.hypercalls["2:power_off"].cycles), explain(session)


def test_vmstat_of_an_unknown_vm_says_so(session: RunResult) -> None:
    assert "vmstat: vm99: " in output_of(session, "vmstat 99 1"), explain(session)
