"""The VT100 screen model that renders Bochs' text display (tools/matryoshka/
terminal_screen.py): the control functions ncurses sends for a VT100, and the
launcher's reader of the display (bochs_display) on a real pseudo-terminal."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from matryoshka.bochs_display import BochsDisplay
from matryoshka.terminal_screen import TerminalScreen

ESC = "\x1b"


def test_text_lands_at_the_cursor_and_wraps_at_the_last_column() -> None:
    screen = TerminalScreen(3, 10)
    screen.feed("hello\r\nworld")
    assert screen.lines() == ["hello", "world", ""]
    screen.feed(f"{ESC}[3;1H" + "x" * 12)
    # The 11th character wraps, which at the bottom scrolls the screen up.
    assert screen.lines() == ["world", "x" * 10, "xx"]


def test_cursor_addressing_and_erasing() -> None:
    screen = TerminalScreen(4, 20)
    screen.feed(f"{ESC}[2;5Habc{ESC}[4;1Hbottom line{ESC}[1;1Htop")
    assert screen.lines() == ["top", "    abc", "", "bottom line"]
    screen.feed(f"{ESC}[4;7H{ESC}[K")  # to the end of the line
    assert screen.lines()[3] == "bottom"
    screen.feed(f"{ESC}[2;6H{ESC}[1K")  # to the start of the line, cursor included
    assert screen.lines()[1] == "      c"
    screen.feed(f"{ESC}[H{ESC}[2J")
    assert screen.lines() == ["", "", "", ""]


def test_line_feeds_scroll_the_scrolling_region_only() -> None:
    screen = TerminalScreen(5, 10)
    screen.feed(f"{ESC}[1;1Hheader{ESC}[5;1Hfooter")
    screen.feed(f"{ESC}[2;4r{ESC}[2;1Hone\r\ntwo\r\nthree\r\nfour")
    assert screen.lines() == ["header", "two", "three", "four", "footer"]
    screen.feed(f"{ESC}[2;1H{ESC}M")  # reverse index at the top: scrolls down
    assert screen.lines() == ["header", "", "two", "three", "footer"]


def test_insert_delete_and_attributes_leave_no_trace() -> None:
    screen = TerminalScreen(3, 10)
    screen.feed(f"{ESC}[1mbold{ESC}[0m {ESC}[7mrev{ESC}[m{ESC}[?25l{ESC}]0;title\x07")
    assert screen.lines()[0] == "bold rev"
    screen.feed(f"{ESC}[1;1H{ESC}[2P")
    assert screen.lines()[0] == "ld rev"
    screen.feed(f"{ESC}[2@")
    assert screen.lines()[0] == "  ld rev"
    screen.feed(f"{ESC}[1;1H{ESC}[L")
    assert screen.lines() == ["", "  ld rev", ""]
    screen.feed(f"{ESC}[M")
    assert screen.lines() == ["  ld rev", "", ""]


def test_line_drawing_characters_become_ascii() -> None:
    screen = TerminalScreen(2, 10)
    screen.feed(f"{ESC}(0lqqk{ESC}(B ok")
    assert screen.lines()[0] == "+--+ ok"


def test_a_sequence_split_between_reads_is_understood() -> None:
    screen = TerminalScreen(3, 10)
    for piece in [f"{ESC}", "[", "2;", "3", "Hx"]:
        screen.feed(piece.encode())
    assert screen.lines()[1] == "  x"


def test_ten_thousand_scrolled_lines_leave_the_last_ones_on_screen() -> None:
    screen = TerminalScreen(25, 80)
    screen.feed("".join(f"line {i}\r\n" for i in range(1, 10001)).encode())
    assert screen.lines()[-2] == "line 10000"
    assert screen.lines()[0] == "line 9977"


def test_display_reader_drains_a_terminal_named_on_standard_error(tmp_path: Path) -> None:
    """A stand-in for Bochs opens a pseudo-terminal as Bochs' term display does,
    names it on standard error and writes far more than a terminal buffers: it
    finishes only because the reader drains it, and the screen shows its end."""
    program = (
        "import os, sys, time\n"
        "master, slave = os.openpty()\n"
        "sys.stderr.write('Bochs connected to screen \"%s\"\\n' % os.ttyname(slave)); sys.stderr.flush()\n"
        "os.close(slave)\n"
        "time.sleep(0.2)\n"
        "for i in range(1, 20001):\n"
        "    os.write(master, b'\\x1b[25;1Hline %d\\r\\n' % i)\n"
        "time.sleep(0.5)\n"
    )
    messages = tmp_path / "emulator.out"
    display = BochsDisplay(messages)
    with open(messages, "w") as output:
        process = subprocess.Popen([sys.executable, "-c", program], stdout=output, stderr=subprocess.STDOUT,
                                   env=display.environment())
        display.started()
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    screen = display.finish(tmp_path)
    assert process.returncode == 0
    assert "line 20000" in screen.splitlines()[23], screen
    assert (tmp_path / "screen.txt").read_text() == screen
    assert display.bytes_read > 64 * 1024
    assert display.terminal_path is not None
