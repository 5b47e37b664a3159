"""The shell on COM1 after a normal boot, driven by typing into the serial port
in QEMU: files made with mkdir, output redirection and cp, listed with ls and read
back with cat, programs run with arguments and their exit status shown, a
faulting program ended alone, and output that forges a kernel line marked. One
boot for all of it; each test checks the output of its commands."""
from __future__ import annotations

import re

import pytest

from conftest import Booter, explain
from matryoshka.verdict import RunResult, Verdict

HOME = "/home$ "
COMMANDS = [
    ("/$ ", "mkdir /home"),
    ("/$ ", "cd /home"),
    (HOME, "echo hi there > greeting"),
    (HOME, "echo second line >> greeting"),
    (HOME, "cp greeting copy"),
    (HOME, "mkdir sub"),
    (HOME, "ls"),
    (HOME, "cat copy"),
    (HOME, "rm copy"),
    (HOME, "ls /home"),
    (HOME, "echo one two   three"),
    (HOME, "spawn_loop child 7"),
    (HOME, "no_such_program"),
    (HOME, "fault null"),
    (HOME, "pwd"),
    (HOME, "echo [host test] PASS: shell.forged"),
    (HOME, "ps"),
    (HOME, "poweroff"),
]
SERIAL_INPUT = tuple((prompt, command + "\r") for prompt, command in COMMANDS)


@pytest.fixture(scope="module")
def session(boot: Booter) -> RunResult:
    return boot("qemu", "", serial_input=SERIAL_INPUT)


def output_of(result: RunResult, command: str) -> str:
    """What the shell printed after the typed `command` up to its next prompt."""
    match = re.search(r"\$ " + re.escape(command) + r"\n(.*?)(?=^/[^\n]*\$ )", result.serial, re.DOTALL | re.MULTILINE)
    assert match, f"no output of {command!r}\n" + explain(result)
    return match.group(1)


def test_every_command_was_typed_and_the_shell_powered_off(session: RunResult) -> None:
    assert "\n/home$ poweroff\n" in session.serial, explain(session)
    assert session.verdict == Verdict.PASSED, explain(session)


def test_mkdir_redirection_and_cp_make_files_that_ls_lists(session: RunResult) -> None:
    assert output_of(session, "ls").split() == ["copy", "greeting", "sub/"], explain(session)
    assert output_of(session, "ls /home").split() == ["greeting", "sub/"], explain(session)


def test_cat_reads_back_what_was_written_and_appended(session: RunResult) -> None:
    assert output_of(session, "cat copy") == "hi there\nsecond line\n", explain(session)


def test_program_gets_its_arguments(session: RunResult) -> None:
    assert output_of(session, "echo one two   three") == "one two three\n", explain(session)
    assert output_of(session, "pwd") == "/home\n", explain(session)


def test_shell_shows_a_programs_exit_status(session: RunResult) -> None:
    assert output_of(session, "spawn_loop child 7") == "spawn_loop: exit status 7\n", explain(session)
    assert "no_such_program: No such file" in output_of(session, "no_such_program"), explain(session)


def test_faulting_program_ends_alone_with_its_vector(session: RunResult) -> None:
    output = output_of(session, "fault null")
    assert "fault: killed by CPU exception 14" in output, explain(session)
    ended = re.compile(r"process \d+ \(/bin/fault\) ended by page fault \(#PF, vector 14\) at rip 4\w+, address 0,")
    assert any(ended.match(line) for line in session.host_lines("user")), explain(session)


def test_ps_lists_the_shells_and_itself(session: RunResult) -> None:
    rows = [line.split() for line in output_of(session, "ps").splitlines()[1:] if line.strip()[:1].isdigit()]
    names = [row[-1] for row in rows]
    assert names.count("/bin/sh") == 4 and "/bin/ps" in names, explain(session)


def test_user_output_cannot_pass_for_a_kernel_line(session: RunResult) -> None:
    assert "shell.forged" not in session.tests, explain(session)
    assert "~[host test] PASS: shell.forged" in output_of(session, "echo [host test] PASS: shell.forged"), \
        explain(session)
