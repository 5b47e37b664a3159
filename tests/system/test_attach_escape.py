"""vm attach's escape (hypervisor/vm_console/detach_escape.h) on QEMU/SVM, with a
guest of our own kernel in front on COM1: Ctrl-] Ctrl-] reaches the guest as
ONE 0x1D (its `keys` program shows it) while the host stays attached; a single
Ctrl-] detaches once its window has passed; Ctrl-] and another key detaches at
once and that key starts the host's next command. One boot."""
from __future__ import annotations

import pytest

from conftest import Booter, explain
from matryoshka.verdict import RunResult, Verdict

PROMPT = "/$ "
GUEST_PROMPT = "[vm1] /$ "
ESCAPE = "\x1d"  # Ctrl-]
ATTACHED = "Ctrl-] Ctrl-] types one Ctrl-] into vm1."
DETACHED = "Ctrl-]: back in the host's shell"
AFTER = "typed after the escape"

STEPS = [
    (PROMPT, "vm start --attach /boot/kernel\r"),
    (ATTACHED, ""),
    (GUEST_PROMPT, "keys\r"),
    ("[vm1] keys: type keys", ESCAPE + ESCAPE),
    ("[vm1] key 0x1d", "a"),
    ("[vm1] key 0x61 'a'", "q"),
    (GUEST_PROMPT, ESCAPE),
    (DETACHED, ""),
    (PROMPT, "vm attach 1\r"),
    (ATTACHED, ""),
    (GUEST_PROMPT, ESCAPE + f"echo {AFTER}\r"),
    (DETACHED, ""),
    (f"\n{AFTER}\n", "vm stop 1\r"),
    ("vm1 ended after", "poweroff\r"),
]


@pytest.fixture(scope="module")
def session(boot: Booter) -> RunResult:
    return boot("qemu", "", serial_input=tuple(STEPS), timeout=300)


def guest_lines(result: RunResult) -> list[str]:
    return [line[len("[vm1] "):] for line in result.serial.splitlines() if line.startswith("[vm1] ")]


def test_the_escape_session_ran_to_poweroff(session: RunResult) -> None:
    assert "$ poweroff" in session.serial, explain(session)
    assert session.verdict == Verdict.PASSED, explain(session)


def test_double_ctrl_bracket_reaches_the_guest_as_one_and_the_host_stays_attached(session: RunResult) -> None:
    keys = [line for line in guest_lines(session) if line.startswith("key ")]
    # One 0x1D for the pair, then the 'a' typed while still attached.
    assert keys == ["key 0x1d", "key 0x61 'a'"], explain(session)


def test_single_ctrl_bracket_detaches(session: RunResult) -> None:
    assert session.serial.count(DETACHED) == 2, explain(session)


def test_ctrl_bracket_and_another_key_detaches_and_leaves_the_key_to_the_host(session: RunResult) -> None:
    # The host's shell ran the command typed right after Ctrl-]; the guest never saw it.
    assert f"{PROMPT}echo {AFTER}\n{AFTER}\n" in session.serial, explain(session)
    assert not any(AFTER in line for line in guest_lines(session)), explain(session)
