"""Seeing and typing headless, and a kernel in SWEB's form (issue #14), in Bochs:
`vm keys` types on a guest's PS/2 keyboard and `vm screen` reads its VGA text
screen, live and after the end; a guest that ends with `cli; hlt` is halted, not
failed, in `vm wait`, `vm list` and `vm screen` (guests/screen_keys.cpp, whose
only output is its screen and only input its keyboard). Then kernel.x, our own
kernel as a SWEB build makes one (ELF32, flags 0x7, an entry that pushes on the
loader's stack, logging through port 0xE9), is brought in the way tools/byok.py
brings a student's kernel (under /byok/ in the initrd, started in front), boots
to its shell on the VGA console and powers off when `vm keys` types `poweroff`
there. One boot for all of it."""
from __future__ import annotations

import re

import pytest

from conftest import BUILD_DIR, explain
from matryoshka import byok, paths, runner
from matryoshka.emulators import RunConfig
from matryoshka.verdict import RunResult, Verdict

PROMPT = "/$ "
STEPS = (
    (PROMPT, "vm start --mem 4 /guests/screen_keys\r"),
    # Queued before the guest reads: vm keys paces them through the 16-byte buffer.
    (PROMPT, "vm keys 1 'Hello, World! (x_y) ~ \"q\" 1+1=2\\n'\r"),
    (PROMPT, "vm screen 1\r"),
    (PROMPT, "vm keys 1 BYE\\\\n\r"),
    (PROMPT, "vm wait 1\r"),
    # vm wait returns once the VM ended: its screen is the kept copy now.
    (PROMPT, "vm screen 1\r"),
    (PROMPT, "vm list\r"),
    (PROMPT, "vm keys 1 late\r"),
    (PROMPT, "vm screen 99\r"),
)
SWEB_FORM = byok.GuestFiles(BUILD_DIR / "kernel.x")
SWEB_STEPS = (
    (PROMPT, byok.vm_start_command(SWEB_FORM, 32) + "\r"),
    # Its log lines come through port 0xE9 too; then its shell waits on tty1.
    ("[vm2:e9] [guest boot] boot complete", "vm keys 2 poweroff\\\\n\r"),
    ("vm2 stopped", "vm screen 2\r"),
    (PROMPT, "vm list\r"),
    (PROMPT, "poweroff\r"),
)
FIRST_LINE = 'Hello, World! (x_y) ~ "q" 1+1=2'


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    work = tmp_path_factory.mktemp("vm_screen")
    initrd = work / "initrd.cpio"
    byok.make_initrd(paths.initrd_file(BUILD_DIR), SWEB_FORM, initrd)
    config = RunConfig(emulator="bochs", kernel=paths.kernel_file(BUILD_DIR), modules=[initrd], memory_mib=256,
                       headless=True, timeout=400, work_dir=work / "run")
    return runner.run(config, serial_input=STEPS + SWEB_STEPS)


LOG_LINE = re.compile(r"\[(?:vm\d+[^\]]*|host [a-z]+)\] [^\n]*\n")


def screens(result: RunResult) -> list[list[str]]:
    """Each `vm screen` frame's 25 rows, without the frame."""
    text = LOG_LINE.sub("", result.serial)
    found = []
    for frame in re.finditer(r"^\+-{80}\+\n((?:\|.{80}\|\n)*)\+-{80}\+$", text, re.MULTILINE):
        found.append([row[1:-1].rstrip() for row in frame.group(1).splitlines()])
    return found


def test_session_ran_to_poweroff(session: RunResult) -> None:
    assert "$ poweroff" in session.serial, explain(session)
    assert session.verdict == Verdict.PASSED, explain(session)


def test_vm_keys_typed_line_reads_back_on_the_live_screen(session: RunResult) -> None:
    frames = screens(session)
    assert len(frames) == 3 and all(len(rows) == 25 for rows in frames), explain(session)
    live, kept = frames[0], frames[1]
    # Live: the guest runs, still reading keys (how far it got depends on how
    # much CPU its thread had before the shell ran vm screen).
    assert live[0] == "screen_keys guest: type two lines", explain(session)
    assert live[1].startswith("> ") and FIRST_LINE.startswith(live[1][2:]), explain(session)
    assert "halting with interrupts off" not in live, explain(session)
    # Every key arrived, in order, with shift where needed.
    assert kept[1:3] == ["> " + FIRST_LINE, "you typed: " + FIRST_LINE], explain(session)


def test_cli_hlt_guest_ends_halted_with_its_screen_kept(session: RunResult) -> None:
    assert "vm1 halted: HLT with interrupts disabled" in session.serial, explain(session)
    kept = screens(session)[1]
    assert kept[3:6] == ["> BYE", "you typed: BYE", "halting with interrupts off"], explain(session)
    assert re.search(r"^1\s+halted\s+4 ", session.serial, re.MULTILINE), explain(session)


def test_keys_for_an_ended_or_absent_vm_are_refused(session: RunResult) -> None:
    assert "vm: vm1 is not running (HLT with interrupts disabled" in session.serial, explain(session)
    assert "vm: there is no vm99" in session.serial, explain(session)


def test_sweb_form_kernel_boots_to_its_shell_and_takes_keys(session: RunResult) -> None:
    lines = session.serial.splitlines()
    # The loader's stack took the entry's pushes; the video mode was answered.
    assert any(line.startswith("[vm2:e9] [guest boot] Matryoshka kernel") for line in lines), explain(session)
    assert any(line.startswith("[vm2:e9] [guest boot] boot complete") for line in lines), explain(session)
    # SWEB's timer: divisor 0, which the 8254 (and our model of it) counts as 65536.
    assert any(line.startswith("[vm2:e9] [guest interrupt] PIT tick: divisor 0, 18.207 Hz") for line in lines), \
        explain(session)
    assert "vm2 stopped: guest powered off" in session.serial, explain(session)
    screen = screens(session)[2]
    assert any(row.endswith("$ poweroff") for row in screen), explain(session)
