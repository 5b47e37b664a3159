"""A VM's COM1 from the host's shell, in Bochs (hypervisor/vm_console/vm_serial.h): `vm
start --attach` types COM1 into a guest of our own kernel booted to its shell,
the guest lists and writes the host's files, Ctrl-] returns to the host's shell,
which reads the guest's file and writes one for the guest; `vm send` types a
line longer than the UART's 16-byte FIFO; bad requests are explained. One boot."""
from __future__ import annotations

import re

import pytest

from conftest import Booter, explain
from matryoshka.verdict import RunResult, Verdict

PROMPT = "/$ "
GUEST_PROMPT = "[vm1] /$ "
DETACH = "\x1d"  # Ctrl-]
ATTACHED = "Ctrl-] returns to the host."
DETACHED = "back in the host's shell"
GUEST_TEXT = "written by the guest"
HOST_TEXT = "written by the host"
# 75 bytes with its Enter: more than four times the guest UART's receive FIFO.
LONG_WORDS = "0123456789abcdef" * 4 + " arrived whole"
TOO_LONG = "y" * 130

STEPS = [
    (PROMPT, "vm send 1 hello\r"),
    (PROMPT, "vm attach 1\r"),
    (PROMPT, "vm attach x\r"),
    (PROMPT, "vm send\r"),
    (PROMPT, "vm start --attach /boot/kernel\r"),
    (ATTACHED, ""),
    (GUEST_PROMPT, "ls /\r"),
    (GUEST_PROMPT, f"echo {GUEST_TEXT} > /shared/from_guest.txt\r"),
    (GUEST_PROMPT, DETACH),
    (DETACHED, ""),
    (PROMPT, "cat /shared/from_guest.txt\r"),
    (PROMPT, f"echo {HOST_TEXT} > /from_host.txt\r"),
    (PROMPT, f"vm send 1 echo {LONG_WORDS}\r"),
    ("[vm1] 0123456789abcdef", "vm attach 1\r"),
    (ATTACHED, ""),
    (GUEST_PROMPT, "cat /from_host.txt\r"),
    (GUEST_PROMPT, DETACH),
    (DETACHED, ""),
    (PROMPT, f"vm send 1 {TOO_LONG}\r"),
    (PROMPT, "vm send 9 hi\r"),
    (PROMPT, "vm list\r"),
    (PROMPT, "vm stop 1\r"),
    ("vm1 ended after", "vm send 1 hi\r"),
    (PROMPT, "vm attach 1\r"),
    (PROMPT, "vm start --attach /boot/kernel\r"),
    ("[vm2] /$ ", "poweroff\r"),  # the guest's own poweroff ends the attachment
    ("vm2 has ended", ""),
    (PROMPT, "poweroff\r"),
]


@pytest.fixture(scope="module")
def session(boot: Booter) -> RunResult:
    return boot("bochs", "", serial_input=tuple(STEPS), timeout=400)


# Host log lines; the guest's lines are kept (they start with "[vm1] ").
HOST_LOG_LINE = re.compile(r"\[host [a-z]+\] [^\n]*\n")


def host_output_of(result: RunResult, command: str, occurrence: int = 0) -> str:
    """What the host's shell printed for `command` (its first run, or the one
    `occurrence` says, -1 the last), guest lines left out."""
    view = re.sub(r"\[vm\d+\] [^\n]*\n", "", HOST_LOG_LINE.sub("", result.serial))
    outputs = re.findall(r"^/\$ " + re.escape(command) + r"\n(.*?)(?=^/[^\n]*\$ )", view, re.DOTALL | re.MULTILINE)
    assert outputs, f"no output of {command!r}\n" + explain(result)
    output: str = outputs[occurrence]
    return output


def guest_output_of(result: RunResult, command: str, occurrence: int = 0) -> list[str]:
    """The guest shell's lines (without "[vm1] ") after it echoed `command`."""
    lines = [line[len("[vm1] "):] for line in result.serial.splitlines() if line.startswith("[vm1] ")]
    starts = [i for i, line in enumerate(lines) if line == "/$ " + command]
    assert len(starts) > occurrence, f"the guest never ran {command!r}\n" + explain(result)
    output = []
    for line in lines[starts[occurrence] + 1:]:
        if line.startswith("/$ "):
            break
        output.append(line)
    return output


def test_the_session_ran_to_poweroff(session: RunResult) -> None:
    assert "$ poweroff" in session.serial, explain(session)
    assert session.verdict == Verdict.PASSED, explain(session)


def test_attach_says_how_to_return_and_ctrl_right_bracket_returns(session: RunResult) -> None:
    assert session.serial.count("vm1 is in front on COM1: you are typing into its shell. " + ATTACHED) == 2, \
        explain(session)
    assert session.serial.count("Ctrl-]: " + DETACHED) == 2, explain(session)
    # Nothing typed into the guest reached the host's shell.
    assert "$ ls /\n" not in session.serial.replace(GUEST_PROMPT + "ls /\n", ""), explain(session)


def test_guest_lists_the_hosts_root(session: RunResult) -> None:
    listed = set(guest_output_of(session, "ls /"))
    assert {"bin/", "boot/", "etc/", "guests/"} <= listed, explain(session)


def test_file_written_by_the_guest_is_read_by_the_host(session: RunResult) -> None:
    assert host_output_of(session, "cat /shared/from_guest.txt") == GUEST_TEXT + "\n", explain(session)


def test_file_written_by_the_host_is_read_by_the_guest(session: RunResult) -> None:
    assert guest_output_of(session, "cat /from_host.txt") == [HOST_TEXT], explain(session)


def test_vm_send_longer_than_the_fifo_loses_nothing(session: RunResult) -> None:
    assert host_output_of(session, f"vm send 1 echo {LONG_WORDS}") == "", explain(session)
    # Not attached: the guest's echo of the line (after its prompt, shown live
    # before) and its output come as relayed lines.
    # A relayed line may follow the host's prompt on its line.
    lines = [line[line.index("[vm1] "):] for line in session.serial.splitlines() if "[vm1] " in line]
    assert f"[vm1] /$ echo {LONG_WORDS}" in lines, explain(session)
    assert f"[vm1] {LONG_WORDS}" in lines, explain(session)


@pytest.mark.parametrize("command, message", [
    ("vm send 1 hello", "there is no vm1"),
    ("vm attach 1", "there is no vm1"),
    ("vm attach x", "vm attach takes one VM id"),
    ("vm send", "vm send takes a VM id"),
    (f"vm send 1 {TOO_LONG}", "the text is too long: at most 128 bytes with its Enter"),
    ("vm send 9 hi", "there is no vm9"),
])
def test_bad_requests_are_explained(session: RunResult, command: str, message: str) -> None:
    assert message in host_output_of(session, command), explain(session)


def test_stopped_vm_takes_no_input_and_says_why(session: RunResult) -> None:
    # The last "vm send 1 hi" and "vm attach 1" came after "vm stop 1".
    assert "vm1 is not running (stopped by the host)" in host_output_of(session, "vm send 1 hi", -1), \
        explain(session)
    assert "vm1 is not running (stopped by the host)" in host_output_of(session, "vm attach 1", -1), \
        explain(session)


def test_attachment_ends_when_the_guest_powers_off(session: RunResult) -> None:
    assert "vm2 has ended; back in the host's shell." in session.serial, explain(session)
    assert "[host vmx] vm2 stopped: guest powered off" in session.serial, explain(session)
