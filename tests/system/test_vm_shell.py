"""The `vm` program in the host's shell on COM1, in Bochs: a guest started, waited
for, listed and stopped, bad requests explained, and the host's shell still
working while a guest runs. One boot for all of it, with vm_stats: each VM's
statistics table is logged when it ends."""
from __future__ import annotations

import re

import pytest

from conftest import Booter, explain
from matryoshka.verdict import RunResult, Verdict

PROMPT = "/$ "
STEPS = [
    (PROMPT, "vm start --mem 8 --root /guests/../guests/./ /guests/cpuid\r"),
    # vm wait, then at once the next command: its output must follow the report.
    ("(root ", "vm wait 1\r"),
    ("\nvm1 stopped: ", "vm list\r"),
    (PROMPT, "vm start --mem 99999999999999999999 /guests/cpuid\r"),
    (PROMPT, "vm stop 4294967297\r"),
    (PROMPT, "vm start /nope\r"),
    (PROMPT, "vm start --mem 1 /boot/kernel\r"),
    (PROMPT, "vm start /etc/motd\r"),
    (PROMPT, "vm stop 99\r"),
    (PROMPT, "vm frobnicate\r"),
    (PROMPT, "vm start --append test=sched /boot/kernel\r"),
    ("vm2 started", "echo the host shell still answers\r"),
    (PROMPT, "vm front 2\r"),
    (PROMPT, "vm front 99\r"),
    (PROMPT, "vm list\r"),
    (PROMPT, "vm stop 2\r"),
    ("vm2 ended after", "vm list\r"),
    (PROMPT, "vm start --mem 8 --root /hostile --writable /shared /guests/cpuid\r"),
    ("vm3 ended after", "vm start --mem 8 --writable none /guests/cpuid\r"),
    ("vm4 ended after", "vm list\r"),
    (PROMPT, "poweroff\r"),
]


@pytest.fixture(scope="module")
def session(boot: Booter) -> RunResult:
    return boot("bochs", "vm_stats", serial_input=tuple(STEPS), timeout=300)


# Log lines (the host's and the relayed guests') share COM1 with the shell and may
# land anywhere in its output, even between two echoed characters; each is whole.
LOG_LINE = re.compile(r"\[(?:vm\d+[^\]]*|host [a-z]+)\] [^\n]*\n")


def shell_view(result: RunResult) -> str:
    return LOG_LINE.sub("", result.serial)


def output_of(result: RunResult, command: str) -> str:
    match = re.search(r"\$ " + re.escape(command) + r"\n(.*?)(?=^/[^\n]*\$ )", shell_view(result),
                      re.DOTALL | re.MULTILINE)
    assert match, f"no output of {command!r}\n" + explain(result)
    return match.group(1)


def test_the_session_ran_to_poweroff(session: RunResult) -> None:
    assert "$ poweroff" in session.serial, explain(session)
    assert session.verdict == Verdict.PASSED, explain(session)


def test_started_guest_reports_and_is_listed_with_its_reason(session: RunResult) -> None:
    assert "vm1 started: /guests/cpuid (root /guests)" in output_of(
        session, "vm start --mem 8 --root /guests/../guests/./ /guests/cpuid"), explain(session)
    assert "[host hypercall] vm1 PASS: cpuid.signature_is_swebswebsweb" in session.serial, explain(session)
    first_list = output_of(session, "vm list")
    assert re.search(r"^1\s+stopped\s+8 ", first_list, re.MULTILINE), explain(session)
    assert "guest powered off with status 0 (hypercall)" in first_list, explain(session)


@pytest.mark.parametrize("command, message", [
    ("vm start /nope", "cannot open /nope: ENOENT"),
    ("vm start --mem 1 /boot/kernel", "guest memory of 1 MiB is absurd"),
    ("vm start /etc/motd", "no Multiboot header"),
    ("vm stop 99", "no running vm99"),
    ("vm start --mem 99999999999999999999 /guests/cpuid",
     '--mem takes a number of MiB: "99999999999999999999" is too large'),
    ("vm stop 4294967297", 'vm stop takes one VM id, as vm list shows it: "4294967297" is too large'),
    ("vm front 99", "no running vm99"),
    ("vm frobnicate", "unknown command frobnicate"),
])
def test_bad_requests_are_explained(session: RunResult, command: str, message: str) -> None:
    assert message in output_of(session, command), explain(session)


def test_host_shell_works_while_a_guest_runs_and_the_guest_can_be_stopped(session: RunResult) -> None:
    assert "the host shell still answers" in output_of(session, "echo the host shell still answers"), explain(session)
    assert "vm2 is in front on the VM console" in output_of(session, "vm front 2"), explain(session)
    assert "vm2 stopping" in output_of(session, "vm stop 2"), explain(session)
    assert "[host vmx] vm2 stopped: stopped by the host" in session.serial, explain(session)
    last_list = shell_view(session).rsplit("$ vm list\n", 1)[1]
    assert re.search(r"^2\s+stopped\s+32 ", last_list, re.MULTILINE), explain(session)


def test_vm_wait_returns_after_the_vms_statistics_are_logged(session: RunResult) -> None:
    """Regression: vm wait returned once the VM's state said ended, before its
    thread logged the statistics table, so a power-off right after cut it."""
    # (The guest's log lines may break the prompt's line before `vm wait 1` is
    # echoed, so its output is found in the raw serial text.)
    serial = session.serial
    table_end = serial.find("vm1 stats: end")
    waited = re.search(r"^vm1 stopped: guest powered off", serial, re.MULTILINE)
    assert table_end >= 0 and waited, explain(session)
    assert table_end < waited.start(), explain(session)
    assert serial.find("vm1 ended after") < waited.start(), explain(session)


@pytest.mark.parametrize("command, message", [
    ("vm start --mem 8 --root /hostile --writable /shared /guests/cpuid",
     "vm3: root /hostile read-only, nothing writable: /shared is not a directory beneath the root"),
    ("vm start --mem 8 --writable none /guests/cpuid", "vm4: root / read-only, nothing writable"),
])
def test_vm_start_says_what_the_vm_may_change(session: RunResult, command: str, message: str) -> None:
    # The VM's log lines may split the echoed command from its prompt: the
    # sentence is looked for on a line of its own after the command.
    after = session.serial.split(command, 1)
    assert len(after) == 2 and "\n" + message + "\n" in after[1], explain(session)


def test_default_vm_start_exports_the_root_read_only_but_shared(session: RunResult) -> None:
    # vm2 is the one started without --root or --writable.
    assert "\nvm2: root / read-only, writable /shared\n" in session.serial, explain(session)
